import { BudgetExceededError, ConfigError, PolicyViolationError } from '@genops/core';
import type { Usage } from '@genops/core/adapter';
import { costNanos, PRICE_FILES } from '@genops/core/internal';
import { expectGenOpsCompliant, startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { Settings } from '@llamaindex/core/global';
import type { ChatMessage, ChatResponseChunk, CompletionResponse, LLM } from '@llamaindex/core/llms';
import { MockLLM } from '@llamaindex/core/llms/mock';
import { OpenAI } from '@llamaindex/openai';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { governLLM, governSettingsLLM, isGovernedLLM } from './index';

// The real llamaindex 0.12 / @llamaindex/core 0.6.22 and @llamaindex/openai 0.4.22 (which brings its
// own openai v5 SDK) against the fake OpenAI server on 127.0.0.1, and LlamaIndex's own MockLLM.

const harness = createAdapterHarness({
  server: startFakeOpenAI,
  defaults: { team: 'platform', project: 'llamaindex-tests', environment: 'test' },
});
const { init, spans, onlySpan } = harness;
const contextManager = new AsyncLocalStorageContextManager();
function openai(options: ConstructorParameters<typeof OpenAI>[0] = {}): OpenAI {
  return new OpenAI({ baseURL: harness.server.url, apiKey: 'test-key', model: 'gpt-4o', maxRetries: 0, ...options });
}

const gpt4o = PRICE_FILES.find((file) => file.provider === 'openai')!.models['gpt-4o']!;
const gpt4oMini = PRICE_FILES.find((file) => file.provider === 'openai')!.models['gpt-4o-mini']!;
const CONTENT = 'Hello from the fake OpenAI server.';
const messages: ChatMessage[] = [{ role: 'user', content: 'Say hello.' }];

/** 1000 prompt tokens of which 400 cached; 300 completion tokens of which 120 reasoning. */
const FAKE_USAGE = { input: 1000, output: 300, cachedInput: 400, reasoning: 120 };
const NORMALIZED: Usage = {
  inputTokens: 1000,
  outputTokens: 300,
  cacheReadInputTokens: 400,
  reasoningOutputTokens: 120,
};

async function used(budget: string): Promise<number> {
  return (await harness.budget(budget))?.used ?? Number.NaN;
}

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

describe('governLLM: chat()', () => {
  it('governs a chat: one span, usage with cached and reasoning tokens, cost to the micro-dollar, conformance', async () => {
    init({ budgets: [{ name: 'daily', limit: 5, window: 'day' }] });
    harness.server.enqueue({ usage: FAKE_USAGE, model: 'gpt-4o-2024-08-06' });
    const llm = governLLM(openai({ maxTokens: 500, temperature: 0.2 }));
    const response = await llm.chat({ messages });
    expect(response.message.content).toBe(CONTENT);
    expect(harness.server.requests).toHaveLength(1);
    expect(harness.server.requests[0]!.path).toBe('/v1/chat/completions');

    // gpt-4o per 1M: $2.50 input, $1.25 cached input, $10 output (reasoning priced as output).
    // 600 × 2.5 + 400 × 1.25 + 300 × 10 = 1500 + 500 + 3000 = 5000 µ$
    const expectedNanos = costNanos(gpt4o, NORMALIZED);
    expect(expectedNanos).toBe(5_000_000);
    const span = onlySpan();
    expect(span.name).toBe('chat gpt-4o');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.request.max_tokens': 500,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 400,
      'gen_ai.usage.reasoning.output_tokens': 120,
      'server.address': '127.0.0.1',
      'server.port': harness.server.port,
      'genops.accounting.actual': expectedNanos / 1_000_000_000,
      'genops.policy.result': 'ALLOWED',
    });
    expect(span.attributes['gen_ai.response.id']).toMatch(/^chatcmpl-/);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    // Content is never recorded unless capture is opted in.
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expectGenOpsCompliant(spans());
    expect(await used('daily')).toBeCloseTo(expectedNanos / 1_000_000_000, 9);
  });

  it('streams: asks OpenAI for usage, hides the usage-only chunk, and prices the stream exactly', async () => {
    init();
    harness.server.enqueue({ usage: FAKE_USAGE, chunks: 4 });
    const llm = governLLM(openai());
    const stream = await llm.chat({ messages, stream: true });
    const chunks: ChatResponseChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.delta).join('')).toBe(CONTENT);
    // The caller did not ask for usage, so the extra chunk GenOps asked for is not delivered.
    expect(chunks.some((chunk) => (chunk.raw as { choices?: unknown[] }).choices?.length === 0)).toBe(false);
    expect(harness.server.requests[0]!.body.stream_options).toEqual({ include_usage: true });

    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 400,
      'gen_ai.usage.reasoning.output_tokens': 120,
      'genops.accounting.actual': costNanos(gpt4o, NORMALIZED) / 1_000_000_000,
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expectGenOpsCompliant(spans());
  });

  it('streams: a caller that asked for usage itself gets the usage chunk; include_usage false settles incomplete', async () => {
    init();
    harness.server.enqueue({ usage: FAKE_USAGE }, { usage: FAKE_USAGE });
    const llm = governLLM(openai());
    const asked = await llm.chat({
      messages,
      stream: true,
      additionalChatOptions: { stream_options: { include_usage: true } },
    });
    const seen: ChatResponseChunk[] = [];
    for await (const chunk of asked) seen.push(chunk);
    expect(seen.some((chunk) => (chunk.raw as { usage?: unknown }).usage)).toBe(true);

    const notAsked = await llm.chat({
      messages,
      stream: true,
      additionalChatOptions: { stream_options: { include_usage: false } },
    });
    for await (const _chunk of notAsked) {
      // drain
    }
    expect(harness.server.requests[1]!.body.stream_options).toEqual({ include_usage: false });
    const [first, second] = spans();
    expect(first!.attributes['genops.accounting.actual']).toBe(costNanos(gpt4o, NORMALIZED) / 1_000_000_000);
    // No usage: settled from the reservation, flagged incomplete (never dropped).
    expect(second!.attributes['genops.accounting.incomplete']).toBe(true);
    expect(second!.attributes['genops.accounting.actual']).toBe(second!.attributes['genops.accounting.reserved']);
    expectGenOpsCompliant(spans());
  });

  it('includeStreamUsage: false leaves the request alone', async () => {
    init();
    const llm = governLLM(openai(), { includeStreamUsage: false });
    for await (const _chunk of await llm.chat({ messages, stream: true })) {
      // drain
    }
    expect(harness.server.requests[0]!.body.stream_options).toBeUndefined();
    expect(onlySpan().attributes['genops.accounting.incomplete']).toBe(true);
  });

  it('an early break settles the stream once, flagged incomplete', async () => {
    init({ budgets: [{ name: 'daily', limit: 5, window: 'day' }] });
    harness.server.enqueue({ usage: FAKE_USAGE, chunks: 5 });
    const llm = governLLM(openai());
    for await (const _chunk of await llm.chat({ messages, stream: true })) break;
    const span = onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect((await harness.genops!.status()).openReservations).toBe(0);
  });

  it('a malformed 200 response settles from the reservation, flagged incomplete; the caller sees the error', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ malformed: true });
    await expect(governLLM(openai({ maxTokens: 50 })).chat({ messages })).rejects.toThrow(SyntaxError);
    const span = onlySpan();
    expect(span.attributes).toMatchObject({ 'genops.accounting.incomplete': true, 'error.type': 'SyntaxError' });
    expect(span.attributes['genops.accounting.actual']).toBeGreaterThan(0);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    expect(await harness.budget('all')).toMatchObject({
      used: span.attributes['genops.accounting.actual'],
      reserved: 0,
    });
  });

  it('exec() (agents, structured output) goes through the governed chat', async () => {
    init();
    harness.server.enqueue({ usage: FAKE_USAGE });
    const llm = governLLM(openai());
    const result = await llm.exec({ messages });
    expect(result.newMessages[0]?.content).toBe(CONTENT);
    expect(onlySpan().attributes['genops.accounting.actual']).toBe(costNanos(gpt4o, NORMALIZED) / 1_000_000_000);
  });
});

