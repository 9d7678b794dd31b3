// @google/genai's Live client (`ai.live.connect`, on the `ws` package) governed per model turn under
// `egress: 'govern'` (core's gemini-live-governor.ts; no adapter code involved), against the fake Gemini Live
// server of @genops/testing: a turn is reserved before its turn-starting frame is forwarded and settled from
// the turn's `usageMetadata`; a refused one never reaches the server and the SDK's `onerror` callback gets
// the typed error; a socket closed mid-turn settles at the reservation, flagged incomplete; `deny` refuses
// the handshake. The same protocol spoken by hand over the global WebSocket and the `undici` package's own
// WebSocket class (binary frames read as Blobs). See docs/egress.md#gemini-live-sessions.
import { createRequire } from 'node:module';
import { type FakeGeminiLiveServer, startFakeGeminiLive } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { GoogleGenAI, type LiveServerMessage, Modality, type Session } from '@google/genai';
import { describe, expect, it } from 'vitest';
import './index';

const harness = createAdapterHarness<FakeGeminiLiveServer>({ server: startFakeGeminiLive });
const MODEL = 'gemini-3.1-flash-live-preview';

const governed = () => ({ egress: { mode: 'govern' as const, hosts: [harness.server.host] } });
/** The unit spans of this test (the session span is their parent, not a unit). */
const units = () => harness.spans().filter((span) => span.attributes['realtime.session.protocol'] === undefined);
const sessionSpans = () => harness.spans().filter((span) => span.attributes['realtime.session.protocol'] !== undefined);

/** What a session's callbacks saw. */
interface Seen {
  messages: LiveServerMessage[];
  errors: Array<{ error?: unknown; message?: string }>;
  /** The close event `onclose` got. */
  close?: { code?: number; reason?: string };
  closed: Promise<void>;
  /** Resolves at the next `turnComplete` (or `toolCall`), or an error. */
  nextTurn(): Promise<void>;
}

async function connect(config: Record<string, unknown> = {}): Promise<{ session: Session; seen: Seen }> {
  const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: harness.server.url } });
  let closedResolve!: () => void;
  let waiter: (() => void) | undefined;
  const wake = () => {
    const resolve = waiter;
    waiter = undefined;
    resolve?.();
  };
  const seen: Seen = {
    messages: [],
    errors: [],
    closed: new Promise((resolve) => (closedResolve = resolve)),
    nextTurn: () => new Promise((resolve) => (waiter = resolve)),
  };
  const session = await ai.live.connect({
    model: MODEL,
    config: { responseModalities: [Modality.AUDIO], maxOutputTokens: 400, ...config },
    callbacks: {
      onmessage: (message) => {
        seen.messages.push(message);
        if (message.serverContent?.turnComplete || message.toolCall) wake();
      },
      onerror: (event) => {
        seen.errors.push(event as { error?: unknown; message?: string });
        wake();
      },
      onclose: (event) => {
        seen.close = event as { code?: number; reason?: string };
        closedResolve();
      },
    },
  });
  return { session, seen };
}

/** Sends with `send`, waits for the end of the turn (or an error), then closes the session. */
async function lastTurn(session: Session, seen: Seen, send: () => void): Promise<void> {
  const ended = seen.nextTurn();
  send();
  await ended;
  session.close();
  await seen.closed;
}

/** Client messages the fake received of one kind (`clientContent`, `realtimeInput`, `toolResponse`, `setup`). */
const received = (kind: string) => harness.server.received.filter(({ message }) => message[kind] !== undefined);

