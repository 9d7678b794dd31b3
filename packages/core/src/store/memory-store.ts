import { chainAuditEntries, PreparedEntry, preparedAuditEntry } from '../audit/hash';
import { assertLedgerTotal, assertReserveAmounts, assertSettleAmounts } from './amounts';
import type {
  ApprovalDecisionInput,
  ApprovalRecord,
  ApprovalStatus,
  AuditEntry,
  AuditRecord,
  BudgetLine,
  GovernanceStore,
  LineState,
  LineUnit,
  ReserveRequest,
  ReserveResult,
  SettleAmounts,
  SettleResult,
} from './types';

const DAY_MS = 86_400_000;
/** How often the housekeeping sweep runs at most (leases expire exactly, whenever the store is used). */
const SWEEP_INTERVAL_MS = 60_000;
/** Largest delay `setTimeout` accepts; longer waits would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** Settled ids remembered at most (oldest forgotten first), so a repeated settlement commits nothing. */
const MAX_SETTLED_IDS = 100_000;

/** Options for {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How long past state is kept before a sweep drops it (default one day): counters of ended periods,
   * rolling lines with nothing in their window, decided approvals, and pending approvals past their
   * `expiresAt`.
   */
  retentionMs?: number;
  /**
   * Most audit records kept (default 10,000: about 5.5 MiB of text at two records per call). Beyond it the oldest are dropped; `seq` keeps counting and
   * `readAudit` starts at the oldest record kept.
   */
  maxAuditRecords?: number;
}

/** Sizes of a {@link MemoryStore}'s tables, for diagnostics and tests. */
export interface MemoryStoreStats {
  /** Budget line counters. */
  lines: number;
  /** Open reservations. */
  reservations: number;
  /** Lease-expiry queue entries (one per open reservation: a settled or released one leaves the queue at once). */
  leaseQueue: number;
  /** `markOnce` keys. */
  marks: number;
  approvals: number;
  /** Pending `waitForApproval` calls. */
  approvalWaiters: number;
  auditRecords: number;
}

interface Counter {
  key: string;
  budget: string;
  unit: LineUnit;
  limit: number;
  /** Committed amount of a calendar line (unused for rolling lines). */
  used: number;
  reserved: number;
  expiresAt: number | undefined;
  rolling: { windowMs: number; bucketMs: number } | undefined;
  /** Committed amounts of a rolling line by bucket start (epoch ms). */
  buckets: Map<number, number>;
  /** Last reserve or commit (epoch ms), to drop idle rolling lines. */
  touchedAt: number;
}

interface Reservation {
  id: string;
  lines: BudgetLine[];
  startedAt: number;
  expiresAt: number;
  /** The request left the process: an expired lease commits the reservation (see `markSent`). */
  sent?: boolean;
  /** Where the reservation is in the lease queue's heap (-1: not in it). */
  queued: number;
}

type ApprovalWaiter = (record: ApprovalRecord) => void;

/**
 * In-process store: the default for one process. Reserve, settle and release run synchronously inside
 * one call, so concurrent calls in the same process can never interleave between check and reserve.
 *
 * Time comes from the injected clock (`now`, epoch ms). Expired leases are released exactly when the
 * store is next used; other housekeeping (see {@link MemoryStoreOptions.retentionMs}) runs at most once
 * a minute. No background timer is ever left running, except an unref'd one per pending
 * `waitForApproval`.
 *
 * Rolling lines keep committed amounts in buckets of `bucketMs` starting at `floor(t / bucketMs) *
 * bucketMs`; a line's `used` is the sum of the buckets whose start is after `now - windowMs - bucketMs`,
 * so an amount leaves the window between `windowMs` and `windowMs + bucketMs` after it was made: never
 * early, so no span of `windowMs` ever holds more than the limit (exact to one bucket). Reserved amounts count while their reservation is open, whatever its age. A settlement
 * commits into the bucket of the reservation's start; a late settlement (lease already expired) into
 * the bucket of the settlement time.
 */