describe('governLLM: complete()', () => {
  it('a plain complete is one unit (LlamaIndex runs it through chat) priced from the raw response', async () => {
    init();
    harness.server.enqueue({ usage: FAKE_USAGE });
    const llm = governLLM(openai());
    const response = await llm.complete({ prompt: 'Say hello.' });
    expect(response.text).toBe(CONTENT);
    const span = onlySpan();
    expect(span.name).toBe('chat gpt-4o');
    expect(span.attributes['genops.accounting.actual']).toBe(costNanos(gpt4o, NORMALIZED) / 1_000_000_000);
    expectGenOpsCompliant(spans());
  });

  it('a streamed complete is one unit whose usage comes from the chat stream it runs', async () => {
    init();
    harness.server.enqueue({ usage: FAKE_USAGE });
    const llm = governLLM(openai());
    const stream = await llm.complete({ prompt: 'Say hello.', stream: true });
    const texts: string[] = [];
    for await (const chunk of stream as AsyncIterable<CompletionResponse>) texts.push(chunk.text);
    expect(texts.join('')).toBe(CONTENT);
    expect(harness.server.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 1000,
      'genops.accounting.actual': costNanos(gpt4o, NORMALIZED) / 1_000_000_000,
    });
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
  });
});

describe('governLLM: decisions before the LLM runs', () => {
  it('a budget with no room throws BudgetExceededError and the request never reaches the server', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    const llm = governLLM(openai({ maxTokens: 1000 }));
    const error = await llm.chat({ messages }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as BudgetExceededError).message).toContain('tiny');
    expect(harness.server.requests).toHaveLength(0);
    const span = onlySpan();
    expect(span.attributes['genops.policy.result']).toBe('BLOCKED');
    expect(span.attributes['genops.policy.reason_code']).toBe('BUDGET_EXCEEDED');
    expect(span.events.map((event) => event.name)).not.toContain('genops.budget.reconciliation');
    expectGenOpsCompliant(spans());
  });

  it('a model rule denies with PolicyViolationError before the LLM runs (streams too)', async () => {
    init({ policy: { version: 1, rules: [{ type: 'model', name: 'no-gpt-4o', deny: ['gpt-4o'] }] } });
    const llm = governLLM(openai());
    await expect(llm.chat({ messages })).rejects.toBeInstanceOf(PolicyViolationError);
    await expect(llm.chat({ messages, stream: true })).rejects.toMatchObject({
      reasonCode: 'POLICY_DENY_MODEL',
    });
    await expect(llm.complete({ prompt: 'hi' })).rejects.toBeInstanceOf(PolicyViolationError);
    expect(harness.server.requests).toHaveLength(0);
    expect(spans().map((span) => span.attributes['genops.policy.result'])).toEqual(['BLOCKED', 'BLOCKED', 'BLOCKED']);
  });

  it('a redact rule rewrites the message text the server receives; the caller’s messages are unchanged', async () => {
    init({ policy: { version: 1, rules: [{ type: 'content', name: 'pii', detect: ['email'], action: 'redact' }] } });
    const llm = governLLM(openai());
    const mine: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Write to jane.doe@example.com today.' }] },
    ];
    await llm.chat({ messages: mine });
    const sent = harness.server.requests[0]!.body.messages;
    expect(JSON.stringify(sent)).toContain('[REDACTED:email]');
    expect(JSON.stringify(sent)).not.toContain('jane.doe@example.com');
    expect(mine[1]!.content).toEqual([{ type: 'text', text: 'Write to jane.doe@example.com today.' }]);
    await llm.complete({ prompt: 'Mail jane.doe@example.com' });
    expect(JSON.stringify(harness.server.requests[1]!.body.messages)).toContain('Mail [REDACTED:email]');
    expect(spans()[0]!.attributes['genops.content.redacted_count']).toBe(1);
  });

  it('an output rule stops a stream whose text carries a finding, with PolicyViolationError', async () => {
    init({
      policy: {
        version: 1,
        rules: [{ type: 'content', name: 'no-email-out', detect: ['email'], scope: 'output', action: 'deny' }],
      },
    });
    harness.server.enqueue({ content: 'Write to jane.doe@example.com about the order, thanks.', chunks: 6 });
    const llm = governLLM(openai());
    let received = '';
    const error = await (async () => {
      for await (const chunk of await llm.chat({ messages, stream: true })) received += chunk.delta;
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect((error as PolicyViolationError).reasonCode).toBe('POLICY_DENY_CONTENT');
    expect(received).not.toContain('jane.doe@example.com');
    const outputDecision = onlySpan().events.find(
      (event) =>
        event.name === 'genops.policy.output_evaluated' && event.attributes?.['genops.policy.phase'] === 'output',
    );
    expect(outputDecision?.attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.name': 'no-email-out',
    });
    expectGenOpsCompliant(spans());
  });

  it('a downgrade budget sends the chat to the cheaper model', async () => {
    init({
      budgets: [
        {
          name: 'premium',
          limit: 0.000001,
          window: 'day',
          match: { model: 'gpt-4o' },
          action: 'downgrade',
          downgradeTo: 'gpt-4o-mini',
        },
      ],
    });
    harness.server.enqueue({ usage: { input: 100, output: 50 } });
    const llm = governLLM(openai({ maxTokens: 100 }));
    await llm.chat({ messages });
    expect(harness.server.requests[0]!.body.model).toBe('gpt-4o-mini');
    const span = onlySpan();
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.attributes['genops.downgrade.original_model']).toBe('gpt-4o');
    expect(span.attributes['genops.accounting.actual']).toBe(
      costNanos(gpt4oMini, { inputTokens: 100, outputTokens: 50 }) / 1_000_000_000,
    );
  });
});

