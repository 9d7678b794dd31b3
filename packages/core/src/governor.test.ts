import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { withAttribution } from './attribution';
import { periodOf } from './budget/window';
import { ApprovalDeniedError } from './errors/approval-denied-error';
import { BudgetExceededError } from './errors/budget-exceeded-error';
import { PolicyViolationError } from './errors/policy-violation-error';
import { ReservationFailedError } from './errors/reservation-failed-error';
import { chatRequest, useCoreTestSetup } from './test-support/core-test-setup';
import type { GovernedRequest, Usage } from './types';

// These tests drive the pipeline directly, with an execution step that stands in for a provider SDK.
// Adapter tests (packages/provider-*) run the same pipeline through real SDKs against fake servers.

const setup = useCoreTestSetup();
const { init } = setup;

const chat = chatRequest; // gpt-4o: 1000 in + 100 out worst case = 2500 + 1000 = 3500 µ$

/** Runs one governed call through begin → execute → end, as an adapter does. */
async function run(
  request: GovernedRequest,
  usage: Usage | null = { inputTokens: 200, outputTokens: 50 },
): Promise<void> {
  const call = await setup.genops!.governor.begin(request);
  await call.end({ usage: usage ?? undefined, response: { id: 'r1', model: request.model, finishReasons: ['stop'] } });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to be denied');
}

function lastSpan(): ReadableSpan {
  const spans = setup.spans();
  return spans[spans.length - 1]!;
}

function eventNames(span: ReadableSpan): string[] {
  return span.events.map((event) => event.name);
}

