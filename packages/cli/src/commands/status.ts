import {
  type BudgetStatus,
  budgetInstances,
  budgetStatus,
  type CompiledPolicy,
  DEFAULT_WARN_AT,
  type LineState,
  parseBudgetKey,
  RATE_PREFIX,
  ROLLING_PERIOD,
} from '@genops/core/internal';
import { type Command, InvalidArgumentError } from 'commander';
import { CliError, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, warningLine } from '../errors';
import { formatAmount, formatCount, renderTable } from '../format';
import type { CliIo, Colors, CommandContext } from '../io';
import { loadPolicy } from '../policy-file';
import { runCommandGroup } from '../program';
import { type OpenedStore, STORE_OPTION_HELP, withStore } from '../store';
import { formatLoadFailure } from './policy';

/** Adds `genops status` and `genops watch` to `program`. */
export function registerStatusCommands(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description('budget usage per team, rate limits and open reservations, read from the store')
    .option('--store <url>', STORE_OPTION_HELP)
    .option('--policy <file>', 'the policy file: current periods, windows and warnAt thresholds of its budgets')
    .option('--json', 'print the status as JSON (amounts in integer units: nano-USD, tokens, requests)')
    .addHelpText(
      'after',
      `
Status: Active, Warning (used at or above the budget's lowest warnAt, 80% without --policy), Exceeded
(used at or above the limit). Without --policy, the newest period of each budget is shown.

Examples:
  $ genops status
  $ genops status --store sqlite:./.genops/state.db --policy genops.policy.yaml
  $ GENOPS_STORE=redis://127.0.0.1:6379 genops status --json

Exit codes: 0 shown, 1 invalid policy file, 2 the store or the policy file cannot be read, or bad usage.`,
    )
    .action(async (options: StatusOptions) => {
      context.exitCode = await showStatus(options, context);
    });

  program
    .command('watch')
    .description('the status table, redrawn every interval until Ctrl-C')
    .option('--store <url>', STORE_OPTION_HELP)
    .option('--policy <file>', 'the policy file (current periods, windows, warnAt thresholds)')
    .option('--interval <duration>', 'how often to redraw: 500ms, 2s, 1m', parseInterval, 2000)
    .option('--json', 'print one JSON status per line each interval')
    .addHelpText(
      'after',
      `
On a terminal the table is redrawn in place; piped, a new table is printed each interval.
Ctrl-C stops it with exit code 0.

Examples:
  $ genops watch
  $ genops watch --interval 5s --policy genops.policy.yaml`,
    )
    .action(async (options: WatchOptions) => {
      context.exitCode = await watchStatus(options, context);
    });
}

/** Runs `genops status <argv...>`; resolves to the exit code. */
export function runStatusCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['status', ...argv], io, [registerStatusCommands]);
}

/** Runs `genops watch <argv...>`; resolves to the exit code (0 once `io.signal` aborts). */
export function runWatchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['watch', ...argv], io, [registerStatusCommands]);
}

interface StatusOptions {
  store?: string;
  policy?: string;
  json?: boolean;
}

interface WatchOptions extends StatusOptions {
  interval: number;
}

/** `500ms`, `2s`, `1m` or a number of seconds, as milliseconds (at least 100 ms). */
export function parseInterval(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected a duration such as 500ms, 2s or 1m');
  const number = Number(match[1]);
  const ms = Math.round(match[2] === 'ms' ? number : match[2] === 'm' ? number * 60_000 : number * 1000);
  if (ms < 100) throw new InvalidArgumentError('expected at least 100ms');
  return ms;
}

// ---- the report -------------------------------------------------------------------------------------

export type LineStatus = BudgetStatus;

/** One row of the budget table: a budget instance (a `per` value in a window period). */
export interface BudgetRow {
  budget: string;
  key: string;
  /** The `per` values, e.g. `{ team: 'engineering' }`; empty for a shared budget. */
  per: Record<string, string>;
  /** What the Team column shows: `engineering`, `team=a, project=b`, or `(all)` for a shared budget. */
  team: string;
  /** Period id from the key: `2026-11-23`, `2026-W48`, `2026-11`, `total` or `rolling`. */
  period: string;
  /** The window as the policy configures it (`day`, `24h`); `null` without a policy that names the budget. */
  window: string | null;
  unit: string;
  /** Integer units: nano-USD, tokens. */
  limit: number;
  used: number;
  reserved: number;
  remaining: number;
  /** `used / limit` in percent, rounded down; `null` for a zero limit. */
  percent: number | null;
  /** The fraction at which the status turns to Warning. */
  warnAt: number;
  status: LineStatus;
}