describe('governLLM with LlamaIndex MockLLM (no usage)', () => {
  it('settles from the reservation, flagged incomplete, under the llamaindex.mock provider', async () => {
    init({ unknownModel: { input: 1, output: 2 } });
    const llm = governLLM(new MockLLM({ timeBetweenToken: 0, responseMessage: 'mocked' }));
    const response = await llm.chat({ messages });
    expect(response.message.content).toBe('mocked');
    let streamed = '';
    for await (const chunk of await llm.complete({ prompt: 'hi', stream: true })) streamed += chunk.text;
    expect(streamed).toBe('mocked');
    const [chat, complete] = spans();
    for (const span of [chat!, complete!]) {
      expect(span.attributes['gen_ai.provider.name']).toBe('llamaindex.mock');
      expect(span.attributes['gen_ai.request.model']).toBe('MockLLM');
      expect(span.attributes['genops.accounting.incomplete']).toBe(true);
      expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    }
    expectGenOpsCompliant(spans());
  });

  it('options.provider overrides the provider from the class', async () => {
    init({ unknownModel: 'warn' });
    const llm = governLLM(new MockLLM({ timeBetweenToken: 0 }), { provider: 'my-gateway' });
    await llm.chat({ messages });
    expect(onlySpan().attributes['gen_ai.provider.name']).toBe('my-gateway');
  });
});

