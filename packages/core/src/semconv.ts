// Attribute, event and metric names GenOps emits.
// GenOps Governance Specification v0.1.0 (`genops.*`) and OpenTelemetry GenAI semantic conventions
// v1.41.1 (`gen_ai.*`), copied here on purpose: the GenAI names are experimental, so we do not import
// `@opentelemetry/semantic-conventions/incubating` (docs/telemetry.md lists every name).

/** The GenOps Governance Specification version this runtime implements. */
export const GENOPS_SPEC_VERSION = '0.1.0' as const;
/** The OpenTelemetry GenAI semantic-conventions version whose names we emit. */
export const GENAI_SEMCONV_VERSION = '1.41.1' as const;

// ---- GenOps v0.1 required attributes -------------------------------------------------------------
/** @example 'platform' */
export const ATTR_GENOPS_TEAM = 'genops.team' as const;
/** @example 'support-bot' */
export const ATTR_GENOPS_PROJECT = 'genops.project' as const;
/** @example 'production' */
export const ATTR_GENOPS_ENVIRONMENT = 'genops.environment' as const;
/** @example 'chat gpt-4o' */
export const ATTR_GENOPS_OPERATION_NAME = 'genops.operation.name' as const;
/** @example 'inference' | 'embedding' | 'tool' */
export const ATTR_GENOPS_OPERATION_TYPE = 'genops.operation.type' as const;
/** Reserved amount, in `genops.accounting.unit`. @example 0.0123 */
export const ATTR_GENOPS_ACCOUNTING_RESERVED = 'genops.accounting.reserved' as const;
/** Actual amount after execution, in `genops.accounting.unit`. @example 0.0031 */
export const ATTR_GENOPS_ACCOUNTING_ACTUAL = 'genops.accounting.actual' as const;
/** @example 'USD' */
export const ATTR_GENOPS_ACCOUNTING_UNIT = 'genops.accounting.unit' as const;
/** Exactly one of {@link POLICY_RESULTS}. */
export const ATTR_GENOPS_POLICY_RESULT = 'genops.policy.result' as const;
/** One of {@link REASON_CODES} or an `x_` extension; absent when the result is ALLOWED. */
export const ATTR_GENOPS_POLICY_REASON_CODE = 'genops.policy.reason_code' as const;
/** @example '0.1.0' */
export const ATTR_GENOPS_SPEC_VERSION = 'genops.spec.version' as const;

// ---- GenOps v0.1 optional attributes -------------------------------------------------------------
export const ATTR_GENOPS_ACCOUNTING_RECONCILIATION_DELTA = 'genops.accounting.reconciliation_delta' as const;
/** `true` when the actual amount could not be read (broken stream, usage-less response). @experimental */
export const ATTR_GENOPS_ACCOUNTING_INCOMPLETE = 'genops.accounting.incomplete' as const;
/** Amount handed back to the budget after settlement (= max(0, reconciliation delta)). Repeats another attribute: on spans only with `telemetry.compatAttributes` (docs/telemetry.md, "What moved"). @experimental */
export const ATTR_GENOPS_ACCOUNTING_RELEASED = 'genops.accounting.released' as const;
export const ATTR_GENOPS_BUDGET_NAME = 'genops.budget.name' as const;
export const ATTR_GENOPS_BUDGET_ALLOCATED = 'genops.budget.allocated' as const;
export const ATTR_GENOPS_BUDGET_CONSUMED = 'genops.budget.consumed' as const;
export const ATTR_GENOPS_BUDGET_REMAINING = 'genops.budget.remaining' as const;
export const ATTR_GENOPS_BUDGET_PERIOD = 'genops.budget.period' as const;
export const ATTR_GENOPS_POLICY_NAME = 'genops.policy.name' as const;
export const ATTR_GENOPS_POLICY_REASON = 'genops.policy.reason' as const;
/** Epoch milliseconds. */
export const ATTR_GENOPS_POLICY_TIMESTAMP = 'genops.policy.timestamp' as const;
/** `enforce` | `warn` | `shadow`. @experimental */
export const ATTR_GENOPS_POLICY_MODE = 'genops.policy.mode' as const;
/** What a shadow-mode rule would have decided. @experimental */
export const ATTR_GENOPS_POLICY_SHADOW_RESULT = 'genops.policy.shadow_result' as const;
/** @experimental */
export const ATTR_GENOPS_POLICY_SHADOW_REASON_CODE = 'genops.policy.shadow_reason_code' as const;
/** = `genops.accounting.actual` (USD), on spans only with `telemetry.compatAttributes`; always on the compat `genops.cost.calculated` event. */
export const ATTR_GENOPS_COST_TOTAL = 'genops.cost.total' as const;
/** = `genops.accounting.unit`. Repeats another attribute: on spans only with `telemetry.compatAttributes` (docs/telemetry.md, "What moved"). */
export const ATTR_GENOPS_COST_CURRENCY = 'genops.cost.currency' as const;
/** = `gen_ai.provider.name`. Repeats another attribute: on spans only with `telemetry.compatAttributes` (docs/telemetry.md, "What moved"). */
export const ATTR_GENOPS_COST_PROVIDER = 'genops.cost.provider' as const;
/** = `gen_ai.response.model`, else `gen_ai.request.model`. Repeats another attribute: on spans only with `telemetry.compatAttributes` (docs/telemetry.md, "What moved"). */
export const ATTR_GENOPS_COST_MODEL = 'genops.cost.model' as const;
/** `true` when the cost is not exact (unknown price, missing usage). @experimental */
export const ATTR_GENOPS_COST_ESTIMATED = 'genops.cost.estimated' as const;
/** The price-table entry that priced the call. @experimental */
export const ATTR_GENOPS_COST_PRICE_MODEL = 'genops.cost.price_model' as const;
/**
 * Which price table priced the call: `genops-bundled@2026-07-24`, `prices-option`, `prices-file:<version>`,
 * `unknownModel-fallback` or `conservative-estimate` (an unknown model under `unknownModel: 'warn'`). @experimental
 */
