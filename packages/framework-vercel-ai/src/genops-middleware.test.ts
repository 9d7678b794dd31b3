import type { LanguageModelV4GenerateResult, LanguageModelV4StreamPart, LanguageModelV4Usage } from '@ai-sdk/provider';
import { ApprovalDeniedError, BudgetExceededError, nanosToUsd, PolicyViolationError } from '@genops/core';
import { costNanos } from '@genops/core/internal';
import { expectGenOpsCompliant } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { embed, embedMany, generateObject, generateText, isStepCount, streamText, tool } from 'ai';
import { MockEmbeddingModelV4, MockLanguageModelV4, simulateReadableStream } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { convertVercelUsage, governedEmbeddingModel, governedModel, governTools, mapVercelProvider } from './index';

// The real `ai` 7 with its own fake models (`ai/test`): generateText, streamText, generateObject,
// embed and tool execution run exactly as in an app, and the mocks record what reached the model.

const harness = createAdapterHarness({
  defaults: { team: 'platform', project: 'vercel-ai-tests', environment: 'test' },
});
const { init, spans, onlySpan, priceOf } = harness;

/** 1000 input tokens (400 read from the cache), 500 output tokens (200 of them reasoning). */
const USAGE: LanguageModelV4Usage = {
  inputTokens: { total: 1000, noCache: 600, cacheRead: 400, cacheWrite: undefined },
  outputTokens: { total: 500, text: 300, reasoning: 200 },
  raw: { prompt_tokens: 1000, completion_tokens: 500 },
};

function generated(overrides: Partial<LanguageModelV4GenerateResult> = {}): LanguageModelV4GenerateResult {
  return {
    content: [{ type: 'text', text: 'Hello from the mock model.' }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: USAGE,
    warnings: [],
    response: { id: 'resp-1', modelId: 'gpt-4o-2024-08-06', timestamp: new Date(0) },
    ...overrides,
  };
}

function toolCallResult(toolName: string, input: unknown, toolCallId = 'call-1'): LanguageModelV4GenerateResult {
  return generated({
    content: [{ type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) }],
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
  });
}

function streamParts(text: string[], extra: LanguageModelV4StreamPart[] = []): LanguageModelV4StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'response-metadata', id: 'resp-2', modelId: 'gpt-4o-2024-08-06' },
    { type: 'text-start', id: 't1' },
    ...text.map((delta): LanguageModelV4StreamPart => ({ type: 'text-delta', id: 't1', delta })),
    { type: 'text-end', id: 't1' },
    ...extra,
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: USAGE },
  ];
}

function mockModel(options: ConstructorParameters<typeof MockLanguageModelV4>[0] = {}) {
  return new MockLanguageModelV4({ provider: 'openai.chat', modelId: 'gpt-4o', doGenerate: generated(), ...options });
}

/** Reads a streamText result to its end; returns the error the app sees (an error part or a thrown error). */
async function drain(result: { fullStream: AsyncIterable<{ type: string; error?: unknown }> }): Promise<unknown> {
  try {
    for await (const part of result.fullStream) if (part.type === 'error') return part.error;
  } catch (error) {
    return error;
  }
  return undefined;
}

/** gpt-4o per 1M: $2.50 input, $1.25 cached input, $10 output → 600 × 2.5 + 400 × 1.25 + 500 × 10 = 7000 µ$. */
const EXPECTED_NANOS = 7_000_000;

