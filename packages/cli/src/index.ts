// Public API of @genops/cli: the commands as functions (argv + streams in, exit code out).
export {
  decideApproval,
  defaultDecider,
  listApprovals,
  registerApprovalCommands,
  runApprovalsCommand,
} from './commands/approvals';
export {
  type AuditSource,
  lastSeq as lastAuditSeq,
  registerAuditCommands,
  runAuditCommand,
  summarize as summarizeAuditRecord,
} from './commands/audit';
export { type DoctorCheck, registerDoctorCommands, runDoctorCommand } from './commands/doctor';
export {
  FOCUS_COLUMNS,
  type FocusColumn,
  type FocusRow,
  registerExportCommands,
  runExportCommand,
} from './commands/export';
export { DEFAULT_GATEWAY_PORT, registerGatewayCommands, runGatewayCommand, serveGateway } from './commands/gateway';
export { registerMetricsCommands, runMetricsCommand, serveMetrics } from './commands/metrics';
export {
  type ExplainOptions,
  type Explanation,
  explainCall,
  registerPolicyCommands,
  runPolicyCommand,
} from './commands/policy';
export { type PriceReport, priceReport, registerPricingCommands, runPricingCommand } from './commands/pricing';
export { type Charge, readCharges, registerReportCommands, runReportCommand } from './commands/report';
export {
  type BudgetRow,
  formatStatus,
  type LineStatus,
  type RateLimitRow,
  readStatus,
  registerStatusCommands,
  runStatusCommand,
  runWatchCommand,
  type StatusReport,
  statusRows,
} from './commands/status';
export { CliError, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE } from './errors';
export type { CliIo, OutputStream } from './io';
export { type LoadedPolicy, loadPolicy, type PolicyProblem } from './policy-file';
export { type CommandGroup, createProgram, runCommandGroup } from './program';
export { COMMAND_GROUPS, run } from './run';
export { DEFAULT_STORE, type OpenedStore, redactUrl, resolveStoreUrl } from './store';
export { VERSION } from './version';
