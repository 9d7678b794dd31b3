import { TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { parseOptions } from './config';
import { ConfigError } from './errors/config-error';
import { compilePolicy, EMPTY_POLICY } from './policy/compile';

function configError(options: unknown): ConfigError {
  try {
    parseOptions(options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseOptions', () => {
  it('accepts the original GenOps options and fills defaults', () => {
    const options = parseOptions({ dailyBudgetLimit: 100, requireApprovalOver: 50, enablePolicyEnforcement: true });
    expect(options).toMatchObject({
      dailyBudgetLimit: 100,
      requireApprovalOver: 50,
      enablePolicyEnforcement: true,
      budgets: [],
      unknownModel: 'deny',
    });
    expect(compilePolicy(EMPTY_POLICY, options).approvals).toEqual({
      overNanos: 50_000_000_000,
      overUsd: 50,
      timeoutMs: 300_000,
      onTimeout: 'deny',
    });
  });

  it.each([
    [{ dailyBudgetLimit: -5 }, 'dailyBudgetLimit', /a number > 0/],
    [
      { budgets: [{ name: 'x', limit: 10, window: 'fortnight' }] },
      'budgets[0].window',
      /"fortnight" is not a window name or a duration.*expected "day", "week", "month", "total" or a number and a unit/,
    ],
    [{ budgets: [{ name: 'x', limit: 0, window: 'day' }] }, 'budgets[0].limit', /a number > 0/],
    [{ policies: { allowModels: ['gpt-4o[', 'claude-*'] } }, 'policies.allowModels[0]', /bad glob: unclosed "\["/],
    [{ policies: { denyModels: ['{gpt,claude'] } }, 'policies.denyModels[0]', /unclosed "\{"/],
    [
      { budgets: [{ name: 'x', limit: 1, window: 'day', match: { team: 'a]b' } }] },
      'budgets[0].match.team',
      /unexpected "\]"/,
    ],
    [{ dailyBudget: 100 }, '(options)', /unknown option "dailyBudget"/],
    [{ exporter: 'jaeger' }, 'exporter', /"console", "otlp", "prometheus", "none"/],
    [{ approver: 'yes' }, 'approver', /must be a function/],
    [
      {
        budgets: [
          { name: 'a', limit: 1, window: 'day' },
          { name: 'a', limit: 2, window: 'month' },
        ],
      },
      'budgets[1].name',
      /duplicate budget name "a"/,
    ],
  ])('rejects %j naming %s', (options, path, message) => {
    const error = configError(options);
    expect(error.path).toBe(path);
    expect(error.message).toContain(`\`${path}\``);
    expect(error.message).toMatch(message);
  });

  it('says what it received', () => {
    const error = configError({ dailyBudgetLimit: -5 });
    expect(error.received).toBe(-5);
    expect(error.message).toContain('got -5');
  });
  it('says a missing budget window is required, and which forms it takes', () => {
    const error = configError({ budgets: [{ name: 'daily', limit: 10 }] });
    expect(error.path).toBe('budgets[0].window');
    expect(error.expected).toBe('one of "day", "week", "month", "total" or string');
    expect(error.message).toContain(
      'required, got nothing (expected one of "day", "week", "month", "total" or string)',
    );
    const wrongType = configError({ budgets: [{ name: 'daily', limit: 10, window: 7 }] });
    expect(wrongType.message).toContain('not one of the accepted forms, got 7');
  });
});

describe('GenOps.init() options that cannot be shown as JSON', () => {
  it('reports an unknown option next to a tracer provider as a ConfigError, not a TypeError', () => {
    // The whole options object is "received" for an unknown option at the root; a tracer provider holds cycles.
    const error = configError({ auditFile: '/tmp/audit.jsonl', tracerProvider: new TracerProvider() });
    expect(error.message).toMatch(/unknown option "auditFile"/);
  });

  it('names the kind of a wrong value that holds a cycle', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const error = configError({ dailyBudgetLimit: cycle });
    expect(error.message).toContain('dailyBudgetLimit');
    expect(error.message).toContain('got an object');
  });
});
