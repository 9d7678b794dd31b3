import { GCProfiler, type GCProfilerResult, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options?: { type: 'minor' | 'major' }) => void;
let gc: Collect | undefined;

/** V8's `gc()`, without `node --expose-gc`: the flag is set at run time, `gc` taken from a fresh context. */
function collector(): Collect {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Collect;
  }
  return gc;
}

/**
 * Runs full garbage collections (finalizers get a turn after each) until `done()` is true, at most
 * `attempts` times; returns whether it became true. Works without `node --expose-gc`: the flag is set
 * at run time and `gc` taken from a fresh context, which is where V8 installs it.
 *
 * @example
 * await openAndDropAStream();
 * expect(await collectGarbageUntil(() => harness.spans().length === 1)).toBe(true);
 */
export async function collectGarbageUntil(done: () => boolean | Promise<boolean>, attempts = 40): Promise<boolean> {
  const collect = collector();
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await done()) return true;
    collect();
    // FinalizationRegistry callbacks run as tasks after the collection; settling then awaits the store.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return done();
}

/**
 * The bytes young-generation collections move to the old generation when `work` has run and dropped what
 * it made: a full collection first (what ran before is old already), then `work`, then two minor
 * collections (V8 promotes what survived one at the next). What `work` keeps from nothing should come
 * to little more than nothing; an object it made that V8 allocated in the old generation (a function
 * literal assigned to a property, lint/no-property-function.grit) keeps all it captured, and that is
 * promoted.
 *
 * @example
 * const promoted = promotedAfter(() => { for (let i = 0; i < 256; i++) describe(bigRequest()); });
 * expect(promoted).toBeLessThan(256 * BODY_BYTES / 4);
 */
export function promotedAfter(work: () => void): number {
  const collect = collector();
  collect();
  const profiler = new GCProfiler();
  profiler.start();
  work();
  collect({ type: 'minor' });
  collect({ type: 'minor' });
  let promoted = 0;
  for (const entry of profiler.stop().statistics)
    if (entry.gcType === 'Scavenge' || entry.gcType === 'MinorMarkSweep')
      promoted += Math.max(0, oldSpaceUsed(entry.afterGC) - oldSpaceUsed(entry.beforeGC));
  return promoted;
}

function oldSpaceUsed(heap: GCProfilerResult['statistics'][number]['beforeGC']): number {
  return heap.heapSpaceStatistics.find((space) => space.spaceName === 'old_space')?.spaceUsedSize ?? 0;
}