export class MemoryStore implements GovernanceStore {
  readonly kind = 'memory';
  private readonly counters = new Map<string, Counter>();
  /** Open reservations only: a call's reserve and settle touch this small table and nothing larger. */
  private readonly reservations = new Map<string, Reservation>();
  /** Settled ids, remembered so a repeat of their settlement commits nothing (see {@link SettledIds}). */
  private readonly settled = new SettledIds();
  /** The clock reading settled entries are stored relative to (small integers for weeks of uptime). */
  private readonly epoch: number;
  private readonly leases = new LeaseQueue();
  /** `markOnce` keys and when they may be forgotten (`Infinity` = never). */
  private readonly marks = new Map<string, number>();
  private readonly approvals = new Map<string, ApprovalRecord>();
  private readonly waiters = new Map<string, Set<ApprovalWaiter>>();
  private readonly audit: StoredAudit[] = [];
  /** Index in {@link audit} of the oldest record kept. */
  private auditHead = 0;
  private auditTip: Pick<AuditRecord, 'seq' | 'hash'> | undefined;
  private readonly retentionMs: number;
  private readonly maxAuditRecords: number;
  private nextSweep = Number.NEGATIVE_INFINITY;

  /**
   * @param now Clock (epoch ms); every time-dependent behaviour (leases, periods, rolling windows,
   *   `markOnce` expiry, `decidedAt`) reads it. `waitForApproval` timeouts use real timers.
   * @param options Retention and audit bounds.
   */
  constructor(
    private readonly now: () => number = Date.now,
    options: MemoryStoreOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? DAY_MS;
    this.epoch = now();
    this.maxAuditRecords = Math.max(1, options.maxAuditRecords ?? 10_000);
  }

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    return this.reserveSync(request);
  }

  /**
   * Synchronous form of {@link reserve}.
   * @throws Error when a reservation with the same id is still open.
   */
  reserveSync(request: ReserveRequest): ReserveResult {
    assertReserveAmounts(this.kind, request);
    const now = this.now();
    this.maintain(now);
    const { id } = request;
    if (this.reservations.has(id)) throw new Error(`genops: reservation "${id}" is already open`);
    const given = request.lines;
    const count = given.length;
    // Lines nobody can change (frozen, as the governor's are) are kept as given; others are copied.
    const sealed = sealedLines(given);
    const lines: BudgetLine[] = sealed === undefined ? new Array(count) : (given as BudgetLine[]);
    // The counter of each line as the check found it (`undefined`: none yet), so the second pass looks
    // up only the lines the first did not find.
    const found: (Counter | undefined)[] = new Array(count);
    // Amounts this request already asks of a key, for a request that names the same key twice: a scan of
    // the lines before for a few lines, a map for many (1,000 matching budgets stay linear), nothing for
    // a frozen set of lines already seen to have no key twice (the governor's lines for repeated calls).
    const distinct = count > 16 && sealed?.distinct === true;
    const asked = count > 16 && !distinct ? new Map<string, number>() : undefined;
    for (let index = 0; index < count; index++) {
      let line = given[index]!;
      if (sealed === undefined) lines[index] = line = copyLine(line);
      let before: number;
      if (distinct) before = 0;
      else if (asked) {
        before = asked.get(line.key) ?? 0;
        asked.set(line.key, before + line.amount);
      } else before = askedBefore(lines, index);
      const counter = this.counters.get(line.key);
      found[index] = counter;
      if (line.amount === 0 || !line.enforce) {
        if (counter) this.assertFits('reserve', id, counter, before + line.amount, now);
        continue;
      }
      if (counter) this.configure(counter, line, now);
      const held = counter ? this.usedOf(counter, now) + counter.reserved : 0;
      assertLedgerTotal(this.kind, 'reserve', id, line.key, held + before + line.amount);
      if (held + before + line.amount > line.limit) {
        return { ok: false, failed: counter ? this.state(counter, now) : emptyState(line), requested: line.amount };
      }
    }
    const states: LineState[] = new Array(count);
    for (let index = 0; index < count; index++) {
      const line = lines[index]!;
      const counter = found[index] ?? this.counterOf(line, now);
      this.configure(counter, line, now);
      counter.reserved += line.amount;
      counter.touchedAt = now;
      found[index] = counter;
    }
    // States after every line is counted (a key named twice shows both amounts on each of its lines).
    for (let index = 0; index < count; index++) states[index] = this.state(found[index]!, now);
    const reservation: Reservation = {
      id,
      lines,
      startedAt: now,
      expiresAt: now + Math.max(0, request.leaseMs),
      queued: -1,
    };
    if (request.sent === true) reservation.sent = true;
    // A settled id reserved again is open again: its settlements go to the open reservation (an earlier
    // one stays remembered, and is forgotten if this reservation is released; see `unreserve`).
    this.reservations.set(id, reservation);
    this.leases.push(reservation);
    return request.sent === true ? { ok: true, lines: states, sent: true } : { ok: true, lines: states };
  }

  async settle(id: string, actual: SettleAmounts, lines?: readonly BudgetLine[]): Promise<SettleResult> {
    return this.settleSync(id, actual, lines);
  }

  /** Synchronous form of {@link settle}. */
  settleSync(id: string, actual: SettleAmounts, lines?: readonly BudgetLine[]): SettleResult {
    assertSettleAmounts(this.kind, id, actual, lines);
    const now = this.now();
    this.maintain(now);
    const entry = this.reservations.get(id);
    if (entry === undefined) return this.settleLate(id, actual, lines, now);
    const reserved = entry.lines;
    const count = reserved.length;
    const counters: (Counter | undefined)[] = new Array(count);
    for (let index = 0; index < count; index++) {
      // An open reservation's own amount leaves the line as its actual amount enters it.
      const line = reserved[index]!;
      const counter = this.counters.get(line.key);
      if (counter) this.assertFits('settle', id, counter, (actual[line.unit] ?? 0) - line.amount, now);
      counters[index] = counter;
    }
    for (let index = 0; index < count; index++) {
      const line = reserved[index]!;
      const counter = counters[index] ?? this.counterOf(line, now);
      counters[index] = counter;
      counter.reserved = Math.max(0, counter.reserved - line.amount);
      this.commit(counter, actual[line.unit] ?? 0, entry.startedAt, now);
    }
    this.markSettled(entry, now + Math.max(0, entry.expiresAt - entry.startedAt));
    const states: LineState[] = new Array(count);
    for (let index = 0; index < count; index++) states[index] = this.state(counters[index]!, now);
    return { open: true, lines: states };
  }

  /**
   * The lease expired while the call ran: its reservation was released, but what it cost still counts,
   * once: a repeat of a settlement (a replay after a lost reply) commits nothing.
   */
  private settleLate(
    id: string,
    actual: SettleAmounts,
    lines: readonly BudgetLine[] | undefined,
    now: number,
  ): SettleResult {
    if (!lines) return { open: false, lines: [] };
    for (const line of lines) {
      const counter = this.counters.get(line.key);
      if (counter) this.assertFits('settle', id, counter, actual[line.unit] ?? 0, now);
    }
    const settled = this.settled.until(id);
    const repeated = settled !== undefined && settled + this.epoch > now;
    const counters = lines.map((line) => {
      const counter = this.counterOf(line, now);
      if (!repeated) this.commit(counter, actual[line.unit] ?? 0, now, now);
      return counter;
    });
    if (!repeated) this.settled.add(id, now + this.retentionMs - this.epoch);
    return { open: false, lines: counters.map((counter) => this.state(counter, now)) };
  }

  async release(id: string): Promise<boolean> {
    return this.releaseSync(id);
  }

  /** Synchronous form of {@link release}. */
  releaseSync(id: string): boolean {
    const now = this.now();
    this.maintain(now);
    const reservation = this.reservations.get(id);
    if (reservation === undefined) return false;
    this.unreserve(reservation);
    return true;
  }

  async markSent(id: string): Promise<boolean> {
    return this.markSentSync(id);
  }

  /** Synchronous form of {@link markSent}. */
  markSentSync(id: string): boolean {
    this.maintain(this.now());
    const reservation = this.reservations.get(id);
    if (reservation === undefined) return false;
    reservation.sent = true;
    return true;
  }

  async lines(prefix = ''): Promise<LineState[]> {
    const now = this.now();
    this.maintain(now);
    const states: LineState[] = [];
    for (const counter of this.counters.values()) {
      if (counter.key.startsWith(prefix)) states.push(this.state(counter, now));
    }
    return states.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async openReservations(): Promise<number> {
    this.maintain(this.now());
    return this.reservations.size;
  }

  async markOnce(key: string, expiresAt?: number): Promise<boolean> {
    return this.markOnceSync(key, expiresAt);
  }

  /** Synchronous form of {@link markOnce}. */
  markOnceSync(key: string, expiresAt?: number): boolean {
    const now = this.now();
    this.maintain(now);
    const current = this.marks.get(key);
    if (current !== undefined && current > now) return false;
    this.marks.set(key, expiresAt ?? Number.POSITIVE_INFINITY);
    return true;
  }

  /** Records a pending approval; a record with the same id is replaced. */
  async createApproval(record: ApprovalRecord): Promise<void> {
    this.maintain(this.now());
    const copy = structuredClone(record);
    this.approvals.set(copy.id, copy);
    if (copy.status !== 'pending') this.notify(copy);
  }

  async decideApproval(id: string, decision: ApprovalDecisionInput): Promise<ApprovalRecord | undefined> {
    const now = this.now();
    this.maintain(now);
    const record = this.approvals.get(id);
    if (!record) return undefined;
    if (record.status === 'pending') {
      record.status = decision.status;
      record.decidedAt = now;
      record.decidedBy = decision.decidedBy;
      if (decision.reason !== undefined) record.decisionReason = decision.reason;
      this.notify(record);
    }
    return structuredClone(record);
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    this.maintain(this.now());
    const record = this.approvals.get(id);
    return record && structuredClone(record);
  }

  async listApprovals(filter: { status?: ApprovalStatus } = {}): Promise<ApprovalRecord[]> {
    this.maintain(this.now());
    const records = [...this.approvals.values()]
      .reverse()
      .filter((record) => filter.status === undefined || record.status === filter.status);
    // Stable sort: approvals created at the same time keep newest-inserted first.
    return records.sort((a, b) => b.createdAt - a.createdAt).map((record) => structuredClone(record));
  }

  /**
   * Resolves as soon as {@link decideApproval} decides the approval (no polling), at once when it is
   * already decided, or with the still-pending record after `timeoutMs` of real time.
   */
  async waitForApproval(id: string, timeoutMs: number): Promise<ApprovalRecord | undefined> {
    this.maintain(this.now());
    const record = this.approvals.get(id);
    if (!record) return undefined;
    if (record.status !== 'pending' || timeoutMs <= 0) return structuredClone(record);
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
          resolve(structuredClone(this.approvals.get(id) ?? record));
        },
        Math.min(timeoutMs, MAX_TIMER_MS),
      );
      timer.unref();
      waiters.add(waiter);
    });
  }

  /**
   * Continues an audit chain kept elsewhere (the JSONL mirror of an earlier run): the next record links
   * to `tip`. Only before anything was appended; returns `false` otherwise.
   */
  continueAuditChain(tip: Pick<AuditRecord, 'seq' | 'hash'>): boolean {
    if (this.auditTip !== undefined) return false;
    this.auditTip = { seq: tip.seq, hash: tip.hash };
    return true;
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    return frozen(this.appendAuditSync(entries));
  }

  /**
   * Synchronous form of {@link appendAudit}, for the audit trail. Each record is kept as the one text its
   * hash is over (the canonical JSON of `{at, data, seq, subject, type}`) with its two hashes, not as
   * objects; reads parse it back. Its records are frozen when they are handed out ({@link readAudit}, {@link appendAudit}), not
   * here on the hot path.
   */
  appendAuditSync(entries: readonly AuditEntry[]): AuditRecord[] {
    if (entries.length === 0) return [];
    // Stored as JSON would store it (what the SQLite and Redis stores read back), so hashes match across
    // stores. An entry from `AuditTrail` comes prepared (serialised below, once, or already); any other is
    // serialised first, so that one that cannot be stored throws before anything is appended.
    let prepared: readonly AuditEntry[] = entries;
    // An indexed loop: this runs once per batch, too seldom to be optimised, and an array iterator that is
    // not optimised away allocates a result object per entry.
    for (let index = 0; index < entries.length; index++)
      if (!(entries[index] instanceof PreparedEntry)) {
        prepared = entries.map((given) => preparedAuditEntry(given));
        break;
      }
    const records = chainAuditEntries(this.auditTip, prepared, (record, body) =>
      this.audit.push(new StoredAudit(record.seq, body, record.prevHash, record.hash)),
    );
    const last = records[records.length - 1] as AuditRecord;
    this.auditTip = { seq: last.seq, hash: last.hash };
    this.trimAudit();
    return records;
  }

  async readAudit(options: { fromSeq?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    const oldest = this.audit[this.auditHead];
    if (!oldest) return [];
    const start = this.auditHead + Math.max(0, (options.fromSeq ?? 1) - oldest.seq);
    const end =
      options.limit === undefined ? this.audit.length : Math.min(this.audit.length, start + Math.max(0, options.limit));
    const records: AuditRecord[] = [];
    for (let index = start; index < end; index++) records.push((this.audit[index] as StoredAudit).record());
    return frozen(records);
  }

  /** Resolves every pending `waitForApproval` with the record as it is now. State stays readable. */
  async close(): Promise<void> {
    for (const [id, waiters] of this.waiters) {
      const record = this.approvals.get(id);
      for (const waiter of waiters) if (record) waiter(structuredClone(record));
    }
    this.waiters.clear();
  }

  /** Sizes of the store's tables after releasing expired leases (does not run the periodic sweep). */
  stats(): MemoryStoreStats {
    this.expireLeases(this.now());
    let approvalWaiters = 0;
    for (const waiters of this.waiters.values()) approvalWaiters += waiters.size;
    return {
      lines: this.counters.size,
      reservations: this.reservations.size,
      leaseQueue: this.leases.size,
      marks: this.marks.size,
      approvals: this.approvals.size,
      approvalWaiters,
      auditRecords: this.audit.length - this.auditHead,
    };
  }

  /**
   * The counter of `line` as it is, created from the line when missing. Settlements use it: their lines
   * are as old as the reservation, so they must not undo a newer limit.
   */
  private counterOf(line: BudgetLine, now: number): Counter {
    let counter = this.counters.get(line.key);
    if (counter) {
      this.refresh(counter, now);
      return counter;
    }
    counter = {
      key: line.key,
      budget: line.budget,
      unit: line.unit,
      limit: line.limit,
      used: 0,
      reserved: 0,
      expiresAt: line.expiresAt,
      rolling: undefined,
      buckets: new Map(),
      touchedAt: now,
    };
    this.counters.set(line.key, counter);
    if (line.rolling) counter.rolling = normalizeRolling(line.rolling);
    return counter;
  }

  /**
   * Starts a new period when the counter's ended, then applies the line's configuration: the limit may
   * change between calls (reloaded configuration), and the newest wins.
   */
  private configure(counter: Counter, line: BudgetLine, now: number): void {
    this.refresh(counter, now);
    counter.budget = line.budget;
    counter.unit = line.unit;
    counter.limit = line.limit;
    counter.expiresAt = line.expiresAt;
    if (line.rolling) {
      if (!counter.rolling && counter.used !== 0) {
        counter.rolling = normalizeRolling(line.rolling);
        this.commit(counter, counter.used, now, now);
        counter.used = 0;
      }
      counter.rolling = normalizeRolling(line.rolling);
    } else if (counter.rolling) {
      counter.used = windowSum(counter, now);
      counter.buckets.clear();
      counter.rolling = undefined;
    }
  }

  /** A counter whose period has ended reads as empty; amounts still reserved on it stay reserved. */
  private refresh(counter: Counter, now: number): void {
    if (counter.expiresAt === undefined || counter.expiresAt > now) return;
    counter.used = 0;
    counter.buckets.clear();
  }

  /** Commits `amount`: into a rolling line's bucket of `at`, or into a calendar line's period. */
  private commit(counter: Counter, amount: number, at: number, now: number): void {
    counter.touchedAt = now;
    if (amount === 0) return;
    if (counter.rolling) {
      const bucket = Math.floor(at / counter.rolling.bucketMs) * counter.rolling.bucketMs;
      counter.buckets.set(bucket, (counter.buckets.get(bucket) ?? 0) + amount);
    } else {
      counter.used += amount;
    }
  }

  private state(counter: Counter, now: number): LineState {
    return {
      key: counter.key,
      budget: counter.budget,
      unit: counter.unit,
      limit: counter.limit,
      used: this.usedOf(counter, now),
      reserved: counter.reserved,
    };
  }

  /** The committed amount of a counter now (its period ended: 0; rolling: what is in the window). */
  private usedOf(counter: Counter, now: number): number {
    this.refresh(counter, now);
    return counter.rolling ? windowSum(counter, now) : counter.used;
  }

  /** Releases an open reservation; an earlier settlement of its id is forgotten (as if the id were new). */
  private unreserve(reservation: Reservation): void {
    this.reservations.delete(reservation.id);
    this.leases.remove(reservation);
    this.settled.forget(reservation.id);
    for (const line of reservation.lines) {
      const counter = this.counters.get(line.key);
      if (counter) counter.reserved = Math.max(0, counter.reserved - line.amount);
    }
  }

  /** Refuses (before any change) an amount that would take the counter past the exact ledger bound. */
  private assertFits(operation: string, id: string, counter: Counter, amount: number, now: number): void {
    assertLedgerTotal(this.kind, operation, id, counter.key, this.usedOf(counter, now) + counter.reserved + amount);
  }

  /** An open reservation is settled: it is kept, marked, so a repeat of its settlement until `until` commits nothing. */
  private markSettled(reservation: Reservation, until: number): void {
    // Only the id and the time are remembered: the reservation (and its lines' copies) leaves the table and
    // the lease queue at once, so it is garbage while it is still young.
    this.reservations.delete(reservation.id);
    this.leases.remove(reservation);
    reservation.lines = NO_LINES;
    this.settled.add(reservation.id, until - this.epoch);
  }

  /**
   * Ends every reservation whose lease has ended (a holder that never settled): a sent one is committed
   * at its reserved amounts (the provider may have billed it), any other released.
   */
  private expireLeases(now: number): void {
    for (let next = this.leases.peek(); next && next.expiresAt <= now; next = this.leases.peek()) {
      this.leases.pop();
      if (next.sent) this.commitAtReservation(next, now);
      else this.unreserve(next);
    }
  }

  /** Settles an expired, sent reservation at what it reserved; a later settlement of it commits nothing. */
  private commitAtReservation(reservation: Reservation, now: number): void {
    for (const line of reservation.lines) {
      const counter = this.counterOf(line, now);
      counter.reserved = Math.max(0, counter.reserved - line.amount);
      // As a late settlement: into the rolling bucket of now (a short window may have passed its start).
      this.commit(counter, line.amount, now, now);
    }
    this.markSettled(reservation, now + this.retentionMs);
  }

  private maintain(now: number): void {
    this.expireLeases(now);
    if (now >= this.nextSweep) this.sweep(now);
  }

  /** Drops state past its retention so a long-running process stays bounded. */
  private sweep(now: number): void {
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    const horizon = now - this.retentionMs;
    for (const [key, counter] of this.counters) {
      if (counter.reserved > 0) continue;
      const periodOver = counter.expiresAt !== undefined && counter.expiresAt <= horizon;
      const idleRolling =
        counter.rolling !== undefined && windowSum(counter, now) === 0 && counter.touchedAt <= horizon;
      if (periodOver || idleRolling) this.counters.delete(key);
    }
    for (const [key, expiresAt] of this.marks) if (expiresAt <= now) this.marks.delete(key);
    this.settled.dropEnded(now - this.epoch);
    for (const [id, record] of this.approvals) {
      if (this.waiters.has(id)) continue;
      const over = record.status === 'pending' ? record.expiresAt : (record.decidedAt ?? record.createdAt);
      if (over <= horizon) this.approvals.delete(id);
    }
  }

  private notify(record: ApprovalRecord): void {
    const waiters = this.waiters.get(record.id);
    if (!waiters) return;
    this.waiters.delete(record.id);
    for (const waiter of waiters) waiter(structuredClone(record));
  }

  private trimAudit(): void {
    const excess = this.audit.length - this.auditHead - this.maxAuditRecords;
    if (excess > 0) this.auditHead += excess;
    // Compact once the dropped prefix is large, so trimming stays amortised O(1) per record.
    if (this.auditHead > 1_024 && this.auditHead * 2 > this.audit.length) {
      this.audit.splice(0, this.auditHead);
      this.auditHead = 0;
    }
  }
}

