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
}

/**
 * Tethered objects keep their call's anchor alive: a WeakMap entry lives exactly as long as its key, so
 * the anchor dies once every tethered object has, and nothing here keeps a tethered object alive.
 */
const tethers = new WeakMap<object, object>();
const collected = new FinalizationRegistry<Abandonable>((call) => {
  void call.abandon('collected');
});

/**
 * One call's anchor: the object whose collection means nothing the caller holds can reach the call any
 * more. The call keeps only a weak reference to it; the registry holds the call (not the anchor) until
 * the anchor is collected or the call settles ({@link release}).
 */
export class Anchor {
  private anchor: WeakRef<object> | undefined;

  constructor(private readonly call: Abandonable) {}

  tether(holder: object): void {
    let anchor = this.anchor?.deref();
    if (!anchor) {
      anchor = {};
      this.anchor = new WeakRef(anchor);
      collected.register(anchor, this.call, this);
    }
    tethers.set(holder, anchor);
  }

  /** The call settled: the registry forgets it. */
  release(): void {
    if (this.anchor) collected.unregister(this);
  }
}

/**
 * The open calls of one governor that were sent or tethered: each has a lease timer (unref'd: it never
 * keeps the process alive) that settles it when its reservation's lease ends, and all of them settle at
 * shutdown, `beforeExit` and (as far as synchronous work allows) `exit`.
 */
export class UnsettledCalls {
  private readonly calls = new Map<Abandonable, { state: CallState; timer: NodeJS.Timeout }>();

  constructor(
    private readonly store: GovernanceStore,
    private readonly leaseMs: number,
  ) {}

  get size(): number {
    return this.calls.size;
  }

  /** Starts tracking `call` (idempotent): its lease timer runs from when the call began. */
  track(call: Abandonable, state: CallState): void {
    if (this.calls.has(call)) return;
    // Every tracked call has a lease timer, reservation or not: nothing stays open for ever. It fires a
    // little before the store's own lease ends (that starts at the reservation, after `startedAt`), so
    // the process settles the call itself, with its span and audit record. When that lease already ended
    // before the request left (a long approval: the store released the unsent reservation), the call
    // gets a whole lease from now, and settles late then.
    const elapsed = performance.now() - state.startedAt;
    const remaining = elapsed < this.leaseMs ? this.leaseMs - elapsed : this.leaseMs;
    const timer = setTimeout(() => void call.abandon('lease'), Math.min(remaining, 2_147_483_647));
    timer.unref();
    this.calls.set(call, { state, timer });
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

  /** The call stays open on purpose (a deferred unit): no lease timer; shutdown and exit still settle it. */
  holdOpen(call: Abandonable): void {
    const entry = this.calls.get(call);
    if (entry) clearTimeout(entry.timer);
  }

  /** The call settled: stop tracking it. */
  untrack(call: Abandonable): void {
    const entry = this.calls.get(call);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.calls.delete(call);
  }

  /** Settles every tracked call (shutdown, `beforeExit`): sent ones at their reservation, others released. */
  async abandonAll(by: AbandonedBy): Promise<void> {
    await Promise.all([...this.calls.keys()].map((call) => call.abandon(by)));
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
    for (const [call, { state }] of this.calls) {
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
