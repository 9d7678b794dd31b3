// What every gateway process of the benchmark reports about itself, from the moment it listened to the
// moment it is asked: its CPU time (`process.cpuUsage()`, every thread, user + system) and the bytes
// allocated on its V8 heap (heap used now minus at the start, plus what every garbage collection in
// between freed, as V8's GCProfiler reports it: Node 24's heap statistics have no allocation counter).
// Allocation per call does not depend on how busy the machine is; CPU time depends on it a little.
// Garbage collection is read from the same profiler: the time its pauses took on the main thread, the
// young-generation collections (scavenges) and the full ones, and how much the scavenges moved into the
// old generation (what survived two of them: the garbage a later full collection has to find, and the
// main cause of long scavenges, since a scavenge costs what survives it).
import { countAllocation } from '../../lib/allocation.mjs';

/**
 * Starts counting; `read()` returns `{ cpuMicros, allocatedBytes, gc }` since then (call it once), `gc`
 * being `{ pauseMicros, longestPauseMicros, scavenges, fullCollections, promotedBytes }`.
 */
export function startProcessStats() {
  const allocation = countAllocation();
  const cpuBefore = process.cpuUsage();
  return {
    read() {
      const { user, system } = process.cpuUsage(cpuBefore);
      const { bytes, statistics } = allocation.stop();
      return { cpuMicros: user + system, allocatedBytes: bytes, gc: gcFigures(statistics) };
    },
  };
}

/** What a GCProfiler's entries add up to (see {@link startProcessStats}). */
function gcFigures(statistics) {
  const figures = { pauseMicros: 0, longestPauseMicros: 0, scavenges: 0, fullCollections: 0, promotedBytes: 0 };
  for (const gc of statistics) {
    figures.pauseMicros += gc.cost;
    figures.longestPauseMicros = Math.max(figures.longestPauseMicros, gc.cost);
    if (gc.gcType === 'Scavenge') {
      figures.scavenges += 1;
      figures.promotedBytes += Math.max(0, oldSpaceUsed(gc.afterGC) - oldSpaceUsed(gc.beforeGC));
    } else if (gc.gcType === 'MarkSweepCompact') figures.fullCollections += 1;
  }
  return figures;
}

function oldSpaceUsed(snapshot) {
  return snapshot.heapSpaceStatistics.find((space) => space.spaceName === 'old_space')?.spaceUsedSize ?? 0;
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
