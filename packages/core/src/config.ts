import { z } from 'zod';
import type { GenOpsAdapter } from './adapter-contract';
import type { ApprovalDecision, ApprovalRequest, Approver } from './approval/types';
import { egressOptionSchema } from './egress/options';
import { ConfigError } from './errors/config-error';
import type { BudgetAlert, DecisionRecord } from './pipeline/types';
import { alertsSchema, budgetSchema, globString, type PolicyDocumentInput, timeZoneString } from './policy/schema';
import type { ModelPrice } from './pricing/types';
import { validatePrice, validatePrices } from './pricing/validate-prices';
import type { ApprovalRecord, GovernanceStore } from './store/types';
import { exporterOption } from './telemetry/otlp-presets';
import { describeIssue, expectedFor, formatPath } from './zod-issue';

const policySchema = z.strictObject({
  mode: z.enum(['enforce', 'warn', 'shadow']).default('enforce'),
  allowModels: z.array(globString).min(1).optional(),
  denyModels: z.array(globString).min(1).optional(),
  allowProviders: z.array(globString).min(1).optional(),
  denyProviders: z.array(globString).min(1).optional(),
  maxTokens: z.number().int().positive().optional(),
  maxCostPerCall: z.number().positive().finite().optional(),
  requireAttribution: z.array(z.string().min(1)).optional(),
});

// Prices are checked field by field by `validatePrices` (pricing/validate-prices.ts) after parsing.
const priceSchema = z.custom<ModelPrice>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'must be a price object { input, output, ... } (USD per 1M tokens)',
);

const attributionSchema = z.record(z.string(), z.string());

const optionsSchema = z.strictObject({
  dailyBudgetLimit: z.number().positive().finite().optional(),
  requireApprovalOver: z.number().nonnegative().finite().optional(),
  enablePolicyEnforcement: z.boolean().default(true),
  budgets: z.array(budgetSchema).default([]),
  policies: policySchema.optional(),
  policy: z
    .custom<string | PolicyDocumentInput>(
      (value) => (typeof value === 'string' && value.length > 0) || (typeof value === 'object' && value !== null),
      'must be a policy file path or a policy document object',
    )
    .optional(),
  watchPolicy: z.boolean().default(true),
  timezone: timeZoneString.optional(),
  alerts: alertsSchema.optional(),
  audit: z
    .union([
      z.literal(false),
      z.strictObject({
        file: z.string().min(1).optional(),
        /** HMAC-SHA256 secret that signs checkpoints (default: $GENOPS_AUDIT_KEY). */
        key: z.string().min(1).optional(),
        /** Ed25519 private key (PEM) that signs checkpoints instead (default: $GENOPS_AUDIT_PRIVATE_KEY). */
        privateKey: z
          .custom<string | object>(
            (value) => typeof value === 'string' || (typeof value === 'object' && value !== null),
            'must be a PEM string or a KeyObject',
          )
          .optional(),
        /** A checkpoint every this many records (default 1000). */
        checkpointEvery: z.number().int().min(1).max(1_000_000_000).optional(),
        /** A checkpoint at the first append this long after the last one (default 60000 ms). */
        checkpointIntervalMs: z.number().int().min(0).max(2_147_483_647).optional(),
        /** Longest wait for one write to the file (default 5000 ms). */
        fileTimeoutMs: z.number().int().min(1).max(2_147_483_647).optional(),
      }),
    ])
    .optional(),
  loggerProvider: z
    .custom<unknown>((value) => typeof value === 'object' && value !== null, 'must be a LoggerProvider')
    .optional(),
  onBudgetAlert: z
    .custom<(alert: BudgetAlert) => void>((value) => typeof value === 'function', 'must be a function')
    .optional(),
  onApprovalRequired: z
    .custom<(approval: ApprovalRecord) => void | Promise<void>>(
      (value) => typeof value === 'function',
      'must be a function',
    )
    .optional(),
  onPolicyError: z
    .custom<(error: Error) => void>((value) => typeof value === 'function', 'must be a function')
    .optional(),
  defaults: attributionSchema.optional(),
  approver: z.custom<Approver>((value) => typeof value === 'function', 'must be a function').optional(),
  approvalTimeoutMs: z.number().int().positive().optional(),
  approvalTimeoutDecision: z.enum(['deny', 'approve']).optional(),
  store: z
    .custom<GovernanceStore | string>(
      (value) =>
        (typeof value === 'string' && value.length > 0) ||
        (typeof value === 'object' && value !== null && typeof (value as GovernanceStore).reserve === 'function'),
      'must be "memory", a store URL ("sqlite:./state.db", "redis://host:6379") or a GovernanceStore',
    )
    .optional(),
  tracerProvider: z
    .custom<unknown>((value) => typeof value === 'object' && value !== null, 'must be a TracerProvider')
    .optional(),
  meterProvider: z
    .custom<unknown>((value) => typeof value === 'object' && value !== null, 'must be a MeterProvider')
    .optional(),
  exporter: exporterOption(['console', 'otlp', 'prometheus', 'none'] as const).optional(),
  /** Each decision and settlement also as an OpenTelemetry log record (telemetry/decision-log.ts). */
  decisionLogs: z.boolean().optional(),
  /** Where `exporter: 'prometheus'` serves /metrics (default 127.0.0.1:9464, or OTEL_EXPORTER_PROMETHEUS_HOST/PORT). */
  prometheus: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: z.number().int().min(1).max(65_535).optional(),
      endpoint: z.string().startsWith('/').optional(),
    })
    .optional(),
  /** Control-plane metrics (docs/metrics.md). */
  metrics: z
    .strictObject({
      /** `genops.customer_id` as a metric attribute (cost, decisions, per-customer budget gauges). Default false: customer ids are unbounded. */
      customers: z.boolean().optional(),
      /** Longest wait for the store when the budget gauges are collected (default 5000 ms). */
      storeTimeoutMs: z.number().int().min(1).max(600_000).optional(),
    })
    .optional(),
  /** Span attributes (docs/telemetry.md). */
  telemetry: z
    .strictObject({
      /**
       * Also the span attributes that repeat another one under the original GenOps README names
       * (`genops.tokens.*`, `genops.cost.total`, `genops.provider`, `genops.model`, `genops.governance.*`, ...)
       * and the `genops.cost.calculated` event, for dashboards built on them. Default false.
       */
      compatAttributes: z.boolean().optional(),
    })
    .optional(),
  serviceName: z.string().min(1).optional(),
  unknownModel: z.union([z.enum(['deny', 'warn']), priceSchema]).default('deny'),
  prices: z.union([z.string().min(1), z.record(z.string(), z.record(z.string(), priceSchema))]).optional(),
  defaultMaxOutputTokens: z.number().int().positive().default(4096),
  reservationLeaseMs: z.number().int().positive().default(600_000),
  journalFile: z.string().min(1).optional(),
  captureContent: z.boolean().optional(),
  autoInstrument: z.boolean().default(true),
  adapters: z
    .array(z.custom<unknown>((value) => typeof value === 'object' && value !== null, 'must be a GenOps adapter'))
    .optional(),
  onDecision: z
    .custom<(decision: DecisionRecord) => void>((value) => typeof value === 'function', 'must be a function')
    .optional(),
  /**
   * Requests to model providers that no governed unit made (docs/egress.md): `'govern'` (default),
   * `'deny'`, `'warn'`, `'off'`, or `{ mode, hosts, maxBodyBytes }`. Default from `GENOPS_EGRESS`.
   */
  egress: egressOptionSchema.optional(),
  /** Anthropic Managed Agents turns (docs/providers/anthropic.md#managed-agents). */
  managedAgents: z
    .strictObject({
      /**
       * Model requests one agent turn reserves (the worst case of each, that many times); a turn that
       * needs more is topped up by as many again, or interrupted when the top-up is refused. Default 4.
       */
      requestsPerTurn: z.number().int().min(1).max(100).optional(),
    })
    .optional(),
});