describe('a Gemini Live session (@google/genai ai.live.connect) under egress govern', () => {
  it('a turn is one unit under the session span, settled from usageMetadata to the nano-dollar', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const { session, seen } = await connect();
    await lastTurn(session, seen, () => session.sendClientContent({ turns: 'Say hello.' }));
    expect(seen.errors).toEqual([]);
    expect(seen.messages.some((message) => message.data !== undefined)).toBe(true);
    await expect.poll(() => sessionSpans().length).toBe(1);
    const [unit] = units();
    expect(units()).toHaveLength(1);
    const sessionSpan = sessionSpans()[0]!;
    expect(sessionSpan.name).toBe(`gemini-live ${MODEL}`);
    expect(sessionSpan.attributes['realtime.session.protocol']).toBe('gemini-live');
    expect(unit!.name).toBe(`chat ${MODEL}`);
    expect(unit!.parentSpanContext?.spanId).toBe(sessionSpan.spanContext().spanId);
    expect(unit!.attributes['gen_ai.provider.name']).toBe('gcp.gemini');
    expect(unit!.attributes['gen_ai.request.model']).toBe(MODEL);
    expect(unit!.attributes['gen_ai.request.max_tokens']).toBe(400);
    expect(unit!.attributes['gen_ai.usage.input_tokens']).toBe(200);
    expect(unit!.attributes['gen_ai.usage.output_tokens']).toBe(200);
    expect(unit!.attributes['genops.policy.result']).toBe('ALLOWED');
    expect(unit!.attributes['genops.accounting.incomplete']).toBeUndefined();
    // gemini-3.1-flash-live-preview per 1M tokens: text in $0.75, audio in $3, audio out $12.
    // 120 text + 80 audio in; 200 audio out.
    const expectedNanos = 120 * 750 + 80 * 3_000 + 200 * 12_000;
    expect(expectedNanos).toBe(2_730_000);
    expect(unit!.attributes['genops.accounting.actual']).toBeCloseTo(expectedNanos / 1e9, 12);
    const budget = await harness.budget('daily');
    expect(budget?.used).toBeCloseTo(expectedNanos / 1e9, 12);
    expect(budget?.reserved).toBe(0);
    harness.expectCompliant(units());
  });

  it('over budget: the turn never reaches the server; onerror gets the typed error, then the session closes', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 0.000001 });
    const turnsBefore = harness.server.turns;
    const { session, seen } = await connect();
    session.sendClientContent({ turns: 'Say hello.' });
    // No close from the app: GenOps ends the session, so an app waiting for turnComplete stops waiting.
    await seen.closed;
    expect(seen.close?.code).toBe(4402);
    expect(seen.close?.reason).toBe('genops: BudgetExceededError (BUDGET_EXCEEDED): the Gemini Live turn refused');
    // The setup went out; the turn did not.
    expect(received('setup')).toHaveLength(1);
    expect(received('clientContent')).toEqual([]);
    expect(harness.server.turns - turnsBefore).toBe(0);
    expect(seen.errors).toHaveLength(1);
    const error = seen.errors[0]!.error as Error & { status?: number; reasonCode?: string };
    expect(error.name).toBe('BudgetExceededError');
    expect(error.status).toBe(402);
    expect(seen.errors[0]!.message).toContain('budget');
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
    await expect.poll(() => sessionSpans().length).toBe(1);
    expect(units()[0]?.attributes['genops.policy.result']).toBe('BLOCKED');
    expect(sessionSpans()[0]?.attributes['error.type']).toBe('BudgetExceededError');
  });

  it('a policy denying the model refuses the turn before it is sent', async () => {
    harness.init({ ...governed(), policies: { denyModels: ['gemini-3.1-*'] } });
    const { session, seen } = await connect();
    session.sendClientContent({ turns: 'Say hello.' });
    await seen.closed;
    expect(received('clientContent')).toEqual([]);
    expect((seen.errors[0]!.error as Error).name).toBe('PolicyViolationError');
    expect(seen.errors[0]?.message).toContain(MODEL);
    expect(seen.close?.code).toBe(4403);
    expect(seen.close?.reason).toContain('PolicyViolationError (POLICY_DENY_MODEL)');
  });

  it('a socket closed mid-turn settles the turn at its reservation, flagged incomplete', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    harness.server.holdTurnComplete = true;
    const { session, seen } = await connect();
    session.sendClientContent({ turns: 'Say hello.' });
    await expect.poll(() => seen.messages.filter((message) => message.serverContent?.modelTurn).length).toBe(1);
    session.close();
    await seen.closed;
    await expect.poll(() => sessionSpans().length).toBe(1);
    const [unit] = units();
    expect(unit?.attributes['genops.accounting.incomplete']).toBe(true);
    const reserved = unit?.attributes['genops.accounting.reserved'] as number;
    expect(reserved).toBeGreaterThan(0);
    expect(unit?.attributes['genops.accounting.actual']).toBeCloseTo(reserved, 12);
    const budget = await harness.budget('daily');
    // Charged at the reservation (never released: the turn left the process).
    expect(budget?.used).toBeCloseTo(reserved, 12);
    expect(budget?.reserved).toBe(0);
  });

  it('realtime input: the first realtimeInput after a turn opens a unit; the frames of that turn join it', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const { session, seen } = await connect();
    const turn = seen.nextTurn();
    const chunk = { data: Buffer.alloc(320).toString('base64'), mimeType: 'audio/pcm;rate=16000' };
    session.sendRealtimeInput({ audio: chunk });
    session.sendRealtimeInput({ audio: chunk });
    session.sendRealtimeInput({ audioStreamEnd: true });
    await turn;
    // The next turn: text typed into the same session.
    const second = seen.nextTurn();
    session.sendRealtimeInput({ text: 'And in French?' });
    await second;
    session.close();
    await seen.closed;
    expect(received('realtimeInput')).toHaveLength(4);
    await expect.poll(() => sessionSpans().length).toBe(1);
    expect(units()).toHaveLength(2);
    expect(harness.decisions()).toHaveLength(2);
    for (const unit of units()) expect(unit.attributes['gen_ai.usage.input_tokens']).toBe(200);
  });

  it('over budget, a refused audio stream is refused once: the session closes, no chunk of it is sent', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 0.000001 });
    const { session, seen } = await connect();
    const chunk = { data: Buffer.alloc(320).toString('base64'), mimeType: 'audio/pcm;rate=16000' };
    // The microphone goes on while the first chunk is decided: the chunks behind it wait, then are dropped.
    session.sendRealtimeInput({ audio: chunk });
    session.sendRealtimeInput({ audio: chunk });
    session.sendRealtimeInput({ audio: chunk });
    await seen.closed;
    // And after the close.
    session.sendRealtimeInput({ audio: chunk });
    session.sendRealtimeInput({ audioStreamEnd: true });
    expect(received('realtimeInput')).toEqual([]);
    expect(seen.errors).toHaveLength(1);
    expect(seen.close?.code).toBe(4402);
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
  });

  it('a tool call ends the turn; the tool response opens the next one', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    harness.server.toolCallNext = true;
    const { session, seen } = await connect();
    const toolTurn = seen.nextTurn();
    session.sendClientContent({ turns: 'Weather in Paris?' });
    await toolTurn;
    const call = seen.messages.find((message) => message.toolCall)?.toolCall?.functionCalls?.[0];
    expect(call?.name).toBe('get_weather');
    const answer = seen.nextTurn();
    session.sendToolResponse({ functionResponses: [{ id: call!.id, name: call!.name!, response: { sky: 'clear' } }] });
    await answer;
    session.close();
    await seen.closed;
    await expect.poll(() => sessionSpans().length).toBe(1);
    const spans = units();
    expect(spans).toHaveLength(2);
    expect(spans.map((span) => span.attributes['gen_ai.response.finish_reasons'])).toEqual([
      ['tool_call'],
      ['turn_complete'],
    ]);
    expect(spans.every((span) => span.attributes['genops.accounting.incomplete'] === undefined)).toBe(true);
  });

  it('usage that arrives after turnComplete still settles its turn', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    harness.server.usageAfterTurnComplete = true;
    const { session, seen } = await connect();
    const turn = seen.nextTurn();
    session.sendClientContent({ turns: 'Say hello.' });
    await turn;
    await expect.poll(() => seen.messages.filter((message) => message.usageMetadata).length).toBe(1);
    session.close();
    await seen.closed;
    await expect.poll(() => sessionSpans().length).toBe(1);
    expect(units()[0]?.attributes['gen_ai.usage.output_tokens']).toBe(200);
    expect(units()[0]?.attributes['genops.accounting.incomplete']).toBeUndefined();
  });
});

