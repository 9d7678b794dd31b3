import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

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
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await done()) return true;
    gc();
    // FinalizationRegistry callbacks run as tasks after the collection; settling then awaits the store.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return done();
}
