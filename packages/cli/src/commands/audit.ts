import { readFileSync, watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import {
  type AuditProblem,
  type AuditRecord,
  type AuditVerification,
  type AuditVerifyingKey,
  ConfigError,
  type GovernanceStore,
  readAuditFile,
  readStoreAudit,
  verifyAuditChain,
} from '@genops/core';
import { createCheckpointVerifier, parseAuditLine } from '@genops/core/internal';
import type { Command } from 'commander';
import { positiveInteger } from '../arguments';
import { CliError, describeReadError, EXIT_OK, EXIT_PROBLEMS, warningLine } from '../errors';
import { formatCount, formatNanos, formatUsdNumber, padColumns, plural, shortHash, shortId } from '../format';
import type { CliIo, Colors, CommandContext } from '../io';
import { runCommandGroup } from '../program';
import { type OpenedStore, STORE_OPTION_HELP, withStore } from '../store';

/** Adds `genops audit verify|tail` to `program`. */
export function registerAuditCommands(program: Command, context: CommandContext): void {
  const audit = program
    .command('audit')
    .description('verify and read the hash-chained audit trail')
    .addHelpText(
      'after',
      `
Without --file, the audit chain of the store is read: --store <url>, else GENOPS_STORE, else the default
store (sqlite:./.genops/state.db).

Examples:
  $ genops audit verify --file genops-audit.jsonl
  $ genops audit verify --store sqlite:./.genops/state.db
  $ genops audit tail --file genops-audit.jsonl -n 50
  $ genops audit tail --store redis://127.0.0.1:6379 --follow`,
    );

  audit
    .command('verify')
    .description('check that no audit record was changed, removed, reordered or duplicated')
    .argument('[file]', 'the audit file (same as --file)')
    .option('--file <path>', 'an audit JSON Lines file, as GenOps.init({ audit: { file } }) writes it')
    .option('--store <url>', `read the store's audit chain instead: ${STORE_OPTION_HELP}`)
    .option(
      '--key <secret>',
      'check signed checkpoints with this HMAC key (repeatable, for rotation; default: $GENOPS_AUDIT_KEY)',
      collect,
    )
    .option(
      '--public-key <pem|file>',
      'check signed checkpoints with this Ed25519 public key, PEM text or a PEM file (repeatable; default: $GENOPS_AUDIT_PUBLIC_KEY)',
      collect,
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
With a key, every checkpoint's signature is checked and the chain must end with a valid final checkpoint:
records removed from the end, records appended, a tail re-hashed and a replaced file are then found.

Exit codes: 0 chain intact, 1 problems found, 2 the file or store cannot be read, or bad usage.`,
    )
    .action(
      async (
        file: string | undefined,
        options: { file?: string; store?: string; json?: boolean; key?: string[]; publicKey?: string[] },
      ) => {
        const keys = verifyKeys(options, context.io.env ?? {});
        context.exitCode = await verifyAudit({ json: options.json, keys, ...auditSource(file, options) }, context);
      },
    );

  audit
    .command('tail')
    .description('print the last audit records, and with --follow new ones as they are written')
    .argument('[file]', 'the audit file (same as --file)')
    .option('--file <path>', 'an audit JSON Lines file')
    .option('--store <url>', `read the store's audit chain instead: ${STORE_OPTION_HELP}`)
    .option('-n, --lines <n>', 'how many records to print', positiveInteger, 20)
    .option('-f, --follow', 'keep printing records as they are appended (Ctrl-C to stop)')
    .option('--json', 'print records as JSON Lines, exactly as stored')
    .action(
      async (
        file: string | undefined,
        options: { file?: string; store?: string; lines: number; follow?: boolean; json?: boolean },
      ) => {
        const { lines, follow, json } = options;
        context.exitCode = await tailAudit({ lines, follow, json, ...auditSource(file, options) }, context);
      },
    );
}

/** Runs `genops audit <argv...>`; resolves to the exit code. */
export function runAuditCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['audit', ...argv], io, [registerAuditCommands]);
}

