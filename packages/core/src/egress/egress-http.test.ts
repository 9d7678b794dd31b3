// Egress and `node:http`: requests to a provider host are seen through diagnostics_channel; `deny`
// destroys them before a byte is sent, the other modes let them through and report them.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect as connectHttp2, createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { checkCompliance, fromReadableSpans } from '@genops/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../../../testing/src/fake-openai-server';
import { BudgetExceededError } from '../errors/budget-exceeded-error';
import { PolicyViolationError } from '../errors/policy-violation-error';
import { chatRequest, useCoreTestSetup } from '../test-support/core-test-setup';
import { captureStderr } from './__fixtures__/capture-stderr';

const setup = useCoreTestSetup();
let openai: Awaited<ReturnType<typeof startFakeOpenAI>>;

beforeAll(async () => {
  openai = await startFakeOpenAI();
});
afterAll(() => openai.close());

/**
 * POSTs a chat completion with node:http; resolves with the status and the body as the caller read it.
 * `inParts`: the body goes out in two `write`s (the second with a callback) and a bare `end()`.
 */
function postChat(inParts = false, written?: () => void): Promise<{ status: number; body: string }> {
  const url = new URL(`${openai.url}/chat/completions`);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      },
      (response: IncomingMessage) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    const json = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    if (!inParts) {
      request.end(json);
      return;
    }
    request.write(json.slice(0, 10));
    request.write(json.slice(10), written);
    request.end();
  });
}

describe('egress and node:http', () => {
  it('deny: the request is destroyed with the typed error before anything is sent', async () => {
    openai.reset();
    setup.init({ egress: { mode: 'deny', hosts: [openai.url] } });
    const error = await postChat().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(PolicyViolationError.isInstance(error)).toBe(true);
    expect((error as PolicyViolationError).reasonCode).toBe('x_egress_denied');
    expect((error as PolicyViolationError).status).toBe(403);
    expect(openai.requests).toHaveLength(0);
  });

  it('warn: let through and reported (a span flagged ungoverned with the usage read, one warning), the caller reads the response as usual', async () => {
    openai.reset();
    setup.init({ egress: { mode: 'warn', hosts: [openai.url] } });
    const { result, lines } = await captureStderr(async () => {
      const first = await postChat();
      await postChat();
      return first;
    });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).choices[0].message.content).toBe('Hello from the fake OpenAI server.');
    expect(openai.requests).toHaveLength(2);
    await expect.poll(() => setup.spans().length).toBe(2);
    for (const span of setup.spans()) {
      expect(span.attributes['genops.egress.ungoverned']).toBe(true);
      expect(span.attributes['gen_ai.usage.input_tokens']).toBe(20);
      expect(span.attributes['gen_ai.usage.output_tokens']).toBe(10);
    }
    expect(lines.filter((line) => line.includes('genops: egress:'))).toHaveLength(1);
  });

  it('govern: held until policy and the reservation decide, then sent; the response is read as it passes and priced', async () => {
    openai.reset();
    const genops = setup.init({ dailyBudgetLimit: 10, egress: { hosts: [openai.url] } });
    const { status, body } = await postChat();
    expect(status).toBe(200);
    expect(JSON.parse(body).choices[0].message.content).toBe('Hello from the fake OpenAI server.');
    expect(openai.requests).toHaveLength(1);
    expect(openai.requests[0]!.body.model).toBe('gpt-4o');
    await expect.poll(() => setup.spans().length).toBe(1);
    const spans = setup.spans();
    expect(checkCompliance(fromReadableSpans(spans)).violations).toEqual([]);
    expect(spans[0]!.attributes['genops.egress.ungoverned']).toBeUndefined();
    // gpt-4o: 20 × 2.5 + 10 × 10 = 150 µ$.
    expect(Math.round((spans[0]!.attributes['genops.accounting.actual'] as number) * 1e6)).toBe(150);
    await expect.poll(async () => (await genops.status()).openReservations).toBe(0);
  });

  it('govern: a body written in parts is held whole, governed, then sent, and write callbacks still run', async () => {
    openai.reset();
    setup.init({ egress: { hosts: [openai.url] } });
    let called = false;
    const { status } = await postChat(true, () => {
      called = true;
    });
    expect(status).toBe(200);
    expect(called).toBe(true);
    expect(openai.requests[0]!.body.model).toBe('gpt-4o');
    await expect.poll(() => setup.spans().length).toBe(1);
    expect(setup.spans()[0]!.name).toBe('chat gpt-4o');
  });

  it('govern: a request over a tiny budget is destroyed with BudgetExceededError, nothing sent', async () => {
    openai.reset();
    setup.init({ dailyBudgetLimit: 0.000001, egress: { hosts: [openai.url] } });
    const error = await postChat().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(BudgetExceededError.isInstance(error)).toBe(true);
    expect(openai.requests).toHaveLength(0);
    expect(setup.spans()[0]!.attributes['genops.policy.result']).toBe('BLOCKED');
  });

  it("a governed call's own node:http request is neither reported nor refused", async () => {
    openai.reset();
    const genops = setup.init({ egress: { mode: 'deny', hosts: [openai.url] } });
    const call = await genops.governor.begin(chatRequest());
    const { status } = await call.runInContext(() => postChat());
    expect(status).toBe(200);
    await call.end({ usage: { inputTokens: 20, outputTokens: 10 } });
    expect(setup.spans()).toHaveLength(1);
    expect(setup.spans()[0]!.attributes['genops.egress.ungoverned']).toBeUndefined();
  });

  it('shutdown unsubscribes: a later request is not seen', async () => {
    openai.reset();
    const genops = setup.init({ egress: { mode: 'deny', hosts: [openai.url] } });
    await genops.shutdown();
    setup.forget();
    expect((await postChat()).status).toBe(200);
  });
});

