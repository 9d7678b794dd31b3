import { createOpenAI } from '@ai-sdk/openai';
import { BudgetExceededError, nanosToUsd } from '@genops/core';
import { costNanos } from '@genops/core/internal';
import { expectGenOpsCompliant, startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { embed, generateText, streamText } from 'ai';
import { describe, expect, it } from 'vitest';
import { governedEmbeddingModel, governedModel } from './index';

// End to end: the real `ai` 7 and `@ai-sdk/openai` 4 send real HTTP requests to the fake OpenAI server
// on 127.0.0.1 (Chat Completions, Responses and Embeddings, JSON and SSE). Tokens and cost must match
// what the server reported, to the micro-dollar, with one span per model call.

const harness = createAdapterHarness({
  server: startFakeOpenAI,
  defaults: { team: 'platform', project: 'vercel-ai-e2e', environment: 'test' },
});
const { init, onlySpan } = harness;
const priceOf = (model: string) => harness.priceOf('openai', model);

function provider() {
  return createOpenAI({ baseURL: harness.server.url, apiKey: 'test-key' });
}

/** 1200 input tokens (200 cached), 300 output tokens (100 reasoning). */
const FAKE_USAGE = { input: 1200, output: 300, cachedInput: 200, reasoning: 100 };
const USAGE = { inputTokens: 1200, outputTokens: 300, cacheReadInputTokens: 200, reasoningOutputTokens: 100 };
// gpt-4o per 1M: $2.50 input, $1.25 cached, $10 output → 1000 × 2.5 + 200 × 1.25 + 300 × 10 = 5750 µ$.
const EXPECTED_NANOS = 5_750_000;

describe('@ai-sdk/openai against the fake OpenAI server', () => {
  it('generateText over Chat Completions: exact tokens and cost, one span, server address', async () => {
    init();
    expect(costNanos(priceOf('gpt-4o'), USAGE)).toBe(EXPECTED_NANOS);
    harness.server.enqueue({ usage: FAKE_USAGE, model: 'gpt-4o-2024-08-06', content: 'Hello there.' });
    const { text } = await generateText({
      model: governedModel(provider().chat('gpt-4o')),
      prompt: 'Say hello.',
      maxOutputTokens: 400,
    });
    expect(text).toBe('Hello there.');
    expect(harness.server.requests).toHaveLength(1);
    expect(harness.server.requests[0]).toMatchObject({
      path: '/v1/chat/completions',
      body: { model: 'gpt-4o', max_tokens: 400 },
    });
    const span = onlySpan();
    expect(span.name).toBe('chat gpt-4o');
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.reasoning.output_tokens': 100,
      'genops.accounting.actual': nanosToUsd(EXPECTED_NANOS),
      'server.address': '127.0.0.1',
      'server.port': harness.server.port,
    });
    expect(span.attributes['gen_ai.response.id']).toMatch(/^chatcmpl-/);
    expectGenOpsCompliant(harness.spans());
  });

  it('streamText over Chat Completions: usage from the final SSE chunk', async () => {
    init();
    harness.server.enqueue({ usage: FAKE_USAGE, content: 'Streaming hello.', chunks: 4 });
    const result = streamText({ model: governedModel(provider().chat('gpt-4o')), prompt: 'Say hello.' });
    expect(await result.text).toBe('Streaming hello.');
    expect(harness.server.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'genops.accounting.actual': nanosToUsd(EXPECTED_NANOS),
    });
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expectGenOpsCompliant(harness.spans());
  });

  it('generateText and streamText over the Responses API (the default model)', async () => {
    init();
    harness.server.enqueue(
      { usage: FAKE_USAGE, content: 'From responses.' },
      { usage: FAKE_USAGE, content: 'Streamed responses.' },
    );
    const model = governedModel(provider()('gpt-4o'));
    expect((await generateText({ model, prompt: 'Hi' })).text).toBe('From responses.');
    expect(await streamText({ model, prompt: 'Hi' }).text).toBe('Streamed responses.');
    expect(harness.server.requests.map((request) => request.path)).toEqual(['/v1/responses', '/v1/responses']);
    const all = harness.spans();
    expect(all).toHaveLength(2);
    for (const span of all)
      expect(span.attributes).toMatchObject({
        'gen_ai.provider.name': 'openai',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 300,
        'genops.accounting.actual': nanosToUsd(EXPECTED_NANOS),
      });
    expectGenOpsCompliant(all);
  });

  it('a malformed 200 response settles from the reservation, flagged incomplete; the caller sees the error', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ malformed: true });
    const error = await generateText({
      model: governedModel(provider().chat('gpt-4o')),
      prompt: 'Hi',
      maxOutputTokens: 50,
      maxRetries: 0,
    }).catch((caught) => caught);
    expect(error).toBeInstanceOf(Error);
    const span = onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBeGreaterThan(0);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    expect(await harness.budget('all')).toMatchObject({
      used: span.attributes['genops.accounting.actual'],
      reserved: 0,
    });
  });

  it('a budget that blocks never reaches the server', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    const error = await generateText({ model: governedModel(provider().chat('gpt-4o')), prompt: 'Hi' }).catch(
      (caught) => caught,
    );
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
    expect(onlySpan().attributes['genops.policy.result']).toBe('BLOCKED');
  });

  it('redaction rewrites the text the server receives', async () => {
    init({ policy: { version: 1, rules: [{ name: 'pii', type: 'content', detect: ['email'], action: 'redact' }] } });
    await generateText({
      model: governedModel(provider().chat('gpt-4o')),
      system: 'Reply to jane.doe@example.com politely.',
      prompt: 'Draft a note for jane.doe@example.com.',
    });
    const sent = JSON.stringify(harness.server.requests[0]!.body.messages);
    expect(sent).toContain('Reply to [REDACTED:email] politely.');
    expect(sent).toContain('Draft a note for [REDACTED:email].');
    expect(sent).not.toContain('jane.doe');
    expect(onlySpan().attributes['genops.content.redactions']).toEqual(['email:2']);
  });

  it("a budget's downgrade really sends the cheaper model", async () => {
    init({
      budgets: [{ name: 'premium', limit: 0.001, window: 'day', action: 'downgrade', downgradeTo: 'gpt-4o-mini' }],
    });
    const openai = provider();
    await generateText({
      model: governedModel(openai.chat('gpt-4o'), { modelFor: (id) => openai.chat(id) }),
      prompt: 'Hi',
      maxOutputTokens: 100,
    });
    expect(harness.server.requests[0]!.body.model).toBe('gpt-4o-mini');
    expect(onlySpan().name).toBe('chat gpt-4o-mini');
  });

  it('embed over the Embeddings API: priced from the usage the server reported', async () => {
    init();
    harness.server.enqueue({ usage: { input: 5000, output: 0 } });
    await embed({ model: governedEmbeddingModel(provider().embedding('text-embedding-3-small')), value: 'hello' });
    expect(harness.server.requests[0]!.path).toBe('/v1/embeddings');
    // $0.02 per 1M → 5000 tokens = 100 µ$.
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.usage.input_tokens': 5000,
      'genops.accounting.actual': nanosToUsd(100_000),
    });
    expectGenOpsCompliant(harness.spans());
  });
});
