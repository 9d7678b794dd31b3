import { type GenOpsOptions, PolicyViolationError } from '@genops/core';
import { expectGenOpsCompliant } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { AIMessage, HumanMessage, type ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createAgent, createMiddleware } from 'langchain';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GenOpsCallbackHandler, genopsAgentMiddleware } from './index';

// A real langchain 1.x agent (createAgent) with LangChain's fake tool-calling model and real tools.

const harness = createAdapterHarness({
  defaults: { team: 'platform', project: 'langchain-tests', environment: 'test' },
});
const { init, telemetry } = harness;
let deploys = 0;
let searches = 0;

const deploy = tool(
  async () => {
    deploys++;
    return 'deployed';
  },
  { name: 'deploy_prod', description: 'Deploy to production.', schema: z.object({}) },
);
const search = tool(
  async ({ query }) => {
    searches++;
    return `results for ${query}`;
  },
  { name: 'search', description: 'Search.', schema: z.object({ query: z.string() }) },
);

function model(toolName: string, args: Record<string, unknown>) {
  return fakeModel()
    .respondWithTools([{ name: toolName, args, id: 'call_1' }])
    .respond(
      new AIMessage({ content: 'finished', usage_metadata: { input_tokens: 5, output_tokens: 1, total_tokens: 6 } }),
    );
}

function governed(): ReadableSpan[] {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

const denyDeploys: GenOpsOptions['policy'] = {
  version: 1,
  rules: [{ name: 'no-deploys', type: 'tool', deny: ['deploy*'] }],
};

beforeEach(() => {
  deploys = 0;
  searches = 0;
});

describe('genopsAgentMiddleware', () => {
  it('is the object langchain createMiddleware() builds', () => {
    const ours = genopsAgentMiddleware();
    const theirs = createMiddleware({ name: ours.name, wrapToolCall: ours.wrapToolCall });
    const brand = Symbol.for('AgentMiddleware');
    expect((theirs as unknown as Record<symbol, unknown>)[brand]).toBe(true);
    expect((ours as unknown as Record<symbol, unknown>)[brand]).toBe(true);
    expect({ ...ours }).toMatchObject({ name: 'GenOpsMiddleware' });
  });

  it('answers a denied tool call with an error ToolMessage, as toolCallLimitMiddleware does, and the agent goes on', async () => {
    init({ policy: denyDeploys });
    const agent = createAgent({
      model: model('deploy_prod', {}),
      tools: [deploy],
      middleware: [genopsAgentMiddleware()],
    });
    const result = await agent.invoke({ messages: [new HumanMessage('Ship it.')] });
    expect(deploys).toBe(0);
    const toolMessage = result.messages.find((message) => message.getType() === 'tool') as ToolMessage;
    expect(toolMessage).toMatchObject({ status: 'error', name: 'deploy_prod', tool_call_id: 'call_1' });
    expect(toolMessage.content).toContain('Tool call denied by GenOps governance');
    expect(toolMessage.content).toContain('no-deploys');
    expect(result.messages.at(-1)?.content).toBe('finished');
    const spans = governed();
    expect(spans.map((span) => span.name)).toEqual(['execute_tool deploy_prod']);
    expect(spans[0]!.attributes).toMatchObject({ 'genops.policy.result': 'BLOCKED', 'gen_ai.tool.call.id': 'call_1' });
    expectGenOpsCompliant(spans);
  });

  it("ends the agent run with the GovernanceError when onDenied is 'throw'", async () => {
    init({ policy: denyDeploys });
    const agent = createAgent({
      model: model('deploy_prod', {}),
      tools: [deploy],
      middleware: [genopsAgentMiddleware({ onDenied: 'throw' })],
    });
    const error = await agent.invoke({ messages: [new HumanMessage('Ship it.')] }).catch((caught: unknown) => caught);
    // langchain wraps what a middleware throws in its MiddlewareError, keeping the name and the cause.
    expect(error).toMatchObject({ name: 'PolicyViolationError', message: expect.stringContaining('no-deploys') });
    expect((error as Error).cause).toBeInstanceOf(PolicyViolationError);
    expect(deploys).toBe(0);
  });

  it('runs an allowed tool as one execute_tool unit, counted by a requests budget', async () => {
    init({
      policy: {
        version: 1,
        rules: [],
        budgets: [{ name: 'searches', limit: 5, unit: 'requests', window: 'day', match: { tool: 'search' } }],
      },
    });
    const agent = createAgent({
      model: model('search', { query: 'otters' }),
      tools: [search],
      middleware: [genopsAgentMiddleware()],
    });
    await agent.invoke({ messages: [new HumanMessage('Find otters.')] });
    expect(searches).toBe(1);
    const spans = governed();
    expect(spans.map((span) => span.name)).toEqual(['execute_tool search']);
    expect(spans[0]!.attributes).toMatchObject({ 'genops.policy.result': 'ALLOWED', 'genops.accounting.actual': 0 });
    expectGenOpsCompliant(spans);
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({ budget: 'searches', used: 1 });
  });

  it('with the callback handler as well, governs each tool call once', async () => {
    init();
    const agent = createAgent({
      model: model('search', { query: 'otters' }),
      tools: [search],
      middleware: [genopsAgentMiddleware()],
    });
    await agent.invoke(
      { messages: [new HumanMessage('Find otters.')] },
      {
        callbacks: [
          new GenOpsCallbackHandler({ provider: 'openai', model: 'gpt-4o', tracerProvider: telemetry.tracerProvider }),
        ],
      },
    );
    const names = governed().map((span) => span.name);
    expect(names.filter((name) => name === 'execute_tool search')).toHaveLength(1);
    expect(names.filter((name) => name === 'chat gpt-4o')).toHaveLength(2);
    expectGenOpsCompliant(governed());
  });

  it('calls the tool straight through when GenOps is not running', async () => {
    const agent = createAgent({
      model: model('search', { query: 'x' }),
      tools: [search],
      middleware: [genopsAgentMiddleware()],
    });
    await agent.invoke({ messages: [new HumanMessage('Find x.')] });
    expect(searches).toBe(1);
    expect(telemetry.spans()).toHaveLength(0);
  });
});
