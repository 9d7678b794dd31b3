// SDK builds loaded with `import()` as well as `require()`. Node shares one instance of an ES module
// between `require(esm)` and `import`, but a loader that compiles ES modules to CommonJS for `require`
// (tsx does) gives `require()` a copy of its own: the instance the app imports is then another one, and
// patching the required copy does not govern it. So adapters' ES module builds are also imported, and
// an instance `require()` did not return is patched too (`defineSdkAdapter`), asynchronously: the
// `--import @genops/core/register` entry waits for it before the app loads.
import { pathToFileURL } from 'node:url';
import { diag } from '@opentelemetry/api';
import { requireFrom } from './require-from';

const IMPORTED_KEY = Symbol.for('genops.esmBuilds.imported');
const PENDING_KEY = Symbol.for('genops.esmBuilds.pending');
type Slots = { [IMPORTED_KEY]?: Map<string, object> | undefined; [PENDING_KEY]?: Set<Promise<void>> };
const slots = globalThis as Slots;

/** @internal While patching imported instances: the instance `import()` gave for a build file. */
export function importedBuild(file: string): object | undefined {
  return slots[IMPORTED_KEY]?.get(file);
}

/**
 * @internal Imports the ES module builds `files` (`.mjs`); when any gives an instance other than
 * `require()` did, runs `patch` while {@link importedBuild} serves the imported instances (so the
 * adapter's `load` returns them). `active()` says whether the adapter is still enabled.
 */
export function patchImportedBuilds(files: readonly string[], patch: () => void, active: () => boolean): void {
  const esm = files.filter((file) => file.endsWith('.mjs'));
  if (esm.length === 0) return;
  const pending = (slots[PENDING_KEY] ??= new Set());
  const work = (async () => {
    const imported = new Map<string, object>();
    for (const file of esm) {
      try {
        const namespace = (await import(pathToFileURL(file).href)) as object;
        if (namespace !== requireFrom(file)(file)) imported.set(file, namespace);
      } catch (error) {
        diag.debug(`genops: could not import ${file}`, error);
      }
    }
    if (imported.size === 0 || !active()) return;
    slots[IMPORTED_KEY] = imported;
    try {
      patch();
    } finally {
      slots[IMPORTED_KEY] = undefined;
    }
  })();
  pending.add(work);
  void work.finally(() => pending.delete(work));
}

/** Resolves once every adapter's imported ES module builds are patched (see {@link patchImportedBuilds}). */
export async function esmBuildsPatched(): Promise<void> {
  const pending = slots[PENDING_KEY];
  while (pending && pending.size > 0) await Promise.allSettled([...pending]);
}
