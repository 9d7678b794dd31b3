import { BudgetExceededError } from '@genops/core';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI, { toFile } from 'openai';
import { describe, expect, it, vi } from 'vitest';

// `fineTuning.jobs.create`: one unit per job, reserved from the training file's size × epochs at the base
// model's training rate, settled from `trained_tokens` when the app reads the finished job.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

function governedSpans() {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

/** 20,000 bytes of training data: reserved as 10,000 tokens per epoch. */
async function trainingFile(openai: OpenAI) {
  return openai.files.create({ file: await toFile(Buffer.alloc(20_000, 'a'), 'train.jsonl'), purpose: 'fine-tune' });
}

describe('fineTuning.jobs.create', () => {
  it('reserves file tokens × epochs at the training rate and settles from trained_tokens', async () => {
    harness.init();
    const openai = client();
    const file = await trainingFile(openai);
    const job = await openai.fineTuning.jobs.create({
      model: 'gpt-4o-mini-2024-07-18',
      training_file: file.id,
      method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 3 } } },
    });
    expect(job.status).toBe('queued');
    expect(governedSpans()).toHaveLength(0);

    harness.server.enqueue({ usage: { input: 12_000, output: 0 } });
    const finished = await openai.fineTuning.jobs.retrieve(job.id);
    expect(finished.status).toBe('succeeded');
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(harness.priceOf('openai', 'gpt-4o-mini-2024-07-18').units?.trainingToken).toBe(0.000003);
    // 12,000 trained tokens × $3 per 1M; reserved 10,000 × 3 epochs × $3 per 1M.
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(0.036, 12);
    expect(span.attributes['genops.accounting.reserved']).toBeCloseTo(0.09, 12);
    expect(span.attributes['gen_ai.response.id']).toBe(job.id);
    harness.expectCompliant([span]);
  });

  it('a tiny budget denies it before the job is created', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.01, window: 'day' }] });
    const openai = client();
    const file = await trainingFile(openai);
    await expect(
      openai.fineTuning.jobs.create({ model: 'gpt-4o-mini-2024-07-18', training_file: file.id }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests.filter((request) => request.path === '/v1/fine_tuning/jobs')).toHaveLength(0);
  });
});