/** One row of the rate-limit table. */
export interface RateLimitRow {
  rule: string;
  key: string;
  per: Record<string, string>;
  team: string;
  /** `minute`, `10s`, ... from the policy; `null` without one. */
  window: string | null;
  unit: string;
  limit: number;
  /** Within the sliding window now. */
  used: number;
  reserved: number;
  percent: number | null;
  status: LineStatus;
}

/** What `genops status` shows, and its `--json` output. */
export interface StatusReport {
  store: { url: string; kind: string };
  /** When the store was read, ISO 8601. */
  at: string;
  policy: { file: string; version: string } | null;
  budgets: BudgetRow[];
  rateLimits: RateLimitRow[];
  openReservations: number;
}

/** Reads the store's lines and open reservations into a {@link StatusReport}. */
export async function readStatus(
  opened: OpenedStore,
  policy: { file: string; compiled: CompiledPolicy } | undefined,
  now: number,
): Promise<StatusReport> {
  const lines = await opened.store.lines();
  const openReservations = await opened.store.openReservations();
  return {
    store: { url: opened.url, kind: opened.kind },
    at: new Date(now).toISOString(),
    policy: policy ? { file: policy.file, version: policy.compiled.version } : null,
    ...statusRows(lines, policy?.compiled, now),
    openReservations,
  };
}

/**
 * The budget and rate-limit rows of `lines`. With a policy, a budget it configures shows its current
 * period (in its time zone) and its warnAt; a shared budget nobody used yet shows with nothing used.
 * Every other budget shows its newest period.
 */
export function statusRows(
  lines: readonly LineState[],
  policy: CompiledPolicy | undefined,
  now: number,
): Pick<StatusReport, 'budgets' | 'rateLimits'> {
  const rateLines = lines.filter((line) => line.budget.startsWith(RATE_PREFIX));
  const budgets: BudgetRow[] = [];
  for (const group of budgetInstances(lines, policy?.budgets, now)) {
    const rows = group.instances.map(
      ({ budget, key, per, period, window, unit, limit, used, reserved, warnAt, status }): BudgetRow => ({
        budget,
        key,
        per,
        team: teamOf(per),
        period,
        window,
        unit,
        limit,
        used,
        reserved,
        remaining: limit - used - reserved,
        percent: percentOf(used, limit),
        warnAt,
        status,
      }),
    );
    rows.sort((a, b) => a.team.localeCompare(b.team));
    budgets.push(...rows);
  }

  const rules = new Map((policy?.rateLimits ?? []).map(({ rule }) => [rule.name, rule]));
  const rateLimits = rateLines.map((line): RateLimitRow => {
    const parsed = parseBudgetKey(line.key);
    const rule = line.budget.slice(RATE_PREFIX.length);
    return {
      rule,
      key: line.key,
      per: parsed.per,
      team: teamOf(parsed.per),
      window: rules.get(rule)?.window ?? null,
      unit: line.unit,
      limit: line.limit,
      used: line.used,
      reserved: line.reserved,
      percent: percentOf(line.used, line.limit),
      status: budgetStatus(line.used, line.limit, DEFAULT_WARN_AT),
    };
  });
  return { budgets, rateLimits };
}

function teamOf(per: Readonly<Record<string, string>>): string {
  const entries = Object.entries(per);
  if (entries.length === 0) return '(all)';
  if (entries.length === 1) return entries[0]![1];
  return entries.map(([key, value]) => `${key}=${value}`).join(', ');
}

function percentOf(used: number, limit: number): number | null {
  if (limit <= 0) return null;
  return Math.floor((used * 100) / limit);
}

// ---- human output -----------------------------------------------------------------------------------

/** The status as tables: budgets (Team | Budget | Used | Status), rate limits, open reservations. */
export function formatStatus(report: StatusReport, colors: Colors): string {
  const lines: string[] = [];
  const policy = report.policy ? `, policy ${report.policy.file} (version ${report.policy.version})` : '';
  lines.push(
    `${colors.bold('AI Governance Status')} ${colors.dim(`· store ${report.store.url} (${report.store.kind})${policy} · ${report.at}`)}`,
  );
  if (report.budgets.length === 0) lines.push('No budget has been used in this store yet.');
  else
    lines.push(
      renderTable(
        colors,
        ['Team', 'Budget', 'Used', 'Status'],
        report.budgets.map((row) => [
          row.team,
          `${formatAmount(row.limit, row.unit, true)} ${colors.dim(`${row.budget} ${periodLabel(row)}`)}`,
          usedCell(row),
          colorStatus(row.status, colors),
        ]),
      ),
    );
  if (report.rateLimits.length > 0) {
    lines.push(colors.bold('Rate limits'));
    lines.push(
      renderTable(
        colors,
        ['Rule', 'Per', 'Limit', 'Used', 'Status'],
        report.rateLimits.map((row) => [
          row.rule,
          row.team === '(all)' ? 'all calls' : row.team,
          `${formatCount(row.limit)} ${row.unit}${row.window ? ` per ${row.window}` : ''}`,
          usedCell(row),
          colorStatus(row.status, colors),
        ]),
      ),
    );
  }
  lines.push(`Open reservations: ${formatCount(report.openReservations)}`);
  return `${lines.join('\n')}\n`;
}

