import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diag } from '@opentelemetry/api';
import type { GenOpsAdapter } from './adapter-contract';
import { noteSdkCopy, type SdkCopy } from './coverage-copies';
import { importedBuild } from './esm-builds';
import type { Governor } from './governor';
import { requireFrom } from './require-from';

export type { AdapterContext, GenOpsAdapter } from './adapter-contract';

const REGISTRY_KEY = Symbol.for('genops.adapters');
const GOVERNOR_KEY = Symbol.for('genops.governor');
const ON_REGISTER_KEY = Symbol.for('genops.adapters.onRegister');
type GlobalSlots = {
  [REGISTRY_KEY]?: Map<string, GenOpsAdapter>;
  [GOVERNOR_KEY]?: Governor | undefined;
  [ON_REGISTER_KEY]?: ((adapter: GenOpsAdapter) => void) | undefined;
};
const slots = globalThis as GlobalSlots;

/** Adapters registered in this process, shared by every copy of `@genops/core`. */
export function adapterRegistry(): Map<string, GenOpsAdapter> {
  return (slots[REGISTRY_KEY] ??= new Map());
}

/** Called by an adapter package when it is loaded. Turns the adapter on if GenOps is already running. */
export function registerAdapter(adapter: GenOpsAdapter): void {
  const registry = adapterRegistry();
  if (registry.has(adapter.name)) return;
  registry.set(adapter.name, adapter);
  slots[ON_REGISTER_KEY]?.(adapter);
}

/** The governor of the running `GenOps.init()`, shared by every copy of `@genops/core`. */
export function currentGovernor(): Governor | undefined {
  return slots[GOVERNOR_KEY];
}

/**
 * @internal Sets the running governor, and what happens to an adapter registered while it runs
 * (an adapter package imported after `GenOps.init()`).
 */
export function setCurrentGovernor(
  governor: Governor | undefined,
  onRegister?: (adapter: GenOpsAdapter) => void,
): void {
  slots[GOVERNOR_KEY] = governor;
  slots[ON_REGISTER_KEY] = onRegister;
}

/** Directories the app resolves packages from: its entry script's directory and the working directory. */
export function appSearchPaths(): string[] {
  const paths: string[] = [];
  const main = process.argv[1];
  if (main) paths.push(dirname(main));
  paths.push(process.cwd());
  return [...new Set(paths)];
}

/** @internal */
export function enableAdapter(adapter: GenOpsAdapter): boolean {
  try {
    return adapter.enable({ searchPaths: appSearchPaths() });
  } catch (error) {
    diag.warn(`genops: adapter ${adapter.name} could not be enabled`, error);
    return false;
  }
}

/**
 * Finds installed adapter packages (`@genops/*` whose package.json has `"genops": { "adapter": true }`)
 * reachable from the app, and loads them; loading registers them.
 */
export function discoverAdapters(searchPaths: readonly string[] = appSearchPaths()): string[] {
  const loaded: string[] = [];
  const seen = new Set<string>();
  for (const base of searchPaths) {
    const require = requireFrom(join(base, 'noop.js'));
    for (const nodeModules of require.resolve.paths('@genops/core') ?? []) {
      const scope = join(nodeModules, '@genops');
      if (seen.has(scope) || !existsSync(scope)) continue;
      seen.add(scope);
      for (const name of safeReaddir(scope)) {
        const manifestPath = join(scope, name, 'package.json');
        try {
          const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
            name?: string;
            genops?: { adapter?: boolean };
          };
          if (!manifest.genops?.adapter || !manifest.name || adapterRegistry().has(manifest.name)) continue;
          requireFrom(manifestPath)(manifest.name);
          loaded.push(manifest.name);
        } catch (error) {
          diag.warn(`genops: could not load adapter package in ${join(scope, name)}`, error);
        }
      }
    }
  }
  return loaded;
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/**
 * Loads every build of an SDK package the app can reach, for adapters that patch SDK classes: the
 * package is resolved from each search path (and from the adapter itself, `from`), and each of the
 * `builds` files next to its entry point is loaded (`index.js` and `index.mjs`, say: the CommonJS and
 * the ESM build are separate module graphs with separate classes, so both must be patched; Node 22.12+
 * loads the ESM build synchronously with `require()`). Without `builds`, the entry point itself is
 * loaded. Only modules `accept` returns `true` for are kept; a build this Node cannot load is skipped.
 */
export function loadPackageBuilds<T>(
  packageName: string,
  options: { searchPaths: readonly string[]; from: string; builds?: readonly string[]; accept: (loaded: T) => boolean },
): T[] {
  const modules: T[] = [];
  const seen = new Set<string>();
  const bases = [...options.searchPaths.map((path) => join(path, 'noop.js')), fileURLToPath(options.from)];
  for (const base of bases) {
    let entry: string;
    try {
      entry = realpathSync(requireFrom(base).resolve(packageName));
    } catch {
      continue;
    }
    const directory = dirname(entry);
    const files = options.builds ? options.builds.map((file) => join(directory, file)) : [entry];
    const load = requireFrom(entry);
    for (const file of files) {
      if (seen.has(file) || !existsSync(file)) continue;
      seen.add(file);
      try {
        // The instance `import()` gave, while an adapter patches those (esm-builds.ts); else `require()`'s.
        const loaded = (importedBuild(file) ?? load(file)) as T;
        if (loaded && options.accept(loaded)) {
          modules.push(loaded);
          // For `status().coverage`: which install of the SDK this module is (coverage-copies.ts).
          noteSdkCopy(sdkCopyOf(packageName, file, entry));
        }
      } catch {
        // A build this Node cannot load (e.g. ESM on an old Node): the other build still gets patched.
      }
    }
  }
  return modules;
}

function sdkCopyOf(packageName: string, file: string, entry: string): SdkCopy {
  // The package directory: the nearest directory above the entry point with this package's manifest.
  let root = dirname(entry);
  for (let directory = root; dirname(directory) !== directory; directory = dirname(directory)) {
    if (existsSync(join(directory, 'package.json')) && directory.endsWith(join('node_modules', packageName))) {
      root = directory;
      break;
    }
  }
  let version: string | undefined;
  try {
    version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    version = undefined;
  }
  return { package: packageName, file, root, version };
}