describe('governLLM: the wrapped LLM', () => {
  it('keeps the LLM’s identity and members, wraps once, and passes calls through without GenOps', async () => {
    const inner = openai({ maxTokens: 42 });
    const llm = governLLM(inner);
    expect(llm).toBeInstanceOf(OpenAI);
    expect(llm.metadata.maxTokens).toBe(42);
    expect(llm.supportToolCall).toBe(true);
    expect(governLLM(llm)).toBe(llm);
    expect(isGovernedLLM(llm)).toBe(true);
    expect(isGovernedLLM(inner)).toBe(false);
    llm.maxTokens = 64;
    expect(inner.maxTokens).toBe(64);
    // No GenOps.init(): the call goes straight to the LLM and nothing is recorded.
    const response = await llm.chat({ messages });
    expect(response.message.content).toBe(CONTENT);
    expect(spans()).toHaveLength(0);
  });

  it('governSettingsLLM() governs Settings.llm, and names the fix when it is unset', async () => {
    const previous = (() => {
      try {
        return Settings.llm;
      } catch {
        return undefined;
      }
    })();
    try {
      if (previous === undefined) expect(() => governSettingsLLM()).toThrow(ConfigError);
      Settings.llm = openai();
      const governed: LLM = governSettingsLLM();
      expect(isGovernedLLM(Settings.llm)).toBe(true);
      expect(Settings.llm).toBe(governed);
      init();
      await Settings.llm.chat({ messages });
      expect(onlySpan().name).toBe('chat gpt-4o');
    } finally {
      if (previous !== undefined) Settings.llm = previous;
    }
  });
});