/** `2026-11-23`, `rolling 24h`, `total`. */
function periodLabel(row: BudgetRow): string {
  if (row.period === ROLLING_PERIOD) return row.window ? `rolling ${row.window}` : 'rolling';
  return row.period;
}

/** `$76.58 (+$1.20 reserved) · 76%` */
function usedCell(row: { used: number; reserved: number; unit: string; percent: number | null }): string {
  const amount = (value: number) => formatAmount(value, row.unit, true);
  const reserved = row.reserved > 0 ? ` (+${amount(row.reserved)} reserved)` : '';
  const percent = row.percent === null ? '' : ` · ${row.percent}%`;
  return `${amount(row.used)}${reserved}${percent}`;
}

function colorStatus(status: LineStatus, colors: Colors): string {
  if (status === 'Exceeded') return colors.red(status);
  if (status === 'Warning') return colors.yellow(status);
  return colors.green(status);
}

// ---- commands ---------------------------------------------------------------------------------------

/** Loads `--policy`; writes its problems and returns the exit code when it cannot be used. */
export async function loadStatusPolicy(
  file: string | undefined,
  context: CommandContext,
): Promise<{ policy: { file: string; compiled: CompiledPolicy } | undefined } | { exitCode: number }> {
  if (file === undefined) return { policy: undefined };
  const loaded = await loadPolicy(file);
  if (!loaded.ok) {
    context.io.stderr.write(`${formatLoadFailure(file, loaded, context.err)}\n`);
    return { exitCode: loaded.unreadable ? EXIT_USAGE : EXIT_PROBLEMS };
  }
  return { policy: { file, compiled: loaded.compiled } };
}

/** `genops status [--store <url>] [--policy <file>] [--json]` */
export async function showStatus(options: StatusOptions, context: CommandContext): Promise<number> {
  const loaded = await loadStatusPolicy(options.policy, context);
  if ('exitCode' in loaded) return loaded.exitCode;
  return withStore(options.store, context, async (opened) => {
    const report = await readStatus(opened, loaded.policy, context.now());
    if (options.json) context.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else context.io.stdout.write(formatStatus(report, context.out));
    return EXIT_OK;
  });
}

/** ANSI: cursor to the top left, clear the screen. */
const CLEAR = '\u001b[H\u001b[2J';

/** `genops watch [--interval 2s]`: the status every interval until `context.io.signal` aborts (Ctrl-C). */
export async function watchStatus(options: WatchOptions, context: CommandContext): Promise<number> {
  const loaded = await loadStatusPolicy(options.policy, context);
  if ('exitCode' in loaded) return loaded.exitCode;
  const { io, out, err } = context;
  const tty = io.stdout.isTTY === true;
  return withStore(options.store, context, async (opened) => {
    const { signal } = io;
    // Listening for the whole run tells the bin that Ctrl-C stops this command cleanly (exit 0), even
    // while a frame is being read.
    const listening = () => undefined;
    signal?.addEventListener('abort', listening);
    let frames = 0;
    try {
      while (!signal?.aborted) {
        let frame: string;
        try {
          const report = await readStatus(opened, loaded.policy, context.now());
          frame = options.json
            ? `${JSON.stringify(report)}\n`
            : `${formatStatus(report, out)}${out.dim(`Every ${formatInterval(options.interval)} · Ctrl-C to stop`)}\n`;
        } catch (error) {
          // The first read must work; later a store that stops answering is reported and retried.
          if (frames === 0 || !(error instanceof CliError)) throw error;
          io.stderr.write(`${err.yellow(warningLine((error as Error).message))}\n`);
          frame = '';
        }
        if (frame) {
          if (options.json) io.stdout.write(frame);
          else if (tty) io.stdout.write(`${CLEAR}${frame}`);
          else io.stdout.write(`${frames > 0 ? '\n' : ''}${frame}`);
          frames += 1;
        }
        await sleep(options.interval, signal);
      }
    } finally {
      signal?.removeEventListener('abort', listening);
    }
    return EXIT_OK;
  });
}

function formatInterval(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
