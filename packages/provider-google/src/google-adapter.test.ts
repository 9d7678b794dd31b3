import { createRequire } from 'node:module';
import { BudgetExceededError, PolicyViolationError } from '@genops/core';
import type { Usage } from '@genops/core/adapter';
import { costNanos } from '@genops/core/internal';
import { expectGenOpsCompliant, startFakeGemini } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { ApiError, GoogleGenAI, Models } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { convertGoogleUsage, describeGoogleRequest, instrumentGoogleGenAI } from './index';

// The real @google/genai (3.x) against the fake Gemini API server on 127.0.0.1. Loading './index'
// registers the adapter, so GenOps.init() patches the SDK the way it does in an app.

const harness = createAdapterHarness({ server: startFakeGemini });
const { init, spans, onlySpan, eventNames } = harness;

function client(): GoogleGenAI {
  return new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: harness.server.url } });
}

function priceOf(model: string) {
  return harness.priceOf('gcp.gemini', model);
}

function nanos(model: string, usage: Usage): number {
  return costNanos(priceOf(model), usage);
}

const CONTENT = 'Hello from the fake Gemini server.';

describe('convertGoogleUsage', () => {
  it('keeps cached inside prompt, adds thoughts and tool-use prompt, and keeps raw', () => {
    const raw = {
      promptTokenCount: 1000,
      cachedContentTokenCount: 400,
      candidatesTokenCount: 200,
      thoughtsTokenCount: 300,
      toolUsePromptTokenCount: 50,
      totalTokenCount: 1550,
    };
    expect(convertGoogleUsage(raw)).toEqual({
      inputTokens: 1050,
      outputTokens: 500,
      cacheReadInputTokens: 400,
      reasoningOutputTokens: 300,
      raw,
    });
    expect(convertGoogleUsage({ promptTokenCount: 5 })).toEqual({
      inputTokens: 5,
      outputTokens: 0,
      raw: { promptTokenCount: 5 },
    });
    expect(convertGoogleUsage({ candidatesTokenCount: 3 })).toBeUndefined();
    expect(convertGoogleUsage(undefined)).toBeUndefined();
  });

  it('describes a Vertex AI client as gcp.vertex_ai with its region, and strips `models/`', () => {
    const request = describeGoogleRequest(
      { model: 'publishers/google/models/gemini-2.5-pro', contents: 'Hi', config: { maxOutputTokens: 64 } },
      'generate',
      { vertexai: true, baseUrl: 'https://us-central1-aiplatform.googleapis.com/', location: 'us-central1' },
    );
    expect(request).toMatchObject({
      provider: 'gcp.vertex_ai',
      operation: 'generate_content',
      model: 'gemini-2.5-pro',
      maxOutputTokens: 64,
      region: 'us-central1',
      serverAddress: 'us-central1-aiplatform.googleapis.com',
      serverPort: 443,
    });
    expect(describeGoogleRequest({ model: 'models/gemini-2.5-flash', contents: [] }, 'generate').model).toBe(
      'gemini-2.5-flash',
    );
  });
});