/** Sum of a rolling line's committed amounts in buckets starting after `now - windowMs - bucketMs`; drops older buckets. */
function windowSum(counter: Counter, now: number): number {
  if (!counter.rolling) return counter.used;
  const after = now - counter.rolling.windowMs - counter.rolling.bucketMs;
  let sum = 0;
  for (const [start, amount] of counter.buckets) {
    if (start > after) sum += amount;
    else counter.buckets.delete(start);
  }
  return sum;
}

/**
 * An audit record as the memory store keeps it: the one text its hash is over (the canonical JSON of `{at,
 * data, seq, subject, type}`, one string instead of a tree of objects for the collector to trace) and the
 * two hashes (`prevHash` is the previous record's `hash` string), read back into a record when asked for.
 */
class StoredAudit {
  constructor(
    readonly seq: number,
    readonly body: string,
    readonly prevHash: string,
    readonly hash: string,
  ) {}

  record(): AuditRecord {
    const { at, data, seq, subject, type } = JSON.parse(this.body) as AuditRecord;
    return { seq, type, at, subject, data, prevHash: this.prevHash, hash: this.hash };
  }
}

/** Frozen instead of copied on the way out: an audit record never changes once appended. */
function frozen(records: AuditRecord[]): AuditRecord[] {
  for (const record of records) {
    if (Object.isFrozen(record)) continue;
    Object.freeze(record.data);
    Object.freeze(record);
  }
  return records;
}