describe('convertVercelUsage and mapVercelProvider', () => {
  it('maps V4 usage: totals include cache and reasoning; parts fill in a missing total; raw is kept', () => {
    expect(convertVercelUsage(USAGE)).toEqual({
      inputTokens: 1000,
      outputTokens: 500,
      cacheReadInputTokens: 400,
      reasoningOutputTokens: 200,
      raw: USAGE,
    });
    const partial = {
      inputTokens: { total: undefined, noCache: 10, cacheRead: 20, cacheWrite: 30 },
      outputTokens: { total: undefined, text: 5, reasoning: 7 },
    };
    expect(convertVercelUsage(partial)).toMatchObject({
      inputTokens: 60,
      outputTokens: 12,
      cacheReadInputTokens: 20,
      cacheWriteInputTokens: 30,
      reasoningOutputTokens: 7,
    });
    // A provider that reported no usage at all (createNullLanguageModelUsage): none, not zero.
    const none = { inputTokens: {}, outputTokens: {} };
    expect(convertVercelUsage(none)).toBeUndefined();
    expect(convertVercelUsage(undefined)).toBeUndefined();
  });

  it('maps AI SDK provider ids to gen_ai.provider.name', () => {
    expect(
      Object.fromEntries(
        [
          'openai.chat',
          'openai.responses',
          'anthropic.messages',
          'google.generative-ai',
          'google.vertex.chat',
          'amazon-bedrock',
          'azure.chat',
          'groq.chat',
          'mistral.chat',
          'deepseek.chat',
          'xai.chat',
          'TogetherAI.chat',
        ].map((id) => [id, mapVercelProvider(id)]),
      ),
    ).toEqual({
      'openai.chat': 'openai',
      'openai.responses': 'openai',
      'anthropic.messages': 'anthropic',
      'google.generative-ai': 'gcp.gemini',
      'google.vertex.chat': 'gcp.vertex_ai',
      'amazon-bedrock': 'aws.bedrock',
      'azure.chat': 'azure.ai.openai',
      'groq.chat': 'groq',
      'mistral.chat': 'mistral_ai',
      'deepseek.chat': 'deepseek',
      'xai.chat': 'x_ai',
      'TogetherAI.chat': 'togetherai',
    });
  });
});