describe('allowed calls', () => {
  it('reserve the worst case, settle the actual cost and record it on the span', async () => {
    init({ budgets: [{ name: 'all', limit: 10, window: 'total' }] });
    await run(chat()); // actual: 200 × 2.5 + 50 × 10 = 1000 µ$
    const span = lastSpan();
    expect(span.name).toBe('chat gpt-4o');
    expect(span.attributes).toMatchObject({
      'genops.policy.result': 'ALLOWED',
      'genops.accounting.reserved': 0.0035,
      'genops.accounting.actual': 0.001,
      'genops.accounting.unit': 'USD',
      'genops.accounting.reconciliation_delta': 0.0025,
      'genops.budget.name': 'all',
      'genops.budget.remaining': 9.999,
      'gen_ai.usage.input_tokens': 200,
      'gen_ai.usage.output_tokens': 50,
      'genops.spec.version': '0.1.0',
    });
    expect(span.attributes['genops.policy.reason_code']).toBeUndefined();
    expect(eventNames(span)).toEqual([
      'genops.budget.reservation',
      'genops.policy.evaluated',
      'genops.budget.reconciliation',
    ]);
    const status = await setup.genops!.status();
    expect(status.budgets).toEqual([
      expect.objectContaining({ budget: 'all', used: 0.001, reserved: 0, remaining: 9.999, status: 'Active' }),
    ]);
    expect(status.openReservations).toBe(0);
  });

  it('settle a usage-less response from the reservation, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 10, window: 'total' }] });
    await run(chat(), null);
    const span = lastSpan();
    expect(span.attributes).toMatchObject({
      'genops.accounting.actual': 0.0035,
      'genops.accounting.incomplete': true,
      'genops.cost.estimated': true,
    });
    const reconciliation = span.events.find((event) => event.name === 'genops.budget.reconciliation');
    expect(reconciliation?.attributes).toMatchObject({
      'genops.accounting.incomplete': true,
      'genops.accounting.actual': 0.0035,
    });
    expect((await setup.genops!.status()).budgets[0]?.used).toBe(0.0035);
  });

  it('release everything for a provider error, and record error.type', async () => {
    init({ budgets: [{ name: 'all', limit: 10, window: 'total' }] });
    const call = await setup.genops!.governor.begin(chat());
    class RateLimitError extends Error {}
    await call.fail(new RateLimitError('429'));
    const span = lastSpan();
    expect(span.attributes).toMatchObject({
      'genops.accounting.actual': 0,
      'error.type': 'RateLimitError',
      'genops.execution.reason_code': 'PROVIDER_ERROR_UPSTREAM',
    });
    expect((await setup.genops!.status()).budgets[0]).toMatchObject({ used: 0, reserved: 0 });
  });

  it('record a provider error by type and HTTP status, never its text (a 400 may echo the prompt)', async () => {
    init();
    const call = await setup.genops!.governor.begin(chat());
    class BadRequestError extends Error {
      readonly status = 400;
    }
    const echoed = 'Invalid request: "mail jane.doe@example.com the key sk-proj-AbCdEf0123456789AbCdEf0123456789"';
    await call.fail(new BadRequestError(echoed));
    const span = lastSpan();
    expect(span.attributes).toMatchObject({ 'error.type': 'BadRequestError', 'http.response.status_code': 400 });
    expect(span.status).toEqual({ code: 2, message: 'BadRequestError (HTTP 400)' });
    const recorded = JSON.stringify({ attributes: span.attributes, events: span.events, status: span.status });
    expect(recorded).not.toContain('jane.doe@example.com');
    expect(recorded).not.toContain('sk-proj-');
  });

  it('keep the provider error text in the span status when content capture is opted in', async () => {
    init({ captureContent: true });
    const call = await setup.genops!.governor.begin(chat());
    await call.fail(new TypeError('fetch failed: jane.doe@example.com'));
    expect(lastSpan().status).toEqual({ code: 2, message: 'fetch failed: jane.doe@example.com' });
    expect(lastSpan().attributes['http.response.status_code']).toBeUndefined();
  });

  // The span attributes that only repeat another one (docs/telemetry.md, "What moved").
  const compatNames = [
    'genops.tokens.input',
    'genops.tokens.output',
    'genops.tokens.total',
    'genops.cost.total',
    'genops.cost.currency',
    'genops.cost.provider',
    'genops.cost.model',
    'genops.provider',
    'genops.model',
    'genops.accounting.released',
    'genops.governance.policy_check',
    'genops.governance.budget_remaining',
    'genops.governance.approval_required',
    'genops.governance.authority_constraint',
  ];

  it('set no duplicates of the GenAI and accounting attributes on the span, and no genops.cost.calculated', async () => {
    init({ budgets: [{ name: 'all', limit: 10, window: 'total' }] });
    await run(chat());
    const span = lastSpan();
    const names = Object.keys(span.attributes);
    for (const moved of compatNames) expect(names).not.toContain(moved);
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 200,
      'genops.accounting.actual': 0.001,
      'genops.accounting.unit': 'USD',
      'genops.accounting.reconciliation_delta': 0.0025,
      'genops.budget.remaining': 9.999,
    });
    expect(eventNames(span)).not.toContain('genops.cost.calculated');
  });

  it('telemetry.compatAttributes: the original README names too, each equal to the name it repeats', async () => {
    init({ budgets: [{ name: 'all', limit: 10, window: 'total' }], telemetry: { compatAttributes: true } });
    await run(chat(), { inputTokens: 200, outputTokens: 50 });
    const span = lastSpan();
    const attributes = span.attributes;
    expect(Object.keys(attributes)).toEqual(expect.arrayContaining(compatNames));
    expect(attributes).toMatchObject({
      'genops.tokens.input': attributes['gen_ai.usage.input_tokens'],
      'genops.tokens.output': attributes['gen_ai.usage.output_tokens'],
      'genops.tokens.total': 250,
      'genops.cost.total': attributes['genops.accounting.actual'],
      'genops.cost.currency': attributes['genops.accounting.unit'],
      'genops.cost.provider': attributes['gen_ai.provider.name'],
      'genops.cost.model': attributes['gen_ai.response.model'],
      'genops.provider': attributes['gen_ai.provider.name'],
      'genops.model': attributes['gen_ai.request.model'],
      'genops.accounting.released': attributes['genops.accounting.reconciliation_delta'],
      'genops.governance.policy_check': 'passed',
      'genops.governance.budget_remaining': attributes['genops.budget.remaining'],
      'genops.governance.approval_required': false,
      'genops.governance.authority_constraint': 'none',
    });
    const calculated = span.events.find((event) => event.name === 'genops.cost.calculated');
    expect(calculated?.attributes).toEqual({ 'genops.cost.total': 0.001, 'genops.cost.currency': 'USD' });
    expect(eventNames(span)).toEqual([
      'genops.budget.reservation',
      'genops.policy.evaluated',
      'genops.budget.reconciliation',
      'genops.cost.calculated',
    ]);
  });

  it('telemetry.compatAttributes: genops.model follows a downgrade to the cheaper model', async () => {
    init({
      budgets: [{ name: 'b', limit: 0.0005, window: 'day', action: 'downgrade', downgradeTo: 'gpt-4o-mini' }],
      telemetry: { compatAttributes: true },
    });
    await run(chat({ editable: { model: true } }), { inputTokens: 1000, outputTokens: 100 });
    expect(lastSpan().attributes).toMatchObject({
      'gen_ai.request.model': 'gpt-4o-mini',
      'genops.model': 'gpt-4o-mini',
      'genops.downgrade.original_model': 'gpt-4o',
    });
  });

  it('attribute calls from withAttribution over init defaults', async () => {
    init();
    await withAttribution({ team: 'support', customer: 'acme', feature: 'summaries' }, () => run(chat()));
    expect(lastSpan().attributes).toMatchObject({
      'genops.team': 'support',
      'genops.project': 'tests',
      'genops.customer_id': 'acme',
      'genops.feature': 'summaries',
    });
  });
});