describe('models.generateContent', () => {
  it('governs a plain call: span, usage with cached and thoughts tokens, exact cost, conformance', async () => {
    init({ budgets: [{ name: 'team', limit: 5, window: 'day', per: 'team' }] });
    harness.server.enqueue({
      usage: { prompt: 1000, cached: 400, candidates: 200, thoughts: 300 },
      modelVersion: 'gemini-2.5-pro-001',
    });
    const response = await client().models.generateContent({
      model: 'gemini-2.5-pro',
      contents: 'Say hello.',
      config: { systemInstruction: 'Be brief.', maxOutputTokens: 600, temperature: 0.2, stopSequences: ['END'] },
    });
    expect(response.text).toBe(CONTENT);
    // SDK 3 calls the GA `v1` API by default.
    expect(harness.server.requests[0]).toMatchObject({
      path: '/v1/models/gemini-2.5-pro:generateContent',
      headers: { 'x-goog-api-key': 'test-key' },
    });

    // gemini-2.5-pro per 1M (≤ 200k prompt): $1.25 in, $0.125 cached, $10 out (thoughts billed as output).
    // 600 × 1.25 + 400 × 0.125 + (200 + 300) × 10 = 750 + 50 + 5000 = 5800 µ$
    const expected = nanos('gemini-2.5-pro', {
      inputTokens: 1000,
      outputTokens: 500,
      cacheReadInputTokens: 400,
      reasoningOutputTokens: 300,
    });
    expect(expected).toBe(5_800_000);

    const span = onlySpan();
    expect(span.name).toBe('generate_content gemini-2.5-pro');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-2.5-pro',
      'gen_ai.request.max_tokens': 600,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.response.model': 'gemini-2.5-pro-001',
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.cache_read.input_tokens': 400,
      'server.address': '127.0.0.1',
      'server.port': harness.server.port,
      'genops.accounting.actual': 0.0058,
      'genops.policy.result': 'ALLOWED',
      'genops.team': 'platform',
    });
    expect(span.attributes['gen_ai.response.id']).toBe(response.responseId);
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expectGenOpsCompliant(spans());
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({
      per: { team: 'platform' },
      used: 0.0058,
      reserved: 0,
    });
  });

  it('prices a prompt over 200k tokens at the long-context tier', async () => {
    init();
    harness.server.enqueue({ usage: { prompt: 250_000, cached: 50_000, candidates: 1000, thoughts: 1000 } });
    await client().models.generateContent({ model: 'gemini-2.5-pro', contents: 'A long document.' });
    // > 200k prompt: the whole request at $2.50 in, $0.25 cached, $15 out.
    // 200000 × 2.5 + 50000 × 0.25 + 2000 × 15 = 500000 + 12500 + 30000 = 542500 µ$
    const expected = nanos('gemini-2.5-pro', {
      inputTokens: 250_000,
      outputTokens: 2000,
      cacheReadInputTokens: 50_000,
      reasoningOutputTokens: 1000,
    });
    expect(expected).toBe(542_500_000);
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 250_000,
      'genops.accounting.actual': 0.5425,
    });
    expectGenOpsCompliant(spans());
  });

  it('records a provider error with error.type, bills nothing, and releases the reservation', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ status: 429, error: { message: 'Resource has been exhausted' } });
    const error = await client()
      .models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'error.type': 'ApiError',
      'genops.execution.reason_code': 'PROVIDER_ERROR_UPSTREAM',
      'genops.accounting.actual': 0,
    });
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({ used: 0, reserved: 0 });
    expectGenOpsCompliant(spans());
  });

  it('chats.create().sendMessage() is governed once per turn', async () => {
    init();
    const chat = client().chats.create({ model: 'gemini-2.5-flash' });
    await chat.sendMessage({ message: 'Hi' });
    await chat.sendMessage({ message: 'Again' });
    expect(harness.server.requests).toHaveLength(2);
    expect(spans().map((span) => span.attributes['gen_ai.usage.output_tokens'])).toEqual([10, 10]);
    // The second turn sends the history: user, model, user.
    expect(harness.server.requests[1]!.body.contents).toHaveLength(3);
    expectGenOpsCompliant(spans());
  });

  it('automatic function calling: each round trip to the model is its own governed call', async () => {
    init();
    harness.server.enqueue(
      {
        content: '',
        functionCalls: [{ name: 'get_weather', args: { city: 'Paris' } }],
        usage: { prompt: 50, candidates: 5 },
      },
      { content: 'Sunny in Paris.', usage: { prompt: 80, candidates: 6 } },
    );
    const weatherTool = {
      tool: async () => ({
        functionDeclarations: [
          { name: 'get_weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } } },
        ],
      }),
      callTool: async (calls: Array<{ name?: string }>) =>
        calls.map((call) => ({ functionResponse: { name: call.name, response: { forecast: 'sunny' } } })),
    };
    const response = await client().models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather in Paris?',
      config: { tools: [weatherTool] },
    });
    expect(response.text).toBe('Sunny in Paris.');
    expect(harness.server.requests).toHaveLength(2);
    const all = spans();
    expect(all.map((span) => span.attributes['gen_ai.usage.input_tokens'])).toEqual([50, 80]);
    // The second round trip carries the model's call and the tool's answer.
    expect(harness.server.requests[1]!.body.contents).toHaveLength(3);
    expectGenOpsCompliant(all);
  });
});

