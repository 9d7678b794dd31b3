import { BudgetExceededError } from '@genops/core';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';

// `videos.create` (Sora): per second of video at the model's rate for the size.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

describe('videos.create', () => {
  it('sora-2: priced per second ($0.10), settled when the job is created', async () => {
    harness.init();
    const video = await client().videos.create({ model: 'sora-2', prompt: 'an otter surfing', seconds: '8' });
    expect(video.status).toBe('queued');
    const span = harness.onlySpan();
    expect(span.name).toBe('generate_content sora-2');
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(0.8, 12);
    expect(span.attributes['genops.accounting.reserved']).toBeCloseTo(0.8, 12);
    expect(span.attributes['gen_ai.response.id']).toBe(video.id);
    harness.expectCompliant([span]);
  });

  it('sora-2-pro: the rate depends on the size (1792x1024 is $0.50 a second)', async () => {
    harness.init();
    await client().videos.create({ model: 'sora-2-pro', prompt: 'an otter', seconds: '4', size: '1792x1024' });
    expect(harness.onlySpan().attributes['genops.accounting.actual']).toBeCloseTo(2, 12);
  });

  it('the default length is 4 seconds of sora-2', async () => {
    harness.init();
    await client().videos.create({ prompt: 'an otter' });
    expect(harness.onlySpan().attributes['genops.accounting.actual']).toBeCloseTo(0.4, 12);
  });

  it('a tiny budget denies it before the server', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.5, window: 'day' }] });
    await expect(client().videos.create({ prompt: 'an otter', seconds: '12' })).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    expect(harness.server.requests).toHaveLength(0);
  });
});