/** A budget: a limit over a window, matched on attribution, optionally one per value of a dimension. */
export type BudgetOptions = z.input<typeof budgetSchema>;

export type { ApprovalDecision, ApprovalRequest, Approver, BudgetAlert, DecisionRecord };

/** First-cut policy rules. */
export type PolicyOptions = z.input<typeof policySchema>;

/** Options of `GenOps.init()`. */
export type GenOpsOptions = Omit<z.input<typeof optionsSchema>, 'prices' | 'unknownModel' | 'adapters' | 'store'> & {
  /**
   * Where budgets, reservations, approvals and audit live: `'memory'` (default, this process), a URL
   * (`'sqlite:./.genops/state.db'` with `@genops/store-sqlite`, `'redis://host:6379'` with
   * `@genops/store-redis`; default from `GENOPS_STORE`) or a store instance.
   */
  store?: GovernanceStore | string;
  /**
   * Extra or overriding prices, per provider and model id, USD per 1M tokens; or the path of a prices
   * file (default from `GENOPS_PRICES`, else `.genops/prices.json` when it exists).
   */
  prices?: Record<string, Record<string, ModelPrice>> | string;
  /** What to do with a model that has no price: deny the call (default), warn and price it at zero, or use this fallback price. */
  unknownModel?: 'deny' | 'warn' | ModelPrice;
  /**
   * Adapters to turn on. With `autoInstrument` (default `true`), installed and imported adapters are
   * turned on too; with `autoInstrument: false`, only these are (explicit `instrumentOpenAI(client)`
   * calls still work).
   */
  adapters?: readonly GenOpsAdapter[];
};

export type ResolvedOptions = z.output<typeof optionsSchema>;

/** Validates `GenOps.init()` options; throws a {@link ConfigError} naming the option and what was expected. */
export function parseOptions(options: unknown): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options ?? {});
  if (parsed.success) {
    checkCrossFieldRules(parsed.data);
    return parsed.data;
  }
  const issue = parsed.error.issues[0]!;
  const path = formatPath(issue.path);
  const received = issue.path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey],
    options,
  );
  throw new ConfigError({ path, message: describeIssue(issue, received), expected: expectedFor(issue), received });
}

function checkCrossFieldRules(options: ResolvedOptions): void {
  if (typeof options.prices === 'object') validatePrices(options.prices, 'prices');
  if (typeof options.unknownModel === 'object') validatePrice(options.unknownModel, 'unknownModel');
  const names = new Set<string>();
  for (const [index, budget] of options.budgets.entries()) {
    if (names.has(budget.name) || (options.dailyBudgetLimit !== undefined && budget.name === 'daily')) {
      throw new ConfigError({
        path: `budgets[${index}].name`,
        message: `duplicate budget name "${budget.name}"`,
        expected: 'a unique name per budget',
        received: budget.name,
      });
    }
    names.add(budget.name);
  }
}
