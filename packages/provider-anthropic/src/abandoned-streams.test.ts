import Anthropic from '@anthropic-ai/sdk';
import { startFakeAnthropic } from '@genops/testing';
import { describeAbandonedStreams } from '@genops/testing/abandon-contract';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { describe, expect, it } from 'vitest';
import './index';

// A streamed call that reached Anthropic is never free, however the caller leaves it: the real
// @anthropic-ai/sdk against the fake Anthropic server.

const harness = createAdapterHarness({ server: startFakeAnthropic });
const messages = [{ role: 'user' as const, content: 'Say hello.' }];

function client(): Anthropic {
  return new Anthropic({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0, openTelemetry: false });
}

describe('messages.create({ stream: true })', () => {
  describeAbandonedStreams(harness, {
    enqueueSlowStream: () => harness.server.enqueue({ chunks: 8, chunkDelayMs: 40 }),
    open: () => client().messages.create({ model: 'claude-haiku-4-5', messages, max_tokens: 50, stream: true }),
    async readFirstAndBreak(stream) {
      for await (const _ of stream) break;
    },
    requestCount: () => harness.server.requests.length,
  });
});

describe('messages.stream() (the SDK helper reads the stream itself)', () => {
  it('abandoned unread: the helper reads to the end, so the unit settles from the usage the server reported', async () => {
    harness.init({ budgets: [{ name: 'abandoned', limit: 100, window: 'day' }] });
    harness.server.enqueue({ chunks: 4, chunkDelayMs: 5 });
    client().messages.stream({ model: 'claude-haiku-4-5', messages, max_tokens: 50 });
    for (let attempt = 0; attempt < 300 && harness.spans().length === 0; attempt++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const span = harness.onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect(span.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect((await harness.genops!.status()).openReservations).toBe(0);
  });
});
