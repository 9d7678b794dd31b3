// Requests that do not use the global dispatcher. `fetch(url, { dispatcher })` gets the egress
// interceptor too: governed, refused or reported like any fetch. A request made on an undici dispatcher
// directly (`agent.request(...)`, which never meets the global dispatcher) is refused under `deny` before
// it is sent, and reported under `govern` / `warn`: one stderr line and a span flagged ungoverned, with
// the usage read from its response.
import { hasSubscribers } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../../../testing/src/fake-openai-server';
import { useCoreTestSetup } from '../test-support/core-test-setup';
import { captureStderr } from './__fixtures__/capture-stderr';
import { egressStatus } from './egress';

/** Node's bundled undici `Agent` class, taken from the global dispatcher before GenOps is set up. */
interface UndiciAgent {
  request(options: {
    origin: string;
    path: string;
    method: string;
    headers?: Record<string, string>;
    body?: string;
  }): Promise<{ statusCode: number; body: { text(): Promise<string> } }>;
  close(): Promise<void>;
}
void globalThis.Headers;
const Agent = Object.getPrototypeOf(
  (globalThis as unknown as Record<symbol, object>)[Symbol.for('undici.globalDispatcher.1')],
).constructor as new () => UndiciAgent;

const setup = useCoreTestSetup();
let openai: Awaited<ReturnType<typeof startFakeOpenAI>>;
const agents: UndiciAgent[] = [];

beforeAll(async () => {
  openai = await startFakeOpenAI();
});

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await openai.close();
});

function agent(): UndiciAgent {
  const created = new Agent();
  agents.push(created);
  return created;
}

function init(mode: 'govern' | 'deny' | 'warn', options: Parameters<typeof setup.init>[0] = {}) {
  openai.reset();
  return setup.init({ egress: { mode, hosts: [openai.url] }, ...options });
}

const chat = JSON.stringify({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
const headers = { 'content-type': 'application/json', authorization: 'Bearer test' };

function fetchWith(dispatcher: UndiciAgent): Promise<Response> {
  return fetch(`${openai.url}/chat/completions`, { method: 'POST', headers, body: chat, dispatcher } as RequestInit);
}

function requestOn(dispatcher: UndiciAgent) {
  const url = new URL(`${openai.url}/chat/completions`);
  return dispatcher.request({ origin: url.origin, path: url.pathname, method: 'POST', headers, body: chat });
}

describe('fetch(url, { dispatcher })', () => {
  it('govern: the dispatcher the caller passes gets the egress interceptor: one governed, priced unit', async () => {
    const genops = init('govern');
    expect(egressStatus().otherDispatchers).toBe('intercepted');
    const response = await fetchWith(agent());
    expect((await response.json()).choices[0].message.content).toBe('Hello from the fake OpenAI server.');
    const spans = setup.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes['genops.egress.ungoverned']).toBeUndefined();
    // gpt-4o: 20 × $2.50 + 10 × $10 per 1M tokens = 150 µ$.
    expect(Math.round((spans[0]!.attributes['genops.accounting.actual'] as number) * 1e6)).toBe(150);
    expect((await genops.status()).openReservations).toBe(0);
  });

  it('govern: a tiny budget refuses it before it is sent (402), like any fetch', async () => {
    init('govern', { budgets: [{ name: 'tiny', limit: 0.000001, window: 'day', action: 'block' }] });
    const response = await fetchWith(agent());
    expect(response.status).toBe(402);
    expect(openai.requests).toHaveLength(0);
  });

  it('deny: refused with a 403, nothing sent', async () => {
    init('deny');
    const response = await fetchWith(agent());
    expect(response.status).toBe(403);
    expect(openai.requests).toHaveLength(0);
  });

  it('the same dispatcher serves repeated calls, and shutdown puts the original fetch back', async () => {
    const original = globalThis.fetch;
    const genops = init('govern');
    expect(globalThis.fetch).not.toBe(original);
    const shared = agent();
    await (await fetchWith(shared)).text();
    await (await fetchWith(shared)).text();
    expect(setup.spans()).toHaveLength(2);
    expect(openai.requests).toHaveLength(2);
    await genops.shutdown();
    setup.forget();
    expect(globalThis.fetch).toBe(original);
  });
});

describe('a request on an undici dispatcher used directly (not the global one)', () => {
  it('deny: refused with the typed error before a byte is sent', async () => {
    init('deny');
    const error = await requestOn(agent()).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect((error as Error)?.name).toBe('PolicyViolationError');
    expect((error as Error).message).toContain('its own undici dispatcher');
    expect((error as { reasonCode?: string }).reasonCode).toBe('x_egress_denied');
    expect(openai.requests).toHaveLength(0);
  });

  it('govern: reported loudly (stderr once per endpoint, a span flagged ungoverned with its usage)', async () => {
    init('govern');
    const direct = agent();
    const { lines } = await captureStderr(async () => {
      for (let index = 0; index < 2; index++) {
        const response = await requestOn(direct);
        expect(response.statusCode).toBe(200);
        await response.body.text();
      }
    });
    const warnings = lines.filter((line) => line.includes('its own undici dispatcher'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${new URL(openai.url).origin}/v1/chat/completions`);
    const spans = setup.spans();
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.attributes['genops.egress.ungoverned']).toBe(true);
      expect(span.attributes['gen_ai.usage.input_tokens']).toBe(20);
      expect(span.attributes['gen_ai.usage.output_tokens']).toBe(10);
    }
    expect(openai.requests).toHaveLength(2);
  });

  it("undici's response channels are subscribed only while a reported request is in flight", async () => {
    init('warn');
    const responseChannels = [
      'undici:request:headers',
      'undici:request:bodyChunkReceived',
      'undici:request:trailers',
      'undici:request:error',
    ];
    const subscribed = () => responseChannels.filter((name) => hasSubscribers(name));
    expect(subscribed()).toEqual([]);
    // Requests egress leaves alone (here: a read, which bills nothing) subscribe nothing.
    await (await fetch(`${openai.url}/models`)).text();
    expect(subscribed()).toEqual([]);
    await captureStderr(async () => (await requestOn(agent())).body.text());
    expect(subscribed()).toEqual([]);
    // The bypass request's response was read while it was in flight: its span has the usage.
    const spans = setup.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes['gen_ai.usage.output_tokens']).toBe(10);
  });

  it('a request through the global dispatcher is not reported as a bypass', async () => {
    init('warn');
    const { lines } = await captureStderr(async () => {
      await (await fetch(`${openai.url}/chat/completions`, { method: 'POST', headers, body: chat })).text();
    });
    expect(lines.filter((line) => line.includes('its own undici dispatcher'))).toEqual([]);
    expect(setup.spans()).toHaveLength(1);
  });
});
