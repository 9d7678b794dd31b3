import { defineSdkAdapter, loadPackageBuilds, methodPatcher, safely } from '@genops/core/adapter';
import { addGovernanceMiddleware } from './govern-bedrock-call';
import type { BedrockModule } from './types';

/** Marks the governed `BedrockRuntimeClient.prototype.send` (`genops.bedrock.original`). */
export const bedrockMethods = methodPatcher('bedrock');

/**
 * Loads every copy of `@aws-sdk/client-bedrock-runtime` the app can reach. The package has no
 * `exports` map, so Node resolves both `require` and `import` to its CommonJS build (`dist-cjs`): one
 * module graph per copy. Bundlers pick `dist-es`; there, use `instrumentBedrock(client)`.
 */
export function loadBedrockModules(searchPaths: readonly string[]): BedrockModule[] {
  return loadPackageBuilds<BedrockModule>('@aws-sdk/client-bedrock-runtime', {
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
export function patchModule(module: BedrockModule): () => void {
  return bedrockMethods.patch(module.BedrockRuntimeClient.prototype, 'send', (original) =>
    bedrockMethods.mark(original, function (this: any, ...args: unknown[]) {
      // Never break the host call over instrumentation.
      safely(() => addGovernanceMiddleware(this), 'bedrock middleware');
      return original.apply(this, args);
    }),
  );
}

/** Registered with `@genops/core`: `GenOps.init()` enables it when `@genops/provider-bedrock` is installed. */
export const bedrockAdapter = defineSdkAdapter<BedrockModule>({
  name: '@genops/provider-bedrock',
  instruments: '@aws-sdk/client-bedrock-runtime',
  load: loadBedrockModules,
  patch: patchModule,
});
