// The openai SDK's WebSocket clients, governed per response under `egress: 'govern'` (no adapter code
// involved: the egress path that bundles and apps without the adapter get), against the fake Realtime
// server of @genops/testing: Realtime over the `ws` package (`openai/realtime/ws`) and over Node's global
// WebSocket (`openai/realtime/websocket`), and Responses over a WebSocket (`openai/resources/responses/ws`).
// Each `response.create` is one governed unit: reserved before it is forwarded, settled from the usage of
// its final event; a refused one never reaches the server and the app gets an `error` event.
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { type FakeRealtimeServer, startFakeRealtime } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { OpenAIRealtimeWebSocket } from 'openai/realtime/websocket';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { governRealtime } from './openai-realtime';

const harness = createAdapterHarness();
let fake: FakeRealtimeServer;
let plain: FakeRealtimeServer;
let defaultCertificates: string[];

beforeAll(async () => {
  fake = await startFakeRealtime();
  plain = await startFakeRealtime({ tls: false });
  // Both transports verify the fake's self-signed certificate like any other.
  defaultCertificates = getCACertificates('default');
  setDefaultCACertificates([...defaultCertificates, fake.certificate!]);
});

afterAll(async () => {
  setDefaultCACertificates(defaultCertificates);
  await fake.close();
  await plain.close();
});

type Realtime = OpenAIRealtimeWS | OpenAIRealtimeWebSocket;

const TRANSPORTS = [
  {
    name: 'openai/realtime/ws (the ws package)',
    open: (client: OpenAI) => new OpenAIRealtimeWS({ model: 'gpt-realtime' }, client),
    onOpen: (realtime: Realtime, listener: () => void) => (realtime as OpenAIRealtimeWS).socket.on('open', listener),
    onClose: (realtime: Realtime, listener: () => void) => (realtime as OpenAIRealtimeWS).socket.on('close', listener),
  },
  {
    name: 'openai/realtime/websocket (the global WebSocket)',
    open: (client: OpenAI) => new OpenAIRealtimeWebSocket({ model: 'gpt-realtime' }, client),
    onOpen: (realtime: Realtime, listener: () => void) =>
      (realtime as OpenAIRealtimeWebSocket).socket.addEventListener('open', listener),
    onClose: (realtime: Realtime, listener: () => void) =>
      (realtime as OpenAIRealtimeWebSocket).socket.addEventListener('close', listener),
  },
] as const;

interface SessionResult {
  events: Array<{ type: string; error?: { type?: string; code?: string; message?: string } }>;
  errors: unknown[];
}

/**
 * One session: text-only, one user message, one `response.create`; closes on `response.done` or an
 * `error` (or, with `closeOn`, on that event type: a response left in flight).
 */
function runSession(
  transport: (typeof TRANSPORTS)[number],
  closeOn?: string,
  open: (client: OpenAI) => Realtime = transport.open,
): Promise<SessionResult> {
  const client = new OpenAI({ apiKey: 'test-key', baseURL: fake.baseURL });
  const realtime = open(client);
  const result: SessionResult = { events: [], errors: [] };
  return new Promise((resolve) => {
    transport.onOpen(realtime, () => {
      realtime.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
      realtime.send({
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Say hello.' }] },
      });
      realtime.send({ type: 'response.create', event_id: 'client_create_1' });
    });
    realtime.on('event', (event) => {
      result.events.push(event as SessionResult['events'][number]);
      if (event.type === (closeOn ?? 'response.done') || event.type === 'error') realtime.close();
    });
    realtime.on('error', (error) => result.errors.push(error));
    transport.onClose(realtime, () => resolve(result));
  });
}

const governed = () => ({ egress: { mode: 'govern' as const, hosts: [fake.host, plain.host] } });

/** The unit spans of this test (the session span is their parent, not a unit). */
const units = () => harness.spans().filter((span) => span.attributes['realtime.session.protocol'] === undefined);
const sessionSpans = () => harness.spans().filter((span) => span.attributes['realtime.session.protocol'] !== undefined);

function forwardedCreates(since: number): number {
  return fake.received.slice(since).filter(({ event }) => event.type === 'response.create').length;
}