function normalizeRolling(rolling: { windowMs: number; bucketMs: number }): { windowMs: number; bucketMs: number } {
  return { windowMs: rolling.windowMs, bucketMs: Math.max(1, rolling.bucketMs) };
}

/** The lines of a settled reservation (kept only to recognise a repeat of its settlement). */
const NO_LINES: BudgetLine[] = [];

/** The store's own copy of a line (the caller may change its object): one shape, no spread. */
function copyLine(line: BudgetLine): BudgetLine {
  const { rolling } = line;
  return {
    key: line.key,
    budget: line.budget,
    unit: line.unit,
    limit: line.limit,
    amount: line.amount,
    enforce: line.enforce,
    expiresAt: line.expiresAt,
    rolling: rolling === undefined ? undefined : { windowMs: rolling.windowMs, bucketMs: rolling.bucketMs },
  };
}

/** What {@link sealedLines} found about a set of lines nobody can change. */
interface Sealed {
  /** No key is named twice. */
  distinct: boolean;
}
const sealedSets = new WeakMap<readonly BudgetLine[], Sealed>();
/** A few frozen lines: their keys are compared by a scan, not known distinct. */
const FEW_LINES: Sealed = Object.freeze({ distinct: false });

/**
 * Whether `lines` can never change (the array, every line and its rolling window frozen), and then
 * whether its keys are all different; checked once per array. `undefined`: the store keeps copies.
 */