describe('policy', () => {
  it('enforce: a denied model is blocked before execution, with no reservation or reconciliation', async () => {
    init({ policies: { denyModels: ['gpt-4o*'] }, budgets: [{ name: 'all', limit: 10, window: 'total' }] });
    const error = await rejection(run(chat()));
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect(error.message).toContain('is denied by policy rule "denyModels" (deny: gpt-4o*)');
    const span = lastSpan();
    expect(span.attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'POLICY_DENY_MODEL',
      'error.type': 'PolicyViolationError',
    });
    expect(eventNames(span)).toEqual(['genops.policy.evaluated']);
    expect(span.attributes['genops.accounting.reserved']).toBeUndefined();
    expect((await setup.genops!.status()).budgets[0]).toMatchObject({ used: 0, reserved: 0 });
  });

  it('allowModels globs decide which models run', async () => {
    init({ policies: { allowModels: ['gpt-4o-mini', 'claude-{sonnet,haiku}-*'] } });
    await run(chat({ model: 'gpt-4o-mini' }));
    await run(chat({ provider: 'anthropic', model: 'claude-haiku-4-5' }));
    expect(await rejection(run(chat({ model: 'gpt-4o' })))).toBeInstanceOf(PolicyViolationError);
  });

  it('warn: the call runs with result WARNING and the reason code', async () => {
    init({ policies: { mode: 'warn', denyModels: ['gpt-4o'] }, telemetry: { compatAttributes: true } });
    await run(chat());
    expect(lastSpan().attributes).toMatchObject({
      'genops.policy.result': 'WARNING',
      'genops.policy.reason_code': 'POLICY_DENY_MODEL',
      'genops.governance.policy_check': 'warning',
    });
  });

  it('shadow (enablePolicyEnforcement: false): the call runs, the would-be decision is recorded', async () => {
    init({ enablePolicyEnforcement: false, policies: { denyModels: ['gpt-4o'] } });
    await run(chat());
    expect(lastSpan().attributes).toMatchObject({
      'genops.policy.result': 'ALLOWED',
      'genops.policy.mode': 'shadow',
      'genops.policy.shadow_result': 'BLOCKED',
      'genops.policy.shadow_reason_code': 'POLICY_DENY_MODEL',
    });
    expect(lastSpan().attributes['genops.policy.reason_code']).toBeUndefined();
  });

  it('maxTokens: applies to the request cap, or to the model limit when the request sets none', async () => {
    init({ policies: { maxTokens: 500 } });
    await run(chat({ maxOutputTokens: 500 }));
    const explicit = await rejection(run(chat({ maxOutputTokens: 501 })));
    expect(explicit).toMatchObject({ reasonCode: 'x_max_tokens_exceeded' });
    const implicit = await rejection(run(chat({ maxOutputTokens: undefined })));
    expect(implicit.message).toContain("the model's limit of 16384");
  });

  it('maxCostPerCall: compares the worst case', async () => {
    init({ policies: { maxCostPerCall: 0.0035 } });
    await run(chat());
    const error = await rejection(run(chat({ maxOutputTokens: 101 })));
    expect(error).toMatchObject({ reasonCode: 'x_max_cost_exceeded' });
    expect(error.message).toContain('may cost up to $0.00351');
  });

  it('requireAttribution: names the missing key and how to set it', async () => {
    init({ policies: { requireAttribution: ['customer'] } });
    const error = await rejection(run(chat()));
    expect(error).toMatchObject({ reasonCode: 'x_attribution_missing' });
    expect(error.message).toContain("withAttribution({ customer: '...' }");
    await withAttribution({ customer: 'acme' }, () => run(chat()));
  });
});

