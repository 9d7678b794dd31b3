import { type AdapterContext, appSearchPaths, type GenOpsAdapter } from '../adapters';
import { clearPatchedModules, recordPatchedCopies } from '../coverage-copies';
import { patchImportedBuilds } from '../esm-builds';

/** What {@link defineSdkAdapter} needs: how to find every loaded copy of the SDK and how to patch one. */
export interface SdkAdapterSpec<Module> {
  /** Package name, e.g. `@genops/provider-openai`. */
  name: string;
  /** The SDK it governs, e.g. `openai`. */
  instruments: string;
  /** Every copy of the SDK the app can reach (its CJS and its ESM build), see `loadPackageBuilds`. */
  load(searchPaths: readonly string[]): Module[];
  /** Patches one copy (its prototypes, so clients created before or after are governed); returns the undo. */
  patch(module: Module): () => void;
}

/**
 * A {@link GenOpsAdapter} for an SDK patched at load: `GenOps.init()` patches every copy it finds,
 * `shutdown()` undoes it. Register it from the adapter's `index.ts` with `registerAdapter`.
 */
export function defineSdkAdapter<Module>(spec: SdkAdapterSpec<Module>): GenOpsAdapter & {
  /** The loaded copy of the SDK a client was created by (for `instrument<X>(client)`), if any. */
  moduleOf(client: object, matches: (client: object, module: Module) => boolean): Module | undefined;
} {
  let undo: Array<() => void> = [];
  let generations = 0;
  return {
    name: spec.name,
    instruments: spec.instruments,
    enable(context: AdapterContext): boolean {
      const patchAll = () => {
        const modules = spec.load(context.searchPaths);
        for (const module of modules) undo.push(spec.patch(module));
        return modules.length > 0;
      };
      // The SDK copies loaded here are recorded as patched by this adapter, for `status().coverage`.
      const { result, copies } = recordPatchedCopies(spec.name, patchAll);
      // Where `import` gives the app another instance than `require` did (tsx), that one is patched too.
      const generation = ++generations;
      patchImportedBuilds(
        copies.map((copy) => copy.file),
        () => recordPatchedCopies(spec.name, patchAll),
        () => generation === generations && undo.length > 0,
      );
      return result;
    },
    disable(): void {
      generations++;
      for (const step of undo) step();
      undo = [];
      clearPatchedModules(spec.name);
    },
    moduleOf(client, matches) {
      for (const module of spec.load(appSearchPaths())) {
        if (matches(client, module)) return module;
      }
      return undefined;
    },
  };
}