/** Where the records come from: an audit file, or a store (`--store`, `GENOPS_STORE` or the default). */
export type AuditSource = { file: string; store?: undefined } | { file?: undefined; store: string | undefined };

export function auditSource(argument: string | undefined, options: { file?: string; store?: string }): AuditSource {
  if (argument !== undefined && options.file !== undefined && argument !== options.file)
    throw new CliError(`two audit files given (${argument} and --file ${options.file}); give one`);
  const file = options.file ?? argument;
  if (file !== undefined) {
    if (options.store !== undefined) throw new CliError('give either an audit file or --store, not both');
    return { file };
  }
  return { store: options.store };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The checkpoint keys of `verify`: `--key`/`--public-key`, else `GENOPS_AUDIT_KEY`/`GENOPS_AUDIT_PUBLIC_KEY`. */
export function verifyKeys(
  options: { key?: string[]; publicKey?: string[] },
  env: Readonly<Record<string, string | undefined>>,
): AuditVerifyingKey[] {
  const given = (options.key?.length ?? 0) + (options.publicKey?.length ?? 0) > 0;
  const hmacs = given ? (options.key ?? []) : [env.GENOPS_AUDIT_KEY?.trim()].filter((key): key is string => !!key);
  const publics = given
    ? (options.publicKey ?? [])
    : [env.GENOPS_AUDIT_PUBLIC_KEY?.trim()].filter((key): key is string => !!key);
  const keys: AuditVerifyingKey[] = [];
  for (const hmac of hmacs) keys.push({ hmac });
  for (const value of publics) {
    let pem = value;
    if (!value.includes('-----BEGIN')) {
      try {
        pem = readFileSync(value, 'utf8');
      } catch (error) {
        throw new CliError(
          describeReadError(value, error) ?? `cannot read the public key file ${value}: ${(error as Error).message}`,
        );
      }
    }
    keys.push({ publicKey: pem });
  }
  for (const [index, key] of keys.entries()) {
    try {
      createCheckpointVerifier(key, 'hmac' in key ? '--key' : '--public-key');
    } catch (error) {
      if (error instanceof ConfigError)
        throw new CliError(`key ${index + 1}: ${error.message.replace(/^Invalid GenOps option /, '')}`);
      throw error;
    }
  }
  return keys;
}

/** Opens the store of an audit command; a default store that does not exist also suggests --file. */
export function withAuditStore<T>(
  option: string | undefined,
  context: CommandContext,
  action: (opened: OpenedStore) => Promise<T>,
): Promise<T> {
  return withStore(option, context, action, 'or --file <audit.jsonl> to read an audit file');
}

/** Fails with exit code 2 when `file` cannot be read as a file. */
export async function checkReadable(file: string): Promise<void> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const handle = await open(file, 'r');
    await handle.close();
  } catch (error) {
    throw new CliError(describeReadError(file, error) ?? `cannot read ${file}: ${(error as Error).message}`);
  }
}

// ---- verify -----------------------------------------------------------------------------------------

/** `genops audit verify --file <audit.jsonl>` or `genops audit verify --store <url>` */
export async function verifyAudit(
  options: AuditSource & { json?: boolean; keys?: AuditVerifyingKey[] },
  context: CommandContext,
): Promise<number> {
  const keyed = (options.keys?.length ?? 0) > 0;
  const verifyOptions = keyed ? { keys: options.keys } : {};
  if (options.file === undefined)
    return withAuditStore(options.store, context, async (opened) => {
      const verification = await verifyAuditChain(readStoreAudit(opened.store), verifyOptions);
      return reportVerification(verification, { store: opened.url }, opened.url, options.json, context, keyed);
    });
  const { file } = options;
  await checkReadable(file);
  let verification: AuditVerification;
  try {
    verification = await verifyAuditChain(readAuditFile(file), verifyOptions);
  } catch (error) {
    const reason = describeReadError(file, error);
    if (reason) throw new CliError(reason);
    throw error;
  }
  return reportVerification(verification, { file }, file, options.json, context, keyed);
}

