import { BudgetExceededError } from '@genops/core';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';

// `audio.speech` (per character for tts-1), `audio.transcriptions|translations` (per second for
// whisper-1, per token for gpt-4o-transcribe), against the fake server's audio routes.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

/** 64 kB of "audio": the reservation bounds it at 64 seconds (8 kbit/s). */
const audio = () => toFile(Buffer.alloc(64_000), 'speech.mp3', { type: 'audio/mpeg' });

describe('audio.speech.create', () => {
  it('tts-1: priced per input character, the text never recorded', async () => {
    harness.init();
    const input = 'Hello from GenOps, a sentence of sixty characters in total!!';
    expect(input).toHaveLength(60);
    const response = await client().audio.speech.create({ model: 'tts-1', voice: 'alloy', input });
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    const span = harness.onlySpan();
    expect(span.name).toBe('generate_content tts-1');
    // 60 × $0.000015.
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(0.0009, 12);
    expect(span.attributes['genops.accounting.reserved']).toBeCloseTo(0.0009, 12);
    expect(JSON.stringify(span.attributes)).not.toContain('sixty characters');
    harness.expectCompliant([span]);
  });

  it('tts-1-hd: characters are code points (an emoji is one)', async () => {
    harness.init();
    await client().audio.speech.create({ model: 'tts-1-hd', voice: 'alloy', input: 'hi 👋' });
    // 4 characters × $0.00003.
    expect(harness.onlySpan().attributes['genops.accounting.actual']).toBeCloseTo(0.00012, 12);
  });

  it('gpt-4o-mini-tts: the audio body reports no usage, so it settles at the reservation, flagged incomplete', async () => {
    harness.init();
    await client().audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'alloy', input: 'Hello there' });
    const span = harness.onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    expect(span.attributes['genops.accounting.actual']).toBeGreaterThan(0);
    harness.expectCompliant([span]);
  });

  it('a tiny budget denies it before the server', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    await expect(
      client().audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello there' }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
  });
});

describe('audio.transcriptions.create', () => {
  it('whisper-1: priced per second from usage.seconds', async () => {
    harness.init();
    harness.server.enqueue({ audioSeconds: 30 });
    const result = await client().audio.transcriptions.create({ model: 'whisper-1', file: await audio() });
    expect(result.text).toBeTypeOf('string');
    expect(harness.server.requests[0]!.body.model).toBe('whisper-1');
    const span = harness.onlySpan();
    // 30 s × $0.0001 ($0.006 a minute); reserved for 64 s.
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(0.003, 12);
    expect(span.attributes['genops.accounting.reserved']).toBeCloseTo(0.0064, 12);
    harness.expectCompliant([span]);
  });

  it('gpt-4o-transcribe: audio input tokens at the audio rate, text output at the output rate', async () => {
    harness.init();
    // 500 input tokens (20 text, 480 audio), 40 output tokens.
    harness.server.enqueue({ usage: { input: 500, output: 40, cachedInput: 20 } });
    await client().audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await audio() });
    const span = harness.onlySpan();
    const price = harness.priceOf('openai', 'gpt-4o-transcribe');
    expect(price.audioInput).toBe(6);
    const expected = (20 * price.input + 480 * price.audioInput! + 40 * price.output) / 1e6;
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(expected, 12);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(500);
    harness.expectCompliant([span]);
  });

  it('gpt-4o-mini-transcribe streamed: usage from transcript.text.done', async () => {
    harness.init();
    harness.server.enqueue({ usage: { input: 300, output: 25 } });
    const stream = await client().audio.transcriptions.create({
      model: 'gpt-4o-mini-transcribe',
      file: await audio(),
      stream: true,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('transcript.text.done');
    const price = harness.priceOf('openai', 'gpt-4o-mini-transcribe');
    const span = harness.onlySpan();
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(
      (300 * price.audioInput! + 25 * price.output) / 1e6,
      12,
    );
    harness.expectCompliant([span]);
  });

  it('response_format text carries no usage: settled at the reservation, flagged incomplete', async () => {
    harness.init();
    const text = await client().audio.transcriptions.create({
      model: 'whisper-1',
      file: await audio(),
      response_format: 'text',
    });
    expect(text).toBeTypeOf('string');
    const span = harness.onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(0.0064, 12);
  });

  it('a tiny budget denies it before the server', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.001, window: 'day' }] });
    await expect(
      client().audio.transcriptions.create({ model: 'whisper-1', file: await audio() }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
  });
});

describe('audio.translations.create', () => {
  it('whisper-1 verbose_json: priced per second from duration', async () => {
    harness.init();
    harness.server.enqueue({ audioSeconds: 45 });
    const result = await client().audio.translations.create({
      model: 'whisper-1',
      file: await audio(),
      response_format: 'verbose_json',
    });
    expect((result as { duration?: number }).duration).toBe(45);
    const span = harness.onlySpan();
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(0.0045, 12);
    expect(span.attributes['genops.accounting.incomplete']).not.toBe(true);
    harness.expectCompliant([span]);
  });
});
