import { registerApprovalCommands } from './commands/approvals';
import { registerAuditCommands } from './commands/audit';
import { registerConsoleCommands } from './commands/console';
import { registerDoctorCommands } from './commands/doctor';
import { registerExportCommands } from './commands/export';
import { registerGatewayCommands } from './commands/gateway';
import { registerMetricsCommands } from './commands/metrics';
import { registerPolicyCommands } from './commands/policy';
import { registerPricingCommands } from './commands/pricing';
import { registerReportCommands } from './commands/report';
import { registerStatusCommands } from './commands/status';
import type { CliIo } from './io';
import { type CommandGroup, runCommandGroup } from './program';

/** Every command group of `genops`, in the order `genops --help` lists them. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  registerPolicyCommands,
  registerStatusCommands,
  registerApprovalCommands,
  registerAuditCommands,
  registerPricingCommands,
  registerReportCommands,
  registerExportCommands,
  registerDoctorCommands,
  registerMetricsCommands,
  registerGatewayCommands,
  registerConsoleCommands,
];

/**
 * Runs `genops` with `argv` (the arguments after `genops`, e.g. `['policy', 'validate', 'p.yaml']`).
 * Resolves to the exit code: 0 success, 1 the check found problems, 2 the command could not run.
 */
export function run(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(argv, io, COMMAND_GROUPS);
}
