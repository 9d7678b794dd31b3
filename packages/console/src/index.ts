// @genops/console: the web console of GenOps (budgets, spend, blocked calls, approvals, audit, policy),
// its signed approve/deny links and the approval webhook.
export type { BlockedCall, SpendDimension, SpendSeries } from './audit-index';
export type { BudgetView } from './budgets';
export {
  type ApprovalLinks,
  type ApprovalLinksOptions,
  createApprovalLinks,
  type LinkCheck,
  type LinkDecision,
  type LinkProblem,
  type VerifiedLink,
} from './links';
export { consolePlugin } from './plugin';
export type { PolicyView } from './policy-view';
export { type RunningConsole, type StartConsoleOptions, startConsole } from './start';
export type {
  ConsoleAuthenticate,
  ConsoleAuthOptions,
  ConsoleOptions,
  ConsolePrincipal,
  ConsoleSourceOptions,
} from './types';
export { VERSION } from './version';
export { type ApprovalWebhookOptions, approvalPayload, approvalWebhook, type WebhookFormat } from './webhook';