describe.each(TRANSPORTS)('a Realtime session over $name', (transport) => {
  it('an allowed response is reserved, forwarded and settled from response.done at its exact cost', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const before = fake.received.length;
    const result = await runSession(transport);
    expect(result.events.map((event) => event.type)).toContain('response.done');
    expect(forwardedCreates(before)).toBe(1);
    await expect.poll(() => sessionSpans().length).toBe(1);
    const [unit] = units();
    expect(units()).toHaveLength(1);
    expect(unit!.name).toBe('chat gpt-realtime');
    expect(unit!.parentSpanContext?.spanId).toBe(sessionSpans()[0]!.spanContext().spanId);
    expect(unit!.attributes['gen_ai.usage.input_tokens']).toBe(200);
    expect(unit!.attributes['gen_ai.usage.output_tokens']).toBe(230);
    expect(unit!.attributes['genops.accounting.incomplete']).toBeUndefined();
    // gpt-realtime per 1M tokens: text in $4, cached $0.40, audio in $32, text out $16, audio out $64.
    // 56 uncached text + 80 cached + 64 uncached audio in; 30 text + 200 audio out.
    const expectedNanos = 56 * 4_000 + 80 * 400 + 64 * 32_000 + 30 * 16_000 + 200 * 64_000;
    expect(expectedNanos).toBe(15_584_000);
    const reconciliation = unit!.events.find((event) => event.name === 'genops.budget.reconciliation');
    expect(reconciliation?.attributes?.['genops.accounting.actual']).toBeCloseTo(expectedNanos / 1e9, 12);
    expect(unit!.attributes['genops.accounting.actual']).toBeCloseTo(expectedNanos / 1e9, 12);
    const budget = await harness.budget('daily');
    expect(budget?.used).toBeCloseTo(expectedNanos / 1e9, 12);
    expect(budget?.reserved).toBe(0);
    harness.expectCompliant(units());
  });

  it('a response.create over budget is not forwarded; the app gets an error event naming the refusal', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 0.000001 });
    const before = fake.received.length;
    const result = await runSession(transport);
    expect(forwardedCreates(before)).toBe(0);
    // The frames before it went through, in order.
    expect(fake.received.slice(before).map(({ event }) => event.type)).toEqual([
      'session.update',
      'conversation.item.create',
    ]);
    const error = result.events.find((event) => event.type === 'error');
    expect(error?.error?.type).toBe('genops_governance_error');
    expect(error?.error?.code).toBe(harness.decisions()[0]?.reasonCode);
    expect(error?.error?.message).toContain('budget');
    expect(result.events.map((event) => event.type)).not.toContain('response.created');
    expect(harness.decisions()).toHaveLength(1);
    expect(harness.decisions()[0]?.result).toBe('BLOCKED');
    await expect.poll(() => sessionSpans().length).toBe(1);
    expect(units()[0]?.attributes['genops.policy.result']).toBe('BLOCKED');
  });

  it('a policy denying the model refuses the response before it is sent', async () => {
    harness.init({ ...governed(), policies: { denyModels: ['gpt-realtime'] } });
    const before = fake.received.length;
    const result = await runSession(transport);
    expect(forwardedCreates(before)).toBe(0);
    const error = result.events.find((event) => event.type === 'error');
    expect(error?.error?.type).toBe('genops_governance_error');
    expect(error?.error?.message).toContain('gpt-realtime');
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
  });

  it('a socket closed with a response in flight settles it at its reservation, flagged incomplete', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    fake.holdFinalEvent = true;
    try {
      const result = await runSession(transport, 'response.created');
      expect(result.events.map((event) => event.type)).not.toContain('response.done');
    } finally {
      fake.holdFinalEvent = false;
    }
    await expect.poll(() => sessionSpans().length).toBe(1);
    const [unit] = units();
    expect(unit?.attributes['genops.accounting.incomplete']).toBe(true);
    const budget = await harness.budget('daily');
    // Charged at the reservation (never released: the request left the process).
    expect(budget?.used).toBeGreaterThan(0);
    expect(budget?.reserved).toBe(0);
  });
});

describe('Responses over a WebSocket (openai/resources/responses/ws)', () => {
  it('each response.create is a unit settled from response.completed', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const client = new OpenAI({ apiKey: 'test-key', baseURL: plain.baseURL });
    const ws = new ResponsesWS(client);
    const texts: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let turns = 0;
      ws.on('error', reject);
      ws.on('event', (event) => {
        if (event.type === 'response.output_text.delta') texts.push(event.delta);
        if (event.type === 'response.completed' && ++turns === 2) resolve();
        else if (event.type === 'response.completed')
          ws.send({ type: 'response.create', model: 'gpt-4o', input: 'And again.', max_output_tokens: 50 });
      });
      ws.socket.on('open', () => ws.send({ type: 'response.create', model: 'gpt-4o', input: 'Hello.' }));
    });
    ws.close();
    expect(texts.join('')).toContain('Hello from the fake Realtime server.');
    await expect.poll(() => sessionSpans().length).toBe(1);
    const spans = units();
    expect(spans.map((span) => span.name)).toEqual(['chat gpt-4o', 'chat gpt-4o']);
    expect(spans[1]?.attributes['gen_ai.request.max_tokens']).toBe(50);
    for (const span of spans) {
      expect(span.attributes['gen_ai.usage.input_tokens']).toBe(120);
      expect(span.attributes['gen_ai.usage.output_tokens']).toBe(30);
    }
    harness.expectCompliant(spans);
  });
});

describe.each(TRANSPORTS)("governRealtime (the adapter's explicit form) over $name", (transport) => {
  it("egress 'deny': a session made by the factory is governed, not refused", async () => {
    harness.init({ egress: { mode: 'deny', hosts: [fake.host] }, dailyBudgetLimit: 10 });
    const before = fake.received.length;
    const result = await runSession(transport, undefined, (client) => governRealtime(() => transport.open(client)));
    expect(result.events.map((event) => event.type)).toContain('response.done');
    expect(forwardedCreates(before)).toBe(1);
    await expect.poll(() => sessionSpans().length).toBe(1);
    expect(units().map((span) => span.attributes['gen_ai.usage.output_tokens'])).toEqual([230]);
  });

  it("egress 'off': an instance is governed from construction on; a denial is not sent", async () => {
    harness.init({ egress: 'off', policies: { denyModels: ['gpt-realtime'] } });
    const before = fake.received.length;
    const result = await runSession(transport, undefined, (client) => governRealtime(transport.open(client)));
    expect(forwardedCreates(before)).toBe(0);
    expect(result.events.find((event) => event.type === 'error')?.error?.type).toBe('genops_governance_error');
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
  });
});