describe('models.generateContentStream', () => {
  it('passes chunks through; usage and finish reason from the last chunk; exact cost', async () => {
    init();
    harness.server.enqueue({ usage: { prompt: 100, candidates: 40, thoughts: 20 }, chunks: 4 });
    const stream = await client().models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }],
      config: { maxOutputTokens: 100 },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    expect(text).toBe(CONTENT);
    expect(harness.server.requests[0]).toMatchObject({
      path: '/v1/models/gemini-2.5-flash:streamGenerateContent',
      query: { alt: 'sse' },
    });
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 100,
      // candidates 40 + thoughts 20 (the running counts on earlier chunks are replaced, not added).
      'gen_ai.usage.output_tokens': 60,
      'gen_ai.response.finish_reasons': ['STOP'],
      // gemini-2.5-flash: 100 × 0.3 + 60 × 2.5 = 180 µ$
      'genops.accounting.actual': 0.00018,
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expectGenOpsCompliant(spans());
  });

  it('an aborted stream settles from the reservation, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ chunks: 8, chunkDelayMs: 30 });
    const controller = new AbortController();
    const stream = await client().models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Say hello.',
      config: { maxOutputTokens: 50, abortSignal: controller.signal },
    });
    let received = 0;
    const error = await (async () => {
      for await (const _ of stream) {
        received++;
        controller.abort();
      }
    })().catch((caught: unknown) => caught);
    expect(received).toBe(1);
    expect(error).toBeInstanceOf(Error);
    const span = onlySpan();
    const reserved = span.attributes['genops.accounting.reserved'] as number;
    expect(reserved).toBeGreaterThan(0);
    expect(span.attributes).toMatchObject({
      'genops.accounting.incomplete': true,
      'genops.accounting.actual': reserved,
    });
    expect(eventNames(span)).toContain('genops.budget.reconciliation');
    const status = await harness.genops!.status();
    expect(status.openReservations).toBe(0);
    expect(status.budgets[0]).toMatchObject({ used: reserved, reserved: 0 });
    expectGenOpsCompliant(spans());
  });

  it('an early break settles from the reservation, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ chunks: 6, chunkDelayMs: 5 });
    const stream = await client().models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Say hello.',
      config: { maxOutputTokens: 50 },
    });
    for await (const _ of stream) break;
    const span = onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    expect((await harness.genops!.status()).openReservations).toBe(0);
  });

  it('chats sendMessageStream() is governed', async () => {
    init();
    harness.server.enqueue({ usage: { prompt: 30, candidates: 12 } });
    const chat = client().chats.create({ model: 'gemini-2.5-flash' });
    let text = '';
    for await (const chunk of await chat.sendMessageStream({ message: 'Hi' })) text += chunk.text ?? '';
    expect(text).toBe(CONTENT);
    expect(onlySpan().attributes).toMatchObject({ 'gen_ai.usage.output_tokens': 12, 'gen_ai.request.stream': true });
    // The SDK records the turn in the history (one model entry per streamed chunk).
    expect(chat.getHistory()[0]).toMatchObject({ role: 'user' });
    expect(chat.getHistory().at(-1)).toMatchObject({ role: 'model' });
  });
});

describe('models.embedContent', () => {
  it('governs embeddings: operation embeddings, input tokens priced, no output', async () => {
    init();
    harness.server.enqueue({ usage: { prompt: 1000, candidates: 0 } });
    const response = await client().models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['first text', 'second text'],
      config: { outputDimensionality: 4 },
    });
    expect(response.embeddings).toHaveLength(2);
    expect(harness.server.requests[0]!.path).toBe('/v1/models/gemini-embedding-001:batchEmbedContents');
    const span = onlySpan();
    expect(span.name).toBe('embeddings gemini-embedding-001');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.usage.input_tokens': 1000,
      // gemini-embedding-001: 1000 × 0.15 = 150 µ$
      'genops.accounting.actual': 0.00015,
    });
    expectGenOpsCompliant(spans());
  });
});

describe('denials stop the request before it reaches the provider', () => {
  it('budget: BudgetExceededError, nothing sent, span BLOCKED', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.001, window: 'day' }] });
    const error = await client()
      .models.generateContent({ model: 'gemini-2.5-pro', contents: 'Hi', config: { maxOutputTokens: 10_000 } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
    expect(onlySpan().attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'BUDGET_EXCEEDED',
    });
    expectGenOpsCompliant(spans());
  });

  it('policy: PolicyViolationError for a denied model, nothing sent (unary, stream, chat)', async () => {
    init({ policies: { allowModels: ['gemini-2.5-flash*'] } });
    const ai = client();
    await expect(ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'Hi' })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    await expect(ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'Hi' })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    await expect(ai.chats.create({ model: 'gemini-2.5-pro' }).sendMessage({ message: 'Hi' })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    expect(harness.server.requests).toHaveLength(0);
    expectGenOpsCompliant(spans());
  });

  it('content redaction rewrites contents and systemInstruction before they leave the process', async () => {
    init({ policy: { version: 1, rules: [{ name: 'r', type: 'content', detect: ['email'], action: 'redact' }] } });
    const contents = [{ role: 'user', parts: [{ text: 'I am jane@example.org' }] }];
    await client().models.generateContent({
      model: 'gemini-2.5-flash',
      contents,
      config: { systemInstruction: 'Escalate to ops@example.com.' },
    });
    const body = harness.server.requests[0]!.body;
    expect(harness.server.requests[0]!.rawBody).not.toContain('example.');
    expect(body.systemInstruction.parts[0].text).toBe('Escalate to [REDACTED:email].');
    expect(body.contents[0].parts[0].text).toBe('I am [REDACTED:email]');
    expect(contents[0]!.parts[0]!.text).toContain('jane@example.org');
  });
});

