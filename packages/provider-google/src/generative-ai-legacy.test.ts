import { createRequire } from 'node:module';
import { PolicyViolationError } from '@genops/core';
import { expectGenOpsCompliant, startFakeGemini } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { GenerativeModel, GoogleGenerativeAI, GoogleGenerativeAIFetchError } from '@google/generative-ai';
import { describe, expect, it } from 'vitest';
import './index';

// The real legacy @google/generative-ai (0.24) against the fake Gemini server.

const harness = createAdapterHarness({ server: startFakeGemini });
const { init, spans, onlySpan } = harness;

function model(name = 'gemini-2.5-pro', params: Record<string, unknown> = {}) {
  return new GoogleGenerativeAI('test-key').getGenerativeModel(
    { model: name, ...params },
    { baseUrl: harness.server.url },
  );
}

const CONTENT = 'Hello from the fake Gemini server.';

describe('@google/generative-ai (legacy)', () => {
  it('GenerativeModel.generateContent: usage with cached and thoughts tokens, exact cost', async () => {
    init({ budgets: [{ name: 'all', limit: 5, window: 'total' }] });
    harness.server.enqueue({ usage: { prompt: 1000, cached: 400, candidates: 200, thoughts: 300 } });
    const result = await model('gemini-2.5-pro', { generationConfig: { maxOutputTokens: 600 } }).generateContent(
      'Say hello.',
    );
    expect(result.response.text()).toBe(CONTENT);
    expect(harness.server.requests[0]!.path).toBe('/v1beta/models/gemini-2.5-pro:generateContent');
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-2.5-pro',
      'gen_ai.request.max_tokens': 600,
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.cache_read.input_tokens': 400,
      // 600 × 1.25 + 400 × 0.125 + 500 × 10 = 5800 µ$
      'genops.accounting.actual': 0.0058,
    });
    expectGenOpsCompliant(spans());
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({ used: 0.0058, reserved: 0 });
  });

  it('generateContentStream: settles from the aggregated response, once', async () => {
    init();
    harness.server.enqueue({ usage: { prompt: 100, candidates: 40, thoughts: 20 }, chunks: 4 });
    const result = await model('gemini-2.5-flash').generateContentStream('Say hello.');
    let text = '';
    for await (const chunk of result.stream) text += chunk.text();
    expect(text).toBe(CONTENT);
    expect((await result.response).usageMetadata?.candidatesTokenCount).toBe(40);
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.output_tokens': 60,
      // 100 × 0.3 + 60 × 2.5 = 180 µ$
      'genops.accounting.actual': 0.00018,
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expectGenOpsCompliant(spans());
  });

  it('ChatSession.sendMessage and sendMessageStream are governed (they bypass GenerativeModel)', async () => {
    init();
    const chat = model('gemini-2.5-flash').startChat();
    await chat.sendMessage('Hi');
    const streamed = await chat.sendMessageStream('Again');
    await streamed.response;
    expect(harness.server.requests).toHaveLength(2);
    expect(spans().map((span) => span.attributes['gen_ai.request.stream'])).toEqual([false, true]);
    expect(await chat.getHistory()).toHaveLength(4);
    expectGenOpsCompliant(spans());
  });

  it('a provider error bills nothing', async () => {
    init();
    harness.server.enqueue({ status: 429, error: { message: 'quota' } });
    const error = await model('gemini-2.5-flash')
      .generateContent('Hi')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GoogleGenerativeAIFetchError);
    expect(onlySpan().attributes).toMatchObject({ 'genops.accounting.actual': 0 });
  });

  it('a policy denial never reaches the server; a redact rule fails closed', async () => {
    init({ policies: { allowModels: ['gemini-2.5-flash*'] } });
    await expect(model('gemini-2.5-pro').generateContent('Hi')).rejects.toBeInstanceOf(PolicyViolationError);
    await expect(model('gemini-2.5-pro').startChat().sendMessage('Hi')).rejects.toBeInstanceOf(PolicyViolationError);
    await harness.shutdown();
    init({ policy: { version: 1, rules: [{ name: 'r', type: 'content', detect: ['email'], action: 'redact' }] } });
    await expect(model('gemini-2.5-flash').generateContent('I am jane@example.org')).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    expect(harness.server.requests).toHaveLength(0);
  });

  it('a stream the caller leaves early still settles from the full response the SDK reads', async () => {
    init();
    harness.server.enqueue({ usage: { prompt: 100, candidates: 40 }, chunks: 5, chunkDelayMs: 5 });
    const result = await model('gemini-2.5-flash').generateContentStream('Say hello.');
    for await (const _ of result.stream) break;
    await result.response;
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.usage.output_tokens': 40,
      'genops.accounting.actual': 0.00013,
    });
  });

  it('an output rule stops the stream before the secret reaches the caller, and settles once', async () => {
    init({
      policy: { version: 1, rules: [{ name: 'no-keys-out', type: 'content', detect: ['secret'], scope: 'output' }] },
    });
    const key = 'AKIAIOSFODNN7EXAMPLF';
    harness.server.enqueue({ content: `Sure. The access key is ${key} and that is all.`, chunks: 4 });
    const result = await model('gemini-2.5-flash').generateContentStream('The key?');
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of result.stream) seen.push(chunk.text());
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect(seen.join('')).not.toContain(key);
    await result.response;
    expect(onlySpan().attributes).toMatchObject({ 'genops.execution.reason_code': 'POLICY_DENY_CONTENT' });
  });

  it('patches the CommonJS build too', async () => {
    init();
    const required = createRequire(import.meta.url)('@google/generative-ai') as typeof import('@google/generative-ai');
    expect(required.GenerativeModel).not.toBe(GenerativeModel);
    await new required.GoogleGenerativeAI('test-key')
      .getGenerativeModel({ model: 'gemini-2.5-flash' }, { baseUrl: harness.server.url })
      .generateContent('Hi');
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(10);
  });
});