function sealedLines(lines: readonly BudgetLine[]): Sealed | undefined {
  if (!Object.isFrozen(lines)) return undefined;
  // A few lines (a frozen set may be new on every call): checked each time, their keys by a scan.
  if (lines.length <= 16) {
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index]!;
      if (!Object.isFrozen(line) || (line.rolling !== undefined && !Object.isFrozen(line.rolling))) return undefined;
    }
    return FEW_LINES;
  }
  const known = sealedSets.get(lines);
  if (known !== undefined) return known;
  const keys = new Set<string>();
  let distinct = true;
  for (const line of lines) {
    if (!Object.isFrozen(line) || (line.rolling !== undefined && !Object.isFrozen(line.rolling))) return undefined;
    if (keys.has(line.key)) distinct = false;
    keys.add(line.key);
  }
  const sealed: Sealed = { distinct };
  sealedSets.set(lines, sealed);
  return sealed;
}

/** The amounts of the lines before `index` with the same key as line `index` (0 when none). */
function askedBefore(lines: readonly BudgetLine[], index: number): number {
  const key = lines[index]!.key;
  let sum = 0;
  for (let other = 0; other < index; other++) if (lines[other]!.key === key) sum += lines[other]!.amount;
  return sum;
}

function emptyState(line: BudgetLine): LineState {
  return { key: line.key, budget: line.budget, unit: line.unit, limit: line.limit, used: 0, reserved: 0 };
}