function reportVerification(
  verification: AuditVerification,
  source: { file: string } | { store: string },
  where: string,
  json: boolean | undefined,
  context: CommandContext,
  keyed = false,
): number {
  const { io, out } = context;
  if (json) {
    io.stdout.write(`${JSON.stringify({ ...source, ...verification }, null, 2)}\n`);
    return verification.ok ? EXIT_OK : EXIT_PROBLEMS;
  }
  if (verification.ok) {
    if (verification.checked === 0) {
      io.stdout.write(`${out.green('✔')} ${where} has no audit records yet\n`);
      return EXIT_OK;
    }
    const head = verification.lastHash ? `, last hash ${shortHash(verification.lastHash)}` : '';
    io.stdout.write(
      `${out.green('✔')} ${formatCount(verification.checked)} records, chain intact ${out.dim(`(seq ${formatCount(verification.firstSeq ?? 1)}–${formatCount(verification.lastSeq ?? 0)}${head})`)}\n`,
    );
    if (keyed)
      io.stdout.write(
        `${out.dim(`Anchored: ${plural(verification.checkpoints, 'checkpoint')}, the last valid one final and signing seq ${formatCount(verification.anchoredSeq ?? 0)}.`)}\n`,
      );
    else
      io.stdout.write(
        `${out.dim(
          verification.checkpoints > 0
            ? `${plural(verification.checkpoints, 'checkpoint')} not checked: pass --key or --public-key (or set GENOPS_AUDIT_KEY / GENOPS_AUDIT_PUBLIC_KEY) to detect records removed from the end, appended or re-hashed.`
            : `Records removed from the end leave no trace in the ${'file' in source ? 'file' : 'store'} itself: sign checkpoints (audit: { key }) and verify with --key, or compare the last seq and hash with a copy kept elsewhere.`,
        )}\n`,
      );
    return EXIT_OK;
  }
  const total = verification.problems.length + (verification.omittedProblems ?? 0);
  const lines = [
    out.red(`✘ ${plural(total, 'problem')} in ${plural(verification.checked, 'record')} of ${where}`),
    ...verification.problems.map((problem) => out.red(`  ${formatProblem(problem)}`)),
  ];
  if (verification.omittedProblems)
    lines.push(
      out.red(
        `  ... and ${plural(verification.omittedProblems, 'more problem')} (only the first ${formatCount(verification.problems.length)} are listed)`,
      ),
    );
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_PROBLEMS;
}

/** `seq 17  edited  record 17 (settlement of 3f2c41aa…) was edited: ... (line 17)` */
function formatProblem(problem: AuditProblem): string {
  const line =
    problem.line !== undefined && !problem.message.includes(`line ${problem.line}`) ? ` (line ${problem.line})` : '';
  return `seq ${problem.seq}  ${problem.kind}  ${problem.message}${line}`;
}

// ---- tail -------------------------------------------------------------------------------------------

type TailOptions = AuditSource & {
  lines: number;
  follow?: boolean;
  json?: boolean;
};

type Item = { record: AuditRecord } | { problem: AuditProblem };

/** Column widths: seq, time (ISO 8601, 24 characters), type, subject. The summary takes the rest. */
const WIDTHS = [6, 24, 11, 9] as const;

/** `genops audit tail --file <audit.jsonl> [-n 20] [--follow]`, or `--store <url>` */
export async function tailAudit(options: TailOptions, context: CommandContext): Promise<number> {
  if (options.file === undefined)
    return withAuditStore(options.store, context, (opened) => tailStore(opened.store, options, context));
  const { file } = options;
  await checkReadable(file);
  const reader = new LineReader(file);
  const last: Item[] = [];
  await reader.read((item) => {
    last.push(item);
    if (last.length > options.lines) last.shift();
  }, !options.follow);

  const print = (item: Item) => printItem(item, options, context);
  if (!options.json) context.io.stdout.write(`${header(context.out)}\n`);
  for (const item of last) print(item);
  if (!options.follow) return EXIT_OK;
  await follow(reader, print, context);
  return EXIT_OK;
}

