// Calls whose request may have been billed but that nobody ended: an abandoned or never-iterated stream,
// a promise the caller dropped. Each settles at its reservation, flagged incomplete, at the first of:
// garbage collection of what the caller held (FinalizationRegistry), the end of its lease, shutdown or
// process exit. A call whose request never left the process is released instead.
import { diag } from '@opentelemetry/api';
import type { SettlementJournal } from '../store/settlement-journal';
import type { GovernanceStore } from '../store/types';
import type { CallState } from './types';

/** Why an unsettled call is being settled without an outcome. */
export type AbandonedBy = 'collected' | 'lease' | 'shutdown' | 'exit';

/** What the tracker needs of a call (`Call` implements it). */
export interface Abandonable {
  readonly open: boolean;
  readonly sent: boolean;
  /** Settles the call at its reservation when it was sent, otherwise releases it. Never rejects. */
  abandon(by: AbandonedBy): Promise<void>;
  /** @internal The call's entry while {@link UnsettledCalls} tracks it (kept on the call: no map lookup per call). */
  tracking?: Tracking | undefined;
}

/** A tracked call: its lease deadline, linked into its tracker's list (insertion order). */
export interface Tracking {
  readonly call: Abandonable;
  readonly state: CallState;
  deadline: number;
  previous: Tracking | undefined;
  next: Tracking | undefined;
}

/** Every tethered object, registered with its call's {@link Anchor} as the held value. */
const collected = new FinalizationRegistry<Anchor>((anchor) => anchor.collected());

/**
 * What one call's caller holds: each tethered object is registered with the finalization registry
 * directly (no WeakRef, no WeakMap entry, no object of GenOps' own per call: a WeakRef alone costs
 * microseconds per call), and the anchor counts those still alive. When the last one is collected,
 * nothing the caller holds can reach the call any more, and it is abandoned. The registry holds the
 * anchor (and so the call), never a tethered object, until the objects are collected or the call
 * settles ({@link release}).
 */
export class Anchor {
  /** Tethered objects not collected yet (an object tethered twice counts twice: both cells fire). */
  private alive = 0;

  constructor(private readonly call: Abandonable) {}

  tether(holder: object): void {
    collected.register(holder, this, this);
    this.alive++;
  }

  /** A tethered object was collected; after the last one, the call is abandoned. */
  collected(): void {
    if (--this.alive === 0) void this.call.abandon('collected');
  }

  /** The call settled: the registry forgets its tethered objects. */
  release(): void {
    if (this.alive > 0) collected.unregister(this);
    this.alive = 0;
  }
}

/**
 * The open calls of one governor that were sent or tethered: each has a lease deadline that settles it
 * when its reservation's lease ends, and all of them settle at shutdown, `beforeExit` and (as far as
 * synchronous work allows) `exit`. One timer (unref'd: it never keeps the process alive) serves every
 * deadline: it is set for the earliest one when a call is tracked, and finds the calls whose deadline
 * has passed when it fires; a call that settles leaves it alone, so a call costs no timer of its own.
 */
export class UnsettledCalls {
  /** The tracked calls, oldest first: a linked list, so tracking and untracking a call hash nothing. */
  private first: Tracking | undefined;
  private last: Tracking | undefined;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When {@link timer} fires (`performance.now()` ms); `Infinity` when there is none. */
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly store: GovernanceStore,
    private readonly leaseMs: number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** The tracked entries, oldest first (a copy: abandoning a call untracks it). */
  private entries(): Tracking[] {
    const entries: Tracking[] = [];
    for (let entry = this.first; entry !== undefined; entry = entry.next) entries.push(entry);
    return entries;
  }

  /** Starts tracking `call` (idempotent): its lease deadline runs from when the call began. */
  track(call: Abandonable, state: CallState): void {
    if (call.tracking !== undefined) return;
    // Every tracked call has a lease deadline, reservation or not: nothing stays open for ever. It comes a
    // little before the store's own lease ends (that starts at the reservation, after `startedAt`), so
    // the process settles the call itself, with its span and audit record. When that lease already ended
    // before the request left (a long approval: the store released the unsent reservation), the call
    // gets a whole lease from now, and settles late then.
    const now = performance.now();
    const elapsed = now - state.startedAt;
    const deadline = now + (elapsed < this.leaseMs ? this.leaseMs - elapsed : this.leaseMs);
    const entry: Tracking = { call, state, deadline, previous: this.last, next: undefined };
    if (this.last) this.last.next = entry;
    else this.first = entry;
    this.last = entry;
    this.count++;
    call.tracking = entry;
    if (deadline < this.timerAt) this.schedule(deadline, now);
  }

