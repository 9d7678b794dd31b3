import Anthropic from '@anthropic-ai/sdk';
import { BudgetExceededError } from '@genops/core';
import { startFakeAnthropic } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { describe, expect, it, vi } from 'vitest';
import { instrumentAnthropic } from './index';

// Message batches: one governed unit per batch, reserved from its requests at batch rates and settled,
// at batch rates, from the results' usage when the app reads them to the end.

const harness = createAdapterHarness({ server: startFakeAnthropic });
const MODEL = 'claude-sonnet-4-5';

function client(): Anthropic {
  return new Anthropic({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0, openTelemetry: false });
}

function requests(count: number, model = MODEL) {
  return Array.from({ length: count }, (_, index) => ({
    custom_id: `request-${index}`,
    params: { model, max_tokens: 200, messages: [{ role: 'user' as const, content: `Question ${index}` }] },
  }));
}

function governedSpans() {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

describe('messages.batches', () => {
  it('create reserves every request at batch rates; reading the results settles from their usage', async () => {
    harness.init();
    const anthropic = client();
    const batch = await anthropic.messages.batches.create({ requests: requests(2) });
    expect(batch.processing_status).toBe('in_progress');
    expect(governedSpans()).toHaveLength(0);

    harness.server.enqueue(
      { usage: { input: 100, output: 50 } },
      { usage: { input: 300, output: 150, cacheRead: 100 } },
    );
    const ids: string[] = [];
    for await (const result of await anthropic.messages.batches.results(batch.id)) ids.push(result.custom_id);
    expect(ids).toEqual(['request-0', 'request-1']);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.name).toBe(`chat ${MODEL}`);
    const price = harness.priceOf('anthropic', MODEL);
    // Batch rates are half the interactive ones: $1.50 / $7.50 / $0.15 per 1M for Sonnet 4.5.
    expect(price.batch).toEqual({ input: 1.5, output: 7.5, cacheRead: 0.15 });
    const expected = (400 * 1.5 + 200 * 7.5 + 100 * 0.15) / 1e6;
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(expected, 12);
    expect(span.attributes['genops.accounting.incomplete']).not.toBe(true);
    // 2 × 200 output tokens reserved at the batch output rate, plus the input estimate.
    expect(span.attributes['genops.accounting.reserved'] as number).toBeGreaterThanOrEqual((400 * 7.5) / 1e6);
    harness.expectCompliant([span]);
  });

  it('stopping early settles at the reservation, flagged incomplete', async () => {
    harness.init();
    const anthropic = client();
    const batch = await anthropic.messages.batches.create({ requests: requests(3) });
    for await (const _ of await anthropic.messages.batches.results(batch.id)) break;
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
  });

  it('beta.messages.batches is governed the same way', async () => {
    harness.init();
    const anthropic = client();
    const batch = await anthropic.beta.messages.batches.create({ requests: requests(1) });
    harness.server.enqueue({ usage: { input: 10, output: 4 } });
    for await (const _ of await anthropic.beta.messages.batches.results(batch.id)) {
      // read them all
    }
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    expect(governedSpans()[0]!.attributes['genops.accounting.actual']).toBeCloseTo((10 * 1.5 + 4 * 7.5) / 1e6, 12);
  });

  it('a tiny budget denies it before the server', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    await expect(client().messages.batches.create({ requests: requests(2) })).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    expect(harness.server.requests).toHaveLength(0);
  });

  it('a batch that mixes models is refused before it is sent', async () => {
    harness.init();
    const mixed = [...requests(1), ...requests(1, 'claude-opus-4-1')];
    await expect(client().messages.batches.create({ requests: mixed })).rejects.toThrow(/one batch per model/);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('instrumentAnthropic(client) governs it on the client, once', async () => {
    harness.init();
    const anthropic = instrumentAnthropic(client());
    const batch = await anthropic.messages.batches.create({ requests: requests(1) });
    for await (const _ of await anthropic.messages.batches.results(batch.id)) {
      // read them all
    }
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
  });
});