export const ATTR_GENOPS_COST_SOURCE = 'genops.cost.source' as const;
/**
 * The usage the provider reported broke the accounting invariant (non-finite, negative, output above the
 * cap, cached above input, reasoning above output): the reason code `ACCOUNTING_INVARIANT_VIOLATION`.
 * The call is settled at its reservation. @experimental
 */
export const ATTR_GENOPS_ACCOUNTING_VIOLATION = 'genops.accounting.violation' as const;
/** What broke the invariant: `<field>:<code>` per violation, e.g. `outputTokens:ABOVE_MAX_TOKENS`. @experimental */
export const ATTR_GENOPS_ACCOUNTING_VIOLATIONS = 'genops.accounting.violations' as const;
/** `genops.tokens.*` = `gen_ai.usage.*` (total: input + output). Repeats another attribute: on spans only with `telemetry.compatAttributes` (docs/telemetry.md, "What moved"). */
export const ATTR_GENOPS_TOKENS_INPUT = 'genops.tokens.input' as const;
export const ATTR_GENOPS_TOKENS_OUTPUT = 'genops.tokens.output' as const;
export const ATTR_GENOPS_TOKENS_TOTAL = 'genops.tokens.total' as const;
export const ATTR_GENOPS_CUSTOMER_ID = 'genops.customer_id' as const;
export const ATTR_GENOPS_FEATURE = 'genops.feature' as const;
export const ATTR_GENOPS_SESSION_ID = 'genops.session_id' as const;
export const ATTR_GENOPS_COST_CENTER = 'genops.cost_center' as const;
/** @experimental */
export const ATTR_GENOPS_USER_ID = 'genops.user_id' as const;
/** How the output side of the reservation was bounded: `request` | `price_data` | `default`. @experimental */
export const ATTR_GENOPS_RESERVATION_OUTPUT_BOUND = 'genops.reservation.output_bound' as const;
/** @experimental */
export const ATTR_GENOPS_APPROVAL_ID = 'genops.approval.id' as const;
/** `approved` | `denied` | `timed_out`. @experimental */
export const ATTR_GENOPS_APPROVAL_STATUS = 'genops.approval.status' as const;
/** @experimental */
export const ATTR_GENOPS_APPROVAL_DECIDED_BY = 'genops.approval.decided_by' as const;
/** `true` when the store was unavailable and the call ran without a reservation (`failMode: 'open'`). @experimental */
export const ATTR_GENOPS_STORE_FAIL_OPEN = 'genops.store.fail_open' as const;
/** Kinds redacted from the request and how many of each, e.g. `["email:2", "payment_card:1"]`; never the values. @experimental */
export const ATTR_GENOPS_CONTENT_REDACTIONS = 'genops.content.redactions' as const;
/** Total number of redacted spans of text. @experimental */
export const ATTR_GENOPS_CONTENT_REDACTED_COUNT = 'genops.content.redacted_count' as const;
/** The model the caller asked for, when a budget downgraded the call to a cheaper one. @experimental */
export const ATTR_GENOPS_DOWNGRADE_ORIGINAL_MODEL = 'genops.downgrade.original_model' as const;
/** The budget whose `downgrade` action changed the model. @experimental */
export const ATTR_GENOPS_DOWNGRADE_BUDGET = 'genops.downgrade.budget' as const;
/** Shadow-mode rules that found a violation (recorded, not enforced), as `rule:REASON_CODE`. @experimental */
export const ATTR_GENOPS_POLICY_SHADOW_RULES = 'genops.policy.shadow_rules' as const;
/** When a policy event was recorded: `output` (streamed output, could still stop it) or `output_end` (too late). @experimental */
export const ATTR_GENOPS_POLICY_PHASE = 'genops.policy.phase' as const;
/** Fraction of the limit that triggered a budget alert (on `genops.budget.alert`). @experimental */
export const ATTR_GENOPS_BUDGET_THRESHOLD = 'genops.budget.threshold' as const;
/** Version (content hash) of the policy that decided. @experimental */
export const ATTR_GENOPS_POLICY_VERSION = 'genops.policy.version' as const;
export const ATTR_GENOPS_SLA_TIER = 'genops.sla.tier' as const;
export const ATTR_GENOPS_SLA_LATENCY_TARGET_MS = 'genops.sla.latency_target_ms' as const;
export const ATTR_GENOPS_SLA_ACTUAL_LATENCY_MS = 'genops.sla.actual_latency_ms' as const;
export const ATTR_GENOPS_SLA_MET = 'genops.sla.met' as const;
/** Low-cardinality reason for a failed execution, e.g. PROVIDER_ERROR_UPSTREAM. @experimental */
export const ATTR_GENOPS_EXECUTION_REASON_CODE = 'genops.execution.reason_code' as const;

