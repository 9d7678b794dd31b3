// Names from the GenOps Governance Specification v0.1.0. Copied on purpose rather than imported from
// @genops/core: this package has no runtime dependencies and must be usable on any runtime's telemetry.

export const SPEC_VERSION = '0.1.0' as const;

export const ATTR_TEAM = 'genops.team';
export const ATTR_PROJECT = 'genops.project';
export const ATTR_ENVIRONMENT = 'genops.environment';
export const ATTR_OPERATION_NAME = 'genops.operation.name';
export const ATTR_OPERATION_TYPE = 'genops.operation.type';
export const ATTR_POLICY_RESULT = 'genops.policy.result';
export const ATTR_POLICY_REASON_CODE = 'genops.policy.reason_code';
export const ATTR_SPEC_VERSION = 'genops.spec.version';
export const ATTR_ACCOUNTING_RESERVED = 'genops.accounting.reserved';
export const ATTR_ACCOUNTING_ACTUAL = 'genops.accounting.actual';
export const ATTR_ACCOUNTING_UNIT = 'genops.accounting.unit';

export const EVENT_POLICY_EVALUATED = 'genops.policy.evaluated';
export const EVENT_BUDGET_RESERVATION = 'genops.budget.reservation';
export const EVENT_BUDGET_RECONCILIATION = 'genops.budget.reconciliation';
/** Not a GenOps name: the event a runtime may add when the first streamed chunk arrives. */
export const EVENT_FIRST_CHUNK = 'gen_ai.first_chunk';

/** Required string attributes on every AWU. */
export const REQUIRED_STRING_ATTRIBUTES = [
  ATTR_TEAM,
  ATTR_PROJECT,
  ATTR_ENVIRONMENT,
  ATTR_OPERATION_NAME,
  ATTR_OPERATION_TYPE,
  ATTR_POLICY_RESULT,
  ATTR_SPEC_VERSION,
] as const;

/** String attributes whose value must be meaningful, not a placeholder. */
export const MEANINGFUL_STRING_ATTRIBUTES = [
  ATTR_TEAM,
  ATTR_PROJECT,
  ATTR_ENVIRONMENT,
  ATTR_OPERATION_NAME,
  ATTR_OPERATION_TYPE,
  ATTR_ACCOUNTING_UNIT,
] as const;

export const POLICY_RESULTS: ReadonlySet<string> = new Set(['ALLOWED', 'BLOCKED', 'WARNING', 'RATE_LIMITED']);
/** Results of an AWU that was never executed. */
export const NOT_EXECUTED_RESULTS: ReadonlySet<string> = new Set(['BLOCKED', 'RATE_LIMITED']);

export const REASON_CODES: ReadonlySet<string> = new Set([
  'BUDGET_EXCEEDED',
  'BUDGET_RESERVATION_FAILED',
  'POLICY_DENY_MODEL',
  'POLICY_DENY_REGION',
  'POLICY_DENY_CONTENT',
  'RATE_LIMITED',
  'SLA_LATENCY_VIOLATION',
  'PROVIDER_ERROR_UPSTREAM',
  'ACCOUNTING_INVARIANT_VIOLATION',
]);
export const REASON_CODE_EXTENSION_PATTERN = /^x_[a-z0-9_]+$/;

/** Values that say "nobody filled this in" (compared trimmed and lower-cased). */
export const PLACEHOLDER_VALUES: ReadonlySet<string> = new Set([
  'unknown',
  'todo',
  'tbd',
  'fixme',
  'placeholder',
  'n/a',
  'na',
  'none',
  'null',
  'undefined',
  'changeme',
  'xxx',
  '-',
  '?',
]);