describe('generateText', () => {
  it('governs the call: one span, usage with cache and reasoning, cost to the micro-dollar, conformance', async () => {
    init({ budgets: [{ name: 'team', limit: 5, window: 'day', per: 'team' }] });
    const model = mockModel();
    const result = await generateText({
      model: governedModel(model),
      system: 'Be brief.',
      prompt: 'Say hello.',
      maxOutputTokens: 600,
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      seed: 7,
      stopSequences: ['END'],
    });
    expect(result.text).toBe('Hello from the mock model.');
    expect(model.doGenerateCalls).toHaveLength(1);

    expect(costNanos(priceOf('openai', 'gpt-4o'), convertVercelUsage(USAGE)!)).toBe(EXPECTED_NANOS);
    const span = onlySpan();
    expect(span.name).toBe('chat gpt-4o');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.request.max_tokens': 600,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 40,
      'gen_ai.request.seed': 7,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.response.id': 'resp-1',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.cache_read.input_tokens': 400,
      'gen_ai.usage.reasoning.output_tokens': 200,
      'genops.policy.result': 'ALLOWED',
      'genops.accounting.actual': nanosToUsd(EXPECTED_NANOS),
    });
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    // Content is never recorded unless capture is on.
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(JSON.stringify(span.attributes)).not.toContain('Say hello');
    expectGenOpsCompliant(spans());
  });

  it('a denial throws the typed error before the model runs', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-gpt-4o', type: 'model', deny: ['gpt-4o'] }] } });
    const model = mockModel();
    const error = await generateText({ model: governedModel(model), prompt: 'Hi' }).catch((caught) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect((error as PolicyViolationError).reasonCode).toBe('POLICY_DENY_MODEL');
    expect(model.doGenerateCalls).toHaveLength(0);
    expect(onlySpan().attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'POLICY_DENY_MODEL',
    });
    expectGenOpsCompliant(spans());
  });

  it('a budget that is spent blocks the call before the model runs', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    const model = mockModel();
    const error = await generateText({ model: governedModel(model), prompt: 'Hi' }).catch((caught) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as BudgetExceededError).budget).toBe('tiny');
    expect(model.doGenerateCalls).toHaveLength(0);
    expect(onlySpan().attributes['genops.policy.reason_code']).toBe('BUDGET_EXCEEDED');
  });

  it('redacts the prompt before it reaches the model, and the span records kinds and counts only', async () => {
    init({
      policy: { version: 1, rules: [{ name: 'pii', type: 'content', detect: ['email'], action: 'redact' }] },
    });
    const model = mockModel();
    const messages = [{ role: 'user' as const, content: 'Email jane.doe@example.com about it.' }];
    await generateText({ model: governedModel(model), messages });
    const sent = model.doGenerateCalls[0]!.prompt;
    expect(JSON.stringify(sent)).toContain('Email [REDACTED:email] about it.');
    expect(JSON.stringify(sent)).not.toContain('jane.doe');
    // The caller's messages are unchanged.
    expect(messages[0]!.content).toBe('Email jane.doe@example.com about it.');
    expect(onlySpan().attributes).toMatchObject({ 'genops.content.redactions': ['email:1'] });
  });

  it("a budget's downgrade sends the call to the model modelFor() returns", async () => {
    init({
      budgets: [{ name: 'premium', limit: 0.001, window: 'day', action: 'downgrade', downgradeTo: 'gpt-4o-mini' }],
    });
    const premium = mockModel();
    const cheap = mockModel({ modelId: 'gpt-4o-mini' });
    const { text } = await generateText({
      model: governedModel(premium, { modelFor: (id) => (id === 'gpt-4o-mini' ? cheap : undefined) }),
      prompt: 'Hi',
      maxOutputTokens: 100,
    });
    expect(text).toBe('Hello from the mock model.');
    expect(premium.doGenerateCalls).toHaveLength(0);
    expect(cheap.doGenerateCalls).toHaveLength(1);
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.request.model': 'gpt-4o-mini',
      'genops.downgrade.original_model': 'gpt-4o',
    });
  });

  it('without modelFor, a downgrade budget denies the call and says why', async () => {
    init({
      budgets: [{ name: 'premium', limit: 0.001, window: 'day', action: 'downgrade', downgradeTo: 'gpt-4o-mini' }],
    });
    const model = mockModel();
    const error = await generateText({ model: governedModel(model), prompt: 'Hi', maxOutputTokens: 100 }).catch(
      (caught) => caught,
    );
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as Error).message).toContain('cannot be downgraded');
    expect(model.doGenerateCalls).toHaveLength(0);
  });

  it('a provider error fails the unit with nothing billed', async () => {
    init();
    const model = mockModel({
      doGenerate: async () => {
        throw new TypeError('connection reset');
      },
    });
    await expect(generateText({ model: governedModel(model), prompt: 'Hi', maxRetries: 0 })).rejects.toThrow(
      'connection reset',
    );
    expect(onlySpan().attributes).toMatchObject({ 'error.type': 'TypeError', 'genops.accounting.actual': 0 });
  });

  it('without GenOps running, calls pass through untouched', async () => {
    const model = mockModel();
    const { text } = await generateText({ model: governedModel(model), prompt: 'Hi' });
    expect(text).toBe('Hello from the mock model.');
    expect(spans()).toHaveLength(0);
  });
});

describe('generateObject', () => {
  it('goes through doGenerate: governed, with gen_ai.output.type json', async () => {
    init();
    const model = mockModel({
      doGenerate: generated({ content: [{ type: 'text', text: '{"city":"Paris","population":2102650}' }] }),
    });
    const { object } = await generateObject({
      model: governedModel(model),
      schema: z.object({ city: z.string(), population: z.number() }),
      prompt: 'The capital of France?',
    });
    expect(object).toEqual({ city: 'Paris', population: 2102650 });
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.output.type': 'json',
      'genops.accounting.actual': nanosToUsd(EXPECTED_NANOS),
    });
  });
});