// ---- Names from the original GenOps README (existing dashboards use them) -------------------------
// Each repeats a spec or GenAI attribute: set only with `telemetry: { compatAttributes: true }`.
export const ATTR_GENOPS_PROVIDER = 'genops.provider' as const;
export const ATTR_GENOPS_MODEL = 'genops.model' as const;
/** `passed` | `warning` | `blocked` */
export const ATTR_GENOPS_GOVERNANCE_POLICY_CHECK = 'genops.governance.policy_check' as const;
export const ATTR_GENOPS_GOVERNANCE_BUDGET_REMAINING = 'genops.governance.budget_remaining' as const;
export const ATTR_GENOPS_GOVERNANCE_APPROVAL_REQUIRED = 'genops.governance.approval_required' as const;
/** The constraint that bound the call: `budget_limit`, `rate_limit`, `policy`, `approval`, `pricing`, `none`. */
export const ATTR_GENOPS_GOVERNANCE_AUTHORITY_CONSTRAINT = 'genops.governance.authority_constraint' as const;

// ---- GenOps events --------------------------------------------------------------------------------
export const EVENT_GENOPS_POLICY_EVALUATED = 'genops.policy.evaluated' as const;
/**
 * Output content rules over a streamed response: findings after the pre-execution decision, which stays
 * as it was (decisions are immutable; `genops.policy.evaluated` is for pre-execution decisions only). @experimental
 */
export const EVENT_GENOPS_POLICY_OUTPUT_EVALUATED = 'genops.policy.output_evaluated' as const;
export const EVENT_GENOPS_BUDGET_RESERVATION = 'genops.budget.reservation' as const;
export const EVENT_GENOPS_BUDGET_RECONCILIATION = 'genops.budget.reconciliation' as const;
/** Optional; its values are on `genops.budget.reconciliation`: emitted only with `telemetry.compatAttributes`. */
export const EVENT_GENOPS_COST_CALCULATED = 'genops.cost.calculated' as const;
export const EVENT_GENOPS_BUDGET_ALERT = 'genops.budget.alert' as const;
/** A call missed its SLA latency target (reason code SLA_LATENCY_VIOLATION). @experimental */
export const EVENT_GENOPS_SLA_VIOLATION = 'genops.sla.violation' as const;
/** @experimental */
export const EVENT_GENOPS_APPROVAL_REQUESTED = 'genops.approval.requested' as const;
/** @experimental */
export const EVENT_GENOPS_APPROVAL_DECIDED = 'genops.approval.decided' as const;

// ---- Policy results and reason codes --------------------------------------------------------------
export const POLICY_RESULTS = ['ALLOWED', 'BLOCKED', 'WARNING', 'RATE_LIMITED'] as const;
export type PolicyResult = (typeof POLICY_RESULTS)[number];

