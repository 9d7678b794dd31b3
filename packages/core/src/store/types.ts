import type { AccountingUnit } from '../types';

/** Unit a budget line counts in: money (nano-USD), tokens, or requests (rate limits). */
export type LineUnit = AccountingUnit | 'requests';

/** One budget instance a reservation draws on: a budget, a `per` value and a window period. */
export interface BudgetLine {
  /** Stable key, e.g. `team-daily|team=engineering|2026-11-23`. */
  key: string;
  /** Budget name, for errors and status; rate-limit lines are named `rate:<rule>`. */
  budget: string;
  unit: LineUnit;
  /** Limit in integer units (nano-USD, tokens or requests). */
  limit: number;
  /**
   * Amount to reserve in integer units. A line whose amount is 0 always fits, even when the budget is
   * already over its limit (a zero-cost model is never blocked by a money budget).
   */
  amount: number;
  /** `false` for budgets whose action only warns: reserved and counted, never refused. */
  enforce: boolean;
  /** When the period ends (epoch ms), so stores can expire old counters; `undefined` = never. */
  expiresAt?: number;
  /**
   * A rolling (sliding) window instead of a calendar period. Committed amounts are kept in buckets of
   * `bucketMs` (starting at `floor(t / bucketMs) * bucketMs`) and count while the bucket's start is after
   * `now - windowMs - bucketMs`: an amount leaves between `windowMs` and `windowMs + bucketMs` after it
   * was made, never early. A settlement commits into the bucket of the reservation's start; a late one
   * (lease expired) into the bucket of the settlement time. Reserved amounts count while open.
   */
  rolling?: { windowMs: number; bucketMs: number };
}

export interface ReserveRequest {
  /** Unique reservation id (the AWU's id). */
  id: string;
  lines: BudgetLine[];
  /**
   * The reservation's lease: after this long unsettled (the process died or hung) it is released, or
   * committed at its reserved amounts when it was marked sent ({@link GovernanceStore.markSent}).
   */
  leaseMs: number;
  /**
   * The request leaves the process as soon as the reservation is held (no approval wait in between):
   * store the reservation already marked sent ({@link GovernanceStore.markSent}) in the same write, and
   * say so with `sent: true` in the result. A store that ignores it answers without `sent`; the
   * governor then marks the reservation sent with `markSent` when the request leaves.
   */
  sent?: boolean;
}

export interface LineState {
  key: string;
  budget: string;
  unit: LineUnit;
  limit: number;
  /** Committed (settled) amount; for rolling lines, within the window now. */
  used: number;
  /** Amount held by open reservations. */
  reserved: number;
}

export type ReserveResult =
  /** `sent: true` when the reservation was stored marked sent (a request with `sent: true`). */
  | { ok: true; lines: LineState[]; sent?: boolean }
  /** `failed` is the first enforcing line the request did not fit into, with its state before the attempt. */
  | { ok: false; failed: LineState; requested: number };

export interface SettleResult {
  /** `false` when the reservation was no longer open (its lease expired while the call ran). */
  open: boolean;
  /** State of the reservation's lines after settlement (empty when nothing was known about them). */
  lines: LineState[];
}

/** Amounts a settlement commits, per unit. */
export type SettleAmounts = Partial<Record<LineUnit, number>>;

// ---- Approvals -------------------------------------------------------------------------------------

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'timed_out';

/** A held call waiting for (or given) a human or programmatic decision. Durable in the store. */
export interface ApprovalRecord {
  /** The AWU id of the held call. */
  id: string;
  status: ApprovalStatus;
  /** Epoch ms. */
  createdAt: number;
  /** When the held call stops waiting (epoch ms); after it, the configured timeout decision applies. */
  expiresAt: number;
  /** Why approval is needed, e.g. `cost over $50.00 (requireApprovalOver)` or `tool "deploy" (rule tools)`. */
  reason: string;
  /** The rule or budget that asked for approval. */
  rule: string;
  provider: string;
  model: string;
  operation: string;
  attribution: Record<string, string>;
  /** Worst-case cost reserved for the call, USD. */
  estimatedCostUsd: number;
  /** Process that holds the call (hostname:pid), for `genops approvals list`. */
  requestedBy?: string;
  decidedAt?: number;
  decidedBy?: string;
  /** The decider's reason. */
  decisionReason?: string;
}

export interface ApprovalDecisionInput {
  status: 'approved' | 'denied' | 'timed_out';
  decidedBy: string;
  reason?: string;
}

// ---- Audit -----------------------------------------------------------------------------------------

export type AuditEntryType = 'decision' | 'reservation' | 'settlement' | 'approval' | 'policy' | 'checkpoint';

/** What the runtime appends; the store adds `seq`, `prevHash` and `hash` atomically. */
export interface AuditEntry {
  type: AuditEntryType;
  /** Epoch ms. */
  at: number;
  /** The AWU (or approval, or policy version) the entry is about. */
  subject: string;
  /**
   * JSON-serialisable details; stores keep (and hash) them as `JSON.parse(JSON.stringify(data))` reads
   * back. No prompt or completion content, no secrets.
   */
  data: Record<string, unknown>;
}

/** An entry as stored: part of a hash chain, so an edited, reordered or missing record is detectable. */
export interface AuditRecord extends AuditEntry {
  /** 1, 2, 3, ... with no gaps. */
  seq: number;
  /** `hash` of the previous record; 64 zeros for the first. */
  prevHash: string;
  /** SHA-256 (hex) of `prevHash` and the canonical JSON of the entry with its `seq` (see `hashAuditRecord`). */
  hash: string;
}