describe('streamText', () => {
  it('settles from the finish part: usage, cost, time to first chunk, conformance', async () => {
    init();
    const model = mockModel({
      doStream: { stream: simulateReadableStream({ chunks: streamParts(['Hel', 'lo', '!']), chunkDelayInMs: 1 }) },
    });
    const result = streamText({ model: governedModel(model), prompt: 'Say hello.' });
    expect(await result.text).toBe('Hello!');
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'resp-2',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      'genops.accounting.actual': nanosToUsd(EXPECTED_NANOS),
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expectGenOpsCompliant(spans());
  });

  it('a denial throws before doStream runs', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-gpt-4o', type: 'model', deny: ['gpt-4o'] }] } });
    const model = mockModel({ doStream: { stream: simulateReadableStream({ chunks: streamParts(['x']) }) } });
    const error = await drain(streamText({ model: governedModel(model), prompt: 'Hi', onError: () => {} }));
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect(model.doStreamCalls).toHaveLength(0);
  });

  it('a stream the consumer cancels settles once, flagged incomplete', async () => {
    init();
    const model = mockModel({
      doStream: { stream: simulateReadableStream({ chunks: streamParts(['a', 'b', 'c', 'd']), chunkDelayInMs: 5 }) },
    });
    const { stream } = await governedModel(model).doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
    const reader = stream.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel('no longer needed');
    const span = onlySpan();
    expect(span.attributes).toMatchObject({ 'genops.accounting.incomplete': true });
    // No usage arrived: settled from the reservation, not priced at zero.
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    expectGenOpsCompliant(spans());
  });

  it('a stream that breaks fails the unit with what was read', async () => {
    init();
    const parts = streamParts(['Hel', 'lo']).slice(0, 4);
    const broken = new ReadableStream<LanguageModelV4StreamPart>({
      pull(controller) {
        const part = parts.shift();
        if (part) controller.enqueue(part);
        else controller.error(new TypeError('socket hang up'));
      },
    });
    const model = mockModel({ doStream: { stream: broken } });
    const { stream } = await governedModel(model).doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
    const read: string[] = [];
    const error = await (async () => {
      for await (const part of stream) read.push(part.type);
    })().catch((caught) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect(read).toEqual(['stream-start', 'response-metadata', 'text-start', 'text-delta']);
    expect(onlySpan().attributes).toMatchObject({
      'error.type': 'TypeError',
      'genops.accounting.incomplete': true,
    });
  });

  it('an output content rule stops the stream at the matching delta', async () => {
    init({
      policy: {
        version: 1,
        rules: [{ name: 'no-keys-out', type: 'content', detect: ['email'], scope: 'output' }],
      },
    });
    const model = mockModel({
      doStream: {
        stream: simulateReadableStream({ chunks: streamParts(['Write to ', 'jane.doe@example.com', ' now.']) }),
      },
    });
    const error = await drain(streamText({ model: governedModel(model), prompt: 'Hi', onError: () => {} }));
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect((error as PolicyViolationError).reasonCode).toBe('POLICY_DENY_CONTENT');
    expect(onlySpan().attributes['error.type']).toBe('PolicyViolationError');
  });
});