/**
 * The settled ids a store remembers, and until when (offsets from the store's epoch), oldest first, at most
 * {@link MAX_SETTLED_IDS}. Settling appends to two arrays: no hash table is touched per call. Up to
 * 100,000 ids live as long as a lease, and a lookup or insertion into a table that large, in between a
 * call's other work, misses the CPU caches every time (several microseconds per call once it is full).
 * Lookups are rare (a late or repeated settlement, a release), so the id → position index is built only
 * when one comes, from where the last one left off.
 */
class SettledIds {
  /** Ids in the order they settled (one id may appear more than once), and until when each is remembered. */
  private ids: string[] = [];
  private ends: number[] = [];
  /** Positions (counted from the first settlement ever) dropped from the front of the arrays. */
  private base = 0;
  /** The first position still remembered: those before it are forgotten (the bound). */
  private head = 0;
  /** Id → position of its latest settlement, for the positions before {@link indexedTo}. */
  private readonly index = new Map<string, number>();
  private indexedTo = 0;

  /** Remembers a settlement of `id` until `end`, as the newest; over the bound, the oldest tenth is forgotten. */
  add(id: string, end: number): void {
    this.ids.push(id);
    this.ends.push(end);
    if (this.base + this.ids.length - this.head > MAX_SETTLED_IDS) this.dropOldest();
  }

