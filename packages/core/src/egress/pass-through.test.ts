// What egress puts in undici's global dispatcher slot: a request egress leaves alone (not to a provider
// host, or a governed call's own request: every adapter call) reaches the dispatcher that was there with
// the caller's own handler — raw response headers exactly as that dispatcher gives them, no conversion
// to undici's newer handler API and back — while a provider request outside a governed unit is still
// governed, refused or reported per mode, whatever handler API its caller uses.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatRequest, useCoreTestSetup } from '../test-support/core-test-setup';
import { captureStderr } from './__fixtures__/capture-stderr';
import { egressStatus } from './egress';

const SLOT = Symbol.for('undici.globalDispatcher.1');
const slots = globalThis as unknown as Record<symbol, Dispatcher>;

interface Dispatcher {
  dispatch(options: Record<string, unknown>, handler: object): boolean;
  close(): Promise<void>;
  compose(...interceptors: unknown[]): Dispatcher;
}

/** Node's bundled undici `Agent`, extended to record the handler each dispatch is given. */
void globalThis.Headers;
const original = slots[SLOT]!;
const Agent = Object.getPrototypeOf(original).constructor as new (options?: { connections?: number }) => Dispatcher;
class RecordingAgent extends Agent {
  readonly handlers: object[] = [];
  override dispatch(options: Record<string, unknown>, handler: object): boolean {
    this.handlers.push(handler);
    return super.dispatch(options, handler);
  }
}

/** A chat completion (20 tokens in, 10 out) with headers a conversion would change: mixed case, a repeat. */
const COMPLETION = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 },
});
let server: Server;
let url: string;
let received = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received++;
      response.sendDate = false;
      response.writeHead(200, [
        'X-Mixed-Case',
        'Kept',
        'Set-Cookie',
        'a=1',
        'Set-Cookie',
        'b=2',
        'Content-Type',
        'application/json',
        'Content-Length',
        String(Buffer.byteLength(COMPLETION)),
      ]);
      response.end(COMPLETION);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const setup = useCoreTestSetup();
let recording: RecordingAgent;

beforeEach(() => {
  received = 0;
  recording = new RecordingAgent();
  slots[SLOT] = recording;
});

afterEach(async () => {
  await setup.genops?.shutdown();
  setup.forget();
  slots[SLOT] = original;
  await recording.close();
});

interface Received {
  status: number;
  rawHeaders: unknown[];
  body: string;
  /** The handler the caller gave `dispatch`. */
  handler: object;
}

const CHAT = JSON.stringify({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });

/** One request through `dispatcher.dispatch` with a legacy handler (`onConnect` / `onHeaders` / ...). */
function legacyRequest(dispatcher: Dispatcher, method: 'GET' | 'POST', path: string): Promise<Received> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let rawHeaders: unknown[] = [];
    const chunks: Buffer[] = [];
    const handler = {
      onConnect() {},
      onHeaders(statusCode: number, headers: unknown[]) {
        status = statusCode;
        rawHeaders = headers;
        return true;
      },
      onData(chunk: Buffer) {
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        resolve({ status, rawHeaders, body: Buffer.concat(chunks).toString('utf8'), handler });
      },
      onError: reject,
    };
    dispatcher.dispatch(
      {
        origin: url,
        path,
        method,
        headers: { 'content-type': 'application/json', authorization: 'Bearer test' },
        body: method === 'POST' ? CHAT : undefined,
      },
      handler,
    );
  });
}

/** Header names and values as text, in order (what the server sent, as undici's parser gives it). */
const asText = (raw: unknown[]) => raw.map((item) => (Buffer.isBuffer(item) ? item.toString('latin1') : item));

