import { BudgetExceededError } from '@genops/core';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI, { toFile } from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { instrumentOpenAI } from './index';

// `batches.create`: one unit per batch job, reserved from the input file at batch rates, settled from
// the batch's usage when the app reads the finished job with `batches.retrieve`.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

function jsonl(lines: number, maxTokens: number | undefined, model = 'gpt-4o-mini'): string {
  return Array.from({ length: lines }, (_, index) =>
    JSON.stringify({
      custom_id: `request-${index}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model,
        messages: [{ role: 'user', content: `Question ${index}` }],
        ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
      },
    }),
  ).join('\n');
}

async function upload(openai: OpenAI, content: string) {
  return openai.files.create({ file: await toFile(Buffer.from(content), 'batch.jsonl'), purpose: 'batch' });
}

function governedSpans() {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

describe('batches.create', () => {
  it('reserves every request of the input file at batch rates and settles from the finished batch', async () => {
    harness.init();
    const openai = client();
    const file = await upload(openai, jsonl(3, 100));
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(batch.status).toBe('validating');
    // The unit stays open while the job runs.
    expect(governedSpans()).toHaveLength(0);

    harness.server.enqueue({ usage: { input: 400, output: 200 } });
    const finished = await openai.batches.retrieve(batch.id);
    expect(finished.status).toBe('completed');
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.name).toBe('chat gpt-4o-mini');
    const price = harness.priceOf('openai', 'gpt-4o-mini');
    // Batch rates: 400 × $0.075/M + 200 × $0.30/M = $0.00009 (the interactive rates would be twice that).
    expect(price.batch).toEqual({ input: 0.075, output: 0.3 });
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo((400 * 0.075 + 200 * 0.3) / 1e6, 12);
    // The reservation covers 3 × 100 output tokens at the batch output rate, and the input estimate.
    expect(span.attributes['genops.accounting.reserved'] as number).toBeGreaterThanOrEqual((300 * 0.3) / 1e6);
    expect(span.attributes['gen_ai.response.id']).toBe(batch.id);
    harness.expectCompliant([span]);

    // Reading it again settles nothing twice.
    harness.server.enqueue({ usage: { input: 400, output: 200 } });
    await openai.batches.retrieve(batch.id);
    expect(governedSpans()).toHaveLength(1);
  });

  it('uncapped requests reserve the model output limit each', async () => {
    harness.init();
    const openai = client();
    const file = await upload(openai, jsonl(2, undefined));
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    harness.server.enqueue({ usage: { input: 100, output: 20 } });
    await openai.batches.retrieve(batch.id);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const price = harness.priceOf('openai', 'gpt-4o-mini');
    const reserved = governedSpans()[0]!.attributes['genops.accounting.reserved'] as number;
    expect(reserved).toBeGreaterThanOrEqual((2 * price.maxOutputTokens! * price.batch!.output) / 1e6);
  });

  it('a tiny budget denies it before the job is created', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    const openai = client();
    const file = await upload(openai, jsonl(3, 100));
    await expect(
      openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests.filter((request) => request.path === '/v1/batches')).toHaveLength(0);
  });

  it('instrumentOpenAI(client): created and settled through the client', async () => {
    harness.init();
    const openai = instrumentOpenAI(client());
    const file = await upload(openai, jsonl(1, 50));
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    harness.server.enqueue({ usage: { input: 10, output: 5 } });
    await openai.batches.retrieve(batch.id);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
  });
});
