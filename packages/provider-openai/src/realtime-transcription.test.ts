// Input audio transcription of a Realtime session, governed (egress `govern`, no adapter code) with the
// openai SDK's Realtime clients against the fake Realtime server of @genops/testing: the transcription
// model is admitted when a `session.update` turns transcription on (a denied model refuses that frame),
// `input_audio_buffer.append` frames are admitted in chunks of 15 seconds of audio (a budget with no room
// refuses them: they are not sent), and each committed buffer is one transcription settled from its
// `conversation.item.input_audio_transcription.completed` usage; a cleared buffer settles at $0, a
// committed one whose transcription never arrived at its reservation, flagged incomplete.
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { type FakeRealtimeServer, startFakeRealtime } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { OpenAIRealtimeWebSocket } from 'openai/realtime/websocket';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { RealtimeClientEvent } from 'openai/resources/realtime/realtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const harness = createAdapterHarness();
let fake: FakeRealtimeServer;
let defaultCertificates: string[];

beforeAll(async () => {
  fake = await startFakeRealtime();
  defaultCertificates = getCACertificates('default');
  setDefaultCACertificates([...defaultCertificates, fake.certificate!]);
});

afterAll(async () => {
  setDefaultCACertificates(defaultCertificates);
  await fake.close();
});

type Realtime = OpenAIRealtimeWS | OpenAIRealtimeWebSocket;

const TRANSPORTS = [
  {
    name: 'openai/realtime/ws (the ws package)',
    open: (client: OpenAI): Realtime => new OpenAIRealtimeWS({ model: 'gpt-realtime' }, client),
    onOpen: (realtime: Realtime, listener: () => void) => (realtime as OpenAIRealtimeWS).socket.on('open', listener),
    onClose: (realtime: Realtime, listener: () => void) => (realtime as OpenAIRealtimeWS).socket.on('close', listener),
  },
  {
    name: 'openai/realtime/websocket (the global WebSocket)',
    open: (client: OpenAI): Realtime => new OpenAIRealtimeWebSocket({ model: 'gpt-realtime' }, client),
    onOpen: (realtime: Realtime, listener: () => void) =>
      (realtime as OpenAIRealtimeWebSocket).socket.addEventListener('open', listener),
    onClose: (realtime: Realtime, listener: () => void) =>
      (realtime as OpenAIRealtimeWebSocket).socket.addEventListener('close', listener),
  },
] as const;

type Event = { type: string; item_id?: string; error?: { type?: string; code?: string; message?: string } };

/** One session: sends `frames` once open, closes at the first event `closeWhen` accepts; resolves with every event. */
function runSession(
  transport: (typeof TRANSPORTS)[number],
  frames: RealtimeClientEvent[],
  closeWhen: (event: Event) => boolean,
): Promise<Event[]> {
  const client = new OpenAI({ apiKey: 'test-key', baseURL: fake.baseURL });
  const realtime = transport.open(client);
  const events: Event[] = [];
  return new Promise((resolve) => {
    transport.onOpen(realtime, () => {
      for (const frame of frames) realtime.send(frame);
    });
    realtime.on('event', (event) => {
      events.push(event as Event);
      if (closeWhen(event as Event)) realtime.close();
    });
    // The SDK also emits `error` events as errors: listened to, so none is thrown.
    realtime.on('error', () => {});
    transport.onClose(realtime, () => resolve(events));
  });
}

/** A `session.update` turning on transcription with `model`, input audio in `format` (GA shape). */
function transcribeWith(model: string, format: 'audio/pcm' | 'audio/pcmu' = 'audio/pcm'): RealtimeClientEvent {
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      output_modalities: ['text'],
      audio: {
        input: {
          format: format === 'audio/pcm' ? { type: format, rate: 24000 } : { type: format },
          transcription: { model },
        },
      },
    },
  };
}

/** A user message of `bytes` audio bytes added with `conversation.item.create` (an `input_audio` content part). */
function audioItem(bytes: number, id?: string): RealtimeClientEvent {
  return {
    type: 'conversation.item.create',
    item: {
      ...(id ? { id } : {}),
      type: 'message',
      role: 'user',
      content: [{ type: 'input_audio', audio: Buffer.alloc(bytes, 1).toString('base64') }],
    },
  };
}

/** `count` appends of `bytes` audio bytes each. */
function appends(count: number, bytes: number): RealtimeClientEvent[] {
  const audio = Buffer.alloc(bytes, 1).toString('base64');
  return Array.from({ length: count }, () => ({ type: 'input_audio_buffer.append' as const, audio }));
}

