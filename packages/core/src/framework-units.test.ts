import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { BudgetExceededError } from './errors/budget-exceeded-error';
import { PolicyViolationError } from './errors/policy-violation-error';
import { RateLimitedError } from './errors/rate-limited-error';
import { costMicros } from './pricing/cost';
import { PRICE_FILES } from './pricing/data/index';
import { chatRequest, useCoreTestSetup } from './test-support/core-test-setup';
import { governToolCall, ToolResultError } from './tool';
import type { GovernedRequest, Usage } from './types';

// What framework adapters build on: one governed unit when a framework call wraps an SDK adapter's
// call (no double reservation, no double count), tool calls as `execute_tool` units, and budgets that
// count calls. The "SDK adapter" here is the same `governor.begin` an adapter package calls.

const setup = useCoreTestSetup();
const { init } = setup;

const chat = (overrides: Partial<GovernedRequest> = {}): GovernedRequest =>
  chatRequest({ text: () => ['What is the capital of France?'], ...overrides });

const gpt4o = PRICE_FILES.find((file) => file.provider === 'openai')!.models['gpt-4o']!;
const USAGE: Usage = { inputTokens: 200, outputTokens: 50, cacheReadInputTokens: 100 };
const spans = (): ReadableSpan[] => setup.spans();

async function used(budget: string): Promise<number> {
  const status = await setup.genops!.status();
  return status.budgets.find((line) => line.budget === budget)?.used ?? Number.NaN;
}

describe('a framework call that wraps an SDK adapter call is one governed unit', () => {
  it('inside runInContext: the SDK-level call is not reserved or counted again, and its usage fills in', async () => {
    init({ budgets: [{ name: 'all', limit: 10, window: 'day' }] });
    const governor = setup.genops!.governor;
    const outer = await governor.begin(chat({ provider: 'openai', method: 'framework' }));
    await outer.runInContext(async () => {
      const inner = await governor.begin(chat());
      expect(inner.id).toBe(outer.id);
      expect(inner.edits).toBeUndefined();
      await inner.end({ usage: USAGE, response: { id: 'chatcmpl-1', model: 'gpt-4o-2024-08-06' } });
    });
    // The framework saw no usage of its own (LlamaIndex without a parsed raw response, say).
    await outer.end({});
    const all = spans();
    expect(all).toHaveLength(1);
    const expected = costMicros(gpt4o, USAGE);
    expect(all[0]!.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 200,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.response.id': 'chatcmpl-1',
      'genops.accounting.actual': expected / 1_000_000,
    });
    expect(all[0]!.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect(await used('all')).toBe(expected / 1_000_000);
  });

  it("the framework's own usage wins over the SDK's when both report it", async () => {
    init();
    const governor = setup.genops!.governor;
    const outer = await governor.begin(chat());
    await outer.runInContext(async () => {
      const inner = await governor.begin(chat());
      await inner.end({ usage: { inputTokens: 999, outputTokens: 999 } });
    });
    await outer.end({ usage: USAGE });
    expect(spans()[0]!.attributes['gen_ai.usage.input_tokens']).toBe(200);
  });

  it('claimed with adoptNextCall (callback frameworks): only the matching call is adopted, once', async () => {
    init({ budgets: [{ name: 'all', limit: 10, window: 'day' }] });
    const governor = setup.genops!.governor;
    const outer = await governor.begin(chat());
    outer.adoptNextCall({ model: 'gpt-4o', text: 'capital of France' });
    // A concurrent call for another model, or with other text, is governed on its own.
    const other = await governor.begin(chat({ model: 'gpt-4o-mini' }));
    const otherText = await governor.begin(chat({ text: () => ['Write a poem.'] }));
    expect(other.id).not.toBe(outer.id);
    expect(otherText.id).not.toBe(outer.id);
    const adopted = await governor.begin(chat());
    expect(adopted.id).toBe(outer.id);
    // The claim is used up: the next identical call is its own unit.
    const next = await governor.begin(chat());
    expect(next.id).not.toBe(outer.id);
    await adopted.end({ usage: USAGE });
    await outer.end({});
    for (const call of [other, otherText, next]) await call.end({ usage: USAGE });
    expect(spans()).toHaveLength(4);
    expect(
      spans().find((span) => span.spanContext().spanId === outer.span.spanContext().spanId)?.attributes,
    ).toMatchObject({ 'gen_ai.usage.input_tokens': 200 });
  });

  it('a withdrawn or settled claim adopts nothing', async () => {
    init();
    const governor = setup.genops!.governor;
    const outer = await governor.begin(chat());
    const withdraw = outer.adoptNextCall({ model: 'gpt-4o' });
    withdraw();
    expect((await governor.begin(chat())).id).not.toBe(outer.id);
    const settled = await governor.begin(chat());
    settled.adoptNextCall({ model: 'gpt-4o' });
    await settled.end({ usage: USAGE });
    expect((await governor.begin(chat())).id).not.toBe(settled.id);
  });

  it('a call begun after the framework call settled is governed on its own', async () => {
    init();
    const governor = setup.genops!.governor;
    const outer = await governor.begin(chat());
    let later: Promise<string> | undefined;
    await outer.runInContext(async () => {
      later = new Promise((resolve) => setTimeout(() => resolve(governor.begin(chat()).then((call) => call.id)), 20));
    });
    await outer.end({ usage: USAGE });
    expect(await later).not.toBe(outer.id);
  });

  it('a tool call inside a model call is its own unit', async () => {
    init();
    const governor = setup.genops!.governor;
    const outer = await governor.begin(chat());
    await outer.runInContext(() => governToolCall({ name: 'search', provider: 'mcp' }, () => 'ok'));
    await outer.end({ usage: USAGE });
    expect(spans().map((span) => span.name)).toEqual(['execute_tool search', 'chat gpt-4o']);
  });
});

