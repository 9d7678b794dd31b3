import type { AccountingUnit } from '../types';
import type { BudgetLine, GovernanceStore, LineState, ReserveRequest, ReserveResult } from './types';

interface Counter extends LineState {
  expiresAt: number | undefined;
}

interface Reservation {
  lines: BudgetLine[];
  expiresAt: number;
}

/**
 * In-process store: the default for one process. Reserve and settle run synchronously inside one
 * call, so concurrent calls in the same process can never interleave between check and reserve.
 */
export class MemoryStore implements GovernanceStore {
  readonly kind = 'memory';
  private readonly counters = new Map<string, Counter>();
  private readonly reservations = new Map<string, Reservation>();
  private nextSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    return this.reserveSync(request);
  }

  /** Synchronous form of {@link reserve}. */
  reserveSync(request: ReserveRequest): ReserveResult {
    const now = this.now();
    this.sweep(now);
    const counters: Counter[] = [];
    for (const line of request.lines) {
      const counter = this.counter(line, now);
      if (line.enforce && counter.used + counter.reserved + line.amount > counter.limit) {
        return { ok: false, failed: snapshot(counter), requested: line.amount };
      }
      counters.push(counter);
    }
    for (const [index, line] of request.lines.entries()) counters[index]!.reserved += line.amount;
    this.reservations.set(request.id, { lines: request.lines, expiresAt: now + request.leaseMs });
    return { ok: true, lines: counters.map(snapshot) };
  }

  async settle(
    id: string,
    actual: Partial<Record<AccountingUnit, number>>,
    lines?: readonly BudgetLine[],
  ): Promise<boolean> {
    return this.settleSync(id, actual, lines);
  }

  /** Synchronous form of {@link settle}. */
  settleSync(id: string, actual: Partial<Record<AccountingUnit, number>>, lines?: readonly BudgetLine[]): boolean {
    const reservation = this.reservations.get(id);
    if (!reservation) {
      // The lease expired while the call ran: its reservation was released, but what it cost still counts.
      const now = this.now();
      for (const line of lines ?? []) this.counter(line, now).used += actual[line.unit] ?? 0;
      return false;
    }
    this.reservations.delete(id);
    for (const line of reservation.lines) {
      const counter = this.counters.get(line.key);
      if (!counter) continue;
      counter.reserved -= line.amount;
      counter.used += actual[line.unit] ?? 0;
    }
    return true;
  }

  async release(id: string): Promise<boolean> {
    return this.settleSync(id, {});
  }

  async lines(prefix = ''): Promise<LineState[]> {
    this.sweep(this.now());
    return [...this.counters.values()].filter((counter) => counter.key.startsWith(prefix)).map(snapshot);
  }

  async openReservations(): Promise<number> {
    this.sweep(this.now());
    return this.reservations.size;
  }

  async close(): Promise<void> {}

  private counter(line: BudgetLine, now: number): Counter {
    let counter = this.counters.get(line.key);
    if (!counter || (counter.expiresAt !== undefined && counter.expiresAt <= now && counter.reserved === 0)) {
      counter = {
        key: line.key,
        budget: line.budget,
        unit: line.unit,
        limit: line.limit,
        used: 0,
        reserved: 0,
        expiresAt: line.expiresAt,
      };
      this.counters.set(line.key, counter);
    }
    // The configured limit may change between calls (reloaded configuration): the newest wins.
    counter.limit = line.limit;
    return counter;
  }

  /** Releases expired leases (a holder that never settled) and drops counters of past periods. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 1_000;
    for (const [id, reservation] of this.reservations) {
      if (reservation.expiresAt <= now) this.settleSync(id, {});
    }
    for (const [key, counter] of this.counters) {
      if (counter.expiresAt !== undefined && counter.expiresAt + 86_400_000 <= now && counter.reserved === 0)
        this.counters.delete(key);
    }
  }
}

function snapshot(counter: Counter): LineState {
  return {
    key: counter.key,
    budget: counter.budget,
    unit: counter.unit,
    limit: counter.limit,
    used: counter.used,
    reserved: counter.reserved,
  };
}