function header(colors: Colors): string {
  return colors.bold(padColumns(['SEQ'.padStart(WIDTHS[0]), 'TIME', 'TYPE', 'SUBJECT', 'SUMMARY'], WIDTHS));
}

function printItem(item: Item, options: { json?: boolean }, context: CommandContext): void {
  const { io, out, err } = context;
  if ('problem' in item) {
    io.stderr.write(`${err.yellow(warningLine(item.problem.message))}\n`);
    return;
  }
  const { record } = item;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(record)}\n`);
    return;
  }
  const cells = [
    String(record.seq).padStart(WIDTHS[0]),
    new Date(record.at).toISOString(),
    colorType(record.type, out),
    shortId(record.subject),
    summarize(record, out),
  ];
  io.stdout.write(`${padColumns(cells, WIDTHS)}\n`);
}

function colorType(type: string, colors: Colors): string {
  switch (type) {
    case 'decision':
      return colors.bold(type);
    case 'approval':
      return colors.magenta(type);
    case 'policy':
      return colors.cyan(type);
    default:
      return type;
  }
}

/** One line about a record's data, e.g. `BLOCKED POLICY_DENY_MODEL rule approved-models · openai/gpt-4o`. */
export function summarize(record: Pick<AuditRecord, 'type' | 'data'>, colors: Colors): string {
  const data = record.data;
  const text = (key: string): string | undefined => (typeof data[key] === 'string' ? (data[key] as string) : undefined);
  const number = (key: string): number | undefined =>
    typeof data[key] === 'number' ? (data[key] as number) : undefined;
  const usd = (key: string): string | undefined => {
    const value = number(key);
    return value === undefined ? undefined : formatUsdNumber(value);
  };
  const parts: string[] = [];
  switch (record.type) {
    case 'decision': {
      const result = text('result');
      if (result)
        parts.push(
          result === 'ALLOWED'
            ? colors.green(result)
            : result === 'WARNING'
              ? colors.yellow(result)
              : colors.red(result),
        );
      const reason = text('reasonCode');
      if (reason) parts.push(reason);
      const rule = text('rule');
      if (rule) parts.push(`rule ${rule}`);
      const model = text('model');
      if (model)
        parts.push(
          `· ${text('provider') ? `${text('provider')}/` : ''}${model}${text('tool') ? ` tool ${text('tool')}` : ''}`,
        );
      const reserved = number('reservedUsd');
      if (reserved !== undefined) parts.push(`· reserved ${formatUsdNumber(reserved)}`);
      // The reservation's lines, when it was made with the decision (no approval wait between).
      if (Array.isArray(data.lines)) parts.push(`on ${plural(data.lines.length, 'line')}`);
      const approval = text('approval');
      if (approval) parts.push(`· approval ${approval}`);
      break;
    }
    case 'reservation': {
      const reserved = number('reservedUsd');
      if (reserved !== undefined) parts.push(`reserved ${formatUsdNumber(reserved)}`);
      if (Array.isArray(data.lines)) parts.push(`on ${plural(data.lines.length, 'line')}`);
      break;
    }
    case 'settlement': {
      // Exact nano-USD when the record has them (written since nano-USD ledgers), else the USD numbers.
      const actualNanos = number('actualNanos');
      const reservedNanos = number('reservedNanos');
      const actual = actualNanos !== undefined ? formatNanos(actualNanos) : usd('actualUsd');
      const reserved = reservedNanos !== undefined ? formatNanos(reservedNanos) : usd('reservedUsd');
      if (actual !== undefined) parts.push(`actual ${actual}`);
      if (reserved !== undefined) parts.push(`of ${reserved} reserved`);
      const tokens = number('actualTokens');
      if (tokens !== undefined) parts.push(`· ${formatCount(tokens)} tokens`);
      if (data.incomplete === true) parts.push(colors.yellow('· incomplete'));
      if (data.estimated === true) parts.push(colors.yellow('· estimated'));
      const error = text('error');
      if (error) parts.push(colors.red(`· error ${error}`));
      if (data.leaseOpen === false) parts.push(colors.yellow('· after its lease expired'));
      break;
    }
    case 'approval': {
      const status = text('status');
      if (status)
        parts.push(
          status === 'approved'
            ? colors.green(status)
            : status === 'pending'
              ? colors.yellow(status)
              : colors.red(status),
        );
      const decidedBy = text('decidedBy');
      if (decidedBy) parts.push(`by ${decidedBy}`);
      const rule = text('rule');
      if (rule) parts.push(`· rule ${rule}`);
      const reason = text('reason');
      if (reason) parts.push(`· ${reason}`);
      const cost = number('estimatedCostUsd');
      if (cost !== undefined) parts.push(`· ${formatUsdNumber(cost)}`);
      break;
    }
    case 'checkpoint': {
      parts.push(data.final === true ? 'final checkpoint' : 'checkpoint');
      const seq = number('seq');
      const hash = text('hash');
      if (seq !== undefined) parts.push(`· signs seq ${formatCount(seq)}${hash ? ` (${shortHash(hash)})` : ''}`);
      const alg = text('alg');
      if (alg) parts.push(`· ${alg} key ${text('keyId') ?? '?'}`);
      break;
    }
    case 'policy': {
      const previous = text('previous');
      parts.push(previous ? `policy changed from ${previous}` : 'policy loaded');
      const rules = number('rules');
      const budgets = number('budgets');
      if (rules !== undefined) parts.push(`· ${plural(rules, 'rule')}`);
      if (budgets !== undefined) parts.push(`· ${plural(budgets, 'budget')}`);
      const source = text('source');
      if (source) parts.push(`· ${source}`);
      break;
    }
  }
  if (parts.length > 0) return parts.join(' ');
  const json = JSON.stringify(data);
  return json.length > 100 ? `${json.slice(0, 97)}...` : json;
}

// ---- tail of a store ---------------------------------------------------------------------------------

/** How often `audit tail --store ... --follow` asks the store for new records. */
const STORE_POLL_MS = 500;
const PAGE = 1000;

/** The last `options.lines` records of the store's chain, then (with --follow) new ones as they come. */
async function tailStore(store: GovernanceStore, options: TailOptions, context: CommandContext): Promise<number> {
  const last = await lastSeq(store);
  const print = (record: AuditRecord) => printItem({ record }, options, context);
  if (!options.json) context.io.stdout.write(`${header(context.out)}\n`);
  let next = 1;
  if (last !== undefined) {
    for (const record of await store.readAudit({
      fromSeq: Math.max(1, last - options.lines + 1),
      limit: options.lines,
    }))
      print(record);
    next = last + 1;
  }
  if (!options.follow) return EXIT_OK;
  const { signal } = context.io;
  // Listening for the whole run tells the bin that Ctrl-C stops this command cleanly (exit 0).
  const listening = () => undefined;
  signal?.addEventListener('abort', listening);
  let failing = false;
  try {
    while (!signal?.aborted) {
      try {
        for (;;) {
          const page = await store.readAudit({ fromSeq: next, limit: PAGE });
          for (const record of page) {
            print(record);
            next = Math.max(next, record.seq + 1);
          }
          if (page.length < PAGE) break;
        }
        if (failing) context.io.stderr.write(`${context.err.dim('the store answers again')}\n`);
        failing = false;
      } catch (error) {
        if (!failing) context.io.stderr.write(`${context.err.yellow(warningLine((error as Error).message))}\n`);
        failing = true;
      }
      await sleep(STORE_POLL_MS, signal);
    }
  } finally {
    signal?.removeEventListener('abort', listening);
  }
  return EXIT_OK;
}

/**
 * The highest seq in the store's chain, `undefined` when it is empty, in O(log n) reads of one record:
 * `readAudit({ fromSeq, limit: 1 })` answers whether any record has a seq at or after `fromSeq`.
 */
export async function lastSeq(store: Pick<GovernanceStore, 'readAudit'>): Promise<number | undefined> {
  const at = async (seq: number) => (await store.readAudit({ fromSeq: seq, limit: 1 }))[0]?.seq;
  let low = await at(1);
  if (low === undefined) return undefined;
  // Grow the step until a seq has no record at or after it.
  let high = low + 1;
  for (let step = 1; ; step *= 2) {
    const found = await at(low + step);
    if (found === undefined) {
      high = low + step;
      break;
    }
    low = found;
  }
  // A record exists at `low`; none at or after `high`.
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    const found = await at(middle);
    if (found === undefined) high = middle;
    else low = found;
  }
  return low;
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

/** Reads complete lines of an audit file from where the last read stopped (byte offset). */
class LineReader {
  offset = 0;
  lineNumber = 0;
  constructor(readonly file: string) {}

  /**
   * Reads from `offset` to the end; an incomplete last line (a writer mid-append) is left for the next
   * read unless `toEnd`. Returns how many lines were read.
   */
  async read(onItem: (item: Item) => void, toEnd = false): Promise<number> {
    const handle = await open(this.file, 'r');
    let count = 0;
    try {
      const size = (await handle.stat()).size;
      if (size < this.offset) {
        // Truncated or replaced: start again from the beginning.
        this.offset = 0;
        this.lineNumber = 0;
      }
      const chunk = Buffer.alloc(64 * 1024);
      let pending: Buffer = Buffer.alloc(0);
      let position = this.offset;
      for (;;) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        pending =
          pending.length === 0
            ? Buffer.from(chunk.subarray(0, bytesRead))
            : Buffer.concat([pending, chunk.subarray(0, bytesRead)]);
        let start = 0;
        for (let end = pending.indexOf(10, start); end !== -1; end = pending.indexOf(10, start)) {
          this.handleLine(pending.subarray(start, end), onItem);
          count += 1;
          this.offset += end - start + 1;
          start = end + 1;
        }
        pending = pending.subarray(start);
      }
      if (toEnd && pending.length > 0) {
        this.handleLine(pending, onItem);
        count += 1;
        this.offset += pending.length;
      }
    } finally {
      await handle.close();
    }
    return count;
  }

  private handleLine(bytes: Buffer, onItem: (item: Item) => void): void {
    this.lineNumber += 1;
    let line = bytes.toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (this.lineNumber === 1 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.trim() === '') return;
    const parsed = parseAuditLine(line, this.lineNumber);
    onItem('hash' in parsed ? { record: parsed } : { problem: parsed });
  }
}

/** Prints new lines as the file grows until `context.io.signal` aborts (Ctrl-C). */
async function follow(reader: LineReader, print: (item: Item) => void, context: CommandContext): Promise<void> {
  const { signal } = context.io;
  if (signal?.aborted) return;
  await new Promise<void>((resolve) => {
    let reading = false;
    let again = false;
    let missing = false;
    const pump = async (): Promise<void> => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          try {
            await reader.read(print);
            if (missing)
              context.io.stderr.write(`${context.err.dim(`${reader.file} is back; reading it from the start`)}\n`);
            missing = false;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
            if (!missing)
              context.io.stderr.write(
                `${context.err.yellow(warningLine(`${reader.file} was removed; waiting for it to come back`))}\n`,
              );
            missing = true;
            reader.offset = 0;
            reader.lineNumber = 0;
          }
        } while (again && !signal?.aborted);
      } catch (error) {
        context.io.stderr.write(`${context.err.yellow(warningLine((error as Error).message))}\n`);
      } finally {
        reading = false;
      }
    };
    // fs.watch reports appends at once; the poll catches what it misses (a replaced file, network file systems).
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(reader.file, { persistent: true }, () => void pump());
      watcher.on('error', () => watcher?.close());
    } catch {
      watcher = undefined;
    }
    const timer = setInterval(() => void pump(), 1000);
    const stop = () => {
      watcher?.close();
      clearInterval(timer);
      resolve();
    };
    if (signal) signal.addEventListener('abort', stop, { once: true });
  });
}