  private schedule(deadline: number, now: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(() => this.expire(), Math.min(Math.max(0, deadline - now), 2_147_483_647));
    this.timer.unref();
  }

  /** The timer fired: every call past its deadline is abandoned (`lease`); the timer moves to the next deadline. */
  private expire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    const due: Abandonable[] = [];
    for (let entry = this.first; entry !== undefined; entry = entry.next) {
      if (entry.deadline <= now) {
        entry.deadline = Number.POSITIVE_INFINITY;
        due.push(entry.call);
      } else if (entry.deadline < next) next = entry.deadline;
    }
    if (next !== Number.POSITIVE_INFINITY) this.schedule(next, now);
    for (const call of due) void call.abandon('lease');
  }

  /** Marks the call's reservation sent in the store, so an expired lease commits it. Never throws. */
  markSent(state: CallState): void {
    // Reserved marked sent (the request left at once): the store already has the mark.
    if (!state.hasLines || state.failOpenLines || state.sentInStore) return;
    const store = this.store;
    try {
      const marked = store.markSentSync ? store.markSentSync(state.id) : store.markSent?.(state.id);
      if (marked && typeof marked === 'object')
        marked.catch((error: unknown) => diag.warn(`genops: could not mark reservation ${state.id} sent`, error));
    } catch (error) {
      diag.warn(`genops: could not mark reservation ${state.id} sent`, error);
    }
  }

  /** The call stays open on purpose (a deferred unit): no lease deadline; shutdown and exit still settle it. */
  holdOpen(call: Abandonable): void {
    const entry = call.tracking;
    if (entry) entry.deadline = Number.POSITIVE_INFINITY;
  }

  /** The call settled: stop tracking it (the shared timer stays for the calls still open). */
  untrack(call: Abandonable): void {
    const entry = call.tracking;
    if (entry === undefined) return;
    call.tracking = undefined;
    if (entry.previous) entry.previous.next = entry.next;
    else this.first = entry.next;
    if (entry.next) entry.next.previous = entry.previous;
    else this.last = entry.previous;
    this.count--;
  }

  /** Settles every tracked call (shutdown, `beforeExit`): sent ones at their reservation, others released. */
  async abandonAll(by: AbandonedBy): Promise<void> {
    await Promise.all(this.entries().map((entry) => entry.call.abandon(by)));
    if (this.count === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
    }
  }

  /**
   * At `exit` nothing asynchronous runs any more: each sent call's settlement at its reservation is
   * written to the settlement journal's file (synchronously), and replayed by the next process that
   * opens the store. Without a journal file the store's own lease expiry settles it (a reservation
   * marked sent is committed, not released). Returns how many were journaled.
   */
  journalAll(journal: SettlementJournal): number {
    if (!journal.persistent) return 0;
    let count = 0;
    for (const { call, state } of this.entries()) {
      if (!call.sent || !call.open) continue;
      const lines = state.failOpenLines && state.failOpenLines.length > 0 ? state.failOpenLines : state.lines;
      if (lines.length === 0) continue;
      journal.add({
        id: state.id,
        actual: { USD: state.reservedNanos, tokens: state.reservedTokens, requests: 1 },
        lines,
        at: Date.now(),
      });
      count++;
    }
    return count;
  }
}

/**
 * Installs the process hooks of one governor: `beforeExit` settles every unsettled call (the event loop
 * is empty, so async work still runs), `exit` journals what is left. Returns the function that removes them.
 */
export function settleUnsettledAtExit(unsettled: UnsettledCalls, journal: SettlementJournal): () => void {
  const beforeExit = () => {
    if (unsettled.size > 0) void unsettled.abandonAll('exit');
  };
  const exit = () => {
    if (unsettled.size > 0) unsettled.journalAll(journal);
  };
  process.on('beforeExit', beforeExit);
  process.on('exit', exit);
  return () => {
    process.off('beforeExit', beforeExit);
    process.off('exit', exit);
  };
}
