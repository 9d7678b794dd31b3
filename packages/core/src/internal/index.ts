// @genops/core/internal: what the CLI, the stores, the gateway and the test packages need. Not for apps
// and not for adapters (those use `@genops/core/adapter`); no stability promise across minor versions.

// `genops doctor`: the coverage check of `status().coverage`, run on a project folder.
export { adapterRegistry, discoverAdapters } from '../adapters';
export { type ApprovalAsk, Approvals } from '../approval/approvals';
export { AuditTrail, getAuditLogger } from '../audit/audit-trail';
// The call records as the recorder writes them (benchmarks/audit.mjs, the stores' tests).
export { decisionAuditEntry, settlementAuditEntry } from '../audit/call-records';
export {
  type AuditCheckpointData,
  auditKeyId,
  createCheckpointSigner,
  createCheckpointVerifier,
} from '../audit/checkpoint';
export {
  AUDIT_DATA_JSON,
  // A record's JSON around its data's JSON (store-redis keeps each record so, serialising nothing twice).
  auditRecordLine,
  canonicalJson,
  chainAuditEntries,
  GENESIS_HASH,
  hashAuditRecord,
  type PreparedAuditEntry,
  preparedAuditEntry,
} from '../audit/hash';
export { appendAuditFile, formatAuditRecord, parseAuditLine } from '../audit/jsonl';
export {
  type BudgetInstance,
  type BudgetInstanceGroup,
  type BudgetStatus,
  budgetInstances,
  budgetStatus,
  DEFAULT_WARN_AT,
} from '../budget/budget-instances';
export {
  type Budget,
  compileBudget,
  linesFor,
  parseBudgetKey,
  RATE_PREFIX,
  type RateLimit,
  ROLLING_PERIOD,
  rateLinesFor,
} from '../budget/budget-set';
export { currentPeriod, periodOf } from '../budget/window';
export { parseOptions, type ResolvedOptions } from '../config';
export {
  checkInstalls,
  findAdapterPackages,
  findSdkInstalls,
  installedFrom,
  KNOWN_SDKS,
  type SdkInstall,
} from '../coverage';
export { type Endpoint, endpointFor, type Wire } from '../egress/endpoints';
export {
  type Dispatch,
  type DispatchOptions,
  type GovernedWire,
  governWire,
  traceparentOf,
  type WireBody,
  type WireRequest,
  type WireRewrite,
} from '../egress/govern-wire';
export { resolveEgress } from '../egress/options';
export {
  type DispatchController,
  type DispatchHandler,
  ForwardingHandler,
  neverSent,
} from '../egress/wire-handler';
export { showValue } from '../errors/show-value';
export {
  DEFAULT_MAX_OUTPUT_TOKENS,
  type RuleDecision,
  ruleDecisionOf,
  UNPRICED_TOOL,
  type WorstCase,
  worstCaseOf,
} from '../governance-steps';
// Span and metric telemetry recorded after a call returns: test readers drain it before reading.
export {
  drainPending,
  pendingCount,
  settlementsDone,
  settlementsInFlight,
} from '../pipeline/deferred';
export { type CompiledPolicy, compilePolicy, EMPTY_POLICY } from '../policy/compile';
export {
  estimateTextTokens,
  PolicyEngine,
  type PolicyEvaluation,
  type PolicyInput,
  type RuleExplanation,
  subjectOf,
  type Violation,
} from '../policy/policy-engine';
export {
  type CostBreakdown,
  costBreakdown,
  costMicros,
  costNanos,
  costPicos,
  imagePrice,
  worstCaseMicros,
  worstCaseNanos,
  worstCasePicos,
} from '../pricing/cost';
export { PRICE_FILES } from '../pricing/data/index';
export {
  DEFAULT_PRICES_FILE,
  type PricesFile,
  pricesFromDocument,
  readPricesFile,
  resolveUserPrices,
  type UserPrices,
} from '../pricing/load-prices';
export { bundledVersion, type OverrideSource, PriceTable } from '../pricing/price-table';
export type {
  BatchPrice,
  BillableUsage,
  ImageUnit,
  PriceMatch,
  PriceMode,
  PriceTier,
  ProviderPriceFile,
  UnitPrices,
} from '../pricing/types';
export { type PriceProblem, priceProblems, validatePrice, validatePrices } from '../pricing/validate-prices';
export { optionsFromEnvironment, POLICY_FILE_NAMES, policyFileFromEnvironment } from '../register-environment';
export { assertLedgerTotal, assertReserveAmounts, assertSettleAmounts } from '../store/amounts';
export { maskText, maskUrl, openStoreUrl } from '../store/open-store';
export { type JournaledSettlement, SettlementJournal } from '../store/settlement-journal';
export type {
  ApprovalDecisionInput,
  ApprovalRecord,
  ApprovalStatus,
  AuditEntry,
  AuditEntryType,
  BudgetLine,
  LineState,
  LineUnit,
  ReserveRequest,
  ReserveResult,
  SettleAmounts,
  SettleResult,
} from '../store/types';
export {
  type BudgetReading,
  type GovernanceSnapshot,
  observeGovernance,
  readGovernanceSnapshot,
  readingFromLine,
} from '../telemetry/governance-gauges';
export { createInstruments, type Instruments } from '../telemetry/instruments';
export { MeasuredStore, measureStore } from '../telemetry/measured-store';
export * as metricNames from '../telemetry/metric-names';
export {
  DEFAULT_PROMETHEUS_HOST,
  DEFAULT_PROMETHEUS_PORT,
  type PrometheusOptions,
  prometheusAddress,
} from '../telemetry/prometheus';
export { installCommand, requireSdkPackages, SDK_PACKAGES, type SdkExporter } from '../telemetry/sdk-packages';
export { type UsageViolation, type ValidateUsageOptions, validateUsage } from '../usage/validate-usage';
export { describeIssue, expectedFor, joinPath } from '../zod-issue';
