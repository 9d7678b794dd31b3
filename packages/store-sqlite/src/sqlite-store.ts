import { type FSWatcher, mkdirSync, statSync, watch } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { type AuditRecord, type GovernanceStore, StoreIdentityError } from '@genops/core';
import {
  type ApprovalDecisionInput,
  type ApprovalRecord,
  type ApprovalStatus,
  AUDIT_DATA_JSON,
  type AuditEntry,
  assertLedgerTotal,
  assertReserveAmounts,
  assertSettleAmounts,
  type BudgetLine,
  chainAuditEntries,
  type LineState,
  type LineUnit,
  preparedAuditEntry,
  type ReserveRequest,
  type ReserveResult,
  type SettleAmounts,
  type SettleResult,
} from '@genops/core/internal';
import { migrate, rollback } from './schema';
import type { SqliteStoreOptions } from './types';

const DAY_MS = 86_400_000;
/** How often the housekeeping sweep runs at most (leases expire exactly, whenever the store is used). */
const SWEEP_INTERVAL_MS = 60_000;
/** Largest delay `setTimeout` accepts; longer waits would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

/** Runs `action`, retrying with short blocking sleeps while SQLite reports the file busy, for up to `timeoutMs`. */
function retryWhileBusy(action: () => void, timeoutMs: number): void {
  const deadline = performance.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      action();
      return;
    } catch (error) {
      const code = (error as { errcode?: number }).errcode;
      if ((code !== SQLITE_BUSY && code !== SQLITE_LOCKED) || performance.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, wait);
    }
  }
}
const DEFAULT_APPROVAL_POLL_MS = 200;
const DEFAULT_IDENTITY_CHECK_MS = 1;
/**
 * With the default identity check, the file is watched (inotify: a deletion, a rename or another file
 * moved over the path changes its link count or moves it): the next operation after any change to it
 * checks the path. Without a change, the path is still checked at most once per this many ms, in case
 * the file system reports nothing.
 */
const WATCHED_IDENTITY_CHECK_MS = 100;
/**
 * An audit append waits this long, then joins the store's next write transaction, or commits in one of
 * its own after as long again (see `SqliteStore.appendAudit`).
 */
const AUDIT_WAIT_MS = 10;
/**
 * An append of this many records or more (the audit trail's full batch) waits for no time: a process
 * whose event loop seldom reaches its timers still commits its records with its next write.
 */
