// Bytes allocated on the V8 heap while something runs: heap used at the end minus at the start, plus what
// every garbage collection in between freed (V8's GCProfiler reports the heap before and after each one).
// Node 24's heap statistics have no allocation counter (`total_allocated_bytes`); this needs no forced GC
// and stays exact when collections run. Allocation does not depend on how busy the machine is.
import { GCProfiler, getHeapStatistics } from 'node:v8';

/**
 * Starts counting; `stop()` (once) returns `{ bytes, statistics }`: the bytes allocated since, and the
 * profiler's entry for every collection in between (for figures of the collections themselves).
 */
export function countAllocation() {
  const profiler = new GCProfiler();
  profiler.start();
  const before = getHeapStatistics().used_heap_size;
  return {
    stop() {
      const after = getHeapStatistics().used_heap_size;
      const { statistics } = profiler.stop();
      let freed = 0;
      for (const gc of statistics)
        freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
      return { bytes: after - before + freed, statistics };
    },
  };
}