describe('embed and embedMany', () => {
  it('govern each doEmbed call as one embeddings unit priced from usage.tokens', async () => {
    init();
    const model = new MockEmbeddingModelV4({
      provider: 'openai.embedding',
      modelId: 'text-embedding-3-small',
      maxEmbeddingsPerCall: 10,
      doEmbed: [
        { embeddings: [[0.1, 0.2]], usage: { tokens: 1000 }, warnings: [] },
        { embeddings: [[0.1], [0.2]], usage: { tokens: 3000 }, warnings: [] },
      ],
    });
    const governed = governedEmbeddingModel(model);
    const { embedding } = await embed({ model: governed, value: 'sunny day at the beach' });
    expect(embedding).toEqual([0.1, 0.2]);
    await embedMany({ model: governed, values: ['a', 'b'] });
    const [single, many] = spans();
    // text-embedding-3-small: $0.02 per 1M input tokens → 1000 tokens = 20 µ$, 3000 = 60 µ$.
    expect(costNanos(priceOf('openai', 'text-embedding-3-small'), { inputTokens: 1000, outputTokens: 0 })).toBe(20_000);
    expect(single!.name).toBe('embeddings text-embedding-3-small');
    expect(single!.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.usage.input_tokens': 1000,
      'genops.accounting.actual': nanosToUsd(20_000),
    });
    expect(many!.attributes['genops.accounting.actual']).toBe(nanosToUsd(60_000));
    expectGenOpsCompliant(spans());
  });

  it('a denial throws before the embedding model runs', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-secrets', type: 'content', detect: ['secret'] }] } });
    const model = new MockEmbeddingModelV4({ provider: 'openai.embedding', modelId: 'text-embedding-3-small' });
    const secret = `sk-proj-${'Ab3dEf6hIj9kLm2n'.repeat(3)}`;
    await expect(embed({ model: governedEmbeddingModel(model), value: secret })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    expect(model.doEmbedCalls).toHaveLength(0);
  });
});

