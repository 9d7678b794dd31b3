import { collectGarbageUntil, startFakeOpenAI } from '@genops/testing';
import { describeAbandonedStreams } from '@genops/testing/abandon-contract';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import './index';

// A streamed call that reached the provider is never free, however the caller leaves it: the real
// openai SDK (7.x) against the fake OpenAI server, through the adapter GenOps.init() enables.

const harness = createAdapterHarness({ server: startFakeOpenAI });
const messages = [{ role: 'user' as const, content: 'Say hello.' }];

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

const slow = () => harness.server.enqueue({ chunks: 8, chunkDelayMs: 40 });

describe('chat.completions.create({ stream: true })', () => {
  describeAbandonedStreams(harness, {
    enqueueSlowStream: slow,
    open: () => client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50, stream: true }),
    async readFirstAndBreak(stream) {
      for await (const _ of stream) break;
    },
    requestCount: () => harness.server.requests.length,
  });
});

describe('responses.create({ stream: true })', () => {
  describeAbandonedStreams(harness, {
    enqueueSlowStream: slow,
    open: () =>
      client().responses.create({ model: 'gpt-4o', input: 'Say hello.', max_output_tokens: 50, stream: true }),
    async readFirstAndBreak(stream) {
      for await (const _ of stream) break;
    },
    requestCount: () => harness.server.requests.length,
  });
});

describe('a promise the caller never awaits', () => {
  it('the request still goes out: the unit settles at its reservation once the promise is collected', async () => {
    harness.init({ budgets: [{ name: 'abandoned', limit: 100, window: 'day' }] });
    slow();
    (() => {
      void client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50, stream: true });
    })();
    expect(await collectGarbageUntil(() => harness.spans().length > 0, 200)).toBe(true);
    expect(harness.server.requests).toHaveLength(1);
    const span = harness.onlySpan();
    expect(span.attributes).toMatchObject({
      'genops.accounting.incomplete': true,
      'genops.accounting.actual': span.attributes['genops.accounting.reserved'],
    });
  });
});

describe('a request the SDK refuses before sending', () => {
  it('an already-aborted signal: nothing reaches the server, nothing is committed or held', async () => {
    harness.init({ budgets: [{ name: 'abandoned', limit: 100, window: 'day' }] });
    const error = await client()
      .chat.completions.create(
        { model: 'gpt-4o', messages, max_tokens: 50, stream: true },
        { signal: AbortSignal.abort() },
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(harness.server.requests).toHaveLength(0);
    const span = harness.onlySpan();
    expect(span.attributes['genops.accounting.actual']).toBe(0);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    const status = await harness.genops!.status();
    expect(status.openReservations).toBe(0);
    expect(status.budgets[0]).toMatchObject({ used: 0, reserved: 0 });
  });
});

describe('chat.completions.stream() (the SDK helper reads the stream itself)', () => {
  it('abandoned unread: the helper reads to the end, so the unit settles from the usage the server reported', async () => {
    harness.init({ budgets: [{ name: 'abandoned', limit: 100, window: 'day' }] });
    harness.server.enqueue({ chunks: 4, chunkDelayMs: 5, usage: { input: 30, output: 12 } });
    client().chat.completions.stream({ model: 'gpt-4o', messages, max_tokens: 50 });
    for (let attempt = 0; attempt < 300 && harness.spans().length === 0; attempt++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const span = harness.onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect(span.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 30, 'gen_ai.usage.output_tokens': 12 });
  });
});
