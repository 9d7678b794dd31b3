// The policy document: one schema for `genops.policy.yaml`, JSON files and objects in code.
// Published as JSON Schema (packages/core/schema/genops-policy.schema.json) for editor completion.
import { z } from 'zod';
import { durationProblem, MAX_DURATION_MS } from '../duration';
import { compileGlob } from '../glob';
import { MAX_LEDGER_NANOS, NANOS_PER_USD } from '../money';
import { unsafePatternReason } from './detectors/custom';

/** A glob such as `gpt-4o*` or `claude-{sonnet,haiku}-*` (case-insensitive, anchored). */
export const globString = z
  .string()
  .meta({ description: 'A glob: * any run of characters, ? one character, [a-z] a class, {a,b} alternatives' })
  .superRefine((value, context) => {
    try {
      compileGlob(value);
    } catch (error) {
      context.addIssue({
        code: 'custom',
        message: `bad glob: ${(error as Error).message}`,
        params: { expected: 'a glob such as "gpt-4o*" or "claude-{sonnet,haiku}-*"' },
      });
    }
  });

export const globList = z.array(globString).min(1);

/** One glob or a list of globs. */
export const selectorValue = z.union([globString, globList]);

/**
 * Which calls something applies to: attribution keys (`team`, `project`, `customer`, any custom key)
 * and `provider`, `model`, `operation`, `tool`, each mapped to a glob or a list of globs. All must match.
 */
export const selectorSchema = z.record(z.string().min(1), selectorValue);

export const timeZoneString = z.string().superRefine((value, context) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    context.addIssue({
      code: 'custom',
      message: `unknown time zone "${value}"`,
      params: { expected: 'an IANA time zone such as "UTC", "Europe/Paris" or "America/New_York"' },
    });
  }
});

/** A duration string; `named` lists the words also accepted where it is used (for the error message). */
function durationOr(named: readonly string[]) {
  return z.string().superRefine((value, context) => {
    const problem = durationProblem(value);
    if (problem)
      context.addIssue({
        code: 'custom',
        message: problem.includes('longer than')
          ? problem
          : named.length === 0
            ? `"${value}" is not a duration`
            : `"${value}" is not a window name or a duration`,
        params: {
          expected: `${named.length ? `${named.map((word) => `"${word}"`).join(', ')} or ` : ''}a number and a unit: ms, s, m, h, d or w (e.g. "30s", "24h", "7d")`,
        },
      });
  });
}

export const durationString = durationOr([]);

const nameSchema = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'use letters, digits and _ . : - only');

export const modeSchema = z.enum(['enforce', 'warn', 'shadow']);

// ---- Budgets --------------------------------------------------------------------------------------

/** The largest USD budget limit: the largest nano-USD amount a ledger holds exactly, in whole dollars. */
const MAX_LEDGER_USD = Math.floor(MAX_LEDGER_NANOS / NANOS_PER_USD);

export const budgetWindowSchema = z.union([
  z.enum(['day', 'week', 'month', 'total']),
  durationOr(['day', 'week', 'month', 'total']).meta({ description: 'A rolling window, e.g. "1h", "24h", "7d"' }),
]);

