// @genops/core/adapter: the adapter kit. What a provider or framework adapter is written on
// (docs/contributing.md). Explicit named exports only; the app API is `@genops/core`.

export {
  type AdapterContext,
  appSearchPaths,
  currentGovernor,
  type GenOpsAdapter,
  loadPackageBuilds,
  registerAdapter,
} from '../adapters';
// The governed model call whose request is being made, if any (one context lookup).
export { currentGovernedCall } from '../egress/egress-state';
// Anthropic Managed Agents turns: shared by the Anthropic adapter and egress (one registry per process).
export {
  type AgentInfo,
  addUsage,
  agentOfReference,
  agentReferenceOf,
  describeAgentTurn,
  knownAgent,
  knownSessionAgent,
  onSessionEvent,
  openAgentTurn,
  rememberAgent,
  rememberSession,
  startsTurn,
} from '../egress/managed-agents';
// Realtime / Responses-over-WebSocket sessions governed per response (the openai adapter's governRealtime).
export {
  asGovernedHandshake,
  type RealtimeEndpoint,
  RealtimeGovernor,
  type RealtimeProtocol,
  usageFromRealtime,
} from '../egress/realtime-governor';
export { governRealtimeSocket } from '../egress/realtime-socket';
export { endpointOf } from '../endpoint';
export { estimateInputTokens } from '../estimate';
// Rule decisions for adapters that check tool calls themselves (Vercel AI's tool calls in a model's output).
export { type RuleDecision, ruleDecisionOf } from '../governance-steps';
export { type CallOutcome, errorTypeOf, type GovernedCall, type Governor } from '../governor';
// Usage beyond tokens (images, audio seconds, characters, searches, requests, batch) for the cost functions.
export type { BillableUsage, ImageUnit } from '../pricing/types';
export { governIterator, type StreamObserver } from '../stream';
export { describeToolCall, governToolCall, type ToolCallInfo, ToolResultError } from '../tool';
export type {
  AccountingUnit,
  Attribution,
  GovernedRequest,
  RequestEdits,
  ReservationUnits,
  ResponseInfo,
  Usage,
} from '../types';
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
} from '../usage/wire-usage';
export { checkToolCall, type DeniedToolCall, recordDeniedToolCall } from './check-tool-call';
export { errorStatusMessage } from './error-status';
export { type MethodPatcher, methodPatcher } from './method-patcher';
export {
  finishGovernedCall,
  type GovernedRun,
  type GovernedSend,
  runGovernedCall,
  startGovernedCall,
} from './run-governed-call';
export { safely } from './safely';
export { defineSdkAdapter, type SdkAdapterSpec } from './sdk-adapter';
export {
  type APIPromiseClass,
  createFallbackAPIPromise,
  governStainlessCall,
  type StainlessCallPlan,
  type StainlessMethod,
} from './stainless-api-promise';
export { warnUngoverned, warnUngovernedCall } from './ungoverned-method';
