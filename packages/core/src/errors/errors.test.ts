import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  ApprovalDeniedError,
  ApprovalTimeoutError,
  BudgetExceededError,
  ConfigError,
  GenOpsError,
  GovernanceError,
  PolicyViolationError,
  RateLimitedError,
  ReservationFailedError,
  StoreUnavailableError,
} from './index';

/** A total budget of $1, used up. */
const fullBudget = {
  budget: 'b',
  budgetKey: 'b||total',
  limit: 1,
  used: 1,
  requested: 0.5,
  unit: 'USD',
  period: 'budget',
};

describe('errors', () => {
  it('are recognisable by class, base class and isInstance', () => {
    const error = new PolicyViolationError({ rule: 'denyModels', reasonCode: 'POLICY_DENY_MODEL', message: 'no' });
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect(error).toBeInstanceOf(GovernanceError);
    expect(error).toBeInstanceOf(GenOpsError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(BudgetExceededError);
    expect(error).not.toBeInstanceOf(ConfigError);
    expect(GenOpsError.isInstance(error)).toBe(true);
    expect(GenOpsError.isInstance(new Error('x'))).toBe(false);
    expect(error).toMatchObject({
      name: 'PolicyViolationError',
      result: 'BLOCKED',
      reasonCode: 'POLICY_DENY_MODEL',
      rule: 'denyModels',
    });
  });

  it('are recognised across duplicate package copies (the built CJS copy vs this source copy)', () => {
    const require = createRequire(import.meta.url);
    const built = require('../../dist/index.cjs') as typeof import('../index');
    const foreign = new built.BudgetExceededError(fullBudget);
    expect(built.BudgetExceededError).not.toBe(BudgetExceededError);
    expect(foreign).toBeInstanceOf(BudgetExceededError);
    expect(foreign).toBeInstanceOf(GovernanceError);
    expect(foreign).not.toBeInstanceOf(PolicyViolationError);
    expect(BudgetExceededError.isInstance(foreign)).toBe(true);
  });

  it('name the budget and how to change it', () => {
    const error = new BudgetExceededError({
      budget: 'team-daily',
      budgetKey: 'team-daily|team=eng|2026-11-23',
      limit: 10,
      used: 9.99,
      requested: 0.05,
      unit: 'USD',
      period: 'day',
    });
    expect(error.message).toContain('Budget "team-daily"');
    expect(error.message).toContain('$9.99 of $10');
    expect(error.message).toContain('Raise the budget');
    // Final to retry layers: the window resets in hours or days, not in a retry loop's seconds.
    expect(error.isRetryable).toBe(false);
  });
});

describe('the HTTP-like status retry layers read', () => {
  const budget = new BudgetExceededError(fullBudget);
  const rate = (windowMs: number) =>
    new RateLimitedError({
      rule: 'rpm',
      limitKey: 'rate:rpm||rolling',
      limit: 2,
      unit: 'requests',
      windowMs,
      message: 'x',
    });

  it.each([
    ['BudgetExceededError', budget, 402, false],
    [
      'PolicyViolationError',
      new PolicyViolationError({ rule: 'r', reasonCode: 'POLICY_DENY_MODEL', message: 'x' }),
      403,
      false,
    ],
    ['ApprovalDeniedError', new ApprovalDeniedError({ approvalId: 'a', message: 'x' }), 403, false],
    ['ApprovalTimeoutError', new ApprovalTimeoutError({ approvalId: 'a', message: 'x' }), 403, false],
    ['ReservationFailedError', new ReservationFailedError({ message: 'x' }), 403, false],
    [
      'StoreUnavailableError',
      new StoreUnavailableError({ store: 'redis', operation: 'reserve', message: 'x' }),
      503,
      true,
    ],
    ['RateLimitedError', rate(60_000), 429, true],
  ] as const)('%s: status %i, isRetryable %s', (_name, error, status, retryable) => {
    expect(error.status).toBe(status);
    expect(error.isRetryable).toBe(retryable);
  });

  it('a rate limit carries retry-after, in seconds, rounded up from its window', () => {
    expect(rate(60_000).headers).toEqual({ 'retry-after': '60' });
    expect(rate(60_000).retryAfter).toBe(60);
    expect(rate(1_500).headers['retry-after']).toBe('2');
  });

  it('a rate limit without a known window, and every other denial, has no retry-after', () => {
    expect(rate(0).headers).toEqual({});
    expect(rate(0).retryAfter).toBeUndefined();
    expect(budget.headers).toEqual({});
    expect(Object.isFrozen(budget.headers)).toBe(true);
  });
});

describe('isInstance', () => {
  it('narrows to the class it is called on, not to siblings', () => {
    const policy = new PolicyViolationError({ rule: 'denyModels', reasonCode: 'POLICY_DENY_MODEL', message: 'no' });
    expect(BudgetExceededError.isInstance(policy)).toBe(false);
    expect(PolicyViolationError.isInstance(policy)).toBe(true);
    expect(GovernanceError.isInstance(policy)).toBe(true);
    expect(ConfigError.isInstance(policy)).toBe(false);
    expect(GovernanceError.isInstance(new ConfigError({ path: 'x', message: 'bad' }))).toBe(false);
  });
});