describe('a request egress leaves alone: the previous dispatcher gets the caller’s own handler', () => {
  it('not a provider host: the raw headers are exactly what the previous dispatcher gives (case, repeats kept)', async () => {
    const direct = await legacyRequest(recording, 'GET', '/v1/models');
    setup.init({ egress: { mode: 'govern', hosts: [] } });
    expect(egressStatus().fetch).toBe('intercepted');
    expect(slots[SLOT]).not.toBe(recording);

    const through = await legacyRequest(slots[SLOT]!, 'GET', '/v1/models');
    expect(recording.handlers.at(-1)).toBe(through.handler);
    expect(through.rawHeaders).toEqual(direct.rawHeaders);
    expect(through.rawHeaders.every((item) => Buffer.isBuffer(item))).toBe(true);
    const text = asText(through.rawHeaders);
    expect(text).toContain('X-Mixed-Case');
    expect(text.filter((item) => item === 'Set-Cookie')).toHaveLength(2);
    expect(through.body).toBe(COMPLETION);
  });

  it("a governed call's own request to a provider host: untouched, one unit, not reported as a bypass", async () => {
    const direct = await legacyRequest(recording, 'POST', '/v1/chat/completions');
    const genops = setup.init({ egress: { mode: 'govern', hosts: [url] }, dailyBudgetLimit: 10 });
    const call = await genops.governor.begin(chatRequest({ maxOutputTokens: 100 }));
    const { result: through, lines } = await captureStderr(() =>
      call.runInContext(() => legacyRequest(slots[SLOT]!, 'POST', '/v1/chat/completions')),
    );
    expect(recording.handlers.at(-1)).toBe(through.handler);
    expect(through.rawHeaders).toEqual(direct.rawHeaders);
    expect(lines.filter((line) => line.includes('genops'))).toEqual([]);
    expect(setup.spans()).toHaveLength(0);
    await call.end({ usage: { inputTokens: 20, outputTokens: 10 } });
    expect(setup.spans()).toHaveLength(1);
    expect((await genops.status()).openReservations).toBe(0);
  });

  it('fetch: the global dispatcher and a dispatcher passed to fetch get fetch’s own handler, not an adapted one', async () => {
    setup.init({ egress: { mode: 'govern', hosts: [] } });
    const passed = new RecordingAgent();
    try {
      await (await fetch(`${url}/v1/models`)).text();
      await (await fetch(`${url}/v1/models`, { dispatcher: passed } as RequestInit)).text();
      for (const handler of [recording.handlers.at(-1), passed.handlers.at(-1)]) {
        // fetch dispatches with a legacy handler; compose's adapter (WrapHandler) has onRequestStart.
        expect(handler).toHaveProperty('onHeaders');
        expect(handler).not.toHaveProperty('onRequestStart');
      }
    } finally {
      await passed.close();
    }
  });
});

describe('a provider request outside a governed unit, sent with a legacy handler, is still handled per mode', () => {
  it('deny: answered with a 403 from GenOps, nothing sent', async () => {
    setup.init({ egress: { mode: 'deny', hosts: [url] } });
    const answer = await legacyRequest(slots[SLOT]!, 'POST', '/v1/chat/completions');
    expect(answer.status).toBe(403);
    expect(asText(answer.rawHeaders)).toContain('PolicyViolationError');
    expect(JSON.parse(answer.body).error.code).toBe('x_egress_denied');
    expect(received).toBe(0);
  });

  it('warn: passes, reported with a span flagged ungoverned and its usage', async () => {
    setup.init({ egress: { mode: 'warn', hosts: [url] } });
    const { result: answer } = await captureStderr(() => legacyRequest(slots[SLOT]!, 'POST', '/v1/chat/completions'));
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(COMPLETION);
    expect(received).toBe(1);
    const spans = setup.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes['genops.egress.ungoverned']).toBe(true);
    expect(spans[0]!.attributes['gen_ai.usage.input_tokens']).toBe(20);
  });

  it('govern: one governed unit, priced from the usage read on the wire', async () => {
    const genops = setup.init({ egress: { mode: 'govern', hosts: [url] } });
    const answer = await legacyRequest(slots[SLOT]!, 'POST', '/v1/chat/completions');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(COMPLETION);
    const spans = setup.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes['genops.egress.ungoverned']).toBeUndefined();
    // gpt-4o: 20 × $2.50 + 10 × $10 per 1M tokens = 150 µ$.
    expect(Math.round((spans[0]!.attributes['genops.accounting.actual'] as number) * 1e6)).toBe(150);
    expect((await genops.status()).openReservations).toBe(0);
  });

  it('a request undici creates later (queued by a connections limit) is still known as passed on, not a bypass', async () => {
    const queued = new RecordingAgent({ connections: 2 });
    slots[SLOT] = queued;
    try {
      setup.init({ egress: { mode: 'warn', hosts: [url] } });
      const { result, lines } = await captureStderr(() =>
        Promise.all([1, 2, 3, 4, 5, 6].map(() => legacyRequest(slots[SLOT]!, 'POST', '/v1/chat/completions'))),
      );
      expect(result.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(lines.filter((line) => line.includes('its own undici dispatcher'))).toEqual([]);
      // One warn-mode span each, none for a bypass.
      expect(setup.spans()).toHaveLength(6);
    } finally {
      await setup.genops?.shutdown();
      setup.forget();
      await queued.close();
    }
  });

  it('an app that composes onto the global dispatcher after init keeps egress in front', async () => {
    setup.init({ egress: { mode: 'deny', hosts: [url] } });
    const passOn = (dispatch: (...args: unknown[]) => boolean) => (options: unknown, handler: unknown) =>
      dispatch(options, handler);
    const composed = slots[SLOT]!.compose(passOn);
    expect((await legacyRequest(composed, 'POST', '/v1/chat/completions')).status).toBe(403);
    expect((await legacyRequest(composed, 'GET', '/v1/models')).status).toBe(200);
    expect(received).toBe(1);
  });
});
