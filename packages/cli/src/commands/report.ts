import { type AuditRecord, readAuditFile, readStoreAudit, usdToMicros } from '@genops/core';
import { type Command, InvalidArgumentError } from 'commander';
import { collectKeyValue } from '../arguments';
import { CliError, describeReadError, warningLine } from '../errors';
import { formatCount, formatMicros, renderTable } from '../format';
import type { CliIo, CommandContext } from '../io';
import { runCommandGroup } from '../program';
import { STORE_OPTION_HELP } from '../store';
import { type AuditSource, auditSource, checkReadable, withAuditStore } from './audit';

// `genops report`: spend by any dimension over any period, from the audit trail (an audit file, or the
// audit chain of a shared store). A call's cost is its settlement record's `actualUsd`, joined to its
// decision record (provider, model, operation, attribution) by the call id (`subject`). Money is summed
// in integer micro-USD, so a report's total is the exact sum of its rows.

/** What a call's decision record says about it. */
export interface CallFacts {
  provider: string;
  model: string;
  operation: string;
  attribution: Readonly<Record<string, string>>;
  /** `ALLOWED`, `WARNING`, `BLOCKED` or `RATE_LIMITED` (`(unknown)` without a decision record). */
  result: string;
  /** The reason code and rule of a decision that was not ALLOWED. */
  reasonCode?: string | undefined;
  rule?: string | undefined;
}

/** One settled call, as the report and the FOCUS export read it. */
export interface Charge extends CallFacts {
  id: string;
  /** When it settled, epoch ms. */
  at: number;
  /** Actual cost, integer micro-USD. */
  micros: number;
  tokens: number;
  incomplete: boolean;
}

/** A call denied before it ran (BLOCKED or RATE_LIMITED): counted, never charged. */
export interface Denial extends CallFacts {
  at: number;
}

/** A time window: start inclusive, end exclusive, epoch ms; `undefined` ends are open. */
export interface Window {
  start: number | undefined;
  end: number | undefined;
  /** How it was asked for, for output: `week`, `2026-11`, `since 2026-11-01`. */
  label: string;
}

const DAY = 86_400_000;

/** Dimensions that are not attribution keys. */
const CALL_DIMENSIONS = ['provider', 'model', 'operation', 'result', 'reason', 'rule', 'day', 'month'] as const;
/** An attribution key: what `--by` and `--where` accept besides the call dimensions. */
const KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const PERIODS = 'today, yesterday, week, last-week, month, last-month, all, YYYY-MM or YYYY-MM-DD';

/** Adds `genops report` to `program`. */
export function registerReportCommands(program: Command, context: CommandContext): void {
  addSpendOptions(
    program
      .command('report')
      .description('spend by team, project, customer, model, provider or any attribution key, over a period'),
    'month',
  )
    .option(
      '--by <dimensions>',
      'comma-separated: provider, model, operation, result, reason, rule, day, month or attribution keys',
      'team',
    )
    .option('--format <format>', 'table, json or csv', parseFormat, 'table')
    .option('--json', 'the same as --format json')
    .addHelpText(
      'after',
      `
Cost is what each call settled at (its audit settlement record); blocked and rate-limited calls are
counted, at no cost. Weeks start on Monday; all periods are UTC.

Examples:
  $ genops report --period week --where team=search --by model
  $ genops report --period today --by reason,rule,team           (which calls were blocked today, and why)
  $ genops report --file genops-audit.jsonl --by team,project --period 2026-11
  $ genops report --store redis://127.0.0.1:6379 --by customer,model --since 2026-11-01 --format csv`,
    )
    .action(async (file: string | undefined, options: ReportOptions) => {
      const format = options.json ? 'json' : options.format;
      context.exitCode = await report({ ...options, format }, auditSource(file, options), context);
    });
}

/**
 * The arguments `report` and `export focus` share: where the audit trail is (an audit file, else the
 * store), which calls (`--where`) and which period (`--period`, `--since`, `--until`).
 */
export function addSpendOptions(command: Command, defaultPeriod: string): Command {
  return command
    .argument('[file]', 'an audit file (same as --file)')
    .option('--file <path>', 'an audit JSON Lines file, as GenOps.init({ audit: { file } }) writes it')
    .option('--store <url>', `read the store's audit chain instead: ${STORE_OPTION_HELP}`)
    .option('--where <key=value>', 'only calls with this attribution or call value (repeatable)', collectKeyValue, [])
    .option('--period <period>', `${PERIODS} (UTC)`, defaultPeriod)
    .option('--since <date>', 'start (inclusive), YYYY-MM-DD or an ISO time; overrides --period')
    .option('--until <date>', 'end (exclusive), YYYY-MM-DD or an ISO time; overrides --period');
}

