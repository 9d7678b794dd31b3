import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BudgetExceededError, ConfigError, GenOpsError, GovernanceError, PolicyViolationError } from './index';

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
    const foreign = new built.BudgetExceededError({
      budget: 'b',
      budgetKey: 'b||total',
      limit: 1,
      used: 1,
      requested: 0.5,
      unit: 'USD',
      period: 'budget',
    });
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
    expect(error.isRetryable).toBe(true);
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
