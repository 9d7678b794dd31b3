import { BudgetExceededError, nanosToUsd, PolicyViolationError } from '@genops/core';
import { costNanos } from '@genops/core/internal';
import { expectGenOpsCompliant } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { AIMessage, HumanMessage, type ToolMessage } from '@langchain/core/messages';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { FakeLLM } from '@langchain/core/utils/testing';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createAgent } from 'langchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GenOpsCallbackHandler } from './index';

// LangChain's own fake chat model (`fakeModel()` from @langchain/core/testing) answers with the
// AIMessage we script, `usage_metadata` included, so the accounting is exact. The handler is the real one,
// GenOps is the real runtime, and an AsyncLocalStorage context manager is registered as any OpenTelemetry
// SDK setup does (the chat span nests under its chain span through the active context).

const harness = createAdapterHarness({
  defaults: { team: 'platform', project: 'langchain-tests', environment: 'test' },
});
const { init, spans, priceOf, telemetry } = harness;
let contextManager: AsyncLocalStorageContextManager;

function handler(options: ConstructorParameters<typeof GenOpsCallbackHandler>[0] = {}): GenOpsCallbackHandler {
  return new GenOpsCallbackHandler({ tracerProvider: telemetry.tracerProvider, ...options });
}

function governed(): ReadableSpan[] {
  return spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

function spanNamed(name: string): ReadableSpan {
  const found = spans().filter((span) => span.name === name);
  expect(found, `spans named "${name}" among ${spans().map((span) => span.name)}`).toHaveLength(1);
  return found[0]!;
}

function reply(content: string, usage: { input: number; output: number; cacheRead?: number; reasoning?: number }) {
  return new AIMessage({
    content,
    usage_metadata: {
      input_tokens: usage.input,
      output_tokens: usage.output,
      total_tokens: usage.input + usage.output,
      ...(usage.cacheRead !== undefined ? { input_token_details: { cache_read: usage.cacheRead } } : {}),
      ...(usage.reasoning !== undefined ? { output_token_details: { reasoning: usage.reasoning } } : {}),
    },
    response_metadata: { model_name: 'gpt-5-2025-08-07', finish_reason: 'stop' },
  });
}

beforeAll(() => {
  contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
});
afterAll(() => {
  context.disable();
});

describe('GenOpsCallbackHandler: model runs', () => {
  it('governs a chat model run as one chat span priced to the micro-dollar, cache and reasoning included', async () => {
    init({ policy: { version: 1, rules: [], budgets: [{ name: 'daily', limit: 10, window: 'day' }] } });
    const model = fakeModel().respond(
      reply('Otters hold hands.', { input: 12_000, output: 3_000, cacheRead: 8_000, reasoning: 1_200 }),
    );
    // The fake model names no model: the run's `ls_model_name` metadata does, and `provider` says whose it is.
    const result = await model.invoke([new HumanMessage('Tell me about otters.')], {
      callbacks: [handler({ provider: 'openai' })],
      metadata: { ls_model_name: 'gpt-5' },
    });
    expect(result.content).toBe('Otters hold hands.');

    // gpt-5 per 1M: $1.25 in, $0.125 cache read, $10 out (reasoning at the output rate).
    // 4000 × 1.25 + 8000 × 0.125 + 3000 × 10 = 5000 + 1000 + 30000 = 36000 µ$
    const expectedNanos = costNanos(priceOf('openai', 'gpt-5'), {
      inputTokens: 12_000,
      outputTokens: 3_000,
      cacheReadInputTokens: 8_000,
      reasoningOutputTokens: 1_200,
    });
    expect(expectedNanos).toBe(36_000_000);
    const span = spanNamed('chat gpt-5');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-5',
      'gen_ai.response.model': 'gpt-5-2025-08-07',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12_000,
      'gen_ai.usage.output_tokens': 3_000,
      'gen_ai.usage.cache_read.input_tokens': 8_000,
      'gen_ai.usage.reasoning.output_tokens': 1_200,
      'genops.accounting.actual': nanosToUsd(expectedNanos),
      'genops.policy.result': 'ALLOWED',
      'genops.team': 'platform',
    });
    // Content is never recorded unless capture is on.
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expectGenOpsCompliant(governed());
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({
      used: nanosToUsd(expectedNanos),
      reserved: 0,
    });
  });

  it('prices cache writes with the model given as an option (Anthropic rates)', async () => {
    init();
    const model = fakeModel().respond(
      new AIMessage({
        content: 'ok',
        usage_metadata: {
          // LangChain's input_tokens is inclusive: 1000 plain + 2000 cache read + 500 cache write.
          input_tokens: 3_500,
          output_tokens: 200,
          total_tokens: 3_700,
          input_token_details: { cache_read: 2_000, cache_creation: 500 },
        },
      }),
    );
    await model.invoke('hi', { callbacks: [handler({ provider: 'anthropic', model: 'claude-sonnet-4-5' })] });
    const expectedNanos = costNanos(priceOf('anthropic', 'claude-sonnet-4-5'), {
      inputTokens: 3_500,
      outputTokens: 200,
      cacheReadInputTokens: 2_000,
      cacheWriteInputTokens: 500,
    });
    // claude-sonnet-4-5 per 1M: $3 in, $0.30 cache read, $3.75 cache write, $15 out.
    // 1000 × 3 + 2000 × 0.3 + 500 × 3.75 + 200 × 15 = 3000 + 600 + 1875 + 3000 = 8475 µ$
    expect(expectedNanos).toBe(8_475_000);
    expect(spanNamed('chat claude-sonnet-4-5').attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.usage.cache_creation.input_tokens': 500,
      'genops.accounting.actual': nanosToUsd(expectedNanos),
    });
    expectGenOpsCompliant(governed());
  });

  it('denies a run over budget before the model is called, with the BudgetExceededError the caller sees', async () => {
    init({ policy: { version: 1, rules: [], budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] } });
    const model = fakeModel().respond(reply('never', { input: 1, output: 1 }));
    const attempt = model.invoke('Write a long essay.', {
      callbacks: [handler({ provider: 'openai', model: 'gpt-4o' })],
    });
    await expect(attempt).rejects.toBeInstanceOf(BudgetExceededError);
    await expect(attempt).rejects.toThrow(/Budget "tiny"/);
    expect(model.callCount).toBe(0);
    const span = spanNamed('chat gpt-4o');
    expect(span.attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'BUDGET_EXCEEDED',
    });
    expectGenOpsCompliant(governed());
  });

  it('denies a model a policy rule does not allow', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-gpt-4o', type: 'model', deny: ['gpt-4o*'] }] } });
    const model = fakeModel().respond(reply('never', { input: 1, output: 1 }));
    await expect(
      model.invoke('hi', { callbacks: [handler({ provider: 'openai', model: 'gpt-4o' })] }),
    ).rejects.toBeInstanceOf(PolicyViolationError);
    expect(model.callCount).toBe(0);
    expect(spanNamed('chat gpt-4o').attributes['genops.policy.reason_code']).toBe('POLICY_DENY_MODEL');
  });

  it('denies a request a redact rule matches: a callback cannot rewrite what LangChain sends', async () => {
    init({
      policy: { version: 1, rules: [{ name: 'pii', type: 'content', detect: ['email'], action: 'redact' }] },
    });
    const model = fakeModel().respond(reply('never', { input: 1, output: 1 }));
    const attempt = model.invoke('Mail jane.doe@example.com the report.', {
      callbacks: [handler({ provider: 'openai', model: 'gpt-4o' })],
    });
    await expect(attempt).rejects.toBeInstanceOf(PolicyViolationError);
    expect(model.callCount).toBe(0);
    expect(spanNamed('chat gpt-4o').attributes['genops.policy.reason_code']).toBe('POLICY_DENY_CONTENT');
  });

  it('settles a failed run with error.type and no cost', async () => {
    init();
    const model = fakeModel().respond(new Error('upstream exploded'));
    await expect(model.invoke('hi', { callbacks: [handler({ provider: 'openai', model: 'gpt-4o' })] })).rejects.toThrow(
      'upstream exploded',
    );
    const span = spanNamed('chat gpt-4o');
    expect(span.attributes).toMatchObject({ 'error.type': 'Error', 'genops.accounting.actual': 0 });
    expectGenOpsCompliant(governed());
  });

  it('keeps each of many concurrent runs on one handler apart, each settling with its own usage', async () => {
    init();
    const shared = handler({ provider: 'openai', model: 'gpt-4o' });
    const count = 25;
    const results = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        fakeModel()
          .respond(reply(`answer ${index}`, { input: 100 + index, output: 10 + index }))
          .invoke(`question ${index}`, { callbacks: [shared] }),
      ),
    );
    expect(results.map((message) => message.content)).toEqual(Array.from({ length: count }, (_, i) => `answer ${i}`));
    const chat = governed();
    expect(chat).toHaveLength(count);
    const price = priceOf('openai', 'gpt-4o');
    const seen = chat
      .map((span) => {
        const input = span.attributes['gen_ai.usage.input_tokens'] as number;
        const output = span.attributes['gen_ai.usage.output_tokens'] as number;
        expect(output).toBe(input - 90);
        expect(span.attributes['genops.accounting.actual']).toBe(
          nanosToUsd(costNanos(price, { inputTokens: input, outputTokens: output })),
        );
        return input;
      })
      .sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: count }, (_, index) => 100 + index));
    expect(shared.openRuns).toBe(0);
    expectGenOpsCompliant(chat);
  });

  it('governs string LLM runs as text_completion units', async () => {
    init({ unknownModel: 'warn' });
    const llm = new FakeLLM({ response: 'a completion' });
    await expect(llm.invoke('complete me', { callbacks: [handler({ model: 'fake-llm' })] })).resolves.toBe(
      'a completion',
    );
    const span = spanNamed('text_completion fake-llm');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'text_completion',
      // No provider mapping for a fake class: the lowercased class name.
      'gen_ai.provider.name': 'fakellm',
      'genops.policy.result': 'WARNING',
    });
    expectGenOpsCompliant(governed());
  });

  it('passes runs through untouched when GenOps is not running', async () => {
    const model = fakeModel().respond(reply('plain', { input: 1, output: 1 }));
    await expect(model.invoke('hi', { callbacks: [handler({ provider: 'openai' })] })).resolves.toMatchObject({
      content: 'plain',
    });
    expect(spans()).toHaveLength(0);
  });
});

