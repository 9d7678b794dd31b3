// Telemetry a governed call's caller does not wait for: the span attributes, events and end of the
// admission and settlement phases, and their metric recordings. They are queued when the stage decides
// and recorded together in the event loop's next check phase (`setImmediate`), after the caller has its
// result (or its request is on the wire): the call's latency no longer includes them. Timestamps are
// taken when the stage decides, so spans and events keep their times.
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

/** Queues `task` for the next check phase (one `setImmediate` per batch, however many calls queue). */
export function defer(task: DeferredTask): void {
  queue.tasks.push(task);
  if (queue.scheduled) return;
  queue.scheduled = true;
  if (!queue.exitHook) {
    queue.exitHook = true;
    process.once('exit', drainPending);
  }
  setImmediate(drainPending);
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
  queue.scheduled = false;
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