  /** Until when `id`'s latest remembered settlement is remembered, or `undefined`. */
  until(id: string): number | undefined {
    this.catchUp();
    const position = this.index.get(id);
    return position === undefined ? undefined : this.ends[position - this.base];
  }

  /** Forgets every remembered settlement of `id`. */
  forget(id: string): void {
    if (this.base + this.ids.length === this.head) return;
    this.catchUp();
    const position = this.index.get(id);
    if (position === undefined) return;
    this.index.delete(id);
    this.ends[position - this.base] = Number.NEGATIVE_INFINITY;
  }

  /** Forgets the settlements remembered until `end` or before (the periodic sweep; positions change). */
  dropEnded(end: number): void {
    const ids: string[] = [];
    const ends: number[] = [];
    for (let index = this.head - this.base; index < this.ids.length; index++) {
      if (this.ends[index]! <= end) continue;
      ids.push(this.ids[index]!);
      ends.push(this.ends[index]!);
    }
    this.ids = ids;
    this.ends = ends;
    this.base = 0;
    this.head = 0;
    this.index.clear();
    this.indexedTo = 0;
  }

  private catchUp(): void {
    const end = this.base + this.ids.length;
    for (let position = Math.max(this.indexedTo, this.head); position < end; position++) {
      const id = this.ids[position - this.base]!;
      // A forgotten settlement (released since) is not indexed again.
      if (this.ends[position - this.base] === Number.NEGATIVE_INFINITY) continue;
      // Only the latest settlement of an id counts: an earlier one is marked forgotten.
      const previous = this.index.get(id);
      if (previous !== undefined) this.ends[previous - this.base] = Number.NEGATIVE_INFINITY;
      this.index.set(id, position);
    }
    this.indexedTo = end;
  }