describe('GenOpsCallbackHandler: chains, agents and tools', () => {
  it('nests the chat span under the chain span of a prompt | model | parser chain', async () => {
    init();
    const chain = ChatPromptTemplate.fromMessages([['human', 'Tell me about {topic}.']])
      .pipe(fakeModel().respond(reply('Otters are mustelids.', { input: 20, output: 5 })))
      .pipe(new StringOutputParser());
    const text = await chain.invoke(
      { topic: 'otters' },
      { callbacks: [handler({ provider: 'openai', model: 'gpt-4o' })], runName: 'otter_facts' },
    );
    expect(text).toBe('Otters are mustelids.');
    const root = spanNamed('invoke_workflow otter_facts');
    const chat = spanNamed('chat gpt-4o');
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_workflow' });
    expect(chat.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(chat.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    // The prompt template and the parser are steps of the chain too.
    expect(spanNamed('invoke_workflow ChatPromptTemplate').parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expectGenOpsCompliant(governed());
  });

  const leaky = 'upstream said: jane.doe@example.com sent sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
  const runLeakyChain = () => {
    const failing = () => {
      throw new TypeError(leaky);
    };
    const chain = ChatPromptTemplate.fromMessages([['human', 'Hi {name}']]).pipe(failing);
    return chain.invoke({ name: 'x' }, { callbacks: [handler()], runName: 'leaky_chain' });
  };

  it('records a failed chain step by error type, never by the error text (it can echo the prompt or keys)', async () => {
    init();
    await expect(runLeakyChain()).rejects.toThrow(leaky);
    const root = spanNamed('invoke_workflow leaky_chain');
    expect(root.status).toEqual({ code: 2, message: 'TypeError' });
    expect(root.attributes['error.type']).toBe('TypeError');
    expect(JSON.stringify(spans().map((span) => [span.status, span.attributes, span.events]))).not.toContain(
      'jane.doe',
    );
  });

  it("keeps a failed chain step's error text when content capture is opted in", async () => {
    init({ captureContent: true });
    await expect(runLeakyChain()).rejects.toThrow(leaky);
    expect(spanNamed('invoke_workflow leaky_chain').status.message).toBe(leaky);
  });

  it('records an agent as invoke_agent with its model and tool calls as children', async () => {
    init();
    let searches = 0;
    const search = tool(
      async ({ query }) => {
        searches++;
        return `3 results for ${query}`;
      },
      { name: 'search', description: 'Search the web.', schema: z.object({ query: z.string() }) },
    );
    const model = fakeModel()
      .respondWithTools([{ name: 'search', args: { query: 'otters' }, id: 'call_1' }])
      .respond(reply('Found them.', { input: 50, output: 8 }));
    const agent = createAgent({ model, tools: [search], name: 'research_agent' });
    const result = await agent.invoke(
      { messages: [new HumanMessage('Find otters.')] },
      { callbacks: [handler({ provider: 'openai', model: 'gpt-4o' })] },
    );
    expect(result.messages.at(-1)?.content).toBe('Found them.');
    expect(searches).toBe(1);

    const agentSpan = spanNamed('invoke_agent research_agent');
    expect(agentSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'research_agent',
    });
    const toolSpan = spanNamed('execute_tool search');
    expect(toolSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
      'gen_ai.tool.call.id': 'call_1',
      'genops.policy.result': 'ALLOWED',
      'genops.accounting.actual': 0,
    });
    const toolsNode = spanNamed('invoke_workflow tools');
    expect(toolSpan.parentSpanContext?.spanId).toBe(toolsNode.spanContext().spanId);
    expect(toolsNode.parentSpanContext?.spanId).toBe(agentSpan.spanContext().spanId);
    const chats = spans().filter((span) => span.name === 'chat gpt-4o');
    expect(chats).toHaveLength(2);
    for (const chat of chats) expect(chat.spanContext().traceId).toBe(agentSpan.spanContext().traceId);
    expectGenOpsCompliant(governed());
  });

  it('denies a tool a tool rule forbids: the tool never runs and the model is told why', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-deploys', type: 'tool', deny: ['deploy*'] }] } });
    let deploys = 0;
    const deploy = tool(
      async () => {
        deploys++;
        return 'deployed';
      },
      { name: 'deploy_prod', description: 'Deploy to production.', schema: z.object({}) },
    );
    const model = fakeModel()
      .respondWithTools([{ name: 'deploy_prod', args: {}, id: 'call_9' }])
      .respond(reply('I may not deploy.', { input: 1, output: 1 }));
    const agent = createAgent({ model, tools: [deploy] });
    // The denial is thrown from handleToolStart, before the tool runs. The agent's ToolNode turns a tool
    // error into an error ToolMessage (its default handleToolErrors), so the model sees the reason.
    const result = await agent.invoke(
      { messages: [new HumanMessage('Ship it.')] },
      { callbacks: [handler({ provider: 'openai', model: 'gpt-4o' })] },
    );
    expect(deploys).toBe(0);
    const toolMessage = result.messages.find((message) => message.getType() === 'tool') as ToolMessage;
    expect(toolMessage.status).toBe('error');
    expect(toolMessage.content).toContain(
      'PolicyViolationError: Tool "deploy_prod" is not allowed by policy rule "no-deploys"',
    );
    expect(result.messages.at(-1)?.content).toBe('I may not deploy.');
    const toolSpan = spanNamed('execute_tool deploy_prod');
    expect(toolSpan.attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'gen_ai.tool.call.id': 'call_9',
    });
    expect(toolSpan.events.map((event) => event.name)).not.toContain('genops.budget.reconciliation');
    expectGenOpsCompliant(governed());
  });

  it('denies a tool invoked directly with the PolicyViolationError, without running it', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-deploys', type: 'tool', deny: ['deploy*'] }] } });
    let deploys = 0;
    const deploy = tool(
      async () => {
        deploys++;
        return 'deployed';
      },
      { name: 'deploy_prod', description: 'Deploy to production.', schema: z.object({}) },
    );
    await expect(deploy.invoke({}, { callbacks: [handler()] })).rejects.toBeInstanceOf(PolicyViolationError);
    expect(deploys).toBe(0);
  });

  it('fails the tool unit of a tool that threw, with error.type', async () => {
    init();
    const broken = tool(
      async (): Promise<string> => {
        throw new Error('disk full');
      },
      { name: 'save', description: 'Save.', schema: z.object({}) },
    );
    await expect(broken.invoke({}, { callbacks: [handler()] })).rejects.toThrow('disk full');
    expect(spanNamed('execute_tool save').attributes).toMatchObject({ 'error.type': 'Error' });
    expectGenOpsCompliant(governed());
  });

  it('records the tool call id of a tool invoked with a tool call', async () => {
    init();
    const search = tool(async () => 'ok', { name: 'lookup', description: 'Look up.', schema: z.object({}) });
    const message = (await search.invoke(
      { type: 'tool_call', name: 'lookup', args: {}, id: 'call_ok' },
      { callbacks: [handler()] },
    )) as ToolMessage;
    expect(message.content).toBe('ok');
    expect(spanNamed('execute_tool lookup').attributes).toMatchObject({
      'gen_ai.tool.call.id': 'call_ok',
      'genops.policy.result': 'ALLOWED',
    });
  });
});