/**
 * Shared governance state. Every method is atomic on its own; `reserve` is all-or-nothing across its
 * lines. Implementations: memory (this package), SQLite and Redis (their own packages). The shared
 * contract tests live in `@genops/testing` (`describeGovernanceStore`).
 */
export interface GovernanceStore {
  readonly kind: string;
  /**
   * What GenOps does when the store cannot be reached: `closed` (default) denies the call with a
   * `StoreUnavailableError`; `open` lets it run without a reservation (the span says so) and journals
   * its settlement, replayed when the store is back.
   */
  readonly failMode?: 'closed' | 'open';
  /** @throws StoreAmountError when a line amount is not a finite number ≥ 0 (nothing reserved). */
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /**
   * Commits the actual amount per unit for a reservation and releases the rest. When the reservation is
   * no longer open (its lease expired while the call ran), the actual amount is still committed to
   * `lines` when given, so a slow call is never free, and `open` is `false`. A unit missing from
   * `actual` commits 0. Idempotent by id: a repeated settlement (a replay after a lost reply) commits
   * nothing and returns `{ open: false, lines }` with the lines' states (empty without `lines`) — stores
   * remember a settled id for one lease length after an on-time settlement and for their retention after
   * a late one. Amounts must be finite numbers ≥ 0 (`StoreAmountError` otherwise, nothing changed).
   */
  settle(id: string, actual: SettleAmounts, lines?: readonly BudgetLine[]): Promise<SettleResult>;
  /** Releases a reservation without committing anything. Idempotent; `false` when it was not open. */
  release(id: string): Promise<boolean>;
  /**
   * Marks an open reservation's request as sent (it left the process, so the provider may bill it):
   * when its lease ends unsettled, the reservation is then committed (each line's reserved amount,
   * as a late settlement: into the period or rolling bucket of the expiry) instead of released, and remembered
   * as settled for the retention, so a later settlement of it commits nothing. Idempotent; `false` when
   * the reservation is not open. Optional for stores written before it (their expired leases release);
   * every store of this project has it, and a reservation written before it reads as not sent.
   */
  markSent?(id: string): Promise<boolean>;
  /** Synchronous form of {@link markSent}, for a store whose state is in this process. */
  markSentSync?(id: string): boolean | Promise<boolean>;
  /** Current state of budget lines whose key starts with `prefix` (all when omitted), sorted by key. A calendar line whose period ended reads `used: 0`. */
  lines(prefix?: string): Promise<LineState[]>;
  /** Number of open (unsettled, unexpired) reservations. */
  openReservations(): Promise<number>;
  /**
   * Sets `key` if it is not set yet and returns `true`; returns `false` when it already was. Used so
   * that a budget alert fires once per threshold per period across every process sharing the store.
   * The key may be forgotten after `expiresAt` (epoch ms).
   */
  markOnce(key: string, expiresAt?: number): Promise<boolean>;
  /**
   * Optional synchronous forms of {@link reserve}, {@link settle} and {@link markOnce}, for a store whose
   * state is in this process (the memory store): the governor calls them when present, so a governed
   * call does not wait on promises for work that is already done. Same contract as the async forms; they
   * may also return a promise (a wrapper that forwards to an async store).
   */
  reserveSync?(request: ReserveRequest): ReserveResult | Promise<ReserveResult>;
  settleSync?(id: string, actual: SettleAmounts, lines?: readonly BudgetLine[]): SettleResult | Promise<SettleResult>;
  markOnceSync?(key: string, expiresAt?: number): boolean | Promise<boolean>;

  /** Records a pending approval. */
  createApproval(record: ApprovalRecord): Promise<void>;
  /**
   * Decides a pending approval (compare-and-set: only a `pending` record changes) and returns the
   * record as it now is, so the first decision wins; `undefined` when no such approval exists.
   */
  decideApproval(id: string, decision: ApprovalDecisionInput): Promise<ApprovalRecord | undefined>;
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  /** Approvals, newest first, optionally only those with `status`. */
  listApprovals(filter?: { status?: ApprovalStatus }): Promise<ApprovalRecord[]>;
  /**
   * Resolves with the record once it is no longer pending (decided by any process sharing the store),
   * or with the still-pending record after `timeoutMs` (real time; `<= 0` returns at once). `undefined`
   * when no such approval exists.
   */
  waitForApproval(id: string, timeoutMs: number): Promise<ApprovalRecord | undefined>;

  /** Appends entries to the audit chain, in order, atomically assigning `seq`, `prevHash` and `hash`. */
  appendAudit(entries: readonly AuditEntry[]): Promise<AuditRecord[]>;
  /**
   * Optional synchronous form of {@link appendAudit}, for a store whose chain is in this process (the
   * memory store): the audit trail then appends without a promise per batch. Same contract; it may also
   * return a promise (a wrapper that forwards to an async store).
   */
  appendAuditSync?(entries: readonly AuditEntry[]): AuditRecord[] | Promise<AuditRecord[]>;
  /** Audit records with `seq >= fromSeq` (default 1), oldest first, at most `limit`. */
  readAudit(options?: { fromSeq?: number; limit?: number }): Promise<AuditRecord[]>;

  close(): Promise<void>;
}