describe('governToolCall', () => {
  it('runs the tool as one execute_tool unit that costs nothing and is not estimated', async () => {
    init();
    const result = await governToolCall(
      {
        name: 'search',
        provider: 'mcp',
        callId: 'call_1',
        type: 'extension',
        arguments: { q: 'genops' },
        serverAddress: 'tools.internal',
        serverPort: 8443,
      },
      async () => ({ hits: 3 }),
    );
    expect(result).toEqual({ hits: 3 });
    const [span] = spans();
    expect(span!.name).toBe('execute_tool search');
    expect(span!.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.tool.type': 'extension',
      'gen_ai.provider.name': 'mcp',
      'server.address': 'tools.internal',
      'server.port': 8443,
      'genops.operation.type': 'tool',
      'genops.accounting.actual': 0,
      'genops.policy.result': 'ALLOWED',
    });
    expect(span!.attributes['genops.cost.estimated']).toBeUndefined();
    expect(span!.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    // Content capture is off: the arguments are not on the span.
    expect(JSON.stringify(span!.attributes)).not.toContain('genops"');
  });

  it('a denied tool is never run, and the caller gets the policy error', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-shell', type: 'tool', deny: ['shell_*'] }] } });
    let ran = false;
    const error = await governToolCall({ name: 'shell_exec', provider: 'mcp' }, () => {
      ran = true;
    }).catch((caught) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect((error as PolicyViolationError).reasonCode).toBe('x_tool_denied');
    expect(ran).toBe(false);
    expect(spans()[0]!.attributes).toMatchObject({ 'genops.policy.result': 'BLOCKED' });
  });

  it('model and provider allow-lists govern models, not tools', async () => {
    init({
      policy: {
        version: 1,
        rules: [
          { name: 'models', type: 'model', allow: ['gpt-4o*'] },
          { name: 'providers', type: 'provider', allow: ['openai'] },
        ],
      },
    });
    expect(await governToolCall({ name: 'search', provider: 'mcp' }, () => 'ok')).toBe('ok');
    await expect(setup.genops!.governor.begin(chat({ model: 'o3' }))).rejects.toBeInstanceOf(PolicyViolationError);
  });

  it('content rules read the arguments', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-secrets', type: 'content', detect: ['secret'] }] } });
    const error = await governToolCall(
      { name: 'http_post', provider: 'mcp', arguments: { header: `Bearer sk-ant-api03-${'x'.repeat(90)}` } },
      () => 'sent',
    ).catch((caught) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect((error as PolicyViolationError).reasonCode).toBe('POLICY_DENY_CONTENT');
  });

  it('a thrown error and an error result both end the unit as an error', async () => {
    init();
    await expect(
      governToolCall({ name: 'flaky', provider: 'mcp' }, () => {
        throw new TypeError('boom');
      }),
    ).rejects.toThrow('boom');
    const result = await governToolCall({ name: 'lookup', provider: 'mcp' }, () => ({ isError: true }), {
      isError: (value) => value.isError,
    });
    expect(result).toEqual({ isError: true });
    const [thrown, errorResult] = spans();
    expect(thrown!.attributes['error.type']).toBe('TypeError');
    expect(errorResult!.attributes['error.type']).toBe(ToolResultError.name);
  });

  it('without GenOps running, just runs the tool', async () => {
    expect(await governToolCall({ name: 'search', provider: 'mcp' }, () => 42)).toBe(42);
    expect(spans()).toHaveLength(0);
  });
});

describe('call-count budgets (unit: requests)', () => {
  it('count calls, per tool, and deny the call over the limit before it runs', async () => {
    init({
      budgets: [{ name: 'deploys', unit: 'requests', limit: 2, window: 'day', match: { tool: 'deploy_*' } }],
    });
    let runs = 0;
    const deploy = () => governToolCall({ name: 'deploy_prod', provider: 'mcp' }, () => ++runs);
    await deploy();
    await deploy();
    // Another tool does not draw on it.
    await governToolCall({ name: 'search', provider: 'mcp' }, () => 'ok');
    const error = await deploy().catch((caught) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as BudgetExceededError).message).toContain(
      'would be exceeded: 2 calls of 2 calls already used or reserved this day, and this call is 1 call. Raise the budget',
    );
    expect(runs).toBe(2);
    const status = await setup.genops!.status();
    expect(status.budgets.find((line) => line.budget === 'deploys')).toMatchObject({
      unit: 'requests',
      used: 2,
      limit: 2,
    });
  });

  it('count model calls too, settled as one call whatever the tokens', async () => {
    init({ budgets: [{ name: 'calls', unit: 'requests', limit: 1, window: '1h' }] });
    const call = await setup.genops!.governor.begin(chat());
    await call.end({ usage: USAGE });
    await expect(setup.genops!.governor.begin(chat())).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('per-tool rate limits hold tool calls to their rate', async () => {
    init({
      policy: {
        version: 1,
        rules: [{ name: 'search-rpm', type: 'rate_limit', limit: 1, window: '1m', when: { tool: 'search' } }],
      },
    });
    await governToolCall({ name: 'search', provider: 'mcp' }, () => 1);
    await expect(governToolCall({ name: 'search', provider: 'mcp' }, () => 2)).rejects.toBeInstanceOf(RateLimitedError);
    expect(await governToolCall({ name: 'fetch', provider: 'mcp' }, () => 3)).toBe(3);
  });
});
