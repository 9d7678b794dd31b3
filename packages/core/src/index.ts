// @genops/core: the app API. Explicit named exports only. Adapters are written on `@genops/core/adapter`;
// what the CLI, stores and test packages need is in `@genops/core/internal` (docs/contributing.md).

export { getContextAttribution, withAttribution } from './attribution';
export type { AuditSigningKey, AuditVerifyingKey } from './audit/checkpoint';
export { readAuditFile } from './audit/jsonl';
export {
  type AuditProblem,
  type AuditVerification,
  readStoreAudit,
  type VerifyAuditOptions,
  verifyAuditChain,
} from './audit/verify';
export type {
  ApprovalDecision,
  ApprovalRequest,
  Approver,
  BudgetAlert,
  BudgetOptions,
  DecisionRecord,
  GenOpsOptions,
  PolicyOptions,
} from './config';
export type { Coverage, CoverageRequest, CoverageSdk } from './coverage';
export {
  currentGovernedCall,
  DEFAULT_EGRESS_MODE,
  type EgressHostOption,
  type EgressMode,
  type EgressOptions,
  type EgressStatus,
  egressStatus,
  KNOWN_PROVIDER_HOSTS,
  UNGOVERNED_ATTRIBUTE,
} from './egress/index';
export {
  ApprovalDeniedError,
  ApprovalTimeoutError,
  BudgetExceededError,
  ConfigError,
  ContentScanError,
  GenOpsError,
  GovernanceError,
  InvalidRequestError,
  PolicyFileError,
  PolicyViolationError,
  RateLimitedError,
  ReservationFailedError,
  StoreAmountError,
  StoreIdentityError,
  StoreUnavailableError,
} from './errors/index';
export { type BudgetStatus, GenOps, type GenOpsHandle, type GenOpsStatus } from './genops';
export {
  formatUsd,
  formatUsdExact,
  formatUsdNanos,
  formatUsdNanosExact,
  MAX_LEDGER_NANOS,
  microsToUsd,
  NANOS_PER_USD,
  nanosToUsd,
  usdToMicros,
  usdToNanos,
} from './money';
export {
  compileDetectors,
  createStreamScanner,
  type Detector,
  type DetectorOptions,
  type DetectorSpec,
  type Finding,
  type StreamScanner,
  type StreamScannerOptions,
} from './policy/detectors/index';
export { policyJsonSchema } from './policy/json-schema';
export { loadPolicyFile, loadPolicyFileSync, parsePolicy, parsePolicyObject } from './policy/load';
export type { BudgetInput, PolicyDocument, PolicyDocumentInput, PolicyMode, Rule, RuleInput } from './policy/schema';
export { watchPolicyFile } from './policy/watch';
export type { PricesFile } from './pricing/load-prices';
export type { BatchPrice, ModelPrice, PriceMode, PriceTier, UnitPrices } from './pricing/types';
export * as semconv from './semconv';
export { GENOPS_SPEC_VERSION, type PolicyResult, type ReasonCode } from './semconv';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store';
export type { AuditRecord, GovernanceStore } from './store/types';
export { describeToolCall, governToolCall, type ToolCallInfo, ToolResultError } from './tool';
export type { Attribution, Usage } from './types';
export { VERSION } from './version';
