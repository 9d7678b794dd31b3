import { describe, expect, it } from 'vitest';
import type { GovernedRequest } from '../types';
import { PolicyEngine, type PolicyInput, subjectOf } from './policy-engine';
import { type PolicyDocument, type PolicyMode, policyDocumentSchema, type RuleInput } from './schema';

const MONDAY_10_UTC = Date.parse('2026-11-23T10:00:00Z');
const SATURDAY_12_UTC = Date.parse('2026-11-21T12:00:00Z');

function request(overrides: Partial<GovernedRequest> = {}): GovernedRequest {
  return {
    provider: 'openai',
    operation: 'chat',
    model: 'gpt-4o',
    estimatedInputTokens: 100,
    maxOutputTokens: 100,
    ...overrides,
  };
}

function input(overrides: Partial<PolicyInput> & { request?: GovernedRequest } = {}): PolicyInput {
  return {
    request: request(),
    attribution: { team: 'eng', project: 'tests' },
    outputBound: overrides.request?.maxOutputTokens ?? 100,
    worstCaseNanos: 1_000_000,
    now: MONDAY_10_UTC,
    ...overrides,
  };
}

function text(value: string): Partial<GovernedRequest> {
  return { text: () => [value], editable: { text: true, model: true } };
}

function engine(rule: RuleInput, options: { mode?: PolicyMode; enforcement?: boolean } = {}): PolicyEngine {
  const document: PolicyDocument = policyDocumentSchema.parse({
    version: 1,
    ...(options.mode ? { mode: options.mode } : {}),
    rules: [rule],
  });
  return new PolicyEngine(document, options.enforcement ?? true);
}

interface Case {
  kind: string;
  rule: RuleInput;
  violating: PolicyInput;
  passing: PolicyInput;
  reasonCode: string;
  /** A substring of the message a person reads. */
  message: string;
}

// One row per rule kind: a call the rule stops and a call it lets through.
const CASES: Case[] = [
  {
    kind: 'model deny (glob)',
    rule: { name: 'no-gpt4', type: 'model', deny: ['gpt-4o*'] },
    violating: input({ request: request({ model: 'gpt-4o-2024-08-06' }) }),
    passing: input({ request: request({ model: 'gpt-5-mini' }) }),
    reasonCode: 'POLICY_DENY_MODEL',
    message: 'Model "gpt-4o-2024-08-06" is denied by policy rule "no-gpt4" (deny: gpt-4o*)',
  },
  {
    kind: 'model allow',
    rule: { name: 'approved', type: 'model', allow: ['claude-{sonnet,haiku}-*'] },
    violating: input({ request: request({ model: 'claude-opus-4-1' }) }),
    passing: input({ request: request({ model: 'claude-sonnet-4-5' }) }),
    reasonCode: 'POLICY_DENY_MODEL',
    message: 'is not in the models allowed by policy rule "approved"',
  },
  {
    kind: 'provider deny',
    rule: { name: 'no-xai', type: 'provider', deny: ['x_ai'] },
    violating: input({ request: request({ provider: 'x_ai', model: 'grok-4' }) }),
    passing: input(),
    reasonCode: 'x_deny_provider',
    message: 'Provider "x_ai" is not allowed by policy rule "no-xai"',
  },
  {
    kind: 'region allow',
    rule: { name: 'eu-only', type: 'region', allow: ['eu-*'] },
    violating: input({ request: request({ provider: 'aws.bedrock', region: 'us-east-1' }) }),
    passing: input({ request: request({ provider: 'aws.bedrock', region: 'eu-central-1' }) }),
    reasonCode: 'POLICY_DENY_REGION',
    message: 'Region "us-east-1" of provider "aws.bedrock" is not allowed by policy rule "eu-only" (allow: eu-*)',
  },
  {
    kind: 'max output tokens',
    rule: { name: 'cap', type: 'tokens', maxOutput: 1000 },
    violating: input({ request: request({ maxOutputTokens: 2000 }), outputBound: 2000 }),
    passing: input({ request: request({ maxOutputTokens: 1000 }), outputBound: 1000 }),
    reasonCode: 'x_max_tokens_exceeded',
    message: 'allows at most 1000 output tokens per call; the request asks for up to 2000',
  },
  {
    kind: 'max input tokens',
    rule: { name: 'short-prompts', type: 'tokens', maxInput: 10 },
    violating: input({ request: request(text('x'.repeat(44))) }),
    passing: input({ request: request(text('x'.repeat(40))) }),
    reasonCode: 'x_max_input_tokens_exceeded',
    message: 'about 11 tokens (estimated as UTF-8 bytes ÷ 4), above the 10 allowed',
  },
  {
    kind: 'max cost per call',
    rule: { name: 'cheap', type: 'cost', maxPerCall: 0.01 },
    violating: input({ worstCaseNanos: 10_000_001 }),
    passing: input({ worstCaseNanos: 10_000_000 }),
    reasonCode: 'x_max_cost_exceeded',
    message: 'may cost up to $0.010000001, above the $0.01 per call',
  },
  {
    kind: 'required attribution',
    rule: { name: 'need-customer', type: 'attribution', require: ['customer'] },
    violating: input(),
    passing: input({ attribution: { team: 'eng', customer: 'acme' } }),
    reasonCode: 'x_attribution_missing',
    message: 'requires attribution "customer"',
  },
  {
    kind: 'attribution value pattern',
    rule: { name: 'customer-ids', type: 'attribution', require: { customer: 'cust_*' } },
    violating: input({ attribution: { team: 'eng', customer: 'acme' } }),
    passing: input({ attribution: { team: 'eng', customer: 'cust_42' } }),
    reasonCode: 'x_attribution_invalid',
    message: 'Attribution customer="acme" does not match cust_*',
  },
  {
    kind: 'content deny',
    rule: { name: 'no-pii', type: 'content', detect: ['email', 'payment_card'], action: 'deny' },
    violating: input({ request: request(text('Refund card 4111 1111 1111 1111 for jane.doe@example.com')) }),
    passing: input({ request: request(text('Order ORD-2024-000123 shipped on 2026-11-23')) }),
    reasonCode: 'POLICY_DENY_CONTENT',
    message: 'The request contains 1 payment_card, 1 email',
  },
  {
    kind: 'content custom pattern',
    rule: { name: 'no-project-codes', type: 'content', patterns: [{ name: 'project_code', regex: 'PRJ-[0-9]{4}' }] },
    violating: input({ request: request(text('status of PRJ-1234?')) }),
    passing: input({ request: request(text('status of PRJ-12?')) }),
    reasonCode: 'POLICY_DENY_CONTENT',
    message: '1 project_code',
  },
  {
    kind: 'time window',
    rule: {
      name: 'office-hours',
      type: 'time_window',
      allow: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '19:00' }],
    },
    violating: input({ now: SATURDAY_12_UTC }),
    passing: input({ now: MONDAY_10_UTC }),
    reasonCode: 'x_time_window',
    message: 'does not allow calls at this time (allowed: mon–fri 08:00–19:00 UTC)',
  },
  {
    kind: 'tool deny',
    rule: { name: 'no-shell', type: 'tool', deny: ['shell*'] },
    violating: input({
      request: request({ operation: 'execute_tool', model: 'shell_exec', tool: { name: 'shell_exec' } }),
    }),
    passing: input({ request: request({ operation: 'execute_tool', model: 'search', tool: { name: 'search' } }) }),
    reasonCode: 'x_tool_denied',
    message: 'Tool "shell_exec" is not allowed by policy rule "no-shell"',
  },
];

