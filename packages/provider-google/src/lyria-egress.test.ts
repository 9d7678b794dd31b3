// @google/genai's Lyria RealTime client (`ai.live.music.connect`, on the `ws` package) governed under
// `egress: 'govern'` (core's lyria-governor.ts; no adapter code involved), against the fake Lyria server of
// @genops/testing: the first `play()` waits for a window of 15 seconds of generated audio to be admitted, the
// next window is decided ahead while the music plays, each window settles at the seconds of audio the server
// sent under it; a refused play or window is not sent, `onerror` gets the typed error and the session is
// closed (onclose gets 4000 + the error's status). Lyria RealTime has no published price: these tests price
// it through `prices` (a test rate), and an unpriced model is refused (`unknownModel: 'deny'`, the default).
// See docs/egress.md#lyria-realtime-music-sessions.
import { type FakeLyriaServer, startFakeLyria } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { GoogleGenAI, type LiveMusicServerMessage, type LiveMusicSession } from '@google/genai';
import { describe, expect, it, vi } from 'vitest';
import './index';

const harness = createAdapterHarness<FakeLyriaServer>({ server: startFakeLyria });
const MODEL = 'lyria-realtime-exp';
/** A test rate, USD per second of generated audio (no price is published for Lyria RealTime). */
const PER_SECOND = 0.002;
/** What one 15-second window reserves at that rate: 15 seconds, nothing for the prompts (input $0). */
const WINDOW_USD = 15 * PER_SECOND;

const governed = (options: { priced?: boolean } = {}) => ({
  egress: { mode: 'govern' as const, hosts: [harness.server.host] },
  ...(options.priced === false
    ? {}
    : { prices: { 'gcp.gemini': { [MODEL]: { input: 0, output: 0, units: { audioOutputSecond: PER_SECOND } } } } }),
});
const units = () => harness.spans().filter((span) => span.attributes['realtime.session.protocol'] === undefined);
const sessionSpans = () => harness.spans().filter((span) => span.attributes['realtime.session.protocol'] !== undefined);
const received = () => harness.server.received.map((message) => Object.keys(message)[0]);

interface Seen {
  chunks: number;
  errors: Array<{ error?: unknown; message?: string }>;
  close?: { code?: number; reason?: string };
  closed: Promise<void>;
  /** Resolves once `count` audio chunks arrived. */
  chunksReach(count: number): Promise<void>;
}

/** Connects, sends the prompts and a config, then `play()`. */
async function playMusic(): Promise<{ session: LiveMusicSession; seen: Seen }> {
  // The SDK warns that live music is experimental, on every connect.
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: harness.server.url } });
  let closedResolve!: () => void;
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  const seen: Seen = {
    chunks: 0,
    errors: [],
    closed: new Promise((resolve) => (closedResolve = resolve)),
    chunksReach: (count) =>
      new Promise((resolve) => {
        if (seen.chunks >= count) resolve();
        else waiting.push({ count, resolve });
      }),
  };
  const session = await ai.live.music.connect({
    model: `models/${MODEL}`,
    callbacks: {
      onmessage: (message: LiveMusicServerMessage) => {
        if (!message.serverContent?.audioChunks) return;
        seen.chunks += message.serverContent.audioChunks.length;
        for (const waiter of waiting.filter((entry) => seen.chunks >= entry.count)) waiter.resolve();
      },
      onerror: (event) => {
        seen.errors.push(event as { error?: unknown; message?: string });
      },
      onclose: (event) => {
        seen.close = event as { code?: number; reason?: string };
        closedResolve();
      },
    },
  });
  await session.setWeightedPrompts({ weightedPrompts: [{ text: 'minimal techno', weight: 1 }] });
  await session.setMusicGenerationConfig({ musicGenerationConfig: { bpm: 120 } });
  session.play();
  return { session, seen };
}

async function expectCharged(usd: number): Promise<void> {
  const budget = await harness.budget('daily');
  expect(budget?.used).toBeCloseTo(usd, 12);
  expect(budget?.reserved).toBe(0);
}

