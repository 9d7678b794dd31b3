// Egress governance of raw `fetch`: each wire format (plain and streamed) to a fake provider configured
// as an egress host is a governed unit, priced to the micro-dollar and settled; denials never reach the
// server. The fakes speak the providers' wire formats (@genops/testing, and ./__fixtures__).
import { checkCompliance, fromReadableSpans } from '@genops/conformance';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../../../testing/src/fake-anthropic-server';
import { startFakeGemini } from '../../../testing/src/fake-google-server';
import { startFakeOpenAI } from '../../../testing/src/fake-openai-server';
import { chatRequest, useCoreTestSetup } from '../test-support/core-test-setup';
import { captureStderr } from './__fixtures__/capture-stderr';
import { type FakeWireServer, startFakeWireServer } from './__fixtures__/fake-wire-server';
import { egressStatus } from './egress';

type Servers = {
  openai: Awaited<ReturnType<typeof startFakeOpenAI>>;
  anthropic: Awaited<ReturnType<typeof startFakeAnthropic>>;
  gemini: Awaited<ReturnType<typeof startFakeGemini>>;
  wire: FakeWireServer;
};

const setup = useCoreTestSetup();
let servers: Servers;

beforeAll(async () => {
  servers = {
    openai: await startFakeOpenAI(),
    anthropic: await startFakeAnthropic(),
    gemini: await startFakeGemini(),
    wire: await startFakeWireServer(),
  };
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((server) => server.close()));
});

function init(options: Parameters<typeof setup.init>[0] = {}) {
  servers.openai.reset();
  servers.anthropic.reset();
  servers.gemini.reset();
  servers.wire.requests.length = 0;
  return setup.init({
    egress: { hosts: [servers.openai.url, servers.anthropic.url, servers.gemini.url, servers.wire.url] },
    ...options,
  });
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test', authorization: 'Bearer test' },
    body: JSON.stringify(body),
  });
}

/** The one finished span, checked against the GenOps v0.1 specification. */
function onlyUnit(): ReadableSpan {
  const spans = setup.spans();
  expect(spans).toHaveLength(1);
  const report = checkCompliance(fromReadableSpans(spans));
  expect(report.violations).toEqual([]);
  expect(report.checked).toBe(1);
  return spans[0]!;
}

/** USD amounts as integer micro-dollars (the span carries doubles). */
const micros = (usd: unknown) => Math.round((usd as number) * 1e6);

async function expectSettled(genops: ReturnType<typeof init>) {
  expect((await genops.status()).openReservations).toBe(0);
}

