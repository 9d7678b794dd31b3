// What every gateway process of the benchmark reports about itself, from the moment it listened to the
// moment it is asked: its CPU time (`process.cpuUsage()`, every thread, user + system) and the bytes
// allocated on its V8 heap (heap used now minus at the start, plus what every garbage collection in
// between freed, as V8's GCProfiler reports it: Node 24's heap statistics have no allocation counter).
// Allocation per call does not depend on how busy the machine is; CPU time depends on it a little.
import { GCProfiler, getHeapStatistics } from 'node:v8';

/** Starts counting; `read()` returns `{ cpuMicros, allocatedBytes }` since then (call it once). */
export function startProcessStats() {
  const profiler = new GCProfiler();
  profiler.start();
  const heapBefore = getHeapStatistics().used_heap_size;
  const cpuBefore = process.cpuUsage();
  return {
    read() {
      const { user, system } = process.cpuUsage(cpuBefore);
      const heapAfter = getHeapStatistics().used_heap_size;
      const { statistics } = profiler.stop();
      let freed = 0;
      for (const gc of statistics)
        freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
      return { cpuMicros: user + system, allocatedBytes: heapAfter - heapBefore + freed };
    },
  };
}

/**
 * Counts the promises made from now on (an async hook: it slows every promise, so only for counting
 * runs); `stacksAtExit` also prints where the most of them were made (their top stack frames) at exit.
 */
export async function startPromiseCount(stacksAtExit = false) {
  const { createHook } = await import('node:async_hooks');
  let promises = 0;
  const stacks = new Map();
  const hook = createHook({
    init(_id, type) {
      if (type !== 'PROMISE') return;
      promises++;
      if (!stacksAtExit) return;
      const stack = new Error().stack.split('\n').slice(2, 9).join(' | ');
      stacks.set(stack, (stacks.get(stack) ?? 0) + 1);
    },
  }).enable();
  process.on('exit', () => {
    for (const [stack, count] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 40))
      process.stderr.write(
        `${count}  ${stack.replace(/\s+at /g, ' ').replace(/file:\/\/\S*\/(packages|node_modules)\//g, '')}\n`,
      );
  });
  return {
    count() {
      hook.disable();
      return promises;
    },
  };
}
