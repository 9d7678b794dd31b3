import { type AdapterContext, type GenOpsAdapter, loadPackageBuilds } from '@genops/core/adapter';
import { addGovernanceMiddleware } from './bedrock-middleware';

const ORIGINAL = Symbol.for('genops.bedrock.original');

/**
 * Loads every copy of `@aws-sdk/client-bedrock-runtime` the app can reach. The package has no
 * `exports` map, so Node resolves both `require` and `import` to its CommonJS build (`dist-cjs`): one
 * module graph per copy. Bundlers pick `dist-es`; there, use `instrumentBedrock(client)`.
 */
export function loadBedrockModules(searchPaths: readonly string[]): any[] {
  return loadPackageBuilds<any>('@aws-sdk/client-bedrock-runtime', {
    searchPaths,
    from: import.meta.url,
    accept: (loaded) => typeof loaded?.BedrockRuntimeClient === 'function',
  });
}

/**
 * Patches `BedrockRuntimeClient.prototype.send` of one module copy so that the first `send` of any
 * client (created before or after `GenOps.init()`) adds GenOps's middleware to that client's
 * `middlewareStack`. The middleware, not the patch, does the governing: the official extension point
 * sees the typed input before serialization. The constructor is not patched because the class is
 * exported by reference and clients created before `init()` would be missed.
 */
export function patchModule(module: any): () => void {
  const prototype = module.BedrockRuntimeClient.prototype;
  const current = prototype.send;
  if (typeof current !== 'function' || ORIGINAL in current) return () => {};
  const hadOwn = Object.hasOwn(prototype, 'send');
  const governed = function (this: any, ...args: unknown[]) {
    try {
      addGovernanceMiddleware(this);
    } catch {
      // Never break the host call over instrumentation.
    }
    return current.apply(this, args);
  };
  Object.defineProperty(governed, ORIGINAL, { value: current });
  prototype.send = governed;
  return () => {
    if (prototype.send !== governed) return;
    if (hadOwn) prototype.send = current;
    else delete prototype.send;
  };
}

let unpatch: Array<() => void> = [];

/** Registered with `@genops/core`: `GenOps.init()` enables it when `@genops/provider-bedrock` is installed. */
export const bedrockAdapter: GenOpsAdapter = {
  name: '@genops/provider-bedrock',
  instruments: '@aws-sdk/client-bedrock-runtime',
  enable(context: AdapterContext): boolean {
    const modules = loadBedrockModules(context.searchPaths);
    for (const module of modules) unpatch.push(patchModule(module));
    return modules.length > 0;
  },
  disable(): void {
    for (const step of unpatch) step();
    unpatch = [];
  },
};
