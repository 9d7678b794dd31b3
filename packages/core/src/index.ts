// Public API of @genops/core. Explicit named exports only.
export { type AdapterContext, appSearchPaths, currentGovernor, type GenOpsAdapter, registerAdapter } from './adapters';
export { getContextAttribution, withAttribution } from './attribution';
export type {
  ApprovalDecision,
  ApprovalRequest,
  Approver,
  BudgetOptions,
  DecisionRecord,
  GenOpsOptions,
  PolicyOptions,
} from './config';
export {
  ApprovalDeniedError,
  BudgetExceededError,
  ConfigError,
  GenOpsError,
  GovernanceError,
  PolicyViolationError,
  ReservationFailedError,
} from './errors/index';
export { estimateInputTokens } from './estimate';
export { type BudgetStatus, GenOps, type GenOpsHandle, type GenOpsStatus } from './genops';
export type { CallOutcome, GovernedCall, Governor } from './governor';
export { formatUsd, microsToUsd, usdToMicros } from './money';
export { costMicros, worstCaseMicros } from './pricing/cost';
export { PRICE_FILES } from './pricing/data/index';
export { PriceTable } from './pricing/price-table';
export type { ModelPrice, PriceMatch, PriceTier, ProviderPriceFile } from './pricing/types';
export * as semconv from './semconv';
export { GENOPS_SPEC_VERSION, type PolicyResult, type ReasonCode } from './semconv';
export { MemoryStore } from './store/memory-store';
export type { BudgetLine, GovernanceStore, LineState, ReserveRequest, ReserveResult } from './store/types';
export { governIterator, type StreamObserver } from './stream';
export type { AccountingUnit, Attribution, GovernedRequest, ResponseInfo, Usage } from './types';
export { VERSION } from './version';