export const budgetSchema = z
  .strictObject({
    name: nameSchema,
    /** USD; tokens when `unit: tokens`; a number of calls when `unit: requests` (e.g. tool calls). */
    limit: z.number().positive().finite(),
    unit: z.enum(['USD', 'tokens', 'requests']).default('USD'),
    /** Calendar window (`day`, `week` from Monday, `month`, `total`) or a rolling duration (`24h`). */
    window: budgetWindowSchema,
    /** IANA time zone of calendar windows; default: GenOps.init's `timezone`, else the document's, else UTC. */
    timezone: timeZoneString.optional(),
    match: selectorSchema.optional(),
    /** One budget per value of these dimensions (e.g. `customer`). */
    per: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** What happens when a call does not fit: `block` (default), `warn`, `approval`, `downgrade`. */
    action: z.enum(['block', 'warn', 'approval', 'downgrade']).default('block'),
    /** The cheaper model a `downgrade` budget sends the call to. */
    downgradeTo: z.string().min(1).optional(),
    /** Fractions of the limit at which `genops.budget.alert` fires once per period, e.g. [0.5, 0.8]. */
    warnAt: z.array(z.number().gt(0).max(1)).min(1).optional(),
  })
  .superRefine((budget, context) => {
    // Ledgers hold nano-USD exactly up to 2^53 - 1 (docs/budgets.md "Money").
    if (budget.unit === 'USD' && budget.limit > MAX_LEDGER_USD)
      context.addIssue({
        code: 'custom',
        path: ['limit'],
        message: `a USD budget's limit is at most ${MAX_LEDGER_USD} (ledgers count nano-dollars exactly up to 2^53 - 1)`,
        params: {
          expected: `a limit of at most ${MAX_LEDGER_USD} USD per period; split a larger budget with per or a shorter window`,
        },
      });
    if (budget.action === 'downgrade' && !budget.downgradeTo)
      context.addIssue({
        code: 'custom',
        path: ['downgradeTo'],
        message: 'a budget with action "downgrade" needs downgradeTo',
        params: { expected: 'the model id to send calls to when this budget has no room, e.g. "gpt-4o-mini"' },
      });
    if (budget.action !== 'downgrade' && budget.downgradeTo)
      context.addIssue({
        code: 'custom',
        path: ['downgradeTo'],
        message: `downgradeTo only applies to action "downgrade" (this budget's action is "${budget.action}")`,
        params: { expected: 'action: downgrade, or no downgradeTo' },
      });
  });

// ---- Rules ----------------------------------------------------------------------------------------

const ruleBase = {
  /** Unique rule name; shown on spans (`genops.policy.name`), errors and `genops policy explain`. */
  name: nameSchema,
  description: z.string().optional(),
  /** `enforce` blocks, `warn` lets the call run with a WARNING, `shadow` only records. Default: the document's mode. */
  mode: modeSchema.optional(),
  /** The rule applies only to calls matching this selector. */
  when: selectorSchema.optional(),
};

function requireOneOf<T extends Record<string, unknown>>(keys: (keyof T & string)[]) {
  return (value: T, context: z.core.$RefinementCtx<T>) => {
    if (!keys.some((key) => value[key] !== undefined))
      context.addIssue({
        code: 'custom',
        message: `set at least one of ${keys.join(', ')}`,
        params: { expected: keys.join(' and/or ') },
      });
  };
}

const allowDeny = { allow: globList.optional(), deny: globList.optional() };

export const modelRuleSchema = z
  .strictObject({ ...ruleBase, type: z.literal('model'), ...allowDeny })
  .superRefine(requireOneOf(['allow', 'deny']));

export const providerRuleSchema = z
  .strictObject({ ...ruleBase, type: z.literal('provider'), ...allowDeny })
  .superRefine(requireOneOf(['allow', 'deny']));

export const regionRuleSchema = z
  .strictObject({
    ...ruleBase,
    type: z.literal('region'),
    ...allowDeny,
    /** Providers the rule applies to; default: those with regions (aws.bedrock, azure.ai.openai, gcp.vertex_ai). */
    providers: globList.optional(),
  })
  .superRefine(requireOneOf(['allow', 'deny']));

export const tokensRuleSchema = z
  .strictObject({
    ...ruleBase,
    type: z.literal('tokens'),
    /** Largest estimated input (prompt) size, in tokens. */
    maxInput: z.number().int().positive().optional(),
    /** Largest output the call may produce: the request's cap, or the model's limit when it sets none. */
    maxOutput: z.number().int().positive().optional(),
  })
  .superRefine(requireOneOf(['maxInput', 'maxOutput']));

export const costRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('cost'),
  /** Largest worst-case cost of one call, USD. */
  maxPerCall: z.number().positive().finite(),
});

export const attributionRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('attribution'),
  /** Keys every call must carry, or keys mapped to the glob(s) their value must match. */
  require: z.union([z.array(z.string().min(1)).min(1), selectorSchema]),
});

export const DETECTOR_KINDS = ['email', 'phone', 'payment_card', 'iban', 'us_ssn', 'secret'] as const;
export type DetectorKind = (typeof DETECTOR_KINDS)[number];

