import { hostname } from 'node:os';
import { type ApprovalRecord, Approvals } from '@genops/core/internal';
import type { Command } from 'commander';
import { CliError, EXIT_OK, EXIT_PROBLEMS, errorLine } from '../errors';
import { formatUsdNumber, renderTable } from '../format';
import type { CliIo, Colors, CommandContext } from '../io';
import { runCommandGroup } from '../program';
import { type OpenedStore, STORE_OPTION_HELP, withStore } from '../store';

/** Adds `genops approvals list|approve|deny` to `program`. */
export function registerApprovalCommands(program: Command, context: CommandContext): void {
  const approvals = program
    .command('approvals')
    .description('list, approve and deny calls held for approval, in the store every process shares')
    .addHelpText(
      'after',
      `
Examples:
  $ genops approvals list
  $ genops approvals approve 3f2c41aa-6a1e-4c59-9a53-0b7d7b1f3c2e --reason "quarterly report"
  $ genops approvals deny 3f2c41aa --reason "use gpt-4o-mini" --by alice

An id may be shortened to any unique prefix of at least 4 characters.`,
    );

  approvals
    .command('list')
    .description('pending approvals, newest first: id, age, rule, model, team, estimated cost, reason')
    .option('--store <url>', STORE_OPTION_HELP)
    .option('--all', 'every approval the store keeps, decided ones too')
    .option('--json', 'print the approvals as JSON, as stored')
    .action(async (options: ListOptions) => {
      context.exitCode = await listApprovals(options, context);
    });

  approvals
    .command('approve')
    .description('approve a held call: it runs')
    .argument('<id>', "the approval id (the held call's id), or a unique prefix of it")
    .option('--store <url>', STORE_OPTION_HELP)
    .option('--reason <text>', 'why, kept with the decision and in the audit trail')
    .option('--by <name>', 'who decides (default: $USER@hostname)')
    .addHelpText(
      'after',
      '\nExit codes: 0 approved, 1 unknown id or already decided (who decided it is printed), 2 bad usage or the store cannot be read.',
    )
    .action(async (id: string, options: DecideOptions) => {
      context.exitCode = await decideApproval('approved', id, options, context);
    });

  approvals
    .command('deny')
    .description('deny a held call: it fails with ApprovalDeniedError carrying the reason')
    .argument('<id>', 'the approval id, or a unique prefix of it')
    .requiredOption('--reason <text>', 'why, for the caller (in its ApprovalDeniedError) and the audit trail')
    .option('--store <url>', STORE_OPTION_HELP)
    .option('--by <name>', 'who decides (default: $USER@hostname)')
    .addHelpText(
      'after',
      '\nExit codes: 0 denied, 1 unknown id or already decided (who decided it is printed), 2 bad usage or the store cannot be read.',
    )
    .action(async (id: string, options: DecideOptions) => {
      context.exitCode = await decideApproval('denied', id, options, context);
    });
}

/** Runs `genops approvals <argv...>`; resolves to the exit code. */
export function runApprovalsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['approvals', ...argv], io, [registerApprovalCommands]);
}

interface ListOptions {
  store?: string;
  all?: boolean;
  json?: boolean;
}

interface DecideOptions {
  store?: string;
  reason?: string;
  by?: string;
}

// ---- list -------------------------------------------------------------------------------------------

/** `genops approvals list [--all] [--json]` */
export async function listApprovals(options: ListOptions, context: CommandContext): Promise<number> {
  return withStore(options.store, context, async (opened) => {
    const records = await new Approvals(opened.store).list(options.all ? undefined : { status: 'pending' });
    const { io, out } = context;
    if (options.json) {
      io.stdout.write(
        `${JSON.stringify({ store: { url: opened.url, kind: opened.kind }, approvals: records }, null, 2)}\n`,
      );
      return EXIT_OK;
    }
    if (records.length === 0) {
      io.stdout.write(`No ${options.all ? '' : 'pending '}approvals in ${opened.url}.\n`);
      return EXIT_OK;
    }
    const now = context.now();
    const head = ['ID', 'Age', ...(options.all ? ['Status'] : []), 'Rule', 'Model', 'Team', 'Est. cost', 'Reason'];
    const rows = records.map((record) => [
      record.id,
      formatAge(now - record.createdAt),
      ...(options.all ? [statusCell(record, now, out)] : []),
      record.rule,
      `${record.provider}/${record.model}`,
      record.attribution.team ?? out.dim('—'),
      formatUsd(record.estimatedCostUsd),
      reasonCell(record, now, out, options.all === true),
    ]);
    io.stdout.write(`${renderTable(out, head, rows, io.stdout.columns)}\n`);
    return EXIT_OK;
  });
}

function statusCell(record: ApprovalRecord, now: number, colors: Colors): string {
  switch (record.status) {
    case 'approved':
      return colors.green('approved');
    case 'denied':
      return colors.red('denied');
    case 'timed_out':
      return colors.red('timed out');
    default:
      return record.expiresAt <= now ? colors.yellow('pending (expired)') : colors.yellow('pending');
  }
}