const AUDIT_FULL_BATCH = 100;
/** Writes a transaction held open (see `SqliteStore.deferred`) takes before it commits anyway. */
const MAX_OPEN_WRITES = 64;
/** Write transactions after which checkpoints move to a worker thread (a short-lived store never starts one). */
const CHECKPOINTER_AFTER_WRITES = 256;
/** How often the checkpointer thread copies the WAL back into the database (and fsyncs it). */
const CHECKPOINT_INTERVAL_MS = 100;
/** WAL pages after which a write checkpoints on the event loop itself: a safety net if the thread lags. */
const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * The checkpointer thread: its own connection to the file, running a PASSIVE checkpoint (never waits
 * for readers or writers) every interval, so the checkpoint's fsync never blocks the event loop.
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path);
db.exec('PRAGMA busy_timeout = 0');
const checkpoint = () => { try { db.exec('PRAGMA wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.once('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

/**
 * Stores of this process holding a deferred write transaction open (see `SqliteStore.deferred`): another
 * store of the process commits them before it begins a write (it would wait on their lock, blocking the
 * thread that has to commit them), and the process commits them when it exits.
 */
const OPEN_STORES = new Set<SqliteStore>();
/** Stores of this process with audit appends waiting for their next write (see `SqliteStore.appendAudit`). */
const AUDIT_WAITING = new Set<SqliteStore>();
let exitHook = false;
function commitOpenStoresAtExit(): void {
  for (const store of [...OPEN_STORES, ...AUDIT_WAITING]) store.commitNow();
}

/** A `lines` row, read into memory for the length of one transaction. */
interface LineRow {
  key: string;
  budget: string;
  unit: LineUnit;
  limit: number;
  /** Committed amount of a calendar line (0 for rolling lines: theirs are in `buckets`). */
  used: number;
  reserved: number;
  expiresAt: number | null;
  /** Set for rolling lines. */
  windowMs: number | null;
  bucketMs: number | null;
  /** Last reserve or commit (epoch ms), to drop idle rolling lines. */
  touchedAt: number;
  /** The row as read from the file (unset for a row this transaction creates): what saving must change. */
  stored?: LineRow;
}

/** A row of `selectExpiredLeases`: an expired reservation, or (id null) the next lease end. */
type ExpiredRow =
  | { id: string; lines: string; sent: number; started_at: number; expires_at: number }
  | { id: null; lines: null; sent: null; started_at: null; expires_at: number | null };

interface ReservationRow {
  id: string;
  lines: string;
  started_at: number;
  expires_at: number;
}

type ApprovalWaiter = (record: ApprovalRecord) => void;

/** A write done in the open transaction: its work (to redo if the commit fails) and, for a promise form, its settling. */
interface OpenWork {
  work: () => unknown;
  value: unknown;
  resolve?: (value: unknown) => void;
  reject?: (error: unknown) => void;
}

/** The write transaction a store holds open (see `SqliteStore.deferred`). */
interface OpenTransaction {
  settled: OpenWork[];
  immediate: NodeJS.Immediate | undefined;
  /** A promise form waits: commit when the microtask queue drains. */
  microtask: boolean;
  /** The clock reading at which expired leases were last ended in this transaction. */
  expiredAt?: number | undefined;
}

/** An open reservation as this connection wrote it (see `SqliteStore.ownReservations`). */
interface OwnReservation {
  lines: BudgetLine[];
  startedAt: number;
  expiresAt: number;
}

/** A row the open transaction changed and has not written (see `SqliteStore.unwritten`); `full`: created or reconfigured, so written whole. */
interface UnwrittenLine {
  line: CachedLine;
  full: boolean;
}

/** A row's state in the open transaction before an operation changed it, to restore when the operation rolls back. */
interface LineUndo {
  key: string;
  unwritten: UnwrittenLine | undefined;
  written: CachedLine | undefined;
}

/** Rows of the lines a transaction has read or created, by key; written back before it commits. */
type Rows = Map<string, LineRow>;

/** A `lines` row as this connection wrote it (see `SqliteStore.lineCache`); never changed once made. */
type CachedLine = Readonly<Omit<LineRow, 'stored'>>;

/** Line rows cached at most; past it the cache starts again empty. */
const MAX_CACHED_LINES = 4_096;

const LINE_COLUMNS =
  'key, budget, unit, limit_value AS "limit", used, reserved, expires_at AS expiresAt, window_ms AS windowMs, bucket_ms AS bucketMs, touched_at AS touchedAt';

/**
 * Governance state in one SQLite file (`node:sqlite`), shared by every process on the host that opens
 * the same path: budgets, reservations, rate-limit counters, `markOnce` keys, approvals and the audit
 * chain. Semantics are those of `MemoryStore` from `@genops/core`, exactly.
 *
 * Reserve, settle, release, approval decisions and audit appends each run inside a `BEGIN IMMEDIATE`
 * transaction (each all or nothing on its own), so processes never interleave between check and write:
 * a reservation is all or nothing across its lines and concurrent processes never overspend. Writes
 * made close together share a transaction: the governor's reservation, its audit record and its
 * `markSent` commit together before the request leaves; a settlement commits with whatever comes next,
 * at the latest at the end of the event-loop turn (see `deferred`). The database runs in WAL mode
 * (`synchronous=NORMAL`): readers never wait for writers, and a write that finds another in progress
 * waits up to {@link SqliteStoreOptions.busyTimeoutMs}. Calls are synchronous inside their promise, so
 * the process's event loop waits for them (tens of microseconds without contention).
 *
 * Expired leases are released inside the next transaction that needs them; other housekeeping runs at
 * most once a minute per instance. `waitForApproval` wakes at once for decisions made through this
 * instance and polls the file for decisions made elsewhere (a timer that keeps the process alive while
 * a call waits for its decision).
 *
 * @example
 * const store = new SqliteStore({ path: '.genops/state.db' });
 * GenOps.init({ store, budgets: [{ name: 'daily', limit: 100, window: 'day' }] });
 */
export class SqliteStore implements GovernanceStore {
  readonly kind = 'sqlite';
  /** What GenOps does when the store cannot be used (see {@link SqliteStoreOptions.failMode}). */
  readonly failMode: 'closed' | 'open';
  /** The database file (absolute), or `:memory:`. */
  readonly path: string;
  /** The file's store id: a UUID written into it when it was created, the same for every process using it. */
  readonly storeId: string;
  /** Device and inode of the file as opened, to notice it being deleted or replaced; unset for `:memory:`. */
  private readonly identity: { dev: number; ino: number } | undefined;
  /** Set once the file was found deleted or replaced: every operation fails with it from then on. */
  private identityError: StoreIdentityError | undefined;
  private identityCheckMs: number;
  /** `performance.now()` of the last identity check that passed. */
  private identityCheckedAt = Number.NEGATIVE_INFINITY;
  /** Watches the file for the default identity check (see {@link WATCHED_IDENTITY_CHECK_MS}). */
  private watcher: FSWatcher | undefined;
  private writes = 0;
  /** The write transaction held open for writes that commit together (see {@link deferred}). */
  private open: OpenTransaction | undefined;
  private checkpointer: Worker | undefined;
  private readonly db: DatabaseSync;
  private readonly statements: Statements;
  private readonly now: () => number;
  private readonly retentionMs: number;
  private readonly approvalPollMs: number;
  private readonly waiters = new Map<string, Set<ApprovalWaiter>>();
  private poller: NodeJS.Timeout | undefined;
  private nextSweep = Number.NEGATIVE_INFINITY;
  private closed = false;
  /**
   * Line rows as this connection last committed them, so a transaction reads them without a query. Valid
   * while no other connection has committed: each write transaction reads `PRAGMA data_version` once it
   * holds the write lock (it changes exactly when another connection committed since) and starts the
   * cache again when it moved. Any rollback empties it.
   */
  private readonly lineCache = new Map<string, CachedLine>();
  /** Rows the open write transaction wrote: cached when it commits, dropped when it rolls back. */
  private readonly txLines = new Map<string, CachedLine>();
  /**
   * Rows the open write transaction changed and has not written to the file yet: each is written once,
   * just before the transaction commits (see {@link flushLines}), however many of its operations
   * changed it (a settlement and the next reservation touch the same lines). Always also in {@link txLines}.
   */
  private readonly unwritten = new Map<string, UnwrittenLine>();
  /** While an operation runs in a savepoint: how to undo its changes to {@link unwritten} and {@link txLines}. */
  private undo: LineUndo[] | undefined;
  /**
   * Open reservations this connection wrote, as it wrote them, so settling one reads no row. Valid as
   * {@link lineCache} is (no other connection committed since); emptied by any rollback, and an entry
   * leaves when this connection settles, releases or expires the reservation.
   */
  private readonly ownReservations = new Map<string, OwnReservation>();
  /**
   * No reservation row ends before this (epoch ms), so finding expired leases needs no query until then;
   * undefined when not known. Found with the expired leases, lowered by every row this connection writes,
   * valid as {@link lineCache} is, and forgotten on any rollback.
   */
  private nextExpiry: number | undefined;
  /** `PRAGMA data_version` when {@link lineCache} was last found valid. */
  private dataVersion: number | undefined;
  /** Reservations the open write transaction stored marked sent (see {@link reserveSync}). */
  private readonly sentInOpen = new Set<string>();
  /**
   * Reservations stored marked sent that a commit made before their own {@link markSentSync} (another
   * call's, with concurrent calls): that `markSentSync` then has nothing to write. An id leaves when
   * its `markSentSync` or settlement comes; past {@link MAX_CACHED_LINES} ids the set starts again.
   */
  private readonly committedSent = new Set<string>();
  /**
   * The audit chain's last record as this connection wrote it, so an append reads no row; valid as
   * {@link lineCache} is, and forgotten on any rollback.
   */
  private auditTip: { seq: number; hash: string } | undefined;
  /** Audit appends waiting for the next write transaction (see {@link appendAudit}), in call order. */
  private auditWaiting: OpenWork[] = [];
  private auditTimer: NodeJS.Timeout | undefined;
  /** The waiting appends have waited {@link AUDIT_WAIT_MS}: the next write transaction takes them. */
  private auditDue = false;

  /**
   * Opens (and creates or migrates) the database at `options.path`.
   * @throws Error naming the path and the cause when the file cannot be opened or is not a store this
   *   version can read.
   */
  constructor(options: SqliteStoreOptions) {
    this.path = options.path === ':memory:' ? ':memory:' : resolve(options.path);
    this.now = options.now ?? Date.now;
    this.failMode = options.failMode ?? 'closed';
    this.retentionMs = options.retentionMs ?? DAY_MS;
    this.approvalPollMs = Math.max(1, options.approvalPollMs ?? DEFAULT_APPROVAL_POLL_MS);
    const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS));
    let identityCheckMs = Math.max(0, options.identityCheckMs ?? DEFAULT_IDENTITY_CHECK_MS);
    let db: DatabaseSync | undefined;
    // Opening takes the write lock (WAL switch, migration): a store of this process holding a transaction
    // open commits it first, or this thread would wait on its own lock.
    for (const other of [...OPEN_STORES]) other.commitNow();
    try {
      if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
      const opened = new DatabaseSync(this.path);
      db = opened;
      opened.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      // Switching to WAL takes an exclusive lock and SQLite does not call the busy handler for it: several
      // processes opening a new file at once see SQLITE_BUSY. Retry within the busy timeout.
      retryWhileBusy(() => opened.exec('PRAGMA journal_mode = WAL'), busyTimeoutMs);
      db.exec('PRAGMA synchronous = NORMAL');
      this.storeId = migrate(db);
      this.statements = prepareStatements(db);
      if (this.path !== ':memory:') {
        const stat = statSync(this.path);
        this.identity = { dev: stat.dev, ino: stat.ino };
        if (options.identityCheckMs === undefined) {
          this.watcher = this.watchIdentity();
          if (this.watcher) identityCheckMs = WATCHED_IDENTITY_CHECK_MS;
        }
      }
    } catch (error) {
      this.watcher?.close();
      try {
        db?.close();
      } catch {
        // Already closed.
      }
      throw new Error(`genops: cannot open the SQLite store at ${this.path}: ${messageOf(error)}`, { cause: error });
    }
    this.db = db;
    this.identityCheckMs = identityCheckMs;
    if (!exitHook) {
      exitHook = true;
      process.on('exit', commitOpenStoresAtExit);
    }
  }

  /** @internal Commits a deferred write transaction now (the process exits, or another store writes). */
  commitNow(): void {
    if (this.closed) return;
    this.joinWaitingAudit();
    this.commitDeferred();
  }

  /** Reserves in the next group commit (shared with other writes asked for before the microtasks drain). */
  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    assertReserveAmounts(this.kind, request);
    const now = this.begin();
    this.sweepWhenDue(now);
    return this.batched(() => this.reserveIn(request, now));
  }

  /**
   * {@link reserve} now, without a promise (the governor calls it), in the write transaction that the
   * call's {@link markSentSync} commits before its request leaves, with the audit record appended in
   * between (see {@link deferred}); at the latest it commits at the end of this event-loop turn. It
   * holds the write lock until then, so no other process reserves in between. A reservation asked for
   * with `sent: true` is stored marked sent, but the answer has no `sent`: the governor then calls
   * {@link markSentSync}, which commits it (with no write of its own) before the request leaves.
   */
  reserveSync(request: ReserveRequest): ReserveResult {
    assertReserveAmounts(this.kind, request);
    const now = this.begin();
    this.sweepWhenDue(now);
    const result = this.deferred(() => this.reserveIn(request, now));
    if (request.sent !== true || !result.ok) return result;
    // Still in the open transaction unless the bound on open writes committed it just now.
    if (this.open) this.sentInOpen.add(request.id);
    return { ok: true, lines: result.lines };
  }

  /** Settles in the next group commit (see {@link reserve}). */
  async settle(id: string, actual: SettleAmounts, lines?: readonly BudgetLine[]): Promise<SettleResult> {
    assertSettleAmounts(this.kind, id, actual, lines);
    const now = this.begin();
    this.sweepWhenDue(now);
    return this.batched(() => this.settleIn(id, actual, lines, now));
  }

  /**
   * {@link settle} now, in the write transaction that commits at the end of this event-loop turn (see
   * {@link deferred}): the audit record of the settlement, appended next, commits with it.
   */
  settleSync(id: string, actual: SettleAmounts, lines?: readonly BudgetLine[]): SettleResult {
    assertSettleAmounts(this.kind, id, actual, lines);
    const now = this.begin();
    this.sweepWhenDue(now);
    return this.deferred(() => this.settleIn(id, actual, lines, now));
  }

  async release(id: string): Promise<boolean> {
    const now = this.begin();
    this.sweepWhenDue(now);
    return this.batched(() => {
      this.expireLeases(now);
      const reservation = this.statements.selectReservation.get(id) as ReservationRow | undefined;
      if (!reservation) return false;
      this.unreserve(reservation, now);
      return true;
    });
  }

  async markSent(id: string): Promise<boolean> {
    return this.markSentSync(id);
  }

  /** {@link markSent} now, committed before it returns (with the open transaction, see {@link reserveSync}). */
  markSentSync(id: string): boolean {
    const now = this.begin();
    if (this.open && this.sentInOpen.delete(id)) {
      // Reserved marked sent in the open transaction: committing it is all that is left to do.
      this.commitDeferred(true);
      return true;
    }
    // Reserved marked sent and already committed (with another call's markSent), still open.
    if (this.committedSent.delete(id) && this.ownReservations.has(id)) return true;
    this.sweepWhenDue(now);
    return this.write(() => {
      this.expireLeases(now);
      return this.statements.markSent.run(id).changes === 1;
    });
  }

  /** Inside a write transaction. */
  private reserveIn(request: ReserveRequest, now: number): ReserveResult {
    this.expireLeases(now);
    if (this.ownReservations.has(request.id)) throw alreadyOpen(request.id);
    let result: ReserveResult;
    try {
      result = this.reserveLines(request, now);
    } catch (error) {
      // As MemoryStore checks: a reservation still open fails first.
      if (this.isOpen(request.id)) throw alreadyOpen(request.id);
      throw error;
    }
    if (!result.ok && this.isOpen(request.id)) throw alreadyOpen(request.id);
    return result;
  }

  /** Whether a reservation with this id is open (made by this connection or another). */
  private isOpen(id: string): boolean {
    if (this.ownReservations.has(id)) return true;
    try {
      return this.statements.reservationExists.get(id) !== undefined;
    } catch {
      // The file failed: the error the operation met is the one to report.
      return false;
    }
  }

  /** {@link reserveIn} once no reservation with its id is known open: the insert finds one another connection made. */
  private reserveLines(request: ReserveRequest, now: number): ReserveResult {
    const lines = request.lines.map(copyLine);
    const rows: Rows = new Map();
    // Amounts this request already asks of a key, for a request that names the same key twice.
    const asked = new Map<string, number>();
    for (const line of lines) {
      const before = asked.get(line.key) ?? 0;
      asked.set(line.key, before + line.amount);
      if (line.amount === 0 || !line.enforce) {
        const row = this.loadRow(rows, line.key);
        if (row) this.assertFits('reserve', request.id, row, before + line.amount, now);
        continue;
      }
      const row = this.loadRow(rows, line.key);
      if (row) this.configure(row, line, now);
      const current = row ? this.state(row, now) : emptyState(line);
      assertLedgerTotal(
        this.kind,
        'reserve',
        request.id,
        line.key,
        current.used + current.reserved + before + line.amount,
      );
      if (current.used + current.reserved + before + line.amount > line.limit) {
        this.saveRows(rows);
        return { ok: false, failed: current, requested: line.amount };
      }
    }
    const reserved = lines.map((line) => {
      const row = this.rowFor(rows, line, now);
      row.reserved += line.amount;
      row.touchedAt = now;
      return row;
    });
    // A request sent at once is stored marked sent in this write (no second one for `markSent`).
    const sent = request.sent === true;
    const expiresAt = now + Math.max(0, request.leaseMs);
    // Leaves an open reservation with the same id as it is, and then writes nothing.
    if (
      this.statements.insertReservation.run(request.id, JSON.stringify(lines), now, expiresAt, sent ? 1 : 0).changes !==
      1
    )
      throw alreadyOpen(request.id);
    this.ownReservations.set(request.id, { lines, startedAt: now, expiresAt });
    this.expiresAt(expiresAt);
    const states = reserved.map((row) => this.state(row, now));
    this.saveRows(rows);
    return sent ? { ok: true, lines: states, sent: true } : { ok: true, lines: states };
  }

  /** Inside a write transaction. */
  private settleIn(
    id: string,
    actual: SettleAmounts,
    lines: readonly BudgetLine[] | undefined,
    now: number,
  ): SettleResult {
    this.expireLeases(now);
    const rows: Rows = new Map();
    const own = this.ownReservations.get(id);
    let reservation: OwnReservation | undefined = own;
    if (!reservation) {
      const row = this.statements.selectReservation.get(id) as ReservationRow | undefined;
      // The reservation's own lines, parsed once.
      if (row)
        reservation = {
          lines: JSON.parse(row.lines) as BudgetLine[],
          startedAt: row.started_at,
          expiresAt: row.expires_at,
        };
    }
    const reserved = reservation?.lines;
    const settling = reserved ?? lines ?? [];
    for (const line of settling) {
      // An open reservation's own amount leaves the line as its actual amount enters it.
      const row = this.loadRow(rows, line.key);
      const amount = (actual[line.unit] ?? 0) - (reservation ? line.amount : 0);
      if (row) this.assertFits('settle', id, row, amount, now);
    }
    if (!reservation) {
      // The lease expired while the call ran: its reservation was released, but what it cost still
      // counts, once: a repeat of a settlement (a replay after a lost reply) commits nothing.
      const repeated = this.statements.selectSettled.get(id, now) !== undefined;
      const committed = (lines ?? []).map((line) => {
        const row = this.rowOf(rows, line, now);
        if (!repeated) this.commit(row, actual[line.unit] ?? 0, now, now);
        return row;
      });
      const states = committed.map((row) => this.state(row, now));
      this.saveRows(rows);
      if (!repeated && lines) this.statements.insertSettled.run(now + this.retentionMs, id, now);
      return { open: false, lines: states };
    }
    const marked = this.statements.deleteReservation.run(id).changes;
    if (own) {
      this.ownReservations.delete(id);
      this.committedSent.delete(id);
      // Not there as this connection wrote it (never expected): settle it as the file has it.
      if (marked !== 1) return this.settleIn(id, actual, lines, now);
    }
    // Kept as settled for one lease length: a settlement repeated after a lost reply commits nothing.
    this.statements.insertSettled.run(now + Math.max(0, reservation.expiresAt - reservation.startedAt), id, now);
    const startedAt = reservation.startedAt;
    const committed = (reserved ?? []).map((line) => {
      const row = this.rowOf(rows, line, now);
      row.reserved = Math.max(0, row.reserved - line.amount);
      this.commit(row, actual[line.unit] ?? 0, startedAt, now);
      return row;
    });
    const states = committed.map((row) => this.state(row, now));
    this.saveRows(rows);
    return { open: true, lines: states };
  }

  async lines(prefix = ''): Promise<LineState[]> {
    const now = this.begin();
    this.maintain(now);
    const states: LineState[] = [];
    return this.read(() => {
      // Keys starting with `prefix` are one contiguous run from `prefix` on, in SQLite's (UTF-8 byte) order.
      for (const row of this.statements.selectLineStates.iterate(prefix, now) as Iterable<LineState>) {
        if (!row.key.startsWith(prefix)) break;
        states.push({
          key: row.key,
          budget: row.budget,
          unit: row.unit,
          limit: row.limit,
          used: row.used,
          reserved: row.reserved,
        });
      }
      // Sorted as JavaScript compares strings (UTF-16 code units), as every store does.
      return states.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    });
  }

  async openReservations(): Promise<number> {
    const now = this.begin();
    this.maintain(now);
    return this.read(() => (this.statements.countOpenReservations.get(now) as { count: number }).count);
  }

  async markOnce(key: string, expiresAt?: number): Promise<boolean> {
    return this.markOnceSync(key, expiresAt);
  }

  /** {@link markOnce} now. */
  markOnceSync(key: string, expiresAt?: number): boolean {
    const now = this.begin();
    this.maintain(now);
    // One statement: inserts the key, or takes it over once it has expired; `changes` is 0 otherwise.
    return this.read(() => this.statements.markOnce.run(key, expiresAt ?? null, now).changes === 1);
  }

  /** Records a pending approval; a record with the same id is replaced. */
  async createApproval(record: ApprovalRecord): Promise<void> {
    const now = this.begin();
    this.maintain(now);
    const json = JSON.stringify(record);
    this.read(() =>
      this.statements.upsertApproval.run(
        record.id,
        record.status,
        record.createdAt,
        record.expiresAt,
        record.decidedAt ?? null,
        json,
      ),
    );
    if (record.status !== 'pending') this.notify(record.id, json);
  }

  async decideApproval(id: string, decision: ApprovalDecisionInput): Promise<ApprovalRecord | undefined> {
    const now = this.begin();
    this.maintain(now);
    const decided = this.write(() => {
      const row = this.statements.selectApproval.get(id) as { record: string } | undefined;
      if (!row) return undefined;
      const record = JSON.parse(row.record) as ApprovalRecord;
      // Compare-and-set: only a pending approval changes, so the first decision (of any process) wins.
      if (record.status !== 'pending') return { json: row.record, changed: false };
      record.status = decision.status;
      record.decidedAt = now;
      record.decidedBy = decision.decidedBy;
      if (decision.reason !== undefined) record.decisionReason = decision.reason;
      const json = JSON.stringify(record);
      this.statements.updateApproval.run(record.status, now, json, id);
      return { json, changed: true };
    });
    if (!decided) return undefined;
    if (decided.changed) this.notify(id, decided.json);
    return JSON.parse(decided.json) as ApprovalRecord;
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    this.maintain(this.begin());
    return this.read(() => this.approval(id));
  }

  async listApprovals(filter: { status?: ApprovalStatus } = {}): Promise<ApprovalRecord[]> {
    this.maintain(this.begin());
    return this.read(() => {
      const rows = (
        filter.status === undefined
          ? this.statements.listApprovals.all()
          : this.statements.listApprovalsByStatus.all(filter.status)
      ) as { record: string }[];
      return rows.map((row) => JSON.parse(row.record) as ApprovalRecord);
    });
  }

  /**
   * Resolves as soon as the approval is decided: at once for a decision made through this instance, and
   * within {@link SqliteStoreOptions.approvalPollMs} for one made by another process. Resolves at once
   * when it is already decided, and with the still-pending record after `timeoutMs` of real time.
   */
  async waitForApproval(id: string, timeoutMs: number): Promise<ApprovalRecord | undefined> {
    this.maintain(this.begin());
    const record = this.read(() => this.approval(id));
    if (!record) return undefined;
    if (record.status !== 'pending' || timeoutMs <= 0) return record;
    return new Promise<ApprovalRecord>((resolve) => {
      let waiters = this.waiters.get(id);
      if (!waiters) this.waiters.set(id, (waiters = new Set()));
      const waiter: ApprovalWaiter = (decided) => {
        clearTimeout(timer);
        resolve(decided);
      };
      const timer = setTimeout(
        () => {
          const current = this.waiters.get(id);
          current?.delete(waiter);
          if (current?.size === 0) this.waiters.delete(id);
          this.stopPollerWhenIdle();
          resolve(this.tryApproval(id) ?? record);
        },
        Math.min(timeoutMs, MAX_TIMER_MS),
      );
      timer.unref();
      waiters.add(waiter);
      this.startPoller();
    });
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    this.begin();
    if (entries.length === 0) return [];
    // Stored and hashed as JSON reads it back, so hashes match across stores and survive a round trip;
    // serialised once (not at all for an entry AuditTrail prepared).
    const copies = entries.map(preparedAuditEntry);
    const texts = copies.map((entry) => entry[AUDIT_DATA_JSON]);
    const append = (): AuditRecord[] => {
      const tip = this.auditTip ?? (this.statements.selectAuditTip.get() as { seq: number; hash: string } | undefined);
      const chained = chainAuditEntries(tip, copies);
      chained.forEach((record, index) => {
        this.statements.insertAudit.run(
          record.seq,
          record.type,
          record.at,
          record.subject,
          texts[index]!,
          record.prevHash,
          record.hash,
        );
      });
      const last = chained[chained.length - 1]!;
      this.auditTip = { seq: last.seq, hash: last.hash };
      return chained;
    };
    // Nothing waits for an audit append on a call's path: rather than commit a transaction of its own, it
    // joins a write of the calls (a settlement, typically), and waits first, so that the audit trail's
    // next batch gathers the records of the calls made meanwhile (the trail appends one batch at a time).
    const records = await this.afterNextWrite(append, entries.length >= AUDIT_FULL_BATCH);
    for (const record of records) {
      // Frozen, as MemoryStore hands them out: an audit record never changes once appended.
      Object.freeze(record.data);
      Object.freeze(record);
    }
    return records;
  }

  async readAudit(options: { fromSeq?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    this.begin();
    const limit = options.limit === undefined ? -1 : Math.max(0, Math.floor(options.limit));
    return this.read(() =>
      (this.statements.readAudit.all(options.fromSeq ?? 1, limit) as unknown as AuditRow[]).map(
        (row): AuditRecord => ({
          seq: row.seq,
          type: row.type,
          at: row.at,
          subject: row.subject,
          data: JSON.parse(row.data) as Record<string, unknown>,
          prevHash: row.prevHash,
          hash: row.hash,
        }),
      ),
    );
  }

  /**
   * Resolves every pending `waitForApproval` with the record as it is now, then closes the database.
   * Idempotent; other methods reject afterwards.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.joinWaitingAudit();
    this.commitDeferred();
    for (const [id, waiters] of this.waiters) {
      const record = this.tryApproval(id);
      for (const waiter of waiters) if (record) waiter(structuredClone(record));
    }
    this.waiters.clear();
    this.stopPollerWhenIdle();
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    if (checkpointer) {
      // The thread checkpoints once more and closes its connection; not awaited beyond its exit.
      const exited = new Promise<void>((resolve) => checkpointer.once('exit', () => resolve()));
      // Kept alive until it has exited, so close() resolves even when nothing else is running.
      checkpointer.ref();
      checkpointer.postMessage('close');
      await exited;
    }
    this.db.close();
  }

  // ---- Transactions ---------------------------------------------------------------------------------

  /**
   * The time for an operation; throws once the store is closed, or when its file is no longer the one
   * it opened (see {@link checkIdentity}).
   */
  private begin(): number {
    if (this.closed) throw new Error(`genops: the SQLite store at ${this.path} is closed`);
    this.checkIdentity();
    return this.now();
  }

  /**
   * Fails when the file at {@link path} was deleted or replaced since the store opened it: this
   * connection would keep writing the old file (an unlinked inode nobody else sees) while processes
   * opening the path start another ledger. A `stat` of the path (a few microseconds) before an
   * operation, at most once per {@link SqliteStoreOptions.identityCheckMs}; by default once the watched
   * file changed (see {@link watchIdentity}), else once per {@link WATCHED_IDENTITY_CHECK_MS}. Once
   * detected, every operation fails with the same {@link StoreIdentityError}.
   */
  private checkIdentity(): void {
    if (this.identityError) throw this.identityError;
    if (!this.identity) return;
    const checkedAt = performance.now();
    if (checkedAt - this.identityCheckedAt < this.identityCheckMs) return;
    let stat: { dev: number; ino: number } | undefined;
    try {
      stat = statSync(this.path, { throwIfNoEntry: false });
    } catch {
      // Unreadable for a moment (permissions, I/O): the transaction itself reports a real failure.
      return;
    }
    if (stat && stat.ino === this.identity.ino && stat.dev === this.identity.dev) {
      this.identityCheckedAt = checkedAt;
      return;
    }
    const reason = stat ? 'replaced' : 'deleted';
    const what = stat ? `was replaced by another file (inode ${this.identity.ino} → ${stat.ino})` : 'was deleted';
    this.identityError = new StoreIdentityError({
      store: this.kind,
      location: this.path,
      reason,
      message: `genops: the SQLite store file ${this.path} ${what} while this process had it open (store id ${this.storeId}). Budgets, reservations and the audit chain in it are no longer shared with processes that open the path now, so this store refuses every operation (GenOps then applies failMode '${this.failMode}'). Restore the file, or restart every process that uses it so they all open the same new ledger.`,
    });
    throw this.identityError;
  }

  /**
   * Watches the file (inotify on Linux): a deletion or another file moved over the path changes its link
   * count, a rename moves it, and every such change makes the next operation check the path, so a
   * governed call pays no `stat` while nothing happens to the file (its writes are changes too: at most
   * one check per checkpoint). `undefined` when the file cannot be watched: the path is then checked
   * before an operation, at most once per millisecond.
   */
  private watchIdentity(): FSWatcher | undefined {
    try {
      const watcher = watch(this.path, { persistent: false }, () => {
        this.identityCheckedAt = Number.NEGATIVE_INFINITY;
      });
      watcher.on('error', () => {
        // No longer watched (the file system gave up on it): check every millisecond from now on.
        this.identityCheckedAt = Number.NEGATIVE_INFINITY;
        this.identityCheckMs = DEFAULT_IDENTITY_CHECK_MS;
        this.watcher = undefined;
      });
      return watcher;
    } catch {
      return undefined;
    }
  }

  /** Before a write: runs the housekeeping sweep when it is due (the write releases expired leases itself). */
  private sweepWhenDue(now: number): void {
    if (now >= this.nextSweep) this.sweep(now);
  }

  /**
   * Group commit for the promise forms: runs `work` now in the open write transaction (see
   * {@link deferred}) and resolves with its result once that transaction commits, at the latest when the
   * microtask queue drains: concurrent calls share one `BEGIN IMMEDIATE` … `COMMIT`, its locking and its
   * WAL write. Each `work` is all or nothing on its own (a savepoint); the transaction holds the write
   * lock from the first check to the last write, so processes never interleave between a check and its
   * write.
   */
  private batched<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.joinAwaited({ work, value: undefined, resolve: resolve as (value: unknown) => void, reject }, false);
    });
  }

  /**
   * Runs a waiting promise form's work in the open transaction (begun when none is) and settles its
   * promise when that commits; `joinOnly`: the commit comes with the transaction's own (the next
   * `markSent` or the end of the turn, see {@link deferred}), not when the microtasks drain.
   */
  private joinAwaited(item: OpenWork, joinOnly: boolean): void {
    try {
      item.value = this.joinOpen(item.work);
    } catch (error) {
      item.reject?.(error);
      return;
    }
    const open = this.open!;
    const writes = open.settled.push(item);
    if (joinOnly) {
      if (writes >= MAX_OPEN_WRITES) this.commitDeferred();
      return;
    }
    if (!open.microtask) {
      open.microtask = true;
      queueMicrotask(this.commitAtMicrotask);
    }
  }

  /**
   * Runs `work` (an audit append) after {@link AUDIT_WAIT_MS} in the write transaction then open, or in
   * the next one this store begins for a deferred or promise form (see {@link joinOpen}), resolving when
   * that commits; after as long again without one, or at once before a read or {@link close}, in one of
   * its own. Waiting appends keep their order.
   */
  private afterNextWrite<T>(work: () => T, full: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.auditWaiting.push({ work, value: undefined, resolve: resolve as (value: unknown) => void, reject });
      AUDIT_WAITING.add(this);
      if (full) this.auditDue = true;
      this.auditTimer ??= setTimeout(this.auditWaited, AUDIT_WAIT_MS);
    });
  }

  private readonly auditWaited = (): void => {
    this.auditTimer = undefined;
    if (this.closed) return;
    if (this.open || this.auditDue) {
      this.joinWaitingAudit();
      return;
    }
    this.auditDue = true;
    this.auditTimer = setTimeout(this.auditWaited, AUDIT_WAIT_MS);
  };

  /** The waiting audit appends join the open transaction (committed with it), or begin one. */
  private joinWaitingAudit(): void {
    if (this.auditWaiting.length === 0) return;
    const waiting = this.auditWaiting;
    this.auditWaiting = [];
    this.auditDue = false;
    AUDIT_WAITING.delete(this);
    if (this.auditTimer) clearTimeout(this.auditTimer);
    this.auditTimer = undefined;
    for (const item of waiting) this.joinAwaited(item, this.open !== undefined);
  }

  private readonly commitAtMicrotask = (): void => {
    if (this.open?.microtask) this.commitDeferred();
  };

  /**
   * Runs `work` now in a write transaction that stays open until the end of this event-loop turn
   * (`setImmediate`), or until an operation of this store commits it earlier: a reservation, the audit
   * record appended after it and its `markSent`, or a settlement and its audit record, share one
   * `BEGIN IMMEDIATE` … `COMMIT` (one lock, one WAL write of each page they touch). Each `work` is all or
   * nothing on its own (a savepoint). Only writes whose loss in a crash nothing depends on are deferred:
   * a reservation whose request has not left the process (`markSent` commits before it leaves), and a
   * settlement (its reservation stays, committed at its lease end when it was sent). A commit that fails
   * (the disk) redoes each deferred work in a transaction of its own.
   */
  private deferred<T>(work: () => T): T {
    const value = this.joinOpen(work);
    const open = this.open!;
    // A run of writes that never lets the event loop turn (no I/O in between) commits every so often,
    // so the write lock other processes wait for is held for a bounded time.
    if (open.settled.push({ work, value }) >= MAX_OPEN_WRITES) this.commitDeferred();
    return value;
  }

  /** Runs `work` in the open write transaction (begun, with its end-of-turn commit, when none is). */
  private joinOpen<T>(work: () => T): T {
    if (this.open) return this.inSavepoint(work);
    this.beginWrite();
    // Kept referenced: an unreferenced immediate does not stop the event loop from blocking in its poll
    // phase, so a process that then only waits for I/O (a server between requests) would hold the write
    // lock, and other processes would wait for it, until the next I/O. A referenced one runs in this
    // turn's check phase and keeps nothing alive after that.
    const immediate = setImmediate(this.commitAtTurnEnd);
    this.open = { settled: [], immediate, microtask: false };
    OPEN_STORES.add(this);
    // First in the transaction: no savepoint, rolling back the transaction undoes its work alone.
    try {
      const value = work();
      if (this.auditDue) this.joinWaitingAudit();
      return value;
    } catch (error) {
      this.open = undefined;
      this.sentInOpen.clear();
      clearImmediate(immediate);
      OPEN_STORES.delete(this);
      rollback(this.db);
      this.dropCachedLines();
      throw this.storeError(error);
    }
  }

  private readonly commitAtTurnEnd = (): void => {
    if (this.open) this.open.immediate = undefined;
    this.commitDeferred();
  };

  /**
   * Runs `work` in one write transaction (`BEGIN IMMEDIATE`) and commits it now: all of it commits, or
   * none of it. The open transaction (see {@link deferred}) is joined and commits with it.
   */
  private write<T>(work: () => T): T {
    if (this.open) {
      const value = this.inSavepoint(work);
      this.commitDeferred(true);
      return value;
    }
    this.beginWrite();
    try {
      const result = work();
      this.flushLines();
      this.statements.commit.run();
      this.cacheCommittedLines();
      this.wrote();
      return result;
    } catch (error) {
      rollback(this.db);
      this.dropCachedLines();
      throw this.storeError(error);
    }
  }

  /** `BEGIN IMMEDIATE`, after committing what other stores of this process hold open (they would wait on each other). */
  private beginWrite(): void {
    this.commitOthers();
    try {
      this.statements.begin.run();
      // Holding the write lock: another connection's commit since the cache was filled changes it.
      const version = (this.statements.dataVersion.get() as { data_version: number }).data_version;
      if (version !== this.dataVersion) {
        this.forgetCommittedState();
        this.dataVersion = version;
      }
    } catch (error) {
      this.dropCachedLines();
      throw this.storeError(error);
    }
  }

  /** The open transaction committed: the rows it wrote are what the file holds now. */
  private cacheCommittedLines(): void {
    if (this.txLines.size === 0) return;
    if (this.lineCache.size + this.txLines.size > MAX_CACHED_LINES) this.lineCache.clear();
    for (const [key, line] of this.txLines) this.lineCache.set(key, line);
    this.txLines.clear();
  }

  /** A rollback, or a write the cache does not follow: read every row from the file again. */
  private dropCachedLines(): void {
    this.forgetCommittedState();
    this.unwritten.clear();
    this.txLines.clear();
  }

  /**
   * What this connection remembers of committed rows (lines, its own reservations and their earliest
   * lease end, the audit chain's tip): forgotten when another connection committed or a write was undone,
   * and read from the file again.
   */
  private forgetCommittedState(): void {
    this.lineCache.clear();
    this.auditTip = undefined;
    this.ownReservations.clear();
    this.nextExpiry = undefined;
  }

  /**
   * An operation's savepoint rolled back: its changes to the rows not yet written are undone, newest
   * first (the file is as it was before it, rows written since included). Committed rows are read again.
   */
  private undoLines(undo: readonly LineUndo[]): void {
    for (let index = undo.length - 1; index >= 0; index--) {
      const { key, unwritten, written } = undo[index]!;
      if (unwritten) this.unwritten.set(key, unwritten);
      else this.unwritten.delete(key);
      if (written) this.txLines.set(key, written);
      else this.txLines.delete(key);
    }
    // Rows the operation changed in the file directly (a released lease) are read from it again.
    for (const [key, { line }] of this.unwritten) this.txLines.set(key, line);
    // Committed rows, and the reservations it wrote or ended, are read from the file again.
    this.forgetCommittedState();
  }

  /** Records `key`'s row state before an operation in a savepoint changes it (see {@link undoLines}). */
  private beforeLineChange(key: string): void {
    this.undo?.push({ key, unwritten: this.unwritten.get(key), written: this.txLines.get(key) });
  }

  /** Writes the rows the transaction changed and has not written yet (see {@link unwritten}). */
  private flushLines(): void {
    if (this.unwritten.size === 0) return;
    const statements = this.statements;
    for (const [key, { line, full }] of this.unwritten) {
      this.beforeLineChange(key);
      if (full)
        statements.upsertLine.run(
          line.key,
          line.budget,
          line.unit,
          line.limit,
          line.used,
          line.reserved,
          line.expiresAt,
          line.windowMs,
          line.bucketMs,
          line.touchedAt,
        );
      else statements.updateCounters.run(line.used, line.reserved, line.touchedAt, line.key);
    }
    this.unwritten.clear();
  }

  /** Commits what other stores of this process hold open: a write would wait on their lock, and a read would not see it. */
  private commitOthers(): void {
    if (OPEN_STORES.size > 0) for (const other of [...OPEN_STORES]) if (other !== this) other.commitDeferred();
  }

  /** `work` inside the open transaction, rolled back on its own when it throws. */
  private inSavepoint<T>(work: () => T): T {
    this.statements.savepoint.run();
    const outer = this.undo;
    const undo: LineUndo[] = [];
    this.undo = undo;
    try {
      const result = work();
      this.undo = outer;
      // A savepoint inside another: the outer one undoes these changes too when it rolls back.
      outer?.push(...undo);
      this.statements.releaseSavepoint.run();
      return result;
    } catch (error) {
      this.undo = outer;
      this.statements.rollbackToSavepoint.run();
      this.statements.releaseSavepoint.run();
      this.undoLines(undo);
      // Leases it ended are open again.
      if (this.open) this.open.expiredAt = undefined;
      throw this.storeError(error);
    }
  }

  /**
   * Commits the open write transaction, when there is one, and resolves the promise forms waiting for
   * it. When the commit fails, everything in it is rolled back and each work is redone in a transaction
   * of its own: a promise form then settles with that; a synchronous form that already answered is
   * reported as a process warning when its redo fails too. `strict`: the caller's own work was in the
   * transaction (the last one), and its failure is thrown to it.
   */
  private commitDeferred(strict = false): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    const sent = this.sentInOpen.size > 0 ? [...this.sentInOpen] : undefined;
    this.sentInOpen.clear();
    if (open.immediate) clearImmediate(open.immediate);
    OPEN_STORES.delete(this);
    try {
      this.flushLines();
      this.statements.commit.run();
    } catch (error) {
      rollback(this.db);
      this.dropCachedLines();
      this.redo(open.settled);
      if (strict) throw this.storeError(error);
      return;
    }
    if (sent) {
      if (this.committedSent.size + sent.length > MAX_CACHED_LINES) this.committedSent.clear();
      for (const id of sent) this.committedSent.add(id);
    }
    this.cacheCommittedLines();
    this.wrote();
    for (const item of open.settled) item.resolve?.(item.value);
  }

  private redo(items: readonly OpenWork[]): void {
    for (const item of items) {
      try {
        const value = this.write(item.work);
        item.resolve?.(value);
      } catch (error) {
        if (item.reject) item.reject(error);
        else
          process.emitWarning(
            `genops: SQLite store ${this.path}: a write could not be committed (${messageOf(error)}); a reservation stays until its lease ends`,
          );
      }
    }
  }

  private wrote(): void {
    if (++this.writes === CHECKPOINTER_AFTER_WRITES) this.startCheckpointer();
  }

  /**
   * Moves WAL checkpoints off the event loop: SQLite's automatic checkpoint runs inside a commit and
   * fsyncs the database, stalling the event loop for milliseconds every thousand pages. From here on a
   * worker thread checkpoints every {@link CHECKPOINT_INTERVAL_MS} and commits only checkpoint
   * themselves when the WAL outgrows {@link FALLBACK_AUTOCHECKPOINT_PAGES}. Durability is unchanged
   * (WAL with `synchronous=NORMAL`: a commit survives a process crash; an OS crash may lose the last
   * commits, never consistency). Without `worker_threads` (or when it fails) SQLite keeps checkpointing
   * as before.
   */
  private startCheckpointer(): void {
    if (this.path === ':memory:' || this.closed) return;
    try {
      const worker = new Worker(CHECKPOINTER_SOURCE, {
        eval: true,
        workerData: { path: this.path, intervalMs: CHECKPOINT_INTERVAL_MS },
      });
      worker.unref();
      worker.on('error', () => {
        // Checkpointing falls back to SQLite's own (below) when the thread dies.
        this.db.exec('PRAGMA wal_autocheckpoint = 1000');
      });
      this.checkpointer = worker;
      this.db.exec(`PRAGMA wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    } catch {
      // No worker thread: SQLite's automatic checkpoints carry on.
    }
  }

  /** Runs a read (or a single-statement write), naming the store in SQLite's errors. */
  private read<T>(work: () => T): T {
    this.joinWaitingAudit();
    if (this.open) this.commitDeferred();
    this.commitOthers();
    try {
      return work();
    } catch (error) {
      throw this.storeError(error);
    }
  }

  private storeError(error: unknown): unknown {
    if (!isSqliteError(error)) return error;
    return new Error(`genops: SQLite store ${this.path}: ${messageOf(error)}`, { cause: error });
  }

  /** Before a read: releases expired leases, and runs the housekeeping sweep when it is due. */
  private maintain(now: number): void {
    if (now >= this.nextSweep) this.sweep(now);
    else if (this.read(() => this.statements.hasExpiredLeases.get(now))) this.write(() => this.expireLeases(now));
  }

  // ---- Budget lines ---------------------------------------------------------------------------------

  /** Refuses (the transaction rolls back) an amount that would take the row past the exact ledger bound. */
  private assertFits(operation: string, id: string, row: LineRow, amount: number, now: number): void {
    const current = this.state(row, now);
    assertLedgerTotal(this.kind, operation, id, row.key, current.used + current.reserved + amount);
  }

  private loadRow(rows: Rows, key: string): LineRow | undefined {
    const cached = rows.get(key);
    if (cached) return cached;
    const found = (this.txLines.get(key) ?? this.lineCache.get(key) ?? this.statements.selectLine.get(key)) as
      | LineRow
      | undefined;
    if (!found) return undefined;
    // Field by field: spreading the null-prototype object node:sqlite returns costs twice as much.
    const row: LineRow = {
      key: found.key,
      budget: found.budget,
      unit: found.unit,
      limit: found.limit,
      used: found.used,
      reserved: found.reserved,
      expiresAt: found.expiresAt,
      windowMs: found.windowMs,
      bucketMs: found.bucketMs,
      touchedAt: found.touchedAt,
      stored: found,
    };
    rows.set(key, row);
    return row;
  }

  /** The row of `line`, created when missing, with the line's (newest) configuration applied. */
  private rowFor(rows: Rows, line: BudgetLine, now: number): LineRow {
    const row = this.rowOf(rows, line, now);
    this.configure(row, line, now);
    return row;
  }

  /**
   * The row of `line` as it is, created from the line when missing. Settlements use it: their lines are
   * as old as the reservation, so they must not undo a newer limit.
   */
  private rowOf(rows: Rows, line: BudgetLine, now: number): LineRow {
    const found = this.loadRow(rows, line.key);
    if (found) {
      this.refresh(found, now);
      return found;
    }
    const rolling = line.rolling ? normalizeRolling(line.rolling) : undefined;
    const row: LineRow = {
      key: line.key,
      budget: line.budget,
      unit: line.unit,
      limit: line.limit,
      used: 0,
      reserved: 0,
      expiresAt: line.expiresAt ?? null,
      windowMs: rolling?.windowMs ?? null,
      bucketMs: rolling?.bucketMs ?? null,
      touchedAt: now,
    };
    rows.set(line.key, row);
    return row;
  }

  /**
   * Starts a new period when the row's ended, then applies the line's configuration: the limit may
   * change between calls (reloaded configuration), and the newest wins.
   */
  private configure(row: LineRow, line: BudgetLine, now: number): void {
    this.refresh(row, now);
    row.budget = line.budget;
    row.unit = line.unit;
    row.limit = line.limit;
    row.expiresAt = line.expiresAt ?? null;
    if (line.rolling) {
      const rolling = normalizeRolling(line.rolling);
      if (row.windowMs === null && row.used !== 0) {
        // A calendar line turned rolling: what it had committed counts from now.
        row.windowMs = rolling.windowMs;
        row.bucketMs = rolling.bucketMs;
        this.commit(row, row.used, now, now);
        row.used = 0;
      }
      row.windowMs = rolling.windowMs;
      row.bucketMs = rolling.bucketMs;
    } else if (row.windowMs !== null) {
      row.used = this.windowSum(row, now);
      this.statements.deleteBuckets.run(row.key);
      row.windowMs = null;
      row.bucketMs = null;
    }
  }

  /** A row whose period has ended reads as empty; amounts still reserved on it stay reserved. */
  private refresh(row: LineRow, now: number): void {
    if (row.expiresAt === null || row.expiresAt > now) return;
    row.used = 0;
    if (row.windowMs !== null) this.statements.deleteBuckets.run(row.key);
  }

  /** Commits `amount`: into a rolling line's bucket of `at`, or into a calendar line's period. */
  private commit(row: LineRow, amount: number, at: number, now: number): void {
    row.touchedAt = now;
    if (amount === 0) return;
    if (row.windowMs !== null) {
      const bucketMs = row.bucketMs ?? 1;
      this.statements.addToBucket.run(row.key, Math.floor(at / bucketMs) * bucketMs, amount);
    } else {
      row.used += amount;
    }
  }

  /** Sum of a rolling line's buckets starting after `now - windowMs - bucketMs`. */
  private windowSum(row: LineRow, now: number): number {
    if (row.windowMs === null) return row.used;
    const after = now - row.windowMs - (row.bucketMs ?? 1);
    return (this.statements.sumBuckets.get(row.key, after) as { total: number }).total;
  }

  private state(row: LineRow, now: number): LineState {
    this.refresh(row, now);
    return {
      key: row.key,
      budget: row.budget,
      unit: row.unit,
      limit: row.limit,
      used: row.windowMs !== null ? this.windowSum(row, now) : row.used,
      reserved: row.reserved,
    };
  }

  /**
   * Writes back the rows when the transaction commits (see {@link unwritten}): only the counters when
   * the line's configuration is as it was read.
   */
  private saveRows(rows: Rows): void {
    for (const row of rows.values()) {
      const stored = row.stored;
      const sameConfiguration =
        stored !== undefined &&
        stored.budget === row.budget &&
        stored.unit === row.unit &&
        stored.limit === row.limit &&
        stored.expiresAt === row.expiresAt &&
        stored.windowMs === row.windowMs &&
        stored.bucketMs === row.bucketMs;
      this.beforeLineChange(row.key);
      const line = cachedLine(row);
      // A row an earlier operation of the transaction created or reconfigured is still written whole.
      const full = !sameConfiguration || this.unwritten.get(row.key)?.full === true;
      this.unwritten.set(row.key, { line, full });
      this.txLines.set(row.key, line);
    }
  }

  private unreserve(
    reservation: Pick<ReservationRow, 'id' | 'lines' | 'started_at' | 'expires_at'>,
    now: number,
  ): void {
    this.statements.deleteReservation.run(reservation.id);
    // A settlement of this id remembered from before it was reserved again no longer counts, as
    // MemoryStore forgets it at the reservation: a late settlement of this reservation then commits.
    // (Recorded here, on this rare path, rather than looked up by each reservation.) Kept at least as
    // long as such a settled row can be.
    const lease = Math.max(0, reservation.expires_at - reservation.started_at);
    this.statements.insertReleased.run(now + Math.max(this.retentionMs, lease), reservation.id, reservation.started_at);
    this.ownReservations.delete(reservation.id);
    for (const line of JSON.parse(reservation.lines) as BudgetLine[]) {
      const pending = this.unwritten.get(line.key);
      if (pending) {
        // Not written yet: released in the row that will be.
        this.beforeLineChange(line.key);
        const released = { ...pending.line, reserved: Math.max(0, pending.line.reserved - line.amount) };
        this.unwritten.set(line.key, { line: released, full: pending.full });
        this.txLines.set(line.key, released);
        continue;
      }
      this.statements.unreserveLine.run(line.amount, line.key);
      this.beforeLineChange(line.key);
      this.txLines.delete(line.key);
      this.lineCache.delete(line.key);
    }
  }

  /**
   * Ends every reservation whose lease has ended (a holder that never settled): a sent one is committed
   * at its reserved amounts, any other released. Inside a transaction.
   */
  private expireLeases(now: number): void {
    // In the open transaction nobody else writes: at the same clock reading nothing more has expired.
    const open = this.open;
    if (open?.expiredAt === now) return;
    if (this.nextExpiry === undefined || this.nextExpiry <= now) {
      const rows = this.statements.selectExpiredLeases.all(now) as unknown as ExpiredRow[];
      // One row carries no reservation: the next lease end after now (null when none).
      this.nextExpiry = rows.find((row) => row.id === null)?.expires_at ?? Number.POSITIVE_INFINITY;
      for (const reservation of rows) {
        if (reservation.id === null) continue;
        if (reservation.sent === 1) this.commitAtReservation(reservation, now);
        else this.unreserve(reservation, now);
      }
    }
    if (open) open.expiredAt = now;
  }

  /** A reservation row now ends at `expiresAt`: lease expiry is looked for again by then. */
  private expiresAt(expiresAt: number): void {
    if (this.nextExpiry !== undefined && expiresAt < this.nextExpiry) this.nextExpiry = expiresAt;
  }

  /**
   * An expired reservation whose request was sent (the provider may have billed it) is committed at its
   * reserved amounts, as a late settlement, and kept as settled for the retention: a later settlement of
   * it commits nothing.
   */
  private commitAtReservation(reservation: Pick<ReservationRow, 'id' | 'lines'>, now: number): void {
    const rows: Rows = new Map();
    for (const line of JSON.parse(reservation.lines) as BudgetLine[]) {
      const row = this.rowOf(rows, line, now);
      row.reserved = Math.max(0, row.reserved - line.amount);
      this.commit(row, line.amount, now, now);
    }
    this.saveRows(rows);
    this.statements.deleteReservation.run(reservation.id);
    this.statements.insertSettled.run(now + this.retentionMs, reservation.id, now);
    this.ownReservations.delete(reservation.id);
  }

  /** Drops state past its retention so the file stays bounded; at most once a minute per instance. */
  private sweep(now: number): void {
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    const horizon = now - this.retentionMs;
    const statements = this.statements;
    this.write(() => {
      this.expireLeases(now);
      // The sweep deletes rows in the file: what the transaction changed is written first.
      this.flushLines();
      this.dropCachedLines();
      statements.sweepEndedLines.run(horizon);
      statements.sweepIdleRollingLines.run(horizon, now);
      statements.sweepBuckets.run(now);
      statements.sweepMarks.run(now);
      statements.sweepSettled.run(now);
      statements.sweepReleased.run(now);
      statements.sweepApprovals.run(horizon);
    });
  }

  // ---- Approvals ------------------------------------------------------------------------------------

  private approval(id: string): ApprovalRecord | undefined {
    const row = this.statements.selectApproval.get(id) as { record: string } | undefined;
    return row && (JSON.parse(row.record) as ApprovalRecord);
  }

  /** The approval as stored, or `undefined` when it is gone or the store cannot be read (busy, closed). */
  private tryApproval(id: string): ApprovalRecord | undefined {
    const json = this.tryApprovalJson(id);
    return json === undefined ? undefined : (JSON.parse(json) as ApprovalRecord);
  }

  private tryApprovalJson(id: string): string | undefined {
    if (this.closed) return undefined;
    try {
      return (this.statements.selectApproval.get(id) as { record: string } | undefined)?.record;
    } catch {
      return undefined;
    }
  }

  private notify(id: string, json: string): void {
    const waiters = this.waiters.get(id);
    if (!waiters) return;
    this.waiters.delete(id);
    for (const waiter of waiters) waiter(JSON.parse(json) as ApprovalRecord);
    this.stopPollerWhenIdle();
  }

  /**
   * One timer for every waiter: re-reads each awaited approval for decisions made elsewhere. Unlike
   * `MemoryStore`'s, it keeps the process alive while a call waits (at most until the wait's timeout, or
   * {@link close}): the decision comes from another process, so nothing else in this one may be running,
   * and a process that exited would abandon the held call.
   */
  private startPoller(): void {
    if (this.poller) return;
    this.poller = setInterval(() => {
      for (const id of [...this.waiters.keys()]) {
        const json = this.tryApprovalJson(id);
        if (json !== undefined && (JSON.parse(json) as ApprovalRecord).status !== 'pending') this.notify(id, json);
      }
    }, this.approvalPollMs);
  }

  private stopPollerWhenIdle(): void {
    if (this.waiters.size > 0 || !this.poller) return;
    clearInterval(this.poller);
    this.poller = undefined;
  }
}

interface AuditRow {
  seq: number;
  type: AuditRecord['type'];
  at: number;
  subject: string;
  data: string;
  prevHash: string;
  hash: string;
}

type Statements = ReturnType<typeof prepareStatements>;

/** Every statement the store runs, prepared once per connection. */
function prepareStatements(db: DatabaseSync) {
  const prepare = (sql: string): StatementSync => db.prepare(sql);
  return {
    begin: prepare('BEGIN IMMEDIATE'),
    commit: prepare('COMMIT'),
    savepoint: prepare('SAVEPOINT genops_op'),
    releaseSavepoint: prepare('RELEASE genops_op'),
    rollbackToSavepoint: prepare('ROLLBACK TO genops_op'),

    selectLine: prepare(`SELECT ${LINE_COLUMNS} FROM lines WHERE key = ?`),
    dataVersion: prepare('PRAGMA data_version'),
    upsertLine: prepare(
      `INSERT INTO lines (key, budget, unit, limit_value, used, reserved, expires_at, window_ms, bucket_ms, touched_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET budget = excluded.budget, unit = excluded.unit, limit_value = excluded.limit_value,
         used = excluded.used, reserved = excluded.reserved, expires_at = excluded.expires_at,
         window_ms = excluded.window_ms, bucket_ms = excluded.bucket_ms, touched_at = excluded.touched_at`,
    ),
    updateCounters: prepare('UPDATE lines SET used = ?, reserved = ?, touched_at = ? WHERE key = ?'),
    unreserveLine: prepare('UPDATE lines SET reserved = MAX(0, reserved - ?) WHERE key = ?'),
    /** Line states from a key on, in key order; `used` as `MemoryStore` reads it (0 once the period ended). */
    selectLineStates: prepare(
      `SELECT key, budget, unit, limit_value AS "limit", reserved,
         CASE
           WHEN expires_at IS NOT NULL AND expires_at <= ?2 THEN 0
           WHEN window_ms IS NULL THEN used
           ELSE (SELECT COALESCE(SUM(b.amount), 0) FROM buckets b
                 WHERE b.line_key = lines.key AND b.start > ?2 - lines.window_ms - lines.bucket_ms)
         END AS used
       FROM lines WHERE key >= ?1 ORDER BY key`,
    ),

    addToBucket: prepare(
      `INSERT INTO buckets (line_key, start, amount) VALUES (?, ?, ?)
       ON CONFLICT (line_key, start) DO UPDATE SET amount = amount + excluded.amount`,
    ),
    sumBuckets: prepare('SELECT COALESCE(SUM(amount), 0) AS total FROM buckets WHERE line_key = ? AND start > ?'),
    deleteBuckets: prepare('DELETE FROM buckets WHERE line_key = ?'),

    // Open reservations; an existing open one leaves the insert without a change.
    reservationExists: prepare('SELECT 1 AS found FROM reservations WHERE id = ?'),
    selectReservation: prepare('SELECT id, lines, started_at, expires_at FROM reservations WHERE id = ?'),
    insertReservation: prepare(
      `INSERT INTO reservations (id, lines, started_at, expires_at, sent) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    ),
    deleteReservation: prepare('DELETE FROM reservations WHERE id = ?'),
    markSent: prepare('UPDATE reservations SET sent = 1 WHERE id = ?'),
    // Settled ids, in time order (see schema.ts): remembered until expires_at, which nothing needs to
    // delete on time. Finding one by id reads the table (no index on id: every settlement would write a
    // page of it picked at random); only a settlement of a reservation that is not open does. A settled
    // row from before the start of a later reservation of the id that was released does not count.
    insertSettled: prepare('INSERT OR IGNORE INTO settled (expires_at, id, at) VALUES (?, ?, ?)'),
    selectSettled: prepare(
      `SELECT 1 AS found FROM settled WHERE id = ?1 AND expires_at > ?2
         AND at >= COALESCE((SELECT MAX(started_at) FROM released WHERE id = ?1 AND expires_at > ?2), -1)
       LIMIT 1`,
    ),
    insertReleased: prepare('INSERT OR REPLACE INTO released (expires_at, id, started_at) VALUES (?, ?, ?)'),
    /** The expired reservations in lease order, then a row with id NULL: the next lease end after ?1. */
    selectExpiredLeases: prepare(
      `SELECT * FROM (SELECT id, lines, sent, started_at, expires_at FROM reservations WHERE expires_at <= ?1 ORDER BY expires_at)
       UNION ALL SELECT NULL, NULL, NULL, NULL, MIN(expires_at) FROM reservations WHERE expires_at > ?1`,
    ),
    hasExpiredLeases: prepare('SELECT 1 AS found FROM reservations WHERE expires_at <= ? LIMIT 1'),
    countOpenReservations: prepare('SELECT COUNT(*) AS count FROM reservations WHERE expires_at > ?'),

    markOnce: prepare(
      `INSERT INTO marks (key, expires_at) VALUES (?1, ?2)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
       WHERE marks.expires_at IS NOT NULL AND marks.expires_at <= ?3`,
    ),

    upsertApproval: prepare(
      `INSERT INTO approvals (id, status, created_at, expires_at, decided_at, record) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, created_at = excluded.created_at,
         expires_at = excluded.expires_at, decided_at = excluded.decided_at, record = excluded.record`,
    ),
    selectApproval: prepare('SELECT record FROM approvals WHERE id = ?'),
    updateApproval: prepare('UPDATE approvals SET status = ?, decided_at = ?, record = ? WHERE id = ?'),
    // Newest first; approvals created at the same time, newest inserted first.
    listApprovals: prepare('SELECT record FROM approvals ORDER BY created_at DESC, seq DESC'),
    listApprovalsByStatus: prepare('SELECT record FROM approvals WHERE status = ? ORDER BY created_at DESC, seq DESC'),

    selectAuditTip: prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'),
    insertAudit: prepare(
      'INSERT INTO audit (seq, type, at, subject, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    readAudit: prepare(
      'SELECT seq, type, at, subject, data, prev_hash AS prevHash, hash FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?',
    ),

    sweepEndedLines: prepare('DELETE FROM lines WHERE reserved = 0 AND expires_at IS NOT NULL AND expires_at <= ?'),
    sweepIdleRollingLines: prepare(
      `DELETE FROM lines WHERE reserved = 0 AND window_ms IS NOT NULL AND touched_at <= ?1
         AND NOT EXISTS (SELECT 1 FROM buckets b WHERE b.line_key = lines.key AND b.start > ?2 - lines.window_ms - lines.bucket_ms)`,
    ),
    // Buckets out of their line's window, and those of lines that are gone or no longer rolling.
    sweepBuckets: prepare(
      `DELETE FROM buckets WHERE NOT EXISTS (SELECT 1 FROM lines l WHERE l.key = buckets.line_key
         AND l.window_ms IS NOT NULL AND buckets.start > ?1 - l.window_ms - l.bucket_ms)`,
    ),
    sweepMarks: prepare('DELETE FROM marks WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    sweepSettled: prepare('DELETE FROM settled WHERE expires_at <= ?'),
    sweepReleased: prepare('DELETE FROM released WHERE expires_at <= ?'),
    sweepApprovals: prepare(
      `DELETE FROM approvals WHERE (status = 'pending' AND expires_at <= ?1)
         OR (status <> 'pending' AND COALESCE(decided_at, created_at) <= ?1)`,
    ),
  };
}

function alreadyOpen(id: string): Error {
  return new Error(`genops: reservation "${id}" is already open`);
}

/** A copy of `row` as written, for the line cache. */
function cachedLine(row: LineRow): CachedLine {
  const { stored: _stored, ...line } = row;
  return line;
}

function normalizeRolling(rolling: { windowMs: number; bucketMs: number }): { windowMs: number; bucketMs: number } {
  return { windowMs: rolling.windowMs, bucketMs: Math.max(1, rolling.bucketMs) };
}

function copyLine(line: BudgetLine): BudgetLine {
  return { ...line, ...(line.rolling ? { rolling: { ...line.rolling } } : {}) };
}

function emptyState(line: BudgetLine): LineState {
  return { key: line.key, budget: line.budget, unit: line.unit, limit: line.limit, used: 0, reserved: 0 };
}

function isSqliteError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ERR_SQLITE_ERROR';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