describe('egress and node:http2', () => {
  /** An h2c server answering every POST with an OpenAI chat completion (20 in, 10 out); records the bodies it got. */
  async function startH2(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
    const bodies: string[] = [];
    const server = createHttp2Server();
    server.on('stream', (stream, headers) => {
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        body += chunk;
      });
      stream.on('end', () => {
        bodies.push(body);
        if (headers[':method'] !== 'POST') return void stream.respond({ ':status': 404 }, { endStream: true });
        stream.respond({ ':status': 200, 'content-type': 'application/json' });
        stream.end(
          JSON.stringify({
            id: 'chatcmpl-h2',
            model: 'gpt-4o',
            choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 20, completion_tokens: 10 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      bodies,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  function postH2(url: string): Promise<{ status: number; body: string }> {
    const session = connectHttp2(url);
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/v1/chat/completions',
        'content-type': 'application/json',
      });
      let status = 0;
      let body = '';
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
      });
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        body += chunk;
      });
      stream.on('end', () => resolve({ status, body }));
      stream.on('error', reject);
      stream.end(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }));
    }).finally(() => session.close());
  }

  it('govern: the stream body is held, governed, sent, and the response priced', async () => {
    const server = await startH2();
    try {
      setup.init({ egress: { hosts: [server.url] } });
      const { status, body } = await postH2(server.url);
      expect(status).toBe(200);
      expect(JSON.parse(body).id).toBe('chatcmpl-h2');
      await expect.poll(() => setup.spans().length).toBe(1);
      const span = setup.spans()[0]!;
      expect(checkCompliance(fromReadableSpans([span])).violations).toEqual([]);
      expect(Math.round((span.attributes['genops.accounting.actual'] as number) * 1e6)).toBe(150);
    } finally {
      await server.close();
    }
  });

  it('deny: the stream is reset with the typed error before its body is sent', async () => {
    const server = await startH2();
    try {
      setup.init({ egress: { mode: 'deny', hosts: [server.url] } });
      const error = await postH2(server.url).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(PolicyViolationError.isInstance(error)).toBe(true);
      expect(server.bodies.filter((body) => body.length > 0)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
