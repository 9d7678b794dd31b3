// Which copies of each SDK the adapters loaded and patched, for `status().coverage` (coverage.ts). Kept on
// `globalThis` under `Symbol.for` keys, so every copy of `@genops/core` in the process (its ES module and
// CommonJS builds, a second install) sees the same record. adapters.ts and the kit write here, coverage.ts
// reads.
import { AsyncLocalStorage } from 'node:async_hooks';

/** One loaded build of an SDK package: which package, which file, from which install. */
export interface SdkCopy {
  /** Package name, e.g. `openai`. */
  package: string;
  /** The build file loaded (`…/node_modules/openai/index.mjs`). */
  file: string;
  /** The package directory (`…/node_modules/openai`): one install, whatever build of it. */
  root: string;
  version: string | undefined;
}

const RECORDING_KEY = Symbol.for('genops.coverage.recording');
const PATCHED_KEY = Symbol.for('genops.coverage.patched');
type Slots = {
  [RECORDING_KEY]?: SdkCopy[] | undefined;
  [PATCHED_KEY]?: Map<string, SdkCopy[]>;
};
const slots = globalThis as Slots;

function patched(): Map<string, SdkCopy[]> {
  return (slots[PATCHED_KEY] ??= new Map());
}

/** @internal `loadPackageBuilds` notes each SDK build it returns, while an adapter is being enabled. */
export function noteSdkCopy(copy: SdkCopy): void {
  slots[RECORDING_KEY]?.push(copy);
}

/**
 * @internal Runs `load` (an adapter's `load` and `patch` of every copy) and records the SDK copies it
 * loaded as patched by `adapter`. Synchronous, so nothing else loads in between.
 */
export function recordPatchedCopies<T>(adapter: string, load: () => T): { result: T; copies: SdkCopy[] } {
  const outer = slots[RECORDING_KEY];
  const recording: SdkCopy[] = [];
  slots[RECORDING_KEY] = recording;
  try {
    return { result: load(), copies: recording };
  } finally {
    slots[RECORDING_KEY] = outer;
    const list = patched().get(adapter) ?? [];
    for (const copy of recording) if (!list.some((known) => known.file === copy.file)) list.push(copy);
    if (list.length > 0) patched().set(adapter, list);
  }
}

/** @internal The adapter's patches were undone (`GenOps.current.shutdown()`). */
export function clearPatchedModules(adapter: string): void {
  patched().delete(adapter);
}

/** The SDK copies each adapter has patched, by adapter name. */
export function patchedCopies(): ReadonlyMap<string, readonly SdkCopy[]> {
  return patched();
}

const KNOWN_UNGOVERNED_KEY = Symbol.for('genops.coverage.knownUngoverned');
type UngovernedSlot = { [KNOWN_UNGOVERNED_KEY]?: AsyncLocalStorage<string> };

function knownUngovernedStorage(): AsyncLocalStorage<string> {
  const slot = globalThis as UngovernedSlot;
  return (slot[KNOWN_UNGOVERNED_KEY] ??= new AsyncLocalStorage<string>());
}

/**
 * @internal Runs a billable SDK method its adapter does not govern yet (`warnUngoverned`), so a request
 * it sends is known for what it is: a patched copy's ungoverned method, which the adapter warned about,
 * not an SDK copy the adapter missed.
 */
export function runKnownUngoverned<T>(method: string, run: () => T): T {
  return knownUngovernedStorage().run(method, run);
}

/** The ungoverned SDK method whose request is being sent, if any (see {@link runKnownUngoverned}). */
export function knownUngovernedMethod(): string | undefined {
  return knownUngovernedStorage().getStore();
}
