import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, fixture, runCli } from './helpers';

// `genops policy ...` run as the built bin in a child process (pipes, so no colours).
const POLICY = fixture('genops.policy.yaml');
const INVALID = fixture('invalid.policy.yaml');
const SEVERAL = fixture('several-errors.policy.yaml');
/** A Monday inside the office-hours window of the fixture's time_window rule. */
const MONDAY = '2026-11-23T10:00:00Z';

beforeAll(assertBuilt);

describe('genops policy validate', () => {
  it('summarises a valid policy: rule types, budgets, approval threshold and version', async () => {
    const result = await runCli(['policy', 'validate', POLICY]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `✔ ${POLICY} is valid: 8 rules (model, content, tokens, rate_limit, tool, attribution, time_window), 3 budgets, approvals over $50 (policy version `,
    );
    expect(result.stdout).toMatch(/\(policy version [0-9a-f]{12}\)\n$/);
  });

  it('prints { valid, version, rules, budgets, errors } with --json', async () => {
    const result = await runCli(['policy', 'validate', POLICY, '--json']);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ valid: true, rules: 8, budgets: 3, approvalsOverUsd: 50, errors: [] });
    expect(output.version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('exits 1 with file:line:column, path, expected and received for an invalid policy', async () => {
    const result = await runCli(['policy', 'validate', INVALID]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `genops: error: ${INVALID}:5:13: rules[0].allow[0]: bad glob: unclosed "[" at position 4 (expected a glob such as "gpt-4o*" or "claude-{sonnet,haiku}-*"), got "gpt-[4o"\n`,
    );
  });

  it('lists every problem of a file with several, one per line', async () => {
    const result = await runCli(['policy', 'validate', SEVERAL]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`genops: error: ${SEVERAL} is not a valid policy: 3 problems`);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(`${SEVERAL}:5:16: rules[0].maxOutput:`);
    expect(lines[2]).toContain(`${SEVERAL}:8:17: rules[1].maxPerCall:`);
    // The wording of each message is core's; the CLI's part is the location, the path and the value found.
    expect(lines[3]).toContain(`${SEVERAL}:12:13: budgets[0].window:`);
    expect(lines[3]).toMatch(/, got "fortnight"$/);
  });

  it('reports errors as { file, line, column, path, message } with --json', async () => {
    const result = await runCli(['policy', 'validate', INVALID, '--json']);
    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ valid: false, version: null });
    expect(output.errors).toEqual([
      {
        file: INVALID,
        line: 5,
        column: 13,
        path: 'rules[0].allow[0]',
        message: 'bad glob: unclosed "[" at position 4',
        expected: 'a glob such as "gpt-4o*" or "claude-{sonnet,haiku}-*"',
        received: 'gpt-[4o',
      },
    ]);
  });

  it('exits 2 for a file that does not exist, without a stack trace even under GENOPS_DEBUG', async () => {
    const result = await runCli(['policy', 'validate', fixture('nope.yaml')], { GENOPS_DEBUG: '1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot read the policy file: no such file');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('genops policy explain', () => {
  it('shows the blocking rule and decision for a denied model, and stops before budgets', async () => {
    const result = await runCli([
      'policy',
      'explain',
      POLICY,
      '--model',
      'gpt-3.5-turbo',
      '--team',
      'search',
      '--at',
      MONDAY,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /│ approved-models\s+│ model\s+│ enforce │ violation │ POLICY_DENY_MODEL\s+│ Model "gpt-3.5-turbo"/,
    );
    expect(result.stdout).toContain(
      'Decision: BLOCKED (POLICY_DENY_MODEL) by rule approved-models — Model "gpt-3.5-turbo" is not in the models allowed by policy rule "approved-models" (allow: gpt-4o*, claude-*).',
    );
    expect(result.stdout).toContain('not reached (the call is blocked before it reserves)');
    expect(result.stdout).not.toContain('Budgets the call would reserve');
  });

  it('redacts an email in the prompt, prices the call to the nano-dollar and lists budgets and rate limits', async () => {
    const result = await runCli([
      'policy',
      'explain',
      POLICY,
      '--model',
      'gpt-4o',
      '--team',
      'search',
      '--max-tokens',
      '1000',
      '--prompt',
      'mail me at jane@example.com',
      '--at',
      MONDAY,
    ]);
    expect(result.code).toBe(0);
    // estimateInputTokens("mail me at jane@example.com") = 27 bytes + 8 = 35; 35 × $2.50/M + 1,000 × $10/M = $0.0100875 exactly (nano-USD).
    expect(result.stdout).toContain(
      'worst case $0.010087500 (35 input + 1,000 output tokens, output bound from the request cap',
    );
    expect(result.stdout).toMatch(
      /│ no-pii\s+│ content\s+│ enforce │ redact\s+│ POLICY_DENY_CONTENT\s+│ redacts 1 email/,
    );
    expect(result.stdout).toContain(
      'Decision: WARNING (POLICY_DENY_CONTENT) by rule no-pii — redacted 1 email before sending',
    );
    expect(result.stdout).toContain('Sent as: "mail me at [REDACTED:email]"');
    expect(result.stdout).toMatch(
      /│ org-daily\s+│ org-daily\|\|2026-11-23\s+│ day\s+│ block\s+│ \$500\.00\s+│ \$0\.010087500/,
    );
    expect(result.stdout).toMatch(/│ team-monthly\s+│ team-monthly\|team=search\|2026-11\s+│ month/);
    expect(result.stdout).toMatch(
      /│ search-tokens\s+│ search-tokens\|\|rolling\s+│ 24h\s+│ block\s+│ 1,000,000 tokens\s+│ 1,035 tokens/,
    );
    expect(result.stdout).toMatch(
      /│ per-team-rate\s+│ enforce │ 60 requests per minute\s+│ team=search\s+│ 1 request\s+│/,
    );
    expect(result.stdout).toContain('Approval: not required');
  });

  it('says approval is required when the worst case is over approvals.over', async () => {
    // 6,000,000 output tokens × $10/M = $60 > $50; the warn-mode output cap makes it a WARNING.
    const result = await runCli([
      'policy',
      'explain',
      POLICY,
      '--model',
      'gpt-4o',
      '--team',
      'search',
      '--max-tokens',
      '6000000',
      '--at',
      MONDAY,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('worst case $60.000000');
    expect(result.stdout).toContain('Decision: WARNING (x_max_tokens_exceeded) by rule output-cap');
    expect(result.stdout).toContain(
      'Approval: approval required — may cost $60.00, over the approval threshold of $50 (requireApprovalOver / approvals.over)',
    );
  });

  it('says approval is required for a tool the policy holds for approval', async () => {
    const result = await runCli([
      'policy',
      'explain',
      POLICY,
      '--model',
      'gpt-4o',
      '--team',
      'ops',
      '--tool',
      'deploy',
      '--at',
      MONDAY,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Call   execute_tool deploy gpt-4o');
    expect(result.stdout).toMatch(/│ agent-tools\s+│ tool\s+│ enforce │ approval\s+│/);
    expect(result.stdout).toContain('Decision: ALLOWED');
    expect(result.stdout).toContain(
      'Approval: approval required — tool "deploy" requires approval (rule "agent-tools")',
    );
  });

  it('blocks a call without the required attribution', async () => {
    const result = await runCli(['policy', 'explain', POLICY, '--model', 'gpt-4o', '--at', MONDAY]);
    expect(result.stdout).toContain('Decision: BLOCKED (x_attribution_missing) by rule needs-team');
  });

  it('shows shadow-mode findings without blocking (a Saturday, outside office hours)', async () => {
    const result = await runCli([
      'policy',
      'explain',
      POLICY,
      '--model',
      'gpt-4o',
      '--team',
      'search',
      '--at',
      '2026-11-21T10:00:00Z',
    ]);
    expect(result.stdout).toMatch(/│ office-hours\s+│ time_window │ shadow\s+│ violation │ x_time_window/);
    expect(result.stdout).toContain('Decision: ALLOWED');
    expect(result.stdout).toContain('Shadow:   rule office-hours would block (x_time_window), recorded only');
  });

  it('refuses a model without a price, as unknownModel: deny does', async () => {
    const result = await runCli([
      'policy',
      'explain',
      POLICY,
      '--provider',
      'openai',
      '--model',
      'gpt-4o-imaginary',
      '--team',
      'search',
    ]);
    expect(result.stdout).toContain('Cost   unknown: no price for openai/gpt-4o-imaginary');
    expect(result.stdout).toContain(
      'Decision: BLOCKED (BUDGET_RESERVATION_FAILED) by unknownModel — No price is known',
    );
  });

  it('prints the same data as JSON', async () => {
    const result = await runCli([
      'policy',
      'explain',
      POLICY,
      '--model',
      'gpt-4o',
      '--team',
      'search',
      '--attr',
      'environment=prod',
      '--max-tokens',
      '1000',
      '--prompt',
      'mail me at jane@example.com',
      '--at',
      MONDAY,
      '--json',
    ]);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.request).toMatchObject({
      provider: 'openai',
      providerSource: 'price_data',
      operation: 'chat',
      attribution: { team: 'search', environment: 'prod' },
      maxOutputTokens: 1000,
      estimatedInputTokens: 35,
      at: '2026-11-23T10:00:00.000Z',
    });
    expect(output.cost).toMatchObject({
      priced: true,
      priceModel: 'openai/gpt-4o',
      outputBound: 1000,
      outputBoundSource: 'request',
      worstCaseNanos: 10_087_500,
      worstCaseUsd: 0.0100875,
    });
    expect(output.decision).toEqual({
      result: 'WARNING',
      reasonCode: 'POLICY_DENY_CONTENT',
      rule: 'no-pii',
      message: 'redacted 1 email before sending',
    });
    expect(output.redaction).toEqual({
      rule: 'no-pii',
      counts: { email: 1 },
      redactedPrompt: 'mail me at [REDACTED:email]',
    });
    expect(output.rules.map((rule: { rule: string; outcome: string }) => `${rule.rule}:${rule.outcome}`)).toEqual([
      'approved-models:pass',
      'no-pii:redact',
      'no-secrets:pass',
      'output-cap:pass',
      'agent-tools:pass',
      'needs-team:pass',
      'office-hours:pass',
      'per-team-rate:runtime',
    ]);
    expect(output.budgets.map((line: { key: string; amount: number }) => [line.key, line.amount])).toEqual([
      ['org-daily||2026-11-23', 10_087_500],
      ['team-monthly|team=search|2026-11', 10_087_500],
      ['search-tokens||rolling', 1035],
    ]);
    expect(output.rateLimits).toEqual([
      {
        rule: 'per-team-rate',
        mode: 'enforce',
        unit: 'requests',
        window: 'minute',
        limit: 60,
        per: { team: 'search' },
        amount: 1,
      },
    ]);
    expect(output.approval).toEqual({ required: false, rule: null, reason: null });
  });

  it('exits 1 with the policy error for an invalid policy', async () => {
    const result = await runCli(['policy', 'explain', INVALID, '--model', 'gpt-4o']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`genops: error: ${INVALID}:5:13: rules[0].allow[0]: bad glob`);
  });

  it.each([
    [['--team', 'x'], "required option '--model <id>' not specified"],
    [['--model', 'gpt-4o', '--max-tokens', 'lots'], "option '--max-tokens <n>' argument 'lots' is invalid"],
    [['--model', 'gpt-4o', '--attr', 'novalue'], 'expected key=value'],
    [['--model', 'gpt-4o', '--at', 'next tuesday'], '--at "next tuesday" is not a time'],
    [['--model', 'gpt-4o', '--operation', 'dance'], '--operation "dance" is not a gen_ai.operation.name'],
    [
      ['--model', 'gpt-4o', '--prompt', 'a', '--prompt-file', POLICY],
      "option '--prompt <text>' cannot be used with option '--prompt-file <file>'",
    ],
    [['--model', 'gpt-4o', '--prompt-file', fixture('nope.txt')], 'ENOENT: no such file'],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const result = await runCli(['policy', 'explain', POLICY, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