describe('a Vertex AI Live session (LlmBidiService) under egress govern', () => {
  it("is governed the same way, priced from Vertex's wire usage (candidatesTokenCount) at Vertex prices", async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const ai = new GoogleGenAI({ vertexai: true, apiKey: 'test-key', httpOptions: { baseUrl: harness.server.url } });
    let turnEnded!: () => void;
    const ended = new Promise<void>((resolve) => (turnEnded = resolve));
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    const session = await ai.live.connect({
      model: 'gemini-live-2.5-flash',
      callbacks: {
        onmessage: (message) => {
          if (message.serverContent?.turnComplete) turnEnded();
        },
        onclose: () => closed(),
      },
    });
    session.sendClientContent({ turns: 'Say hello.' });
    await ended;
    session.close();
    await gone;
    expect(harness.server.received[0]?.path).toContain('LlmBidiService/BidiGenerateContent');
    await expect.poll(() => sessionSpans().length).toBe(1);
    const [unit] = units();
    expect(unit!.name).toBe('chat gemini-live-2.5-flash');
    expect(unit!.attributes['gen_ai.provider.name']).toBe('gcp.vertex_ai');
    expect(unit!.attributes['gen_ai.usage.output_tokens']).toBe(200);
    // Vertex gemini-live-2.5-flash per 1M tokens: text in $0.50, audio in $3, audio out $12.
    expect(unit!.attributes['genops.accounting.actual']).toBeCloseTo((120 * 500 + 80 * 3_000 + 200 * 12_000) / 1e9, 12);
  });
});

