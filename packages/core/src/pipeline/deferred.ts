// Telemetry a governed call's caller does not wait for: the span attributes, events and end of the
// admission and settlement phases, and their metric recordings. They are queued when the stage decides
// and recorded together on a timer (`setTimeout(…, 0)`: the timers phase of a later event-loop turn, at
// least a millisecond on), after the caller has its result and while its next request is on the wire:
// the call's latency no longer includes them. Not `setImmediate`: a caller that makes its next call as
// soon as it has a result starts it in the same turn, and the SDK's `fetch` sends that request from the
// same turn's check phase, after an immediate queued before it; the previous call's telemetry then ran
// in front of the next request (measured: about 40 µs of each sequential call's time before its request
// left, on the 2-core benchmark machine). A timer fires only at the start of a turn, so never between a
// call's start and its send. Timestamps are taken when the stage decides, so spans and events keep
// their times.
//
// One queue per process, shared by every copy of `@genops/core` (ESM and CommonJS builds, bundles), so
// that `drainPending()` from any copy records everything queued. `GenOps` handles drain it in `flush()`
// and `shutdown()`; a pending drain keeps the event loop alive, and `process.exit()` drains it first.
import { diag } from '@opentelemetry/api';

/** A recording step; it must not throw (failures are reported through `diag` and dropped). */
export type DeferredTask = () => void;

interface DeferredQueue {
  tasks: DeferredTask[];
  scheduled: boolean;
  exitHook: boolean;
}

const QUEUE_KEY = Symbol.for('genops.deferred-telemetry');
const slot = globalThis as { [QUEUE_KEY]?: DeferredQueue };
const queue: DeferredQueue = (slot[QUEUE_KEY] ??= { tasks: [], scheduled: false, exitHook: false });

/** Queues `task` for the next drain (one timer per batch, however many calls queue). */
export function defer(task: DeferredTask): void {
  queue.tasks.push(task);
  if (queue.scheduled) return;
  queue.scheduled = true;
  if (!queue.exitHook) {
    queue.exitHook = true;
    process.once('exit', drainPending);
  }
  setTimeout(drainOnTimer, 0);
}

/** The timer {@link defer} set: the next one is set by the next task queued after it fired. */
function drainOnTimer(): void {
  queue.scheduled = false;
  drainPending();
}

/** Tasks queued and not yet run. */
export function pendingCount(): number {
  return queue.tasks.length;
}

/**
 * Runs every queued recording now, synchronously, in the order queued (tasks queued meanwhile too).
 * Test readers (`@genops/testing`'s exporter and meter) call it before they read spans or metrics.
 */
export function drainPending(): void {
  // The timer stays set (`scheduled`): a drain before it fires leaves it nothing to do, and no second one.
  if (queue.tasks.length === 0) return;
  const tasks = queue.tasks;
  queue.tasks = [];
  for (let index = 0; index < tasks.length; index++) {
    try {
      tasks[index]!();
    } catch (error) {
      diag.error('genops: could not record telemetry of a governed call', error);
    }
  }
  // Queued while draining (a task that queues another): run them too.
  if (queue.tasks.length > 0) drainPending();
}

// ---- Settlements in flight ------------------------------------------------------------------------
// A store that answers asynchronously (Redis; SQLite and memory settle synchronously) settles a call after
// the caller has its result:
// the settlement (and the audit record, span and alerts that follow it) completes in the background.
// Each one is tracked here, in one set per process shared by every copy of `@genops/core`, so that
// `GenOps.flush()`, `status()`, `shutdown()` and the unsettled-call machinery wait for it. Until it
// completes, the reservation holds the call's worst case in the store: never an overspend.

interface InFlightSettlements {
  pending: Set<Promise<void>>;
  /** What to do at process exit for a settlement still in flight (see {@link trackSettlement}). */
  atExit?: Map<Promise<void>, () => void>;
  exitHook?: boolean;
}

const SETTLEMENTS_KEY = Symbol.for('genops.settlements-in-flight');
const settlementSlot = globalThis as { [SETTLEMENTS_KEY]?: InFlightSettlements };
const settlements: InFlightSettlements = (settlementSlot[SETTLEMENTS_KEY] ??= { pending: new Set() });

/**
 * Tracks a settlement completing in the background until it does; `settlement` must never reject.
 * `atExit` runs (synchronously) if the process exits while it is still in flight: nothing asynchronous
 * runs any more then, so the governor writes it to the settlement journal's file instead.
 */
export function trackSettlement(settlement: Promise<void>, atExit?: () => void): void {
  settlements.pending.add(settlement);
  if (atExit) {
    (settlements.atExit ??= new Map()).set(settlement, atExit);
    if (!settlements.exitHook) {
      settlements.exitHook = true;
      process.once('exit', settleAtExit);
    }
  }
  void settlement.then(() => {
    settlements.pending.delete(settlement);
    settlements.atExit?.delete(settlement);
  });
}

function settleAtExit(): void {
  settlements.exitHook = false;
  const waiting = settlements.atExit;
  if (!waiting) return;
  for (const atExit of waiting.values()) {
    try {
      atExit();
    } catch (error) {
      diag.error('genops: could not journal a settlement in flight at exit', error);
    }
  }
  waiting.clear();
}

/** Settlements (with the records that follow them) still completing in the background. */
export function settlementsInFlight(): number {
  return settlements.pending.size;
}

/**
 * Resolves once every settlement in flight has completed (and those they started meanwhile): what a
 * read of budget state, a flush or a shutdown waits for, so the process sees its own settled calls.
 */
export async function settlementsDone(): Promise<void> {
  while (settlements.pending.size > 0) await Promise.all([...settlements.pending]);
}

/** `then()` once every settlement in flight has completed: at once (no promise of its own) when none is. */
export function afterSettlements<T>(then: () => Promise<T>): Promise<T> {
  return settlements.pending.size === 0 ? then() : settlementsDone().then(then);
}
