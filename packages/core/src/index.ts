// Public API of @genops/core. Explicit named exports only.

export {
  type AdapterContext,
  appSearchPaths,
  currentGovernor,
  type GenOpsAdapter,
  loadPackageBuilds,
  registerAdapter,
} from './adapters';
export { type ApprovalAsk, Approvals } from './approval/approvals';
export { getContextAttribution, withAttribution } from './attribution';
export { AuditTrail, getAuditLogger } from './audit/audit-trail';
export { canonicalJson, chainAuditEntries, GENESIS_HASH, hashAuditRecord } from './audit/hash';
export { appendAuditFile, formatAuditRecord, parseAuditLine, readAuditFile } from './audit/jsonl';
export { type AuditProblem, type AuditVerification, readStoreAudit, verifyAuditChain } from './audit/verify';
export {
  type Budget,
  compileBudget,
  linesFor,
  parseBudgetKey,
  RATE_PREFIX,
  type RateLimit,
  ROLLING_PERIOD,
  rateLinesFor,
} from './budget/budget-set';
export { currentPeriod, periodOf } from './budget/window';
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
export { parseOptions, type ResolvedOptions } from './config';
export { endpointOf } from './endpoint';
export {
  ApprovalDeniedError,
  ApprovalTimeoutError,
  BudgetExceededError,
  ConfigError,
  GenOpsError,
  GovernanceError,
  PolicyFileError,
  PolicyViolationError,
  RateLimitedError,
  ReservationFailedError,
  StoreUnavailableError,
} from './errors/index';
export { estimateInputTokens } from './estimate';
export { type BudgetStatus, GenOps, type GenOpsHandle, type GenOpsStatus } from './genops';
export {
  DEFAULT_MAX_OUTPUT_TOKENS,
  type RuleDecision,
  ruleDecisionOf,
  UNPRICED_TOOL,
  type WorstCase,
  worstCaseOf,
} from './governance-steps';
export { type CallOutcome, errorTypeOf, type GovernedCall, type Governor } from './governor';
export { formatUsd, formatUsdExact, microsToUsd, usdToMicros } from './money';
export { type CompiledPolicy, compilePolicy, EMPTY_POLICY } from './policy/compile';
export { compileDetectors, createStreamScanner, type Detector, type Finding } from './policy/detectors/index';
export { policyJsonSchema } from './policy/json-schema';
export { loadPolicyFile, loadPolicyFileSync, parsePolicy, parsePolicyObject } from './policy/load';
export {
  estimateTextTokens,
  PolicyEngine,
  type PolicyEvaluation,
  type PolicyInput,
  type RuleExplanation,
  subjectOf,
  type Violation,
} from './policy/policy-engine';
export type { BudgetInput, PolicyDocument, PolicyDocumentInput, PolicyMode, Rule, RuleInput } from './policy/schema';
export { watchPolicyFile } from './policy/watch';
export { costBreakdown, costMicros, costPicos, imagePrice, worstCaseMicros } from './pricing/cost';
export { PRICE_FILES } from './pricing/data/index';
export {
  DEFAULT_PRICES_FILE,
  type PricesFile,
  pricesFromDocument,
  readPricesFile,
  resolveUserPrices,
  type UserPrices,
} from './pricing/load-prices';
export { bundledVersion, type OverrideSource, PriceTable } from './pricing/price-table';
export type {
  BatchPrice,
  BillableUsage,
  ImageUnit,
  ModelPrice,
  PriceMatch,
  PriceMode,
  PriceTier,
  ProviderPriceFile,
  UnitPrices,
} from './pricing/types';
export { type PriceProblem, priceProblems, validatePrice, validatePrices } from './pricing/validate-prices';
export * as semconv from './semconv';
export { GENOPS_SPEC_VERSION, type PolicyResult, type ReasonCode } from './semconv';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store';
export { openStoreUrl } from './store/open-store';
export { type JournaledSettlement, SettlementJournal } from './store/settlement-journal';
export type {
  ApprovalDecisionInput,
  ApprovalRecord,
  ApprovalStatus,
  AuditEntry,
  AuditEntryType,
  AuditRecord,
  BudgetLine,
  GovernanceStore,
  LineState,
  LineUnit,
  ReserveRequest,
  ReserveResult,
  SettleAmounts,
  SettleResult,
} from './store/types';
export { governIterator, type StreamObserver } from './stream';
export { describeToolCall, governToolCall, type ToolCallInfo, ToolResultError } from './tool';
export type { AccountingUnit, Attribution, GovernedRequest, RequestEdits, ResponseInfo, Usage } from './types';
export { type UsageViolation, type ValidateUsageOptions, validateUsage } from './usage/validate-usage';
export {
  type AnthropicUsageWire,
  type GeminiUsageWire,
  mergeAnthropicUsage,
  type OpenAIChatUsageWire,
  type OpenAIResponsesUsageWire,
  usageFromAnthropic,
  usageFromGemini,
  usageFromGeminiEmbedding,
  usageFromOpenAIChat,
  usageFromOpenAIResponses,
} from './usage/wire-usage';
export { VERSION } from './version';