/** The reason, and for a decided approval who decided, when and why. */
function reasonCell(record: ApprovalRecord, now: number, colors: Colors, all: boolean): string {
  const parts = [record.reason];
  if (!all && record.expiresAt <= now) parts.push(colors.yellow('(expired: the call stopped waiting)'));
  if (record.status !== 'pending' && record.decidedBy)
    parts.push(
      colors.dim(
        `— ${record.status.replace('_', ' ')} by ${record.decidedBy}${record.decidedAt ? ` ${formatAge(now - record.decidedAt)} ago` : ''}${record.decisionReason ? `: ${record.decisionReason}` : ''}`,
      ),
    );
  return parts.join(' ');
}

/** `45s`, `12m 05s`, `3h 07m`, `2d 04h`. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${String(hours % 24).padStart(2, '0')}h`;
}

/** A USD amount (a float, as approval records keep it): `$60.02`, `$0.010088`. */
function formatUsd(usd: number): string {
  return formatUsdNumber(usd, true);
}

// ---- approve / deny ---------------------------------------------------------------------------------

/** `$USER@hostname`, the default `--by`. */
export function defaultDecider(env: Readonly<Record<string, string | undefined>>): string {
  const user = env.USER || env.USERNAME || env.LOGNAME || 'unknown';
  return `${user}@${hostname()}`;
}

/** The approval `id` names: the exact id, else the one approval whose id starts with it. */
async function findApproval(opened: OpenedStore, id: string): Promise<ApprovalRecord> {
  const approvals = new Approvals(opened.store);
  const exact = await approvals.get(id);
  if (exact) return exact;
  const matches = id.length >= 4 ? (await approvals.list()).filter((record) => record.id.startsWith(id)) : [];
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new CliError(
      `"${id}" matches ${matches.length} approvals (${matches
        .slice(0, 5)
        .map((record) => record.id)
        .join(', ')}${matches.length > 5 ? ', ...' : ''}); give more of the id`,
      EXIT_PROBLEMS,
    );
  throw new CliError(
    `no approval "${id}" in ${opened.url}. \`genops approvals list\` shows the pending ones (\`--all\` every one the store keeps; decided and expired approvals are dropped after a while).`,
    EXIT_PROBLEMS,
  );
}

/** `approved by alice@laptop 3m 12s ago: "too expensive"` */
function describeDecision(record: ApprovalRecord, now: number): string {
  const status = record.status === 'timed_out' ? 'timed out' : record.status;
  const by = record.decidedBy ? ` by ${record.decidedBy}` : '';
  const when = record.decidedAt
    ? ` ${formatAge(now - record.decidedAt)} ago (${new Date(record.decidedAt).toISOString()})`
    : '';
  const reason = record.decisionReason ? `: ${JSON.stringify(record.decisionReason)}` : '';
  return `${status}${by}${when}${reason}`;
}

/** `o1-pro for team product, $60.02` */
function describeCall(record: ApprovalRecord): string {
  const who = Object.entries(record.attribution)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  return `${record.provider}/${record.model}${who ? ` for ${who}` : ''}, ${formatUsd(record.estimatedCostUsd)}`;
}

/** `genops approvals approve|deny <id> [--reason ...] [--by name]` */
export async function decideApproval(
  status: 'approved' | 'denied',
  id: string,
  options: DecideOptions,
  context: CommandContext,
): Promise<number> {
  const by = options.by?.trim() || defaultDecider(context.io.env ?? {});
  if (status === 'denied' && !options.reason?.trim())
    throw new CliError('--reason is empty; say why the call is denied');
  return withStore(options.store, context, async (opened) => {
    const { io, out, err } = context;
    const record = await findApproval(opened, id);
    const now = context.now();
    if (record.status !== 'pending') {
      io.stderr.write(`${err.red(errorLine(`approval ${record.id} was already ${describeDecision(record, now)}`))}\n`);
      return EXIT_PROBLEMS;
    }
    const approvals = new Approvals(opened.store);
    const decide = status === 'approved' ? approvals.approve.bind(approvals) : approvals.deny.bind(approvals);
    const reason = options.reason?.trim();
    const decided = await decide(record.id, { by, ...(reason ? { reason } : {}) });
    if (!decided)
      throw new CliError(
        `approval ${record.id} is no longer in ${opened.url} (it expired and was dropped)`,
        EXIT_PROBLEMS,
      );
    // Compare-and-set: another decision that landed between our read and our write wins.
    if (decided.status !== status || decided.decidedBy !== by || (decided.decisionReason ?? undefined) !== reason) {
      io.stderr.write(`${err.red(errorLine(`approval ${record.id} was already ${describeDecision(decided, now)}`))}\n`);
      return EXIT_PROBLEMS;
    }
    const mark = status === 'approved' ? out.green('✔ approved') : out.red('✘ denied');
    io.stdout.write(
      `${mark} ${record.id} (${describeCall(record)}) as ${by}${reason ? `: ${JSON.stringify(reason)}` : ''}\n`,
    );
    if (record.expiresAt <= now)
      io.stdout.write(
        `${out.yellow(`Note: it expired ${formatAge(now - record.expiresAt)} ago; the call that asked may have stopped waiting.`)}\n`,
      );
    return EXIT_OK;
  });
}