describe.each(CASES)('rule kind: $kind', ({ rule, violating, passing, reasonCode, message }) => {
  it('enforce: blocks the violating call with its reason code and an actionable message', () => {
    const evaluation = engine(rule).evaluate(violating);
    expect(evaluation.blocking).toMatchObject({ rule: rule.name, mode: 'enforce', reasonCode });
    expect(evaluation.blocking?.message).toContain(message);
    expect(evaluation.warning).toBeUndefined();
    expect(evaluation.shadow).toEqual([]);
  });

  it('warn: lets it run with a warning', () => {
    const evaluation = engine({ ...rule, mode: 'warn' }).evaluate(violating);
    expect(evaluation.blocking).toBeUndefined();
    expect(evaluation.warning).toMatchObject({ rule: rule.name, mode: 'warn', reasonCode });
  });

  it('shadow: only records what it would have decided', () => {
    const evaluation = engine({ ...rule, mode: 'shadow' }).evaluate(violating);
    expect(evaluation.blocking).toBeUndefined();
    expect(evaluation.warning).toBeUndefined();
    expect(evaluation.shadow).toEqual([expect.objectContaining({ rule: rule.name, mode: 'shadow', reasonCode })]);
  });

  it('document mode applies to rules that set none; enablePolicyEnforcement: false makes every rule shadow', () => {
    expect(engine(rule, { mode: 'warn' }).evaluate(violating).warning?.reasonCode).toBe(reasonCode);
    const off = engine({ ...rule, mode: 'enforce' }, { enforcement: false }).evaluate(violating);
    expect(off.blocking).toBeUndefined();
    expect(off.shadow[0]?.reasonCode).toBe(reasonCode);
  });

  it('passes the call it allows, in every mode', () => {
    for (const mode of ['enforce', 'warn', 'shadow'] as const) {
      const evaluation = engine({ ...rule, mode }).evaluate(passing);
      expect([evaluation.blocking, evaluation.warning, ...evaluation.shadow]).toEqual([undefined, undefined]);
    }
  });

  it('does not apply when its `when` selector does not match the call', () => {
    const scoped = engine({ ...rule, when: { team: 'research' } });
    expect(scoped.evaluate(violating).blocking).toBeUndefined();
    expect(engine({ ...rule, when: { team: 'e*' } }).evaluate(violating).blocking?.reasonCode).toBe(reasonCode);
  });

  it('explain reports the violation for the rule', () => {
    const [explanation] = engine(rule).explain(violating);
    expect(explanation).toMatchObject({ rule: rule.name, outcome: 'violation', reasonCode });
    expect(engine(rule).explain(passing)[0]).toMatchObject({ rule: rule.name, outcome: 'pass' });
  });
});