const regexString = z.string().min(1);

export const contentRuleSchema = z
  .strictObject({
    ...ruleBase,
    type: z.literal('content'),
    /** Built-in detectors. `secret` covers OpenAI, Anthropic, AWS and GitHub keys and generic high-entropy tokens. */
    detect: z.array(z.enum(DETECTOR_KINDS)).min(1).optional(),
    /** Custom detectors: a name (reported as the kind) and a regular expression. */
    patterns: z
      .array(
        z.strictObject({
          name: nameSchema,
          regex: regexString,
          flags: z
            .string()
            .regex(/^[imsu]*$/)
            .optional(),
        }),
      )
      .min(1)
      .optional(),
    /** `deny` stops the call; `redact` rewrites the matched text to `[REDACTED:<kind>]` before it leaves the process. */
    action: z.enum(['deny', 'redact']).default('deny'),
    /** What is scanned: the request (`input`, default), streamed output (`output`, deny only), or both. */
    scope: z.enum(['input', 'output', 'both']).default('input'),
  })
  .superRefine((rule, context) => {
    requireOneOf<typeof rule>(['detect', 'patterns'])(rule, context);
    for (const [index, pattern] of (rule.patterns ?? []).entries()) {
      try {
        new RegExp(pattern.regex, pattern.flags);
      } catch (error) {
        context.addIssue({
          code: 'custom',
          path: ['patterns', index, 'regex'],
          message: `bad regular expression: ${(error as Error).message}`,
          params: { expected: 'a JavaScript regular expression (without slashes), e.g. "ORD-[0-9]{6}"' },
        });
        continue;
      }
      const unsafe = unsafePatternReason(pattern.regex);
      if (unsafe)
        context.addIssue({
          code: 'custom',
          path: ['patterns', index, 'regex'],
          message: `pattern "${pattern.name}" can backtrack catastrophically: ${unsafe}`,
          params: {
            expected:
              'an expression without backreferences, nested repetition (star height 1) or unbounded lookarounds, e.g. "ORD-[0-9]{6}"',
          },
        });
    }
    if (rule.action === 'redact' && rule.scope !== 'input')
      context.addIssue({
        code: 'custom',
        path: ['scope'],
        message: `redaction applies to the request only; streamed output can only be denied`,
        params: { expected: 'scope: input with action: redact (or action: deny for output)' },
      });
  });

export const rateLimitRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('rate_limit'),
  /** How many requests (or tokens) per window. */
  limit: z.number().int().positive(),
  unit: z.enum(['requests', 'tokens']).default('requests'),
  /** `second`, `minute`, `hour`, `day` or a duration such as "10s" (a sliding window). */
  window: z.union([z.enum(['second', 'minute', 'hour', 'day']), durationOr(['second', 'minute', 'hour', 'day'])]),
  /** One limit per value of these dimensions (e.g. `team`, `user`); default: one limit for all calls. */
  per: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
});

const dayName = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const clockTime = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time of day as HH:MM (00:00 to 24:00)');

export const timeRangeSchema = z.strictObject({
  /** Days of the week; default: every day. */
  days: z.array(dayName).min(1).optional(),
  /** Start, HH:MM (inclusive); default 00:00. */
  from: clockTime.optional(),
  /** End, HH:MM (exclusive); default 24:00. Earlier than `from` means overnight. */
  to: clockTime.optional(),
});

export const timeWindowRuleSchema = z
  .strictObject({
    ...ruleBase,
    type: z.literal('time_window'),
    /** Calls are allowed only inside one of these ranges. */
    allow: z.array(timeRangeSchema).min(1).optional(),
    /** Calls are denied inside any of these ranges. */
    deny: z.array(timeRangeSchema).min(1).optional(),
    /** Default: GenOps.init's `timezone`, else the document's, else UTC. */
    timezone: timeZoneString.optional(),
  })
  .superRefine(requireOneOf(['allow', 'deny']));

export const toolRuleSchema = z
  .strictObject({
    ...ruleBase,
    type: z.literal('tool'),
    ...allowDeny,
    /** Tool calls held for approval. */
    requireApproval: globList.optional(),
  })
  .superRefine(requireOneOf(['allow', 'deny', 'requireApproval']));