describe('egress govern: raw fetch to each wire format', () => {
  it('governs an OpenAI chat completion: policy and reservation before, usage priced to the micro-dollar after', async () => {
    const genops = init();
    const response = await post(`${servers.openai.url}/chat/completions`, {
      model: 'gpt-4o',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const completion = await response.json();
    expect(completion.choices[0].message.content).toBe('Hello from the fake OpenAI server.');
    const span = onlyUnit();
    expect(span.name).toBe('chat gpt-4o');
    expect(span.attributes['gen_ai.provider.name']).toBe('openai');
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(20);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(10);
    // gpt-4o: $2.50 / $10 per 1M tokens → 20 × 2.5 + 10 × 10 = 150 µ$.
    expect(micros(span.attributes['genops.accounting.actual'])).toBe(150);
    expect(micros(span.attributes['genops.accounting.reserved'])).toBeGreaterThan(150);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    await expectSettled(genops);
  });

  it('governs an OpenAI chat stream with include_usage, passing the SSE bytes through unchanged', async () => {
    init();
    const response = await post(`${servers.openai.url}/chat/completions`, {
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    const text = await response.text();
    const events = text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    const content = events
      .slice(0, -1)
      .map((event) => JSON.parse(event).choices[0]?.delta?.content ?? '')
      .join('');
    expect(content).toBe('Hello from the fake OpenAI server.');
    const span = onlyUnit();
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(micros(span.attributes['genops.accounting.actual'])).toBe(150);
  });

  it('settles a stream that reports no usage (no include_usage) at its reservation, flagged incomplete', async () => {
    init();
    const response = await post(`${servers.openai.url}/chat/completions`, {
      model: 'gpt-4o',
      stream: true,
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await response.text();
    const span = onlyUnit();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
  });

  it('governs the Responses API, plain and streamed', async () => {
    init();
    await (await post(`${servers.openai.url}/responses`, { model: 'gpt-4o', input: 'hi' })).json();
    await (await post(`${servers.openai.url}/responses`, { model: 'gpt-4o', input: 'hi', stream: true })).text();
    const spans = setup.spans();
    expect(spans).toHaveLength(2);
    expect(checkCompliance(fromReadableSpans(spans)).violations).toEqual([]);
    for (const span of spans) expect(micros(span.attributes['genops.accounting.actual'])).toBe(150);
  });

  it('governs OpenAI embeddings', async () => {
    init();
    servers.openai.enqueue({ usage: { input: 1000, output: 0 } });
    await (await post(`${servers.openai.url}/embeddings`, { model: 'text-embedding-3-small', input: 'hi' })).json();
    const span = onlyUnit();
    expect(span.attributes['gen_ai.operation.name']).toBe('embeddings');
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(1000);
    // text-embedding-3-small: $0.02 per 1M input tokens → 1000 × 0.02 = 20 µ$.
    expect(micros(span.attributes['genops.accounting.actual'])).toBe(20);
  });

  it('reads the usage at the end of a JSON response larger than maxBodyBytes (its last 64 KiB are kept)', async () => {
    init({ egress: { hosts: [servers.openai.url], maxBodyBytes: 1024 } });
    servers.openai.enqueue({ usage: { input: 1000, output: 0 } });
    const input = Array.from({ length: 50 }, () => 'hi');
    const text = await (
      await post(`${servers.openai.url}/embeddings`, { model: 'text-embedding-3-small', input })
    ).text();
    expect(text.length).toBeGreaterThan(1024);
    const span = onlyUnit();
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect(micros(span.attributes['genops.accounting.actual'])).toBe(20);
  });

  it('governs an Anthropic message, plain and streamed', async () => {
    init();
    const message = await (
      await post(`${servers.anthropic.url}/v1/messages`, {
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
      })
    ).json();
    expect(message.content[0].text).toBe('Hello from the fake Anthropic server.');
    await (
      await post(`${servers.anthropic.url}/v1/messages`, {
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      })
    ).text();
    const spans = setup.spans();
    expect(spans).toHaveLength(2);
    expect(checkCompliance(fromReadableSpans(spans)).violations).toEqual([]);
    // claude-sonnet-4-5: $3 / $15 → 20 × 3 + 10 × 15 = 210 µ$.
    for (const span of spans) {
      expect(span.attributes['gen_ai.provider.name']).toBe('anthropic');
      expect(micros(span.attributes['genops.accounting.actual'])).toBe(210);
    }
  });

  it('governs Gemini generateContent and streamGenerateContent (SSE), model from the path', async () => {
    init();
    const body = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 64 } };
    await (await post(`${servers.gemini.url}/v1beta/models/gemini-2.5-flash:generateContent`, body)).json();
    await (
      await post(`${servers.gemini.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, body)
    ).text();
    const spans = setup.spans();
    expect(spans).toHaveLength(2);
    expect(checkCompliance(fromReadableSpans(spans)).violations).toEqual([]);
    // gemini-2.5-flash: $0.30 / $2.50 → 20 × 0.3 + 10 × 2.5 = 31 µ$.
    for (const span of spans) {
      expect(span.name).toBe('generate_content gemini-2.5-flash');
      expect(span.attributes['gen_ai.provider.name']).toBe('gcp.gemini');
      expect(span.attributes['gen_ai.request.max_tokens']).toBe(64);
      expect(micros(span.attributes['genops.accounting.actual'])).toBe(31);
    }
  });

  it("governs Ollama's native chat, NDJSON stream (its default) and JSON", async () => {
    init({ prices: { ollama: { 'llama3.2': { input: 1, output: 2 } } } });
    const streamed = await (
      await post(`${servers.wire.url}/api/chat`, { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] })
    ).text();
    expect(streamed.trim().split('\n')).toHaveLength(4);
    await (
      await post(`${servers.wire.url}/api/chat`, {
        model: 'llama3.2',
        stream: false,
        messages: [{ role: 'user', content: 'hi' }],
      })
    ).json();
    const spans = setup.spans();
    expect(spans).toHaveLength(2);
    expect(checkCompliance(fromReadableSpans(spans)).violations).toEqual([]);
    expect(spans.map((span) => span.attributes['gen_ai.request.stream'])).toEqual([true, false]);
    // $1 / $2 per 1M → 20 × 1 + 10 × 2 = 40 µ$.
    for (const span of spans) expect(micros(span.attributes['genops.accounting.actual'])).toBe(40);
  });

  it('governs Cohere v2 chat, JSON and SSE, from billed units', async () => {
    init({ egress: { hosts: [{ host: servers.wire.url, provider: 'cohere' }] } });
    const body = { model: 'command-r', messages: [{ role: 'user', content: 'hi' }] };
    await (await post(`${servers.wire.url}/v2/chat`, body)).json();
    await (await post(`${servers.wire.url}/v2/chat`, { ...body, stream: true })).text();
    const spans = setup.spans();
    expect(spans).toHaveLength(2);
    // command-r: $0.15 / $0.60 → 20 × 0.15 + 10 × 0.6 = 9 µ$ (billed units, not the template-inclusive tokens).
    for (const span of spans) {
      expect(span.attributes['gen_ai.provider.name']).toBe('cohere');
      expect(micros(span.attributes['genops.accounting.actual'])).toBe(9);
    }
  });

  it('governs a Mistral (OpenAI-shaped) chat on a host configured with its provider', async () => {
    init({ egress: { hosts: [{ host: servers.openai.url, provider: 'mistral_ai' }] } });
    await (
      await post(`${servers.openai.url}/chat/completions`, {
        model: 'mistral-small-latest',
        messages: [{ role: 'user', content: 'hi' }],
      })
    ).json();
    const span = onlyUnit();
    expect(span.attributes['gen_ai.provider.name']).toBe('mistral_ai');
    // mistral-small-latest: $0.06 / $0.18 → 1.2 + 1.8 = 3 µ$.
    expect(micros(span.attributes['genops.accounting.actual'])).toBe(3);
  });

  it('reads usage from a gzip-compressed response while the caller gets it decompressed as usual', async () => {
    init();
    const completion = await (
      await post(`${servers.wire.url}/gzip/v1/chat/completions`, { model: 'gpt-4o', messages: [] })
    ).json();
    expect(completion.id).toBe('chatcmpl-gzip');
    await expect.poll(() => setup.spans().length).toBe(1);
    expect(micros(onlyUnit().attributes['genops.accounting.actual'])).toBe(150);
  });
});

describe('egress govern: edits', () => {
  it("a downgrade budget's cheaper model is what is sent (body and content-length rewritten), the caller's body untouched", async () => {
    init({
      budgets: [{ name: 'small', limit: 0.0005, window: 'day', action: 'downgrade', downgradeTo: 'gpt-4o-mini' }],
    });
    const body = { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };
    const response = await post(`${servers.openai.url}/chat/completions`, body);
    await response.json();
    expect(body.model).toBe('gpt-4o');
    expect(servers.openai.requests).toHaveLength(1);
    const sent = servers.openai.requests[0]!;
    expect(sent.body.model).toBe('gpt-4o-mini');
    expect(Number(sent.headers['content-length'])).toBe(Buffer.byteLength(sent.rawBody));
    const span = onlyUnit();
    expect(span.attributes['gen_ai.request.model']).toBe('gpt-4o-mini');
  });
});

describe('egress govern: denials', () => {
  it('refuses a request over a tiny budget before the server sees it, with a final 402', async () => {
    const genops = init({ dailyBudgetLimit: 0.000001 });
    const response = await post(`${servers.openai.url}/chat/completions`, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(response.status).toBe(402);
    expect(response.headers.get('x-genops-error')).toBe('BudgetExceededError');
    const body = await response.json();
    expect(body.error.code).toBe('BUDGET_EXCEEDED');
    expect(body.error.message).toContain('daily');
    expect(servers.openai.requests).toHaveLength(0);
    const span = onlyUnit();
    expect(span.attributes['genops.policy.result']).toBe('BLOCKED');
    await expectSettled(genops);
  });

  it('refuses a model a policy denies with a 403', async () => {
    init({ policies: { denyModels: ['gpt-4o'] } });
    const response = await post(`${servers.openai.url}/chat/completions`, { model: 'gpt-4o', messages: [] });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-genops-error')).toBe('PolicyViolationError');
    expect(servers.openai.requests).toHaveLength(0);
  });

  it('prices a POST it cannot read as an unknown model: refused by default (unknownModel: deny)', async () => {
    init();
    const response = await post(`${servers.openai.url}/images/generations`, { prompt: 'a cat' });
    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('BUDGET_RESERVATION_FAILED');
    expect(servers.openai.requests).toHaveLength(0);
  });

  it("with unknownModel: 'warn', an unreadable POST is reserved at the provider's ceiling and settled at it", async () => {
    init({ unknownModel: 'warn' });
    await (await post(`${servers.wire.url}/v1/images/generations`, { prompt: 'a cat' })).text();
    expect(servers.wire.requests).toHaveLength(1);
    const span = onlyUnit();
    expect(span.attributes['genops.cost.source']).toBe('conservative-estimate');
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(micros(span.attributes['genops.accounting.actual'])).toBeGreaterThan(0);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
  });

  it('lets reads through untouched (GET bills nothing)', async () => {
    init();
    const response = await fetch(`${servers.openai.url}/models`);
    expect(response.status).toBe(404);
    await response.text();
    expect(servers.openai.requests).toHaveLength(1);
    expect(setup.spans()).toHaveLength(0);
  });

  it('settles a provider error status as a failed call with nothing billed', async () => {
    const genops = init();
    servers.openai.enqueue({ status: 400, error: { message: 'bad request' } });
    const response = await post(`${servers.openai.url}/chat/completions`, { model: 'gpt-4o', messages: [] });
    expect(response.status).toBe(400);
    await response.text();
    const span = onlyUnit();
    expect(span.attributes['error.type']).toBe('ProviderHttpError');
    expect(span.attributes['genops.accounting.actual']).toBe(0);
    await expectSettled(genops);
  });

  it('settles a stream the caller cancels from what was read, else its reservation, flagged incomplete', async () => {
    const genops = init();
    servers.openai.enqueue({ chunks: 20, chunkDelayMs: 20 });
    const response = await post(`${servers.openai.url}/chat/completions`, {
      model: 'gpt-4o',
      stream: true,
      max_tokens: 100,
      messages: [],
    });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await expect.poll(() => setup.spans().length).toBe(1);
    const span = onlyUnit();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    await expectSettled(genops);
  });
});

describe('egress inside a governed unit', () => {
  it("passes a governed call's own request untouched: one unit, one reservation", async () => {
    const genops = init({ dailyBudgetLimit: 10 });
    const call = await genops.governor.begin(chatRequest({ maxOutputTokens: 100 }));
    const response = await call.runInContext(() =>
      post(`${servers.openai.url}/chat/completions`, { model: 'gpt-4o', messages: [] }),
    );
    await response.json();
    expect(setup.spans()).toHaveLength(0);
    expect((await genops.status()).openReservations).toBe(1);
    await call.end({ usage: { inputTokens: 20, outputTokens: 10 } });
    expect(setup.spans()).toHaveLength(1);
    expect(servers.openai.requests).toHaveLength(1);
    await expectSettled(genops);
  });
});

describe('egress modes', () => {
  it("deny: refused with a 403 and the typed error's name, nothing sent, no unit", async () => {
    init({ egress: { mode: 'deny', hosts: [servers.openai.url] } });
    const response = await post(`${servers.openai.url}/chat/completions`, { model: 'gpt-4o', messages: [] });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-genops-error')).toBe('PolicyViolationError');
    const body = await response.json();
    expect(body.error.code).toBe('x_egress_denied');
    expect(body.error.message).toContain("egress is 'deny'");
    expect(servers.openai.requests).toHaveLength(0);
    expect(setup.spans()).toHaveLength(0);
  });

  it('warn: passes, one span flagged ungoverned with its usage, one stderr line per endpoint', async () => {
    init({ egress: { mode: 'warn', hosts: [servers.openai.url] } });
    const { lines } = await captureStderr(async () => {
      // A query can carry a key (Gemini's `?key=`, Azure's `api-key`): it is never printed.
      for (let index = 0; index < 2; index++)
        await (
          await post(`${servers.openai.url}/chat/completions?key=sk-secret-${index}`, { model: 'gpt-4o', messages: [] })
        ).json();
    });
    expect(servers.openai.requests).toHaveLength(2);
    const spans = setup.spans();
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.attributes['genops.egress.ungoverned']).toBe(true);
      expect(span.attributes['gen_ai.usage.input_tokens']).toBe(20);
      expect(span.attributes['genops.accounting.reserved']).toBeUndefined();
    }
    const warnings = lines.filter((line) => line.includes('genops: egress:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('/v1/chat/completions is not governed');
    expect(lines.join('')).not.toContain('sk-secret');
  });

  it('off: nothing is installed', async () => {
    init({ egress: 'off' });
    expect(egressStatus()).toMatchObject({ mode: 'off', fetch: 'off' });
    await (await post(`${servers.openai.url}/chat/completions`, { model: 'gpt-4o', messages: [] })).json();
    expect(setup.spans()).toHaveLength(0);
  });

  it('GENOPS_EGRESS sets the mode when the option does not', () => {
    process.env.GENOPS_EGRESS = 'warn';
    try {
      setup.init();
      expect(egressStatus().mode).toBe('warn');
    } finally {
      delete process.env.GENOPS_EGRESS;
    }
  });
});

describe('install and shutdown', () => {
  const slot = Symbol.for('undici.globalDispatcher.1');
  it('composes onto the global dispatcher and restores the previous one at shutdown', async () => {
    void globalThis.Headers;
    const before = (globalThis as Record<symbol, unknown>)[slot];
    const genops = init();
    expect(egressStatus()).toMatchObject({ mode: 'govern', fetch: 'intercepted', http: 'governed', userHosts: 4 });
    expect((globalThis as Record<symbol, unknown>)[slot]).not.toBe(before);
    await genops.shutdown();
    setup.forget();
    expect((globalThis as Record<symbol, unknown>)[slot]).toBe(before);
    expect(egressStatus().fetch).toBe('off');
  });

  it('says so when the app replaced the global dispatcher after init', () => {
    init();
    const current = (globalThis as Record<symbol, unknown>)[slot];
    (globalThis as Record<symbol, unknown>)[slot] = { dispatch: () => true };
    try {
      expect(egressStatus().fetch).toBe('replaced');
    } finally {
      (globalThis as Record<symbol, unknown>)[slot] = current;
    }
  });
});