/** `genops: warning: 2 audit line(s) could not be read and are not <what>` on stderr, when there are any. */
export function warnUnreadable(count: number, what: string, context: CommandContext): void {
  if (count === 0) return;
  const message = `${count} audit line(s) could not be read and are not ${what} (genops audit verify says which)`;
  context.io.stderr.write(`${context.err.yellow(warningLine(message))}\n`);
}

/** Runs `genops report <argv...>`; resolves to the exit code. */
export function runReportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['report', ...argv], io, [registerReportCommands]);
}

interface ReportOptions {
  file?: string;
  store?: string;
  by: string;
  where: string[];
  period: string;
  since?: string;
  until?: string;
  format: 'table' | 'json' | 'csv';
  json?: boolean;
}

export function parseFormat(value: string): 'table' | 'json' | 'csv' {
  if (value === 'table' || value === 'json' || value === 'csv') return value;
  throw new InvalidArgumentError('expected table, json or csv');
}

/** One row of the report: the values of the `--by` dimensions and the totals of their calls. */
export interface ReportRow {
  values: (string | undefined)[];
  calls: number;
  blocked: number;
  tokens: number;
  micros: number;
}

async function report(options: ReportOptions, source: AuditSource, context: CommandContext): Promise<number> {
  const dimensions = parseDimensions(options.by);
  const filters = parseFilters(options.where);
  const window = parseWindow(options, context.now());
  const rows = new Map<string, ReportRow>();
  const row = (call: Charge | Denial): ReportRow | undefined => {
    if (!filters.every(([key, value]) => dimensionValue(call, key) === value)) return undefined;
    const values = dimensions.map((dimension) => dimensionValue(call, dimension));
    const key = JSON.stringify(values);
    let entry = rows.get(key);
    if (!entry) {
      entry = { values, calls: 0, blocked: 0, tokens: 0, micros: 0 };
      rows.set(key, entry);
    }
    return entry;
  };
  const unreadable = await readCharges(source, window, context, {
    charge(charge) {
      const entry = row(charge);
      if (!entry) return;
      entry.calls += 1;
      entry.tokens += charge.tokens;
      entry.micros += charge.micros;
    },
    denial(denial) {
      const entry = row(denial);
      if (entry) entry.blocked += 1;
    },
  });
  warnUnreadable(unreadable, 'counted', context);
  const sorted = [...rows.values()].sort((a, b) => b.micros - a.micros || compareValues(a.values, b.values));
  const total = sorted.reduce(
    (sum, entry) => ({
      calls: sum.calls + entry.calls,
      blocked: sum.blocked + entry.blocked,
      tokens: sum.tokens + entry.tokens,
      micros: sum.micros + entry.micros,
    }),
    { calls: 0, blocked: 0, tokens: 0, micros: 0 },
  );
  writeReport(options.format, dimensions, sorted, total, window, context);
  return 0;
}