describe('budgets', () => {
  it('block a call whose worst case does not fit, naming the budget', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.005, window: 'day' }], telemetry: { compatAttributes: true } });
    await run(chat()); // reserves 3500, settles 1000
    const error = await rejection(run(chat({ maxOutputTokens: 400 }))); // 2500 + 4000 = 6500 > 5000 - 1000
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({
      budget: 'tiny',
      limit: 0.005,
      used: 0.001,
      requested: 0.0065,
      reasonCode: 'BUDGET_EXCEEDED',
    });
    const span = lastSpan();
    expect(span.attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'BUDGET_EXCEEDED',
      'genops.governance.authority_constraint': 'budget_limit',
    });
    expect(eventNames(span)).not.toContain('genops.budget.reconciliation');
  });

  it('dailyBudgetLimit is a shared daily budget', async () => {
    init({ dailyBudgetLimit: 0.004 });
    await run(chat());
    await expect(run(chat())).rejects.toThrow(/Budget "daily"/);
  });

  it('per: one budget instance per value of the dimension', async () => {
    init({ budgets: [{ name: 'per-customer', limit: 0.004, window: 'month', per: 'customer' }] });
    await withAttribution({ customer: 'acme' }, () => run(chat()));
    await withAttribution({ customer: 'globex' }, () => run(chat()));
    await expect(withAttribution({ customer: 'acme' }, () => run(chat()))).rejects.toBeInstanceOf(BudgetExceededError);
    const rows = (await setup.genops!.status()).budgets.map((row) => [row.per.customer, row.used]);
    expect(rows).toEqual([
      ['acme', 0.001],
      ['globex', 0.001],
    ]);
  });

  it('match: only calls that match the selector draw on the budget', async () => {
    init({
      budgets: [{ name: 'support-gpt4', limit: 0.001, window: 'day', match: { team: 'support', model: 'gpt-4*' } }],
    });
    await run(chat()); // team eng: not matched
    await withAttribution({ team: 'support' }, () => run(chat({ model: 'gpt-3.5-turbo' }))); // model not matched
    await expect(withAttribution({ team: 'support' }, () => run(chat()))).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('action warn: the call runs over the limit with result WARNING', async () => {
    init({ budgets: [{ name: 'soft', limit: 0.001, window: 'day', action: 'warn' }] });
    await run(chat());
    expect(lastSpan().attributes).toMatchObject({
      'genops.policy.result': 'WARNING',
      'genops.policy.reason_code': 'BUDGET_EXCEEDED',
    });
  });

  it('a tokens budget counts tokens', async () => {
    init({ budgets: [{ name: 'tokens', limit: 1200, unit: 'tokens', window: 'day' }] });
    await run(chat()); // reserves 1100 tokens, settles 250
    await expect(run(chat())).rejects.toBeInstanceOf(BudgetExceededError); // 250 + 1100 > 1200
    expect((await setup.genops!.status()).budgets[0]).toMatchObject({ unit: 'tokens', used: 250 });
  });

  it('never commits more than the limit under 200 concurrent calls, and settles every reservation', async () => {
    init({ budgets: [{ name: 'one-dollar', limit: 1, window: 'total' }] });
    // Worst case 1000 × 2.5 + 1000 × 10 = 12 500 µ$; actual usage varies per call up to the cap.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, async (_, index) => {
        const call = await setup.genops!.governor.begin(chat({ maxOutputTokens: 1000 }));
        await new Promise((resolve) => setTimeout(resolve, index % 7));
        const usage = { inputTokens: 1000, outputTokens: 1000 - (index % 5) * 100 };
        await call.end({ usage });
        return 2500 + usage.outputTokens * 10;
      }),
    );
    const allowed = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const blocked = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(allowed.length + blocked.length).toBe(200);
    expect(blocked.length).toBeGreaterThan(0);
    for (const outcome of blocked)
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(BudgetExceededError);
    const expected = allowed.reduce((sum, outcome) => sum + (outcome as PromiseFulfilledResult<number>).value, 0);
    const status = await setup.genops!.status();
    expect(status.openReservations).toBe(0);
    expect(status.budgets[0]!.reserved).toBe(0);
    expect(Math.round(status.budgets[0]!.used * 1e6)).toBe(expected);
    expect(status.budgets[0]!.used).toBeLessThanOrEqual(1);
  });
});