describe('a Lyria RealTime session (@google/genai ai.live.music.connect) under egress govern', () => {
  it('play() is held until a window is admitted; the window settles at the seconds of audio received', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    // 4 chunks of 2 s: 8 s of music, half a window and more.
    const { session, seen } = await playMusic();
    await seen.chunksReach(4);
    session.close();
    await seen.closed;
    expect(received()).toEqual(['setup', 'clientContent', 'musicGenerationConfig', 'playbackControl']);
    expect(seen.errors).toEqual([]);
    await expect.poll(() => sessionSpans().length).toBe(1);
    const sessionSpan = sessionSpans()[0]!;
    expect(sessionSpan.name).toBe(`lyria ${MODEL}`);
    expect(sessionSpan.attributes['realtime.session.protocol']).toBe('lyria');
    // The window, and the next one decided ahead at half (released: never used).
    const windows = units().filter((span) => span.attributes['genops.accounting.actual'] !== undefined);
    const [window] = windows;
    expect(window!.name).toBe(`generate_content ${MODEL}`);
    expect(window!.parentSpanContext?.spanId).toBe(sessionSpan.spanContext().spanId);
    expect(window!.attributes['gen_ai.provider.name']).toBe('gcp.gemini');
    expect(window!.attributes['genops.policy.result']).toBe('ALLOWED');
    expect(window!.attributes['genops.accounting.reserved']).toBeCloseTo(WINDOW_USD, 12);
    expect(window!.attributes['genops.accounting.actual']).toBeCloseTo(8 * PER_SECOND, 12);
    expect(window!.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect(harness.decisions().filter((decision) => decision.phase === 'decided')).toHaveLength(2);
    await expectCharged(8 * PER_SECOND);
    harness.expectCompliant([window!]);
  });

  it('music longer than a window: the next window is admitted ahead and takes the audio after the first', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    harness.server.chunksPerPlay = 10;
    // 10 chunks of 2 s: 20 s, a full window of 15 and 5 s of the next.
    const { session, seen } = await playMusic();
    await seen.chunksReach(10);
    session.close();
    await seen.closed;
    await expect.poll(() => sessionSpans().length).toBe(1);
    const actuals = units().map((span) => span.attributes['genops.accounting.actual'] as number);
    expect(actuals).toHaveLength(2);
    expect(actuals[0]).toBeCloseTo(15 * PER_SECOND, 12);
    expect(actuals[1]).toBeCloseTo(5 * PER_SECOND, 12);
    expect(units().map((span) => span.attributes['gen_ai.response.finish_reasons'])).toEqual([
      ['window_full'],
      ['closed'],
    ]);
    await expectCharged(20 * PER_SECOND);
  });

  it('without a price (none is published), play() is refused, never sent, and the session is closed', async () => {
    harness.init({ ...governed({ priced: false }), dailyBudgetLimit: 10 });
    const chunksBefore = harness.server.chunksSent;
    const { seen } = await playMusic();
    await seen.closed;
    expect(received()).toEqual(['setup', 'clientContent', 'musicGenerationConfig']);
    expect(harness.server.chunksSent - chunksBefore).toBe(0);
    expect((seen.errors[0]!.error as Error).name).toBe('ReservationFailedError');
    expect(seen.close?.reason).toContain('ReservationFailedError (BUDGET_RESERVATION_FAILED): the Lyria play refused');
    expect(seen.close?.code).toBe(4403);
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
  });

  it("under unknownModel 'warn' an unpriced window runs with a WARNING decision, charged $0 (documented)", async () => {
    harness.init({ ...governed({ priced: false }), unknownModel: 'warn', dailyBudgetLimit: 10 });
    const { session, seen } = await playMusic();
    await seen.chunksReach(2);
    session.close();
    await seen.closed;
    expect(received()).toContain('playbackControl');
    await expect.poll(() => sessionSpans().length).toBe(1);
    const window = units().find((span) => span.attributes['genops.accounting.actual'] !== undefined);
    expect(window?.attributes['genops.policy.result']).toBe('WARNING');
    expect(window?.attributes['genops.policy.reason_code']).toBe('x_price_unknown');
    expect(window?.attributes['genops.accounting.actual']).toBe(0);
  });

  it('a policy denying the model refuses play(): onclose gets 4403', async () => {
    harness.init({ ...governed(), policies: { denyModels: ['lyria-*'] } });
    const { seen } = await playMusic();
    await seen.closed;
    expect(received()).not.toContain('playbackControl');
    expect((seen.errors[0]!.error as Error).name).toBe('PolicyViolationError');
    expect(seen.close?.code).toBe(4403);
  });

  it('a budget with room for one window: the next is refused, the session closed, the music stops', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: WINDOW_USD * 1.5 });
    harness.server.chunksPerPlay = 100;
    const chunksBefore = harness.server.chunksSent;
    const { seen } = await playMusic();
    await seen.closed;
    expect(seen.close?.code).toBe(4402);
    expect(seen.close?.reason).toContain('the next window of Lyria music refused');
    expect((seen.errors[0]!.error as Error).name).toBe('BudgetExceededError');
    expect(harness.server.chunksSent - chunksBefore).toBeLessThan(100);
    expect(
      harness
        .decisions()
        .filter((decision) => decision.phase === 'decided')
        .map((decision) => decision.result),
    ).toEqual(['ALLOWED', 'BLOCKED']);
    await expect.poll(() => sessionSpans().length).toBe(1);
    expect(sessionSpans()[0]?.attributes['error.type']).toBe('BudgetExceededError');
    // The first window settles at what it received.
    const window = units().find((span) => span.attributes['genops.policy.result'] === 'ALLOWED');
    const seconds = seen.chunks * 2;
    expect(window?.attributes['genops.accounting.actual']).toBeCloseTo(seconds * PER_SECOND, 12);
    await expectCharged(seconds * PER_SECOND);
  });
});