function writeReport(
  format: ReportOptions['format'],
  dimensions: readonly string[],
  rows: readonly ReportRow[],
  total: Omit<ReportRow, 'values'>,
  window: Window,
  context: CommandContext,
): void {
  const { io, out } = context;
  if (format === 'json') {
    const json = {
      period: { label: window.label, start: isoOrNull(window.start), end: isoOrNull(window.end) },
      by: dimensions,
      currency: 'USD',
      rows: rows.map((entry) => ({
        ...Object.fromEntries(dimensions.map((dimension, index) => [dimension, entry.values[index] ?? null])),
        calls: entry.calls,
        blocked: entry.blocked,
        tokens: entry.tokens,
        costUsd: decimalUsd(entry.micros),
      })),
      total: { calls: total.calls, blocked: total.blocked, tokens: total.tokens, costUsd: decimalUsd(total.micros) },
    };
    io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  if (format === 'csv') {
    const lines = [[...dimensions, 'calls', 'blocked', 'tokens', 'cost_usd']];
    for (const entry of rows)
      lines.push([
        ...entry.values.map((value) => value ?? ''),
        String(entry.calls),
        String(entry.blocked),
        String(entry.tokens),
        decimalUsd(entry.micros),
      ]);
    io.stdout.write(toCsv(lines));
    return;
  }
  const range = `${window.start === undefined ? 'the beginning' : isoOrNull(window.start)} to ${window.end === undefined ? 'now' : isoOrNull(window.end)}`;
  io.stdout.write(`Spend ${window.label === 'all' ? 'of all time' : `for ${window.label}`} (${range}, UTC)\n`);
  if (rows.length === 0) {
    io.stdout.write(`${out.dim('No governed calls in this period.')}\n`);
    return;
  }
  const body = rows.map((entry) => [
    ...entry.values.map((value) => value ?? out.dim('(none)')),
    formatCount(entry.calls),
    formatCount(entry.blocked),
    formatCount(entry.tokens),
    formatMicros(entry.micros),
  ]);
  body.push([
    out.bold('total'),
    ...dimensions.slice(1).map(() => ''),
    formatCount(total.calls),
    formatCount(total.blocked),
    formatCount(total.tokens),
    out.bold(formatMicros(total.micros)),
  ]);
  io.stdout.write(`${renderTable(out, [...dimensions, 'calls', 'blocked', 'tokens', 'cost'], body)}\n`);
}

// ---- reading the audit trail ----------------------------------------------------------------------

interface ChargeSink {
  charge(charge: Charge): void;
  denial?(denial: Denial): void;
}

/** A settlement whose decision record is not in the trail read (a store that dropped old records). */
const UNKNOWN_CALL: CallFacts = {
  provider: '(unknown)',
  model: '(unknown)',
  operation: '(unknown)',
  attribution: {},
  result: '(unknown)',
};

/**
 * Reads the audit trail of `source` (file or store) and hands each call settled in `window` to `sink`
 * (and each denial, when the sink takes them). Resolves to the number of unreadable lines. A file that
 * cannot be read, or a store that cannot be opened, is a CliError (exit 2).
 */
export async function readCharges(
  source: AuditSource,
  window: Window,
  context: CommandContext,
  sink: ChargeSink,
): Promise<number> {
  const pending = new Map<string, CallFacts>();
  let unreadable = 0;
  const inWindow = (at: number) =>
    (window.start === undefined || at >= window.start) && (window.end === undefined || at < window.end);
  const take = (item: AuditRecord | { kind: string }): void => {
    if (!('type' in item)) {
      unreadable += 1;
      return;
    }
    const record = item as AuditRecord;
    const data = (record.data ?? {}) as Record<string, unknown>;
    if (record.type === 'decision') {
      const decided: CallFacts = {
        provider: text(data.provider) ?? '(unknown)',
        model: text(data.model) ?? '(unknown)',
        operation: text(data.operation) ?? '(unknown)',
        attribution: attributionOf(data.attribution),
        result: text(data.result) ?? '(unknown)',
        reasonCode: text(data.reasonCode),
        rule: text(data.rule),
      };
      if (data.result === 'BLOCKED' || data.result === 'RATE_LIMITED') {
        if (sink.denial && inWindow(record.at)) sink.denial({ at: record.at, ...decided });
        return;
      }
      pending.set(record.subject, decided);
      return;
    }
    if (record.type !== 'settlement') return;
    const decided = pending.get(record.subject);
    pending.delete(record.subject);
    if (!inWindow(record.at)) return;
    sink.charge({
      ...(decided ?? UNKNOWN_CALL),
      id: record.subject,
      at: record.at,
      micros: settledMicros(data),
      tokens: typeof data.actualTokens === 'number' && Number.isFinite(data.actualTokens) ? data.actualTokens : 0,
      incomplete: data.incomplete === true,
    });
  };
  if (source.file === undefined) {
    await withAuditStore(source.store, context, async (opened) => {
      for await (const record of readStoreAudit(opened.store)) take(record);
    });
    return unreadable;
  }
  const { file } = source;
  await checkReadable(file);
  try {
    for await (const item of readAuditFile(file)) take(item);
  } catch (error) {
    const reason = describeReadError(file, error);
    if (reason) throw new CliError(reason);
    throw error;
  }
  return unreadable;
}

/**
 * The settled cost of a settlement record, integer micro-USD, through core's money helper: records hold
 * `actualUsd` as a USD number exact to the micro-dollar.
 */
function settledMicros(data: Record<string, unknown>): number {
  const usd = data.actualUsd;
  return typeof usd === 'number' && Number.isFinite(usd) ? usdToMicros(usd) : 0;
}

function attributionOf(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, member] of Object.entries(value)) if (typeof member === 'string') out[key] = member;
  return out;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The value of a `--by`/`--where` dimension for a call. */
export function dimensionValue(call: Charge | Denial, dimension: string): string | undefined {
  switch (dimension) {
    case 'provider':
      return call.provider;
    case 'model':
      return call.model;
    case 'operation':
      return call.operation;
    case 'result':
      return call.result;
    case 'reason':
      return call.reasonCode;
    case 'rule':
      return call.rule;
    case 'day':
      return new Date(call.at).toISOString().slice(0, 10);
    case 'month':
      return new Date(call.at).toISOString().slice(0, 7);
    default:
      return call.attribution[dimension];
  }
}