describe('output content rules', () => {
  it('stop a stream whose output carries a secret, before that chunk reaches the caller', async () => {
    init({
      policy: { version: 1, rules: [{ name: 'no-keys-out', type: 'content', detect: ['secret'], scope: 'output' }] },
    });
    const key = 'AKIAIOSFODNN7EXAMPLF';
    harness.server.enqueue({ content: `Sure. The access key is ${key} and that is all.`, chunks: 4 });
    const stream = await client().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'The key?' });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.text ?? '');
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect(seen.join('')).not.toContain(key);
    expect(onlySpan().attributes).toMatchObject({
      'genops.execution.reason_code': 'POLICY_DENY_CONTENT',
      'error.type': 'PolicyViolationError',
    });
  });
});

describe('hooking', () => {
  it('with autoInstrument: false, only clients passed to instrumentGoogleGenAI() are governed', async () => {
    init({ autoInstrument: false });
    await client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(spans()).toHaveLength(0);
    await instrumentGoogleGenAI(client()).models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(10);
  });

  it('instrumentGoogleGenAI(client) is idempotent and governs once', async () => {
    init();
    const governed = instrumentGoogleGenAI(client());
    expect(instrumentGoogleGenAI(governed)).toBe(governed);
    await governed.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(spans()).toHaveLength(1);
  });

  it('patches the CommonJS build too (require and import are separate module graphs)', async () => {
    init();
    const require = createRequire(import.meta.url);
    const required = require('@google/genai') as typeof import('@google/genai');
    expect(required.Models).not.toBe(Models);
    const ai = new required.GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: harness.server.url } });
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(10);
  });

  it('rejects objects that are not GoogleGenAI clients', () => {
    expect(() => instrumentGoogleGenAI({})).toThrow(TypeError);
  });

  it('passes calls through unchanged when GenOps is not running', async () => {
    await client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(harness.server.requests).toHaveLength(1);
    expect(spans()).toHaveLength(0);
  });
});

describe('Vertex AI mode', () => {
  it('reports gcp.vertex_ai and is priced from prices the app supplies', async () => {
    // The bundled price data prices `gcp.gemini` only: Vertex AI needs prices passed to GenOps.init().
    init({ prices: { 'gcp.vertex_ai': { 'gemini-2.5-flash': priceOf('gemini-2.5-flash') } } });
    // Vertex AI express mode (API key): no Google Cloud credentials needed.
    const ai = new GoogleGenAI({ vertexai: true, apiKey: 'test-key', httpOptions: { baseUrl: harness.server.url } });
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    expect(harness.server.requests[0]!.path).toMatch(
      /\/publishers\/google\/models\/gemini-2\.5-flash:generateContent$/,
    );
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.provider.name': 'gcp.vertex_ai',
      'gen_ai.usage.input_tokens': 20,
      // 20 × 0.3 + 10 × 2.5 = 31 µ$
      'genops.accounting.actual': 0.000031,
    });
    expectGenOpsCompliant(spans());
  });

  it('without prices of its own, is priced at the Gemini API list price', async () => {
    init();
    const ai = new GoogleGenAI({ vertexai: true, apiKey: 'test-key', httpOptions: { baseUrl: harness.server.url } });
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    const price = priceOf('gemini-2.5-flash');
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.provider.name': 'gcp.vertex_ai',
      'genops.cost.price_model': 'gemini-2.5-flash',
      'genops.accounting.actual': costNanos(price, { inputTokens: 20, outputTokens: 10 }) / 1_000_000_000,
    });
    expect(onlySpan().attributes['genops.cost.estimated']).toBeUndefined();
  });

  it('a model neither Vertex AI prices nor the Gemini table has is denied before sending, saying how to add it', async () => {
    init();
    const ai = new GoogleGenAI({ vertexai: true, apiKey: 'test-key', httpOptions: { baseUrl: harness.server.url } });
    const error = await ai.models.generateContent({ model: 'tuned-model-7', contents: 'Hi' }).catch((e) => e);
    expect((error as Error).message).toContain("prices: { 'gcp.vertex_ai'");
    expect(harness.server.requests).toHaveLength(0);
  });
});