describe('unknown models', () => {
  it('deny by default, with a message saying how to add a price', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    const error = await rejection(run(chat({ model: 'gpt-imaginary' })));
    expect(error).toBeInstanceOf(ReservationFailedError);
    expect(error).toMatchObject({ reasonCode: 'BUDGET_RESERVATION_FAILED' });
    expect(error.message).toContain("prices: { 'openai': { 'gpt-imaginary'");
  });

  it("warn: run, charged at the provider's highest known rates (never $0), flagged estimated, never silently", async () => {
    init({ unknownModel: 'warn' });
    await run(chat({ model: 'gpt-imaginary' }));
    const attributes = lastSpan().attributes;
    expect(attributes).toMatchObject({
      'genops.policy.result': 'WARNING',
      'genops.policy.reason_code': 'x_price_unknown',
      'genops.cost.estimated': true,
      'genops.cost.source': 'conservative-estimate',
    });
    expect(attributes['genops.accounting.actual']).toBeGreaterThan(0);
  });

  it('a fallback price prices it, flagged estimated', async () => {
    init({ unknownModel: { input: 1, output: 2 } });
    await run(chat({ model: 'gpt-imaginary' })); // 200 × 1 + 50 × 2 = 300 µ$
    expect(lastSpan().attributes).toMatchObject({
      'genops.accounting.actual': 0.0003,
      'genops.policy.result': 'ALLOWED',
      'genops.cost.estimated': true,
    });
  });

  it('prices passed to init are used', async () => {
    init({ prices: { openai: { 'my-finetune': { input: 10, output: 20 } } } });
    await run(chat({ model: 'my-finetune' })); // 2000 + 1000
    expect(lastSpan().attributes['genops.accounting.actual']).toBe(0.003);
  });
});

describe('approval', () => {
  // worst case 3500 µ$ = $0.0035 > $0.003 threshold
  it('holds the call for the approver and proceeds when approved', async () => {
    const asked: number[] = [];
    init({
      requireApprovalOver: 0.003,
      approver: async (request) => {
        asked.push(request.estimatedCost);
        return { approved: true, approver: 'alice', reason: 'launch week' };
      },
      telemetry: { compatAttributes: true },
    });
    await run(chat());
    expect(asked).toEqual([0.0035]);
    const span = lastSpan();
    expect(span.attributes).toMatchObject({
      'genops.policy.result': 'ALLOWED',
      'genops.governance.approval_required': true,
      'genops.approval.status': 'approved',
      'genops.approval.decided_by': 'alice',
    });
    expect(eventNames(span)).toContain('genops.approval.decided');
  });

  it('does not ask below the threshold', async () => {
    let asked = false;
    init({ requireApprovalOver: 0.01, approver: () => (asked = true), telemetry: { compatAttributes: true } });
    await run(chat());
    expect(asked).toBe(false);
    expect(lastSpan().attributes['genops.governance.approval_required']).toBe(false);
    expect(lastSpan().attributes['genops.approval.id']).toBeUndefined();
  });

  it('denied: ApprovalDeniedError, and the reservation is released', async () => {
    init({
      requireApprovalOver: 0.003,
      approver: () => ({ approved: false, approver: 'bob', reason: 'too big' }),
      budgets: [{ name: 'all', limit: 1, window: 'total' }],
    });
    const error = await rejection(run(chat()));
    expect(error).toBeInstanceOf(ApprovalDeniedError);
    expect(error).toMatchObject({ decidedBy: 'bob', reason: 'too big', reasonCode: 'x_approval_denied' });
    const span = lastSpan();
    expect(span.attributes).toMatchObject({ 'genops.policy.result': 'BLOCKED', 'genops.accounting.reserved': 0.0035 });
    expect(eventNames(span)).not.toContain('genops.budget.reconciliation');
    expect((await setup.genops!.status()).budgets[0]).toMatchObject({ used: 0, reserved: 0 });
  });

  it('times out to deny by default', async () => {
    init({ requireApprovalOver: 0.003, approvalTimeoutMs: 20, approver: () => new Promise(() => {}) });
    const error = await rejection(run(chat()));
    expect(error).toMatchObject({ name: 'ApprovalTimeoutError', timedOut: true, reasonCode: 'x_approval_timeout' });
    expect(error).toBeInstanceOf(ApprovalDeniedError);
    expect(error.message).toContain('timed out after 20 ms');
  });

  it('times out to approve when configured', async () => {
    init({
      requireApprovalOver: 0.003,
      approvalTimeoutMs: 20,
      approvalTimeoutDecision: 'approve',
      approver: () => new Promise(() => {}),
    });
    await run(chat());
    expect(lastSpan().attributes['genops.approval.decided_by']).toBe('timeout');
  });

  it('denies with a clear message when no approver is configured', async () => {
    init({ requireApprovalOver: 0.003 });
    await expect(run(chat())).rejects.toThrow(/no approver is configured/);
  });
});