// ---- arguments ------------------------------------------------------------------------------------

export function parseDimensions(value: string): string[] {
  const dimensions = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (dimensions.length === 0)
    throw new CliError(
      `--by is empty (give dimensions such as team,model; known: ${CALL_DIMENSIONS.join(', ')} and attribution keys)`,
    );
  for (const dimension of dimensions)
    if (!KEY.test(dimension))
      throw new CliError(
        `--by "${dimension}" is not a dimension (use ${CALL_DIMENSIONS.join(', ')} or an attribution key such as team, project, customer)`,
      );
  if (new Set(dimensions).size !== dimensions.length)
    throw new CliError(`--by "${value}" names a dimension twice (name each once)`);
  return dimensions;
}

export function parseFilters(values: readonly string[]): Array<[string, string]> {
  return values.map((entry) => {
    const index = entry.indexOf('=');
    const key = entry.slice(0, index).trim();
    if (!KEY.test(key))
      throw new CliError(`--where "${entry}" has no valid key (use key=value, e.g. team=search or model=gpt-4o)`);
    return [key, entry.slice(index + 1)];
  });
}

/** `--since`/`--until` (either overrides `--period`), else `--period`; UTC. */
export function parseWindow(options: { period: string; since?: string; until?: string }, now: number): Window {
  if (options.since !== undefined || options.until !== undefined) {
    const start = options.since === undefined ? undefined : parseDate(options.since, '--since');
    const end = options.until === undefined ? undefined : parseDate(options.until, '--until');
    if (start !== undefined && end !== undefined && end <= start)
      throw new CliError(
        `--until ${options.until} is not after --since ${options.since} (give an end after the start)`,
      );
    const label = [options.since && `since ${options.since}`, options.until && `until ${options.until}`]
      .filter(Boolean)
      .join(' ');
    return { start, end, label };
  }
  const period = options.period.trim();
  const today = Math.floor(now / DAY) * DAY;
  const monthStart = (offset: number) => {
    const date = new Date(today);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1);
  };
  // Monday of this week: getUTCDay() is 0 on Sunday.
  const monday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY;
  switch (period) {
    case 'today':
      return { start: today, end: today + DAY, label: period };
    case 'yesterday':
      return { start: today - DAY, end: today, label: period };
    case 'week':
      return { start: monday, end: monday + 7 * DAY, label: period };
    case 'last-week':
      return { start: monday - 7 * DAY, end: monday, label: period };
    case 'month':
      return { start: monthStart(0), end: monthStart(1), label: period };
    case 'last-month':
      return { start: monthStart(-1), end: monthStart(0), label: period };
    case 'all':
      return { start: undefined, end: undefined, label: period };
  }
  const month = /^(\d{4})-(\d{2})$/.exec(period);
  if (month) {
    const [year, index] = [Number(month[1]), Number(month[2])];
    if (index >= 1 && index <= 12)
      return { start: Date.UTC(year, index - 1, 1), end: Date.UTC(year, index, 1), label: period };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(period)) {
    const start = parseDate(period, '--period');
    return { start, end: start + DAY, label: period };
  }
  throw new CliError(`--period "${period}" is not a period (use ${PERIODS})`);
}

/** `2026-11-03` (midnight UTC) or an ISO time such as `2026-11-03T12:00:00Z`. */
function parseDate(value: string, option: string): number {
  const trimmed = value.trim();
  // Anchored, no nested quantifiers: linear on any input.
  const shape = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
  const time = shape.test(trimmed) ? Date.parse(trimmed.length === 10 ? `${trimmed}T00:00:00Z` : trimmed) : Number.NaN;
  if (!Number.isFinite(time) || (trimmed.length === 10 && new Date(time).toISOString().slice(0, 10) !== trimmed))
    throw new CliError(
      `${option} "${value}" is not a date (use YYYY-MM-DD or an ISO time such as 2026-11-03T12:00:00Z)`,
    );
  return time;
}

// ---- output helpers --------------------------------------------------------------------------------

/** Integer micro-USD as an exact decimal string: `0.001234`, `12.500000`. */
export function decimalUsd(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const absolute = Math.abs(micros);
  return `${sign}${Math.floor(absolute / 1_000_000)}.${String(absolute % 1_000_000).padStart(6, '0')}`;
}

export function isoOrNull(at: number | undefined): string | null {
  return at === undefined ? null : new Date(at).toISOString();
}

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled; lines end with CRLF. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((cells) => cells.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function compareValues(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): number {
  for (let index = 0; index < a.length; index++) {
    const order = (a[index] ?? '').localeCompare(b[index] ?? '');
    if (order !== 0) return order;
  }
  return 0;
}