export const slaRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('sla'),
  /** Latency target of one call, ms. A slower call is recorded with SLA_LATENCY_VIOLATION. */
  latencyMs: z.number().int().positive(),
  tier: z.string().min(1).optional(),
});

export const ruleSchema = z.discriminatedUnion('type', [
  modelRuleSchema,
  providerRuleSchema,
  regionRuleSchema,
  tokensRuleSchema,
  costRuleSchema,
  attributionRuleSchema,
  contentRuleSchema,
  rateLimitRuleSchema,
  timeWindowRuleSchema,
  toolRuleSchema,
  slaRuleSchema,
]);

export const approvalsSchema = z.strictObject({
  /** Calls whose worst-case cost is above this (USD) wait for approval. */
  over: z.number().nonnegative().finite().optional(),
  /** How long a held call waits: ms or a duration such as "5m". Default 5 minutes. */
  timeout: z.union([z.number().int().positive().max(MAX_DURATION_MS), durationString]).optional(),
  /** What happens when nobody decides in time. Default: deny. */
  onTimeout: z.enum(['deny', 'approve']).optional(),
});

export const alertsSchema = z.strictObject({
  /** URL that receives a JSON POST for each `genops.budget.alert`. */
  webhook: z.url({ protocol: /^https?$/ }).optional(),
});

/** Limits of content scanning (every content rule of the document). */
export const limitsSchema = z.strictObject({
  /**
   * The longest text part content rules scan, in characters (UTF-16 code units). A longer part is not
   * scanned: the rule treats it as a finding. Default 8388608 (8 Mi).
   */
  contentMaxChars: z.number().int().positive().max(1_073_741_824).optional(),
  /** Time budget of one text part's scan, in ms; past it the rule treats the part as a finding. Default 2000. */
  contentScanBudgetMs: z.number().int().positive().max(600_000).optional(),
});

export const policyDocumentSchema = z
  .strictObject({
    $schema: z.string().optional(),
    /** Policy document format version. */
    version: z.literal(1),
    /** Default mode of rules that set none. */
    mode: modeSchema.default('enforce'),
    /** Default IANA time zone for calendar budgets and time windows. */
    timezone: timeZoneString.optional(),
    rules: z.array(ruleSchema).default([]),
    budgets: z.array(budgetSchema).default([]),
    approvals: approvalsSchema.optional(),
    alerts: alertsSchema.optional(),
    limits: limitsSchema.optional(),
    /** Settings of `@genops/gateway` (upstreams, virtual keys, listen address), validated by the gateway. */
    gateway: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((document, context) => {
    const seen = new Map<string, number>();
    for (const [index, rule] of document.rules.entries()) {
      if (seen.has(rule.name))
        context.addIssue({
          code: 'custom',
          path: ['rules', index, 'name'],
          message: `duplicate rule name "${rule.name}" (also rules[${seen.get(rule.name)}])`,
          params: { expected: 'a unique name per rule' },
        });
      else seen.set(rule.name, index);
    }
    const budgets = new Map<string, number>();
    for (const [index, budget] of document.budgets.entries()) {
      if (budgets.has(budget.name))
        context.addIssue({
          code: 'custom',
          path: ['budgets', index, 'name'],
          message: `duplicate budget name "${budget.name}" (also budgets[${budgets.get(budget.name)}])`,
          params: { expected: 'a unique name per budget' },
        });
      else budgets.set(budget.name, index);
    }
  });

/** A policy document as written (YAML, JSON or an object in code). */
export type PolicyDocumentInput = z.input<typeof policyDocumentSchema>;
/** A validated policy document, defaults applied. */
export type PolicyDocument = z.output<typeof policyDocumentSchema>;
export type Rule = z.output<typeof ruleSchema>;
export type RuleInput = z.input<typeof ruleSchema>;
export type RuleType = Rule['type'];
export type BudgetInput = z.input<typeof budgetSchema>;
export type BudgetDefinition = z.output<typeof budgetSchema>;
export type PolicyMode = z.output<typeof modeSchema>;
export type TimeRange = z.output<typeof timeRangeSchema>;
