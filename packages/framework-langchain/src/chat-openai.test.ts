import '@genops/provider-openai';
import { BudgetExceededError, nanosToUsd, PolicyViolationError } from '@genops/core';
import { costNanos } from '@genops/core/internal';
import { expectGenOpsCompliant, startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { ChatOpenAI } from '@langchain/openai';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenOpsCallbackHandler } from './index';

// The real ChatOpenAI (@langchain/openai 1.6) and the real openai SDK underneath, against the fake OpenAI
// server on 127.0.0.1. `@genops/provider-openai` is loaded, so GenOps.init() also patches the openai SDK
// the way it does in an app: the SDK call under each LangChain run must not be governed a second time.

const harness = createAdapterHarness({
  server: startFakeOpenAI,
  defaults: { team: 'platform', project: 'langchain-tests', environment: 'test' },
});
const { init, telemetry } = harness;

function chatOpenAI(options: Partial<ConstructorParameters<typeof ChatOpenAI>[0]> = {}): ChatOpenAI {
  return new ChatOpenAI({
    model: 'gpt-4o',
    apiKey: 'x',
    maxRetries: 0,
    configuration: { baseURL: harness.server.url },
    ...options,
  });
}

function handler(): GenOpsCallbackHandler {
  return new GenOpsCallbackHandler({ tracerProvider: telemetry.tracerProvider });
}

function governed(): ReadableSpan[] {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

const gpt4o = harness.priceOf('openai', 'gpt-4o');

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

describe('GenOpsCallbackHandler with ChatOpenAI and @genops/provider-openai enabled', () => {
  it('governs a prompt | ChatOpenAI chain as exactly one chat span, charged once, priced exactly', async () => {
    const handle = init({ policy: { version: 1, rules: [], budgets: [{ name: 'daily', limit: 5, window: 'day' }] } });
    expect((await handle.status()).adapters).toContain('@genops/provider-openai');
    harness.server.enqueue({
      content: 'Otters hold hands while sleeping.',
      usage: { input: 1_200, output: 300, cachedInput: 1_024 },
    });
    const chain = ChatPromptTemplate.fromMessages([['human', 'Tell me one fact about {topic}.']]).pipe(
      chatOpenAI({ maxTokens: 400 }),
    );
    const message = await chain.invoke({ topic: 'otters' }, { callbacks: [handler()] });
    expect(message.content).toBe('Otters hold hands while sleeping.');
    expect(harness.server.requests).toHaveLength(1);
    expect(harness.server.requests[0]?.body).toMatchObject({ model: 'gpt-4o', max_tokens: 400 });

    // gpt-4o per 1M: $2.50 in, $1.25 cache read, $10 out. 176 × 2.5 + 1024 × 1.25 + 300 × 10 = 440 + 1280 + 3000.
    const expectedNanos = costNanos(gpt4o, { inputTokens: 1_200, outputTokens: 300, cacheReadInputTokens: 1_024 });
    expect(expectedNanos).toBe(4_720_000);
    const spans = governed();
    expect(spans.map((span) => span.name)).toEqual(['chat gpt-4o']);
    expect(spans[0]!.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.max_tokens': 400,
      'gen_ai.response.model': 'gpt-4o',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1_200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 1_024,
      'server.address': '127.0.0.1',
      'server.port': harness.server.port,
      'genops.accounting.actual': nanosToUsd(expectedNanos),
    });
    expect(spans[0]!.attributes['gen_ai.response.id']).toMatch(/^chatcmpl-/);
    const chainSpan = harness.spans().find((span) => span.name === 'invoke_workflow RunnableSequence');
    expect(spans[0]!.parentSpanContext?.spanId).toBe(chainSpan?.spanContext().spanId);
    expectGenOpsCompliant(spans);
    const [daily] = (await handle.status()).budgets;
    expect(daily).toMatchObject({ used: nanosToUsd(expectedNanos), reserved: 0 });
    expect(handle.governor.store).toBeDefined();
  });

  it('governs a streamed ChatOpenAI run once, with usage from the final chunk and time to first chunk', async () => {
    init();
    harness.server.enqueue({ content: 'One two three four five.', chunks: 4, usage: { input: 40, output: 12 } });
    const chunks: string[] = [];
    for await (const chunk of await chatOpenAI().stream('Count to five.', { callbacks: [handler()] }))
      chunks.push(chunk.content as string);
    expect(chunks.join('')).toBe('One two three four five.');
    expect(harness.server.requests).toHaveLength(1);
    expect(harness.server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const spans = governed();
    expect(spans).toHaveLength(1);
    const expectedNanos = costNanos(gpt4o, { inputTokens: 40, outputTokens: 12 });
    expect(spans[0]!.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 12,
      'genops.accounting.actual': nanosToUsd(expectedNanos),
    });
    expect(spans[0]!.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expectGenOpsCompliant(spans);
  });

  it('stops a stream whose output an output content rule denies, with the PolicyViolationError', async () => {
    init({
      policy: {
        version: 1,
        rules: [{ name: 'no-emails-out', type: 'content', detect: ['email'], scope: 'output', action: 'deny' }],
      },
    });
    harness.server.enqueue({
      content: 'Sure: write to jane.doe@example.com and then carry on with a very long answer.',
      chunks: 8,
      chunkDelayMs: 5,
      usage: { input: 30, output: 20 },
    });
    const received: string[] = [];
    const consume = async () => {
      for await (const chunk of await chatOpenAI().stream('Who do I write to?', { callbacks: [handler()] }))
        received.push(chunk.content as string);
    };
    await expect(consume()).rejects.toBeInstanceOf(PolicyViolationError);
    // Throwing from handleLLMNewToken (raiseError) ends ChatOpenAI's stream loop: the rest is not delivered.
    expect(received.join('')).not.toContain('very long answer');
    const spans = governed();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes).toMatchObject({
      'error.type': 'PolicyViolationError',
      'genops.execution.reason_code': 'POLICY_DENY_CONTENT',
      'gen_ai.request.stream': true,
    });
    expectGenOpsCompliant(spans);
  });

  it('denies a ChatOpenAI run over budget: no request reaches the server', async () => {
    init({ policy: { version: 1, rules: [], budgets: [{ name: 'tiny', limit: 0.0001, window: 'day' }] } });
    await expect(chatOpenAI({ maxTokens: 1000 }).invoke('Hello', { callbacks: [handler()] })).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    expect(harness.server.requests).toHaveLength(0);
    const spans = governed();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes['genops.policy.result']).toBe('BLOCKED');
    expectGenOpsCompliant(spans);
  });

  it('settles a provider error as a failed unit, governed once', async () => {
    init();
    harness.server.enqueue({ status: 500, error: { message: 'the fake server is down' } });
    await expect(chatOpenAI().invoke('Hello', { callbacks: [handler()] })).rejects.toThrow(/the fake server is down/);
    const spans = governed();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes['error.type']).toBeDefined();
    expect(spans[0]!.attributes['genops.accounting.actual']).toBe(0);
    expectGenOpsCompliant(spans);
  });

  it('without the handler, the openai adapter alone still governs the SDK call (one span)', async () => {
    init();
    harness.server.enqueue({ usage: { input: 10, output: 5 } });
    await chatOpenAI().invoke('Hello');
    const spans = governed();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes['gen_ai.usage.input_tokens']).toBe(10);
  });
});
