import { BudgetExceededError } from '@genops/core';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';

// `responses.compact`: a Responses API model call, priced from its usage.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

describe('responses.compact', () => {
  it('is one governed unit priced from its usage', async () => {
    harness.init();
    harness.server.enqueue({ usage: { input: 400, output: 60 } });
    const compacted = await client().responses.compact({ model: 'gpt-4o', input: 'A long conversation.' });
    expect(compacted.object).toBe('response.compaction');
    const span = harness.onlySpan();
    expect(span.name).toBe('chat gpt-4o');
    const price = harness.priceOf('openai', 'gpt-4o');
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo((400 * price.input + 60 * price.output) / 1e6, 12);
    harness.expectCompliant([span]);
  });

  it('beta.responses.compact too, and a tiny budget denies it before the server', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    await expect(
      client().beta.responses.compact({ model: 'gpt-4o', input: 'A long conversation.' }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
  });
});
