// Public API of @genops/cli: the commands as functions (argv + streams in, exit code out).
export { registerAuditCommands, runAuditCommand, summarize as summarizeAuditRecord } from './commands/audit';
export {
  type ExplainOptions,
  type Explanation,
  explainCall,
  registerPolicyCommands,
  runPolicyCommand,
} from './commands/policy';
export { CliError, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE } from './errors';
export type { CliIo, OutputStream } from './io';
export { type LoadedPolicy, loadPolicy, type PolicyProblem } from './policy-file';
export { type CommandGroup, createProgram, runCommandGroup } from './program';
export { COMMAND_GROUPS, run } from './run';
export { VERSION } from './version';