describe('tools', () => {
  const searchInput = z.object({ query: z.string() });

  it('the middleware denies a tool call the policy denies before the AI SDK executes it', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-shell', type: 'tool', deny: ['shell_*'] }] } });
    let ran = false;
    const model = mockModel({ doGenerate: [toolCallResult('shell_exec', { command: 'rm -rf /' }), generated()] });
    const error = await generateText({
      model: governedModel(model),
      prompt: 'Clean up.',
      tools: {
        shell_exec: tool({
          inputSchema: z.object({ command: z.string() }),
          execute: async () => {
            ran = true;
            return 'done';
          },
        }),
      },
      stopWhen: isStepCount(3),
    }).catch((caught) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect((error as PolicyViolationError).reasonCode).toBe('x_tool_denied');
    expect((error as PolicyViolationError).rule).toBe('no-shell');
    expect(ran).toBe(false);
    expect(model.doGenerateCalls).toHaveLength(1);
    const [chat, blocked] = spans();
    // The model call itself ran and is billed; the tool call is a blocked execute_tool unit.
    expect(chat!.attributes).toMatchObject({
      'genops.policy.result': 'ALLOWED',
      'genops.accounting.actual': nanosToUsd(EXPECTED_NANOS),
    });
    expect(blocked!.name).toBe('execute_tool shell_exec');
    expect(blocked!.attributes).toMatchObject({
      'gen_ai.tool.name': 'shell_exec',
      'gen_ai.tool.call.id': 'call-1',
      'gen_ai.provider.name': 'vercel.ai',
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'x_tool_denied',
    });
    expectGenOpsCompliant(spans());
  });

  it('the middleware holds back a denied tool call in a stream and ends it with the policy error', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-shell', type: 'tool', deny: ['shell_*'] }] } });
    let ran = false;
    const model = mockModel({
      doStream: {
        stream: simulateReadableStream({
          chunks: streamParts(
            ['Running it.'],
            [{ type: 'tool-call', toolCallId: 'call-9', toolName: 'shell_exec', input: '{"command":"ls"}' }],
          ),
        }),
      },
    });
    const result = streamText({
      model: governedModel(model),
      prompt: 'List files.',
      onError: () => {},
      tools: {
        shell_exec: tool({
          inputSchema: z.object({ command: z.string() }),
          execute: async () => {
            ran = true;
            return 'files';
          },
        }),
      },
    });
    const error = await drain(result);
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(PolicyViolationError);
    const [chat, blocked] = spans();
    // Usage of the finish part still settles the model call exactly.
    expect(chat!.attributes['genops.accounting.actual']).toBe(nanosToUsd(EXPECTED_NANOS));
    expect(chat!.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect(blocked!.attributes).toMatchObject({ 'genops.policy.result': 'BLOCKED', 'gen_ai.tool.call.id': 'call-9' });
  });

  it('governTools runs an allowed tool as one execute_tool unit, then the next step goes on', async () => {
    init();
    const model = mockModel({ doGenerate: [toolCallResult('search', { query: 'genops' }), generated()] });
    const { text } = await generateText({
      model: governedModel(model),
      prompt: 'Find it.',
      tools: governTools({
        search: tool({ inputSchema: searchInput, execute: async ({ query }) => `results for ${query}` }),
      }),
      stopWhen: isStepCount(3),
    });
    expect(text).toBe('Hello from the mock model.');
    expect(spans().map((span) => span.name)).toEqual(['chat gpt-4o', 'execute_tool search', 'chat gpt-4o']);
    expect(spans()[1]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.call.id': 'call-1',
      'genops.policy.result': 'ALLOWED',
      'genops.accounting.actual': 0,
    });
    // The second model call saw the tool's result.
    expect(JSON.stringify(model.doGenerateCalls[1]!.prompt)).toContain('results for genops');
    expectGenOpsCompliant(spans());
  });

  it('governTools denies a call-count budget: the tool does not run and the model gets the error result', async () => {
    init({ budgets: [{ name: 'searches', unit: 'requests', limit: 1, window: 'day', match: { tool: 'search' } }] });
    let runs = 0;
    const model = mockModel({
      doGenerate: [
        toolCallResult('search', { query: 'one' }, 'call-1'),
        toolCallResult('search', { query: 'two' }, 'call-2'),
        generated(),
      ],
    });
    await generateText({
      model: governedModel(model),
      prompt: 'Search twice.',
      tools: governTools({
        search: tool({
          inputSchema: searchInput,
          execute: async () => {
            runs++;
            return 'found';
          },
        }),
      }),
      stopWhen: isStepCount(4),
    });
    expect(runs).toBe(1);
    expect(JSON.stringify(model.doGenerateCalls[2]!.prompt)).toContain('BudgetExceededError');
    const toolSpans = spans().filter((span) => span.name === 'execute_tool search');
    expect(toolSpans.map((span) => span.attributes['genops.policy.result'])).toEqual(['ALLOWED', 'BLOCKED']);
  });

  it('governTools holds a tool that needs approval until the approver decides', async () => {
    const asked: string[] = [];
    init({
      policy: { version: 1, rules: [{ name: 'deploys', type: 'tool', requireApproval: ['deploy_*'] }] },
      approver: (request) => {
        asked.push(request.reason);
        return { approved: false, approver: 'alice', reason: 'not on a Friday' };
      },
    });
    let deployed = false;
    const model = mockModel({ doGenerate: [toolCallResult('deploy_prod', { version: '1.2.3' }), generated()] });
    await generateText({
      model: governedModel(model),
      prompt: 'Ship it.',
      tools: governTools({
        deploy_prod: tool({
          inputSchema: z.object({ version: z.string() }),
          execute: async () => {
            deployed = true;
            return 'deployed';
          },
        }),
      }),
      stopWhen: isStepCount(3),
    });
    expect(asked).toEqual(['tool "deploy_prod" requires approval (rule "deploys")']);
    expect(deployed).toBe(false);
    expect(JSON.stringify(model.doGenerateCalls[1]!.prompt)).toContain(ApprovalDeniedError.name);
  });

  it('governTools also governs a streaming tool (async generator) as one unit', async () => {
    init();
    const model = mockModel({ doGenerate: [toolCallResult('progress', {}), generated()] });
    await generateText({
      model: governedModel(model),
      prompt: 'Go.',
      tools: governTools({
        progress: tool({
          inputSchema: z.object({}),
          async *execute() {
            yield 'half';
            yield 'done';
          },
        }),
      }),
      stopWhen: isStepCount(3),
    });
    expect(spans().map((span) => span.name)).toEqual(['chat gpt-4o', 'execute_tool progress', 'chat gpt-4o']);
    expect(JSON.stringify(model.doGenerateCalls[1]!.prompt)).toContain('done');
  });
});
