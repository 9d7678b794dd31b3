import type { AccountingUnit } from '../types';

/** One budget instance a reservation draws on: a budget, a `per` value and a window period. */
export interface BudgetLine {
  /** Stable key, e.g. `team-daily|team=engineering|2026-11-23`. */
  key: string;
  /** Budget name, for errors and status. */
  budget: string;
  unit: AccountingUnit;
  /** Limit in integer units (micro-USD or tokens). */
  limit: number;
  /** Amount to reserve in integer units. */
  amount: number;
  /** `false` for budgets whose action only warns: reserved and counted, never refused. */
  enforce: boolean;
  /** When the period ends (epoch ms), so stores can expire old counters; `undefined` = never. */
  expiresAt?: number;
}

export interface ReserveRequest {
  /** Unique reservation id (the AWU's id). */
  id: string;
  lines: BudgetLine[];
  /** The reservation is released automatically after this long if never settled (process died). */
  leaseMs: number;
}

export interface LineState {
  key: string;
  budget: string;
  unit: AccountingUnit;
  limit: number;
  /** Committed (settled) amount. */
  used: number;
  /** Amount held by open reservations. */
  reserved: number;
}

export type ReserveResult =
  | { ok: true; lines: LineState[] }
  /** `failed` is the first enforcing line the request did not fit into, with its state before the attempt. */
  | { ok: false; failed: LineState; requested: number };

/**
 * Shared governance state. Every method is atomic on its own; `reserve` is all-or-nothing across its
 * lines. Implementations: memory (this package), SQLite and Redis (their own packages).
 */
export interface GovernanceStore {
  readonly kind: string;
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /**
   * Commits the actual amount per unit for a reservation and releases the rest, returning `true`.
   * When the reservation is no longer open (its lease expired while the call ran), the actual amount
   * is still committed to `lines` when given, so a slow call is never free, and `false` is returned.
   * Callers settle each reservation once.
   */
  settle(id: string, actual: Partial<Record<AccountingUnit, number>>, lines?: readonly BudgetLine[]): Promise<boolean>;
  /** Releases a reservation without committing anything. Idempotent. */
  release(id: string): Promise<boolean>;
  /** Current state of budget lines whose key starts with `prefix` (all when omitted). */
  lines(prefix?: string): Promise<LineState[]>;
  /** Number of open (unsettled, unexpired) reservations. */
  openReservations(): Promise<number>;
  close(): Promise<void>;
}