describe('a Lyria session over the global WebSocket (frames written by hand, binary frames read as Blobs)', () => {
  it('govern: the PLAY waits for its window; the audio received settles it', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const path = '/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateMusic?key=test-key';
    const socket = new WebSocket(`ws://${harness.server.host}${path}`);
    let chunks = 0;
    socket.addEventListener('open', () => socket.send(JSON.stringify({ setup: { model: `models/${MODEL}` } })));
    socket.addEventListener('message', async (event) => {
      const message = JSON.parse(await (event.data as Blob).text()) as Record<string, any>;
      if (message.setupComplete) socket.send(JSON.stringify({ playbackControl: 'PLAY' }));
      if (message.serverContent?.audioChunks && ++chunks === 4) socket.close();
    });
    await new Promise((resolve) => socket.addEventListener('close', resolve));
    expect(received()).toEqual(['setup', 'playbackControl']);
    await expect.poll(() => sessionSpans().length).toBe(1);
    const window = units().find((span) => span.attributes['genops.accounting.actual'] !== undefined);
    expect(window?.attributes['genops.accounting.actual']).toBeCloseTo(8 * PER_SECOND, 12);
    await expectCharged(8 * PER_SECOND);
  });
});

describe('a Lyria session under egress deny', () => {
  it('is refused before its handshake: the server sees no session', async () => {
    harness.init({ egress: { mode: 'deny', hosts: [harness.server.host] } });
    const before = harness.server.sessions;
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: harness.server.url } });
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    const errors: unknown[] = [];
    // The SDK's music connect waits for `open`, which never comes: not awaited.
    void ai.live.music.connect({
      model: `models/${MODEL}`,
      callbacks: { onmessage: () => {}, onerror: (event) => errors.push(event), onclose: () => closed() },
    });
    await gone;
    expect(errors.length).toBeGreaterThan(0);
    expect(harness.server.sessions - before).toBe(0);
  });
});