describe('content redaction', () => {
  const rule: RuleInput = { name: 'redact-pii', type: 'content', detect: ['email', 'us_ssn'], action: 'redact' };
  const violating = input({
    request: request(text('Contact jane.doe@example.com or john@example.org, SSN 123-45-6789')),
  });

  it('enforce: rewrites every text part, counting kinds but never keeping values', () => {
    const evaluation = engine(rule).evaluate(violating);
    expect(evaluation.blocking).toBeUndefined();
    expect(evaluation.redaction?.counts).toEqual({ email: 2, us_ssn: 1 });
    expect(evaluation.redaction?.rewrite('Contact jane.doe@example.com or john@example.org, SSN 123-45-6789')).toBe(
      'Contact [REDACTED:email] or [REDACTED:email], SSN [REDACTED:us_ssn]',
    );
    expect(JSON.stringify(evaluation.redaction?.counts)).not.toContain('example');
  });

  it('warn and shadow: nothing is rewritten, the finding is recorded', () => {
    const warn = engine({ ...rule, mode: 'warn' }).evaluate(violating);
    expect(warn.redaction).toBeUndefined();
    expect(warn.warning).toMatchObject({
      reasonCode: 'POLICY_DENY_CONTENT',
      message: expect.stringContaining('would redact 2 email, 1 us_ssn'),
    });
    const shadow = engine({ ...rule, mode: 'shadow' }).evaluate(violating);
    expect(shadow.redaction).toBeUndefined();
    expect(shadow.shadow[0]?.reasonCode).toBe('POLICY_DENY_CONTENT');
  });

  it('denies a request whose text the adapter cannot rewrite (fail closed)', () => {
    const evaluation = engine(rule).evaluate(
      input({ request: request({ text: () => ['mail jane.doe@example.com'] }) }),
    );
    expect(evaluation.redaction).toBeUndefined();
    expect(evaluation.blocking?.message).toContain("this SDK call's text cannot be rewritten by GenOps");
  });

  it('two redact rules compose', () => {
    const document = policyDocumentSchema.parse({
      version: 1,
      rules: [rule, { name: 'redact-cards', type: 'content', detect: ['payment_card'], action: 'redact' }],
    });
    const evaluation = new PolicyEngine(document).evaluate(
      input({ request: request(text('a@b.io paid with 4111-1111-1111-1111')) }),
    );
    expect(evaluation.redaction?.rule).toBe('redact-pii,redact-cards');
    expect(evaluation.redaction?.rewrite('a@b.io paid with 4111-1111-1111-1111')).toBe(
      '[REDACTED:email] paid with [REDACTED:payment_card]',
    );
  });
});

describe('tool approval', () => {
  const rule: RuleInput = { name: 'deploys', type: 'tool', requireApproval: ['deploy_*'] };
  const call = input({
    request: request({ operation: 'execute_tool', model: 'deploy_prod', tool: { name: 'deploy_prod' } }),
  });

  it('enforce: holds the tool call for approval, naming the tool and rule', () => {
    expect(engine(rule).evaluate(call).approval).toEqual({
      rule: 'deploys',
      reason: 'tool "deploy_prod" requires approval (rule "deploys")',
    });
  });

  it('warn and shadow modes never hold a call', () => {
    expect(engine({ ...rule, mode: 'warn' }).evaluate(call).approval).toBeUndefined();
    expect(engine({ ...rule, mode: 'shadow' }).evaluate(call).approval).toBeUndefined();
  });

  it('a tool listed for approval is not denied by the same rule’s allow list', () => {
    const mixed = engine({ name: 'tools', type: 'tool', allow: ['search'], requireApproval: ['deploy_*'] });
    expect(mixed.evaluate(call).blocking).toBeUndefined();
    expect(mixed.evaluate(call).approval?.rule).toBe('tools');
  });
});