const governed = () => ({ egress: { mode: 'govern' as const, hosts: [fake.host] } });
const units = () => harness.spans().filter((span) => span.attributes['realtime.session.protocol'] === undefined);
const sessionSpans = () => harness.spans().filter((span) => span.attributes['realtime.session.protocol'] !== undefined);
/** The results of the decisions made (not the settlements that follow them), in order. */
const decided = () =>
  harness
    .decisions()
    .filter((decision) => decision.phase === 'decided')
    .map((decision) => decision.result);
/** Event types the fake received since `since`. */
const receivedTypes = (since: number) => fake.received.slice(since).map(({ event }) => event.type as string);
const completed = (event: Event) => event.type === 'conversation.item.input_audio_transcription.completed';

/** The daily budget charged `nanos` nano-USD, nothing left reserved. */
async function expectCharged(nanos: number): Promise<void> {
  const budget = await harness.budget('daily');
  expect(budget?.used).toBeCloseTo(nanos / 1e9, 12);
  expect(budget?.reserved).toBe(0);
}

/** The worst case of one 15-second chunk of gpt-4o-transcribe, nano-USD: 300 audio tokens at $6/M, 2,000 out at $10/M. */
const CHUNK_NANOS = 300 * 6_000 + 2_000 * 10_000;

describe.each(TRANSPORTS)('input audio transcription over $name', (transport) => {
  it('a committed buffer is one unit, settled from its transcription usage to the nano-dollar', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const before = fake.received.length;
    // One second of PCM16 at 24 kHz in ten appends of 100 ms.
    const events = await runSession(
      transport,
      [transcribeWith('gpt-4o-transcribe'), ...appends(10, 4_800), { type: 'input_audio_buffer.commit' }],
      completed,
    );
    expect(events.filter(completed)).toHaveLength(1);
    expect(receivedTypes(before).filter((type) => type === 'input_audio_buffer.append')).toHaveLength(10);
    await expect.poll(() => sessionSpans().length).toBe(1);
    const [unit] = units();
    expect(units()).toHaveLength(1);
    expect(unit!.name).toBe('generate_content gpt-4o-transcribe');
    expect(unit!.parentSpanContext?.spanId).toBe(sessionSpans()[0]!.spanContext().spanId);
    expect(unit!.attributes['genops.egress.ungoverned']).toBeUndefined();
    expect(unit!.attributes['gen_ai.response.id']).toBe(events.find(completed)?.item_id);
    // 1 s at 17 audio tokens a second: 17 audio tokens in at $6/M, 8 text tokens out at $10/M.
    expect(unit!.attributes['gen_ai.usage.input_tokens']).toBe(17);
    expect(unit!.attributes['gen_ai.usage.output_tokens']).toBe(8);
    const expectedNanos = 17 * 6_000 + 8 * 10_000;
    expect(expectedNanos).toBe(182_000);
    expect(unit!.attributes['genops.accounting.actual']).toBeCloseTo(expectedNanos / 1e9, 12);
    expect(unit!.attributes['genops.accounting.incomplete']).toBeUndefined();
    await expectCharged(expectedNanos);
    expect(decided()).toHaveLength(1);
    harness.expectCompliant(units());
  });

  it('a per-second model (whisper-1) on G.711 audio, beta session shape, settles from the seconds transcribed', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    // The beta shape: `input_audio_format` and `input_audio_transcription` at the top of the session.
    const beta = {
      type: 'session.update',
      session: { input_audio_format: 'g711_ulaw', input_audio_transcription: { model: 'whisper-1' } },
    } as unknown as RealtimeClientEvent;
    // 1.5 s of G.711 μ-law (8,000 bytes a second) in three appends.
    await runSession(transport, [beta, ...appends(3, 4_000), { type: 'input_audio_buffer.commit' }], completed);
    await expect.poll(() => sessionSpans().length).toBe(1);
    const [unit] = units();
    expect(unit!.name).toBe('generate_content whisper-1');
    // whisper-1: $0.006 a minute ($0.0001 a second): 1.5 s = 150,000 nano-USD.
    expect(unit!.attributes['genops.accounting.actual']).toBeCloseTo(150_000 / 1e9, 12);
    await expectCharged(150_000);
  });

  it('a session.update turning on a transcription model the policy denies is not sent; the app gets an error event', async () => {
    harness.init({ ...governed(), policies: { denyModels: ['gpt-4o-transcribe'] } });
    const before = fake.received.length;
    const events = await runSession(
      transport,
      [transcribeWith('gpt-4o-transcribe'), ...appends(2, 4_800)],
      (event) => event.type === 'error',
    );
    const error = events.find((event) => event.type === 'error');
    expect(error?.error?.type).toBe('genops_governance_error');
    expect(error?.error?.message).toContain('gpt-4o-transcribe');
    // The update never reached the server: it does not transcribe, and the audio after it is plain input.
    expect(receivedTypes(before)).toEqual(['input_audio_buffer.append', 'input_audio_buffer.append']);
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
  });

  it('appends past what the budget admits are not sent: the fake receives none after the refusal', async () => {
    // Room for one 15-second chunk, not two.
    harness.init({ ...governed(), dailyBudgetLimit: (CHUNK_NANOS * 1.5) / 1e9 });
    const before = fake.received.length;
    // G.711 μ-law: 20 appends of one second each. The first 15 fit the chunk admitted with the update;
    // the 16th needs a second chunk, refused; the 4 after it fall in the refused stretch.
    const events = await runSession(
      transport,
      [transcribeWith('gpt-4o-transcribe', 'audio/pcmu'), ...appends(20, 8_000)],
      (event) => event.type === 'error',
    );
    const received = receivedTypes(before);
    expect(received[0]).toBe('session.update');
    expect(received.slice(1)).toEqual(Array(15).fill('input_audio_buffer.append'));
    const errors = events.filter((event) => event.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error?.type).toBe('genops_governance_error');
    expect(errors[0]?.error?.message).toContain('budget');
    expect(decided()).toEqual(['ALLOWED', 'BLOCKED']);
    // Never committed: the audio sent is never transcribed; nothing stays reserved.
    await expect.poll(() => sessionSpans().length).toBe(1);
    await expectCharged(0);
  });

  it('a buffer longer than a chunk is admitted chunk by chunk and settled once, from its usage', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const before = fake.received.length;
    // 16 s of G.711 μ-law in one-second appends: the 16th second needs a second chunk.
    await runSession(
      transport,
      [transcribeWith('gpt-4o-transcribe', 'audio/pcmu'), ...appends(16, 8_000), { type: 'input_audio_buffer.commit' }],
      completed,
    );
    expect(receivedTypes(before).filter((type) => type === 'input_audio_buffer.append')).toHaveLength(16);
    expect(decided()).toHaveLength(2);
    await expect.poll(() => sessionSpans().length).toBe(1);
    expect(units()).toHaveLength(2);
    // The chunk carrying the usage, and the other one.
    const first = units().find((span) => span.attributes['gen_ai.usage.input_tokens'] === 272);
    const second = units().find((span) => span !== first);
    // 16 s at 17 audio tokens a second: 272 audio tokens in, 8 out, on the first chunk; the second at $0.
    const expectedNanos = 272 * 6_000 + 8 * 10_000;
    expect(first!.attributes['gen_ai.usage.input_tokens']).toBe(272);
    expect(first!.attributes['genops.accounting.actual']).toBeCloseTo(expectedNanos / 1e9, 12);
    expect(second!.attributes['genops.accounting.actual']).toBe(0);
    expect(second!.attributes['gen_ai.response.id']).toBe(first!.attributes['gen_ai.response.id']);
    await expectCharged(expectedNanos);
  });

  it('a cleared buffer settles its chunk at $0; the next buffer is a unit of its own', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const before = fake.received.length;
    await runSession(
      transport,
      [
        transcribeWith('gpt-4o-transcribe'),
        ...appends(5, 4_800),
        { type: 'input_audio_buffer.clear' },
        ...appends(10, 4_800),
        { type: 'input_audio_buffer.commit' },
      ],
      completed,
    );
    expect(receivedTypes(before)).toContain('input_audio_buffer.clear');
    await expect.poll(() => sessionSpans().length).toBe(1);
    const spans = units();
    expect(spans).toHaveLength(2);
    const [cleared, transcribed] = spans;
    expect(cleared!.attributes['gen_ai.response.finish_reasons']).toEqual(['cleared']);
    expect(cleared!.attributes['genops.accounting.actual']).toBe(0);
    expect(transcribed!.attributes['gen_ai.usage.input_tokens']).toBe(17);
    // Only the transcribed second is charged.
    await expectCharged(182_000);
  });

  it('a socket closed after the commit, before the transcription, settles at the reservation, flagged incomplete', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    fake.holdTranscription = true;
    try {
      await runSession(
        transport,
        [transcribeWith('gpt-4o-transcribe'), ...appends(10, 4_800), { type: 'input_audio_buffer.commit' }],
        (event) => event.type === 'input_audio_buffer.committed',
      );
    } finally {
      fake.holdTranscription = false;
    }
    await expect.poll(() => sessionSpans().length).toBe(1);
    const [unit] = units();
    expect(unit!.attributes['genops.accounting.incomplete']).toBe(true);
    // The whole reservation of the 15-second chunk: the audio was sent and committed.
    await expectCharged(CHUNK_NANOS);
  });

  it('audio added as a conversation item is one unit per item, settled from its transcription usage', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const before = fake.received.length;
    let transcribed = 0;
    // One second of PCM16 at 24 kHz, in an item the client names and in one the server names (matched by the
    // server's `conversation.item.added`, which comes for the first item too).
    const events = await runSession(
      transport,
      [transcribeWith('gpt-4o-transcribe'), audioItem(48_000, 'item_client_1'), audioItem(48_000)],
      (event) => completed(event) && ++transcribed === 2,
    );
    expect(receivedTypes(before)).toEqual(['session.update', 'conversation.item.create', 'conversation.item.create']);
    const itemIds = events.filter(completed).map((event) => event.item_id);
    expect(itemIds).toContain('item_client_1');
    await expect.poll(() => sessionSpans().length).toBe(1);
    // The items' units (the update's chunk, with no audio, was released: a unit without a response).
    const items = units().filter((span) => span.attributes['gen_ai.response.id'] !== undefined);
    expect(items).toHaveLength(2);
    expect(harness.spans().some((span) => span.attributes['genops.egress.ungoverned'] === true)).toBe(false);
    expect(items.map((span) => span.attributes['gen_ai.response.id']).sort()).toEqual([...itemIds].sort());
    // Each: 1 s at 17 audio tokens a second, 17 audio tokens in at $6/M, 8 text tokens out at $10/M.
    for (const unit of items) {
      expect(unit.name).toBe('generate_content gpt-4o-transcribe');
      expect(unit.attributes['gen_ai.usage.input_tokens']).toBe(17);
      expect(unit.attributes['genops.accounting.actual']).toBeCloseTo(182_000 / 1e9, 12);
      expect(unit.attributes['genops.accounting.incomplete']).toBeUndefined();
    }
    // The update's chunk had no audio: released.
    await expectCharged(2 * 182_000);
    harness.expectCompliant(items);
  });

  it('an audio item the budget has no room for is not sent; the app gets an error event naming it', async () => {
    // Room for the update's 15-second chunk, not for one more second besides it.
    harness.init({ ...governed(), dailyBudgetLimit: (CHUNK_NANOS * 1.5) / 1e9 });
    const before = fake.received.length;
    const events = await runSession(
      transport,
      [transcribeWith('gpt-4o-transcribe'), { ...audioItem(48_000), event_id: 'evt_item_1' }],
      (event) => event.type === 'error',
    );
    expect(receivedTypes(before)).toEqual(['session.update']);
    const error = events.find((event) => event.type === 'error') as Event & { error?: { event_id?: string } };
    expect(error?.error?.type).toBe('genops_governance_error');
    expect(error?.error?.event_id).toBe('evt_item_1');
    expect(decided()).toEqual(['ALLOWED', 'BLOCKED']);
    await expect.poll(() => sessionSpans().length).toBe(1);
    await expectCharged(0);
  });

  it('a socket closed before an audio item is transcribed settles it at its reservation, flagged incomplete', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    fake.holdTranscription = true;
    try {
      await runSession(
        transport,
        [transcribeWith('gpt-4o-transcribe'), audioItem(48_000)],
        (event) => event.type === 'conversation.item.added',
      );
    } finally {
      fake.holdTranscription = false;
    }
    await expect.poll(() => sessionSpans().length).toBe(1);
    const incomplete = units().filter((span) => span.attributes['genops.accounting.incomplete'] === true);
    expect(incomplete).toHaveLength(1);
    expect(incomplete[0]!.attributes['genops.accounting.reserved']).toBeCloseTo(
      (20 * 6_000 + 2_000 * 10_000) / 1e9,
      12,
    );
    // One second reserved: 20 audio tokens at $6/M and 2,000 out at $10/M.
    await expectCharged(20 * 6_000 + 2_000 * 10_000);
  });

  it('a buffer the server commits itself (voice activity detection) is settled the same way', async () => {
    harness.init({ ...governed(), dailyBudgetLimit: 10 });
    const client = new OpenAI({ apiKey: 'test-key', baseURL: fake.baseURL });
    const realtime = transport.open(client);
    await new Promise<void>((resolve) => {
      transport.onOpen(realtime, () => realtime.send(transcribeWith('gpt-4o-transcribe')));
      realtime.on('event', (event) => {
        if (event.type === 'session.updated') {
          for (const frame of appends(10, 4_800)) realtime.send(frame);
          // A frame the fake answers: by its answer, the fake has the audio before it.
          realtime.send({
            type: 'conversation.item.create',
            item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'marker' }] },
          });
        }
        // The fake commits the buffer as voice activity detection would at the end of speech.
        if (event.type === 'conversation.item.added') fake.commitNow();
        if (completed(event as Event)) realtime.close();
      });
      realtime.on('error', () => {});
      transport.onClose(realtime, () => resolve());
    });
    await expect.poll(() => sessionSpans().length).toBe(1);
    const [unit] = units();
    expect(unit!.attributes['gen_ai.usage.input_tokens']).toBe(17);
    await expectCharged(182_000);
  });
});