export const REASON_CODES = [
  'BUDGET_EXCEEDED',
  'BUDGET_RESERVATION_FAILED',
  'POLICY_DENY_MODEL',
  'POLICY_DENY_REGION',
  'POLICY_DENY_CONTENT',
  'RATE_LIMITED',
  'SLA_LATENCY_VIOLATION',
  'PROVIDER_ERROR_UPSTREAM',
  'ACCOUNTING_INVARIANT_VIOLATION',
] as const;
export type SpecReasonCode = (typeof REASON_CODES)[number];
/** A spec reason code or an extension matching `x_[a-z0-9_]+`. */
export type ReasonCode = SpecReasonCode | `x_${string}`;
export const REASON_CODE_EXTENSION_PATTERN = /^x_[a-z0-9_]+$/;

/** Extension reason codes this runtime uses. */
export const REASON_X_MAX_TOKENS = 'x_max_tokens_exceeded' as const;
export const REASON_X_MAX_COST = 'x_max_cost_exceeded' as const;
export const REASON_X_ATTRIBUTION_MISSING = 'x_attribution_missing' as const;
export const REASON_X_APPROVAL_DENIED = 'x_approval_denied' as const;
export const REASON_X_APPROVAL_TIMEOUT = 'x_approval_timeout' as const;
export const REASON_X_PRICE_UNKNOWN = 'x_price_unknown' as const;
export const REASON_X_DENY_PROVIDER = 'x_deny_provider' as const;
export const REASON_X_MAX_INPUT_TOKENS = 'x_max_input_tokens_exceeded' as const;
export const REASON_X_ATTRIBUTION_INVALID = 'x_attribution_invalid' as const;
export const REASON_X_TIME_WINDOW = 'x_time_window' as const;
export const REASON_X_TOOL_DENIED = 'x_tool_denied' as const;

// ---- OpenTelemetry GenAI v1.41.1 ------------------------------------------------------------------
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name' as const;
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name' as const;
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model' as const;
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream' as const;
export const ATTR_GEN_AI_REQUEST_SEED = 'gen_ai.request.seed' as const;
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens' as const;
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature' as const;
export const ATTR_GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p' as const;
export const ATTR_GEN_AI_REQUEST_TOP_K = 'gen_ai.request.top_k' as const;
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences' as const;
export const ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = 'gen_ai.request.frequency_penalty' as const;
export const ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = 'gen_ai.request.presence_penalty' as const;
export const ATTR_GEN_AI_REQUEST_ENCODING_FORMATS = 'gen_ai.request.encoding_formats' as const;
export const ATTR_GEN_AI_OUTPUT_TYPE = 'gen_ai.output.type' as const;
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id' as const;
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id' as const;
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model' as const;
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons' as const;
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk' as const;
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens' as const;
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens' as const;
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens' as const;
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens' as const;
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens' as const;
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages' as const;
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages' as const;
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions' as const;
export const ATTR_GEN_AI_TOOL_DEFINITIONS = 'gen_ai.tool.definitions' as const;
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name' as const;
export const ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id' as const;
export const ATTR_GEN_AI_TOOL_TYPE = 'gen_ai.tool.type' as const;
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type' as const;
export const ATTR_SERVER_ADDRESS = 'server.address' as const;
export const ATTR_SERVER_PORT = 'server.port' as const;
export const ATTR_ERROR_TYPE = 'error.type' as const;
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code' as const;

export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration' as const;
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage' as const;
export const METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK =
  'gen_ai.client.operation.time_to_first_chunk' as const;
/** Counter of cost in USD. @experimental */
export const METRIC_GENOPS_COST = 'genops.cost' as const;
/** Counter of governance decisions, by result and reason code. @experimental */
export const METRIC_GENOPS_POLICY_DECISIONS = 'genops.policy.decisions' as const;

/** Semconv bucket boundaries for `gen_ai.client.operation.duration` (seconds). */
export const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
] as const;
/** Semconv bucket boundaries for `gen_ai.client.token.usage`. */
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
] as const;

/** GenAI `gen_ai.operation.name` values. */
export type GenAIOperationName =
  | 'chat'
  | 'text_completion'
  | 'embeddings'
  | 'generate_content'
  | 'execute_tool'
  | 'invoke_agent'
  | 'create_agent'
  | 'invoke_workflow'
  | 'retrieval';