describe('rule order and runtime rules', () => {
  it('the first enforcing violation decides; later rules are not needed', () => {
    const document = policyDocumentSchema.parse({
      version: 1,
      rules: [
        { name: 'a', type: 'cost', maxPerCall: 0.0001, mode: 'warn' },
        { name: 'b', type: 'model', deny: ['gpt-4o'] },
        { name: 'c', type: 'provider', deny: ['openai'] },
      ],
    });
    const evaluation = new PolicyEngine(document).evaluate(input());
    expect(evaluation.warning?.rule).toBe('a');
    expect(evaluation.blocking?.rule).toBe('b');
  });

  it('rate limits and SLAs are explained as runtime rules', () => {
    const document = policyDocumentSchema.parse({
      version: 1,
      rules: [
        { name: 'rpm', type: 'rate_limit', limit: 60, window: 'minute', per: 'team' },
        { name: 'fast', type: 'sla', latencyMs: 2000, when: { team: 'search' } },
      ],
    });
    const explained = new PolicyEngine(document).explain(input());
    expect(explained).toEqual([
      expect.objectContaining({ rule: 'rpm', outcome: 'runtime', message: 'at most 60 requests per minute per team' }),
      expect.objectContaining({ rule: 'fast', outcome: 'not_applicable' }),
    ]);
  });

  it('the policy version is a content hash: same document, same version', () => {
    const a = engine({ name: 'x', type: 'model', deny: ['a'] });
    const b = engine({ name: 'x', type: 'model', deny: ['a'] });
    const c = engine({ name: 'x', type: 'model', deny: ['b'] });
    expect(a.version).toMatch(/^[0-9a-f]{12}$/);
    expect(a.version).toBe(b.version);
    expect(a.version).not.toBe(c.version);
  });
});

describe('subjectOf', () => {
  it("follows each call's attribution and request, reusing a subject only for the same frozen attribution and facts", () => {
    const attribution = Object.freeze({ team: 'eng' });
    const base = request();
    const first = subjectOf({ request: base, attribution });
    expect(first).toEqual({ team: 'eng', provider: 'openai', operation: 'chat', model: base.model });
    expect(Object.isFrozen(first)).toBe(true);
    expect(subjectOf({ request: { ...base }, attribution })).toBe(first);
    expect(subjectOf({ request: { ...base, model: 'other-model' }, attribution }).model).toBe('other-model');
    expect(subjectOf({ request: { ...base, tool: { name: 'deploy' } }, attribution }).tool).toBe('deploy');
    expect(subjectOf({ request: base, attribution }).tool).toBeUndefined();
    expect(subjectOf({ request: base, attribution: Object.freeze({ team: 'ops' }) }).team).toBe('ops');
    // An attribution that can still change is read afresh every time.
    const mutable: Record<string, string> = { team: 'eng' };
    expect(subjectOf({ request: base, attribution: mutable }).team).toBe('eng');
    mutable.team = 'ops';
    expect(subjectOf({ request: base, attribution: mutable }).team).toBe('ops');
  });

  it('keeps the subjects of each frozen attribution while attributions interleave, the newest eight', () => {
    const base = request();
    const attributions = ['a', 'b', 'c'].map((team) => Object.freeze({ team }));
    const requests = [base, { ...base, model: 'other-model' }, { ...base, tool: { name: 'deploy' } }];
    const round = () =>
      attributions.flatMap((attribution) => requests.map((governed) => subjectOf({ request: governed, attribution })));
    const first = round();
    expect(first.map((subject) => `${subject.team}/${subject.model}/${subject.tool ?? '-'}`)).toEqual(
      ['a', 'b', 'c'].flatMap((team) => [`${team}/gpt-4o/-`, `${team}/other-model/-`, `${team}/gpt-4o/deploy`]),
    );
    const second = round();
    for (const [index, subject] of second.entries()) expect(subject).toBe(first[index]);
    // An attribution that can still change, between frozen ones: read afresh every time.
    const mutable: Record<string, string> = { team: 'd' };
    expect(subjectOf({ request: base, attribution: mutable }).team).toBe('d');
    expect(subjectOf({ request: base, attribution: attributions[0]! })).toBe(first[0]);
    mutable.team = 'e';
    expect(subjectOf({ request: base, attribution: mutable }).team).toBe('e');
    // Nine models for one attribution: the oldest subject makes way (made again, equal), the rest are kept.
    const attribution = Object.freeze({ team: 'f' });
    const many = Array.from({ length: 9 }, (_, index) =>
      subjectOf({ request: { ...base, model: `model-${index}` }, attribution }),
    );
    expect(subjectOf({ request: { ...base, model: 'model-1' }, attribution })).toBe(many[1]);
    const again = subjectOf({ request: { ...base, model: 'model-0' }, attribution });
    expect(again).not.toBe(many[0]);
    expect(again).toEqual(many[0]);
  });
});