describe('budget windows (UTC)', () => {
  it.each([
    ['day', '2026-11-23T23:59:59.999Z', '2026-11-23', '2026-11-24T00:00:00.000Z'],
    ['day', '2028-02-29T12:00:00.000Z', '2028-02-29', '2028-03-01T00:00:00.000Z'],
    ['month', '2026-12-31T23:59:59.999Z', '2026-12', '2027-01-01T00:00:00.000Z'],
    ['month', '2028-02-01T00:00:00.000Z', '2028-02', '2028-03-01T00:00:00.000Z'],
  ] as const)('%s of %s is %s, ending %s', (window, at, id, end) => {
    const period = periodOf(window, Date.parse(at));
    expect(period.id).toBe(id);
    expect(new Date(period.endsAt!).toISOString()).toBe(end);
  });
});

describe('status()', () => {
  it('lists every budget in its current window, unused ones at their full limit', async () => {
    init({ dailyBudgetLimit: 5, budgets: [{ name: 'monthly', limit: 50, window: 'month' }] });
    await run(chat());
    const now = new Date();
    const day = now.toISOString().slice(0, 10);
    expect((await setup.genops!.status()).budgets).toEqual([
      {
        budget: 'daily',
        per: {},
        period: day,
        unit: 'USD',
        limit: 5,
        used: 0.001,
        reserved: 0,
        remaining: 4.999,
        status: 'Active',
      },
      {
        budget: 'monthly',
        per: {},
        period: day.slice(0, 7),
        unit: 'USD',
        limit: 50,
        used: 0.001,
        reserved: 0,
        remaining: 49.999,
        status: 'Active',
      },
    ]);
  });

  it('reports Warning at the warnAt threshold and Exceeded at the limit', async () => {
    init({ budgets: [{ name: 'soft', limit: 0.002, window: 'total', action: 'warn', warnAt: [0.5] }] });
    await run(chat());
    expect((await setup.genops!.status()).budgets[0]?.status).toBe('Warning');
    await run(chat());
    expect((await setup.genops!.status()).budgets[0]?.status).toBe('Exceeded');
  });
});

describe('currentPeriod', () => {
  it('moves to the next period exactly at the boundary', async () => {
    const { currentPeriod } = await import('./budget/window');
    expect(currentPeriod('day', Date.parse('2026-11-23T23:59:59.999Z')).id).toBe('2026-11-23');
    expect(currentPeriod('day', Date.parse('2026-11-24T00:00:00.000Z')).id).toBe('2026-11-24');
    expect(currentPeriod('day', Date.parse('2026-11-23T12:00:00.000Z')).id).toBe('2026-11-23');
    expect(currentPeriod('month', Date.parse('2027-01-01T00:00:00.000Z')).id).toBe('2027-01');
  });
});