describe('a Gemini Live session under egress deny', () => {
  it('is refused before its handshake: connect() rejects and the server sees no session', async () => {
    harness.init({ egress: { mode: 'deny', hosts: [harness.server.host] } });
    const before = harness.server.sessions;
    await expect(connect()).rejects.toThrow(/Live connection (failed|closed)/);
    expect(harness.server.sessions - before).toBe(0);
  });
});

/** The `undici` package's own WebSocket class (not the global one), read after GenOps.init(). */
const undiciPackage = () => createRequire(import.meta.url)('undici') as { WebSocket: typeof WebSocket };

describe.each([
  ['the global WebSocket', () => globalThis.WebSocket],
  ["the undici package's WebSocket", () => undiciPackage().WebSocket],
] as const)('a Gemini Live session over %s (frames written by hand)', (_name, socketClass) => {
  /** setup, then one text turn; resolves with the server messages (binary frames, read as Blobs) and errors. */
  function handSession(
    turnFrame = JSON.stringify({
      clientContent: { turns: [{ role: 'user', parts: [{ text: 'Hi' }] }], turnComplete: true },
    }),
  ): Promise<{ messages: Array<Record<string, unknown>>; errors: unknown[]; code: number }> {
    const Socket = socketClass();
    const path = '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=test-key';
    const socket = new Socket(`ws://${harness.server.host}${path}`);
    const messages: Array<Record<string, unknown>> = [];
    const errors: unknown[] = [];
    socket.addEventListener('open', () =>
      socket.send(
        JSON.stringify({ setup: { model: `models/${MODEL}`, generationConfig: { responseModalities: ['TEXT'] } } }),
      ),
    );
    socket.addEventListener('message', async (event) => {
      const message = JSON.parse(await (event.data as Blob).text()) as Record<string, unknown>;
      messages.push(message);
      if (message.setupComplete) socket.send(turnFrame);
      if ((message.serverContent as { turnComplete?: boolean } | undefined)?.turnComplete) socket.close();
    });
    socket.addEventListener('error', (event) => {
      errors.push((event as Event & { error?: unknown }).error);
      socket.close();
    });
    return new Promise((resolve) =>
      socket.addEventListener('close', (event) => resolve({ messages, errors, code: event.code })),
    );
  }

  it('govern: the turn is a unit settled from usageMetadata', async () => {
    harness.server.usage = {
      ...harness.server.usage,
      promptAudioTokens: 0,
      responseAudioTokens: 0,
      responseTextTokens: 30,
    };
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const result = await handSession();
    expect(result.errors).toEqual([]);
    expect(result.messages.some((message) => message.usageMetadata)).toBe(true);
    await expect.poll(() => sessionSpans().length).toBe(1);
    const [unit] = units();
    expect(units()).toHaveLength(1);
    expect(unit!.attributes['gen_ai.usage.input_tokens']).toBe(120);
    expect(unit!.attributes['gen_ai.usage.output_tokens']).toBe(30);
    // gemini-3.1-flash-live-preview per 1M tokens: text in $0.75, text out $4.50.
    expect(unit!.attributes['genops.accounting.actual']).toBeCloseTo((120 * 750 + 30 * 4_500) / 1e9, 12);
  });

  it('govern, over budget: the turn never reaches the server; the socket gets an error event with the typed error', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 0.000001 });
    const result = await handSession();
    expect(received('clientContent')).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect((result.errors[0] as Error).name).toBe('BudgetExceededError');
    // GenOps closed the session (a WHATWG WebSocket may only send 1000 or 3000-4999).
    expect(result.code).toBe(4402);
  });

  it('govern, over budget: a frame GenOps cannot read is held as a turn, never let through', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 0.000001 });
    const sessionsBefore = harness.server.sessions;
    const result = await handSession('not a JSON message');
    expect(harness.server.sessions - sessionsBefore).toBe(1);
    // Only the setup reached the server (a frame that is not JSON would have made it close the session).
    expect(harness.server.received.map(({ message }) => Object.keys(message)[0])).toEqual(['setup']);
    expect((result.errors[0] as Error).name).toBe('BudgetExceededError');
  });
});