  /** Forgets the oldest tenth in one pass, and lets the arrays go of it once it is most of them. */
  private dropOldest(): void {
    const head = this.base + this.ids.length - Math.floor(MAX_SETTLED_IDS * 0.9);
    for (let position = this.head; position < Math.min(head, this.indexedTo); position++) {
      const id = this.ids[position - this.base]!;
      if (this.index.get(id) === position) this.index.delete(id);
    }
    this.head = head;
    const dropped = head - this.base;
    if (dropped * 2 > this.ids.length) {
      this.ids.splice(0, dropped);
      this.ends.splice(0, dropped);
      this.base = head;
    }
  }
}

/** Min-heap of reservations by lease end, so expired leases are found without scanning every one. */
class LeaseQueue {
  private readonly heap: Reservation[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): Reservation | undefined {
    return this.heap[0];
  }

  push(reservation: Reservation): void {
    this.heap.push(reservation);
    this.up(reservation, this.heap.length - 1);
  }

  pop(): Reservation | undefined {
    const top = this.heap[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Takes `reservation` out of the queue (nothing when it is not in it). */
  remove(reservation: Reservation): void {
    const heap = this.heap;
    const index = reservation.queued;
    if (index < 0 || heap[index] !== reservation) return;
    reservation.queued = -1;
    const last = heap.pop()!;
    if (last === reservation) return;
    // The last entry fills the hole, then moves up or down to where its lease end belongs.
    if (index > 0 && heap[(index - 1) >> 1]!.expiresAt > last.expiresAt) this.up(last, index);
    else this.down(last, index);
  }

  /** Places `reservation` at `index` or above it. */
  private up(reservation: Reservation, index: number): void {
    const heap = this.heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = heap[parent]!;
      if (above.expiresAt <= reservation.expiresAt) break;
      heap[index] = above;
      above.queued = index;
      index = parent;
    }
    heap[index] = reservation;
    reservation.queued = index;
  }

  /** Places `reservation` at `index` or below it. */
  private down(reservation: Reservation, index: number): void {
    const heap = this.heap;
    for (;;) {
      const left = index * 2 + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.expiresAt < heap[left]!.expiresAt ? right : left;
      const below = heap[child]!;
      if (below.expiresAt >= reservation.expiresAt) break;
      heap[index] = below;
      below.queued = index;
      index = child;
    }
    heap[index] = reservation;
    reservation.queued = index;
  }
}
