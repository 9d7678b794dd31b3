// The realtime governor's frame handling on a `ws` client (egress `govern`), against a local `ws` server
// that records what it receives: frames keep their order behind a `response.create` waiting for its
// decision, binary frames and the app's send callbacks pass through, a socket that is not open answers as
// it would without GenOps; and the Realtime usage mapping.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocketClient, { WebSocketServer } from 'ws';
import { useCoreTestSetup } from '../test-support/core-test-setup';
import { usageFromRealtime } from './realtime-governor';
import { base64Bytes, bytesPerSecondOf, transcriptionModelIn, usageFromTranscription } from './realtime-transcription';

const setup = useCoreTestSetup();
let server: WebSocketServer;
let origin: string;
/** What the server received, in order: the event type of a text frame, `binary:<bytes>` for a binary one. */
let received: string[] = [];

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('connection', (socket) => {
    socket.send(JSON.stringify({ type: 'session.created', session: { model: 'gpt-realtime' } }));
    socket.on('message', (data, isBinary) => {
      received.push(isBinary ? `binary:${(data as Buffer).byteLength}` : (JSON.parse(String(data)).type as string));
      if (!isBinary && JSON.parse(String(data)).type === 'done') socket.close();
    });
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function open(): Promise<WebSocketClient> {
  received = [];
  setup.init({ egress: { mode: 'govern', hosts: [origin] }, dailyBudgetLimit: 10 });
  const socket = new WebSocketClient(`ws://${origin}/v1/realtime?model=gpt-realtime`);
  return new Promise((resolve) => socket.on('open', () => resolve(socket)));
}

const closed = (socket: WebSocketClient) => new Promise<void>((resolve) => socket.on('close', () => resolve()));

describe('the realtime governor on a ws client', () => {
  it('frames sent after a response.create wait for its decision and go out in the order sent', async () => {
    const socket = await open();
    const callbacks: string[] = [];
    socket.send(JSON.stringify({ type: 'conversation.item.create' }), () => callbacks.push('item'));
    socket.send(JSON.stringify({ type: 'response.create' }), () => callbacks.push('create'));
    socket.send(Buffer.alloc(7), { binary: true }, () => callbacks.push('binary'));
    socket.send(JSON.stringify({ type: 'input_audio_buffer.clear' }), () => callbacks.push('clear'));
    socket.send(JSON.stringify({ type: 'done' }));
    await closed(socket);
    expect(received).toEqual([
      'conversation.item.create',
      'response.create',
      'binary:7',
      'input_audio_buffer.clear',
      'done',
    ]);
    // Each frame's own callback ran (the arguments of a deferred send are its own).
    expect(callbacks).toEqual(['item', 'create', 'binary', 'clear']);
  });

  it('close() waits for frames held behind a decision', async () => {
    const socket = await open();
    socket.send(JSON.stringify({ type: 'response.create' }));
    socket.send(JSON.stringify({ type: 'conversation.item.create' }));
    socket.close();
    await closed(socket);
    expect(received).toEqual(['response.create', 'conversation.item.create']);
    // The response never finished: settled at its reservation, flagged incomplete.
    await expect.poll(() => setup.spans().length).toBe(2);
    const unit = setup.spans().find((span) => span.name === 'chat gpt-realtime');
    expect(unit?.attributes['genops.accounting.incomplete']).toBe(true);
  });

  it('a send on a socket that is not open throws at once, as without GenOps', async () => {
    setup.init({ egress: { mode: 'govern', hosts: [origin] } });
    const socket = new WebSocketClient(`ws://${origin}/v1/realtime?model=gpt-realtime`);
    expect(() => socket.send(JSON.stringify({ type: 'response.create' }))).toThrow(/not open/);
    // Closing a connecting `ws` socket reports an error: expected here.
    socket.on('error', () => {});
    socket.terminate();
    await closed(socket);
  });
});

describe('input audio transcription on a ws client', () => {
  it('an append too large to parse is still admitted as audio: refused by a budget with no room for it, not sent', async () => {
    received = [];
    // gpt-4o-transcribe: one 15-second chunk reserves $0.0218; the budget has room for it, not for more.
    setup.init({ egress: { mode: 'govern', hosts: [origin] }, dailyBudgetLimit: 0.03 });
    const socket = new WebSocketClient(`ws://${origin}/v1/realtime?model=gpt-realtime`);
    await new Promise((resolve) => socket.on('open', resolve));
    const errors: string[] = [];
    socket.on('message', (data) => {
      const event = JSON.parse(String(data));
      if (event.type === 'error') errors.push(event.error.type);
    });
    socket.send(
      JSON.stringify({
        type: 'session.update',
        session: { audio: { input: { transcription: { model: 'gpt-4o-transcribe' } } } },
      }),
    );
    // 3.75 MB of PCM16 (78 s) as a 5 MB binary frame: beyond what the governor parses.
    const big = Buffer.from(
      JSON.stringify({ type: 'input_audio_buffer.append', audio: Buffer.alloc(3_750_000).toString('base64') }),
    );
    expect(big.byteLength).toBeGreaterThan(4 * 1024 * 1024);
    socket.send(big);
    socket.send(JSON.stringify({ type: 'done' }));
    await closed(socket);
    expect(received).toEqual(['session.update', 'done']);
    expect(errors).toEqual(['genops_governance_error']);
  });
});

describe('transcription wire helpers', () => {
  it('base64Bytes: decoded length from the text, padding included', () => {
    for (const size of [0, 1, 2, 3, 4, 4_800, 4_801, 4_802])
      expect(base64Bytes(Buffer.alloc(size).toString('base64'))).toBe(size);
  });

  it('bytesPerSecondOf: GA and beta formats; an unknown one counts as the slowest', () => {
    expect(bytesPerSecondOf({ type: 'audio/pcm', rate: 24000 })).toBe(48_000);
    expect(bytesPerSecondOf({ type: 'audio/pcm' })).toBe(48_000);
    expect(bytesPerSecondOf({ type: 'audio/pcmu' })).toBe(8_000);
    expect(bytesPerSecondOf({ type: 'audio/pcma' })).toBe(8_000);
    expect(bytesPerSecondOf('pcm16')).toBe(48_000);
    expect(bytesPerSecondOf('g711_ulaw')).toBe(8_000);
    expect(bytesPerSecondOf('opus')).toBe(8_000);
  });

  it('transcriptionModelIn: GA and beta settings, null turns it off, settings without a model say nothing of it', () => {
    expect(transcriptionModelIn({ audio: { input: { transcription: { model: 'gpt-4o-transcribe' } } } })).toBe(
      'gpt-4o-transcribe',
    );
    expect(transcriptionModelIn({ input_audio_transcription: { model: 'whisper-1' } })).toBe('whisper-1');
    expect(transcriptionModelIn({ audio: { input: { transcription: null } } })).toBeNull();
    expect(transcriptionModelIn({ input_audio_transcription: null })).toBeNull();
    expect(transcriptionModelIn({ audio: { input: { transcription: { language: 'fr' } } } })).toBeUndefined();
    expect(transcriptionModelIn({ audio: { input: { format: { type: 'audio/pcm' } } } })).toBeUndefined();
  });

  it('usageFromTranscription: tokens (audio at the audio rate; all audio without details) or seconds', () => {
    expect(
      usageFromTranscription({
        type: 'tokens',
        input_tokens: 50,
        output_tokens: 8,
        total_tokens: 58,
        input_token_details: { text_tokens: 10, audio_tokens: 40 },
      }),
    ).toMatchObject({ inputTokens: 50, outputTokens: 8, audioInputTokens: 40 });
    expect(usageFromTranscription({ type: 'tokens', input_tokens: 30, output_tokens: 5 })).toMatchObject({
      inputTokens: 30,
      outputTokens: 5,
      audioInputTokens: 30,
    });
    expect(usageFromTranscription({ type: 'duration', seconds: 2.5 })).toMatchObject({
      inputTokens: 0,
      outputTokens: 0,
      audioInputSeconds: 2.5,
    });
    expect(usageFromTranscription({ type: 'tokens' })).toBeUndefined();
    expect(usageFromTranscription(null)).toBeUndefined();
  });
});

describe('usageFromRealtime', () => {
  it('maps response.done usage: cached inside input, uncached audio input and audio output for the audio rates', () => {
    const usage = usageFromRealtime({
      total_tokens: 430,
      input_tokens: 200,
      output_tokens: 230,
      input_token_details: {
        text_tokens: 110,
        audio_tokens: 80,
        image_tokens: 10,
        cached_tokens: 80,
        cached_tokens_details: { text_tokens: 64, audio_tokens: 16, image_tokens: 0 },
      },
      output_token_details: { text_tokens: 30, audio_tokens: 200 },
    });
    expect(usage).toMatchObject({
      inputTokens: 200,
      outputTokens: 230,
      cacheReadInputTokens: 80,
      audioInputTokens: 64,
      imageInputTokens: 10,
      audioOutputTokens: 200,
    });
  });

  it('is undefined for another shape (Responses usage has no input_token_details)', () => {
    expect(usageFromRealtime({ input_tokens: 5, output_tokens: 1 })).toBeUndefined();
    expect(usageFromRealtime(null)).toBeUndefined();
  });
});
