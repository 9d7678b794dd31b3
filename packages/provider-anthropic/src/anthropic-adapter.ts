import { defineSdkAdapter, loadPackageBuilds } from '@genops/core/adapter';
import { anthropicMethods, governCreate } from './govern-anthropic-call';
import type { AnthropicModule } from './types';

/**
 * Loads every copy of `@anthropic-ai/sdk` the app can reach: the CommonJS build (`require`) and the
 * ESM build (`import`). They are separate module graphs with separate `Messages` classes, so both
 * are patched. Node 22.12+ loads the ESM build synchronously with `require()`.
 */
export function loadAnthropicModules(searchPaths: readonly string[]): AnthropicModule[] {
  return loadPackageBuilds<AnthropicModule>('@anthropic-ai/sdk', {
    searchPaths,
    from: import.meta.url,
    builds: ['index.js', 'index.mjs'],
    accept: (loaded) => Boolean(loaded.Anthropic && loaded.APIPromise),
  }).map((loaded) => ({ Anthropic: loaded.Anthropic, APIPromise: loaded.APIPromise }));
}

/**
 * Patches `Messages.prototype.create` of one module copy, so clients created before or after this
 * are governed. `messages.stream()` goes through `create`, so it is covered too.
 */
export function patchModule(module: AnthropicModule): () => void {
  return anthropicMethods.patch(module.Anthropic?.Messages?.prototype, 'create', (original) =>
    governCreate(original, module.APIPromise),
  );
}

/** Registered with `@genops/core`: `GenOps.init()` enables it when `@genops/provider-anthropic` is installed. */
export const anthropicAdapter = defineSdkAdapter<AnthropicModule>({
  name: '@genops/provider-anthropic',
  instruments: '@anthropic-ai/sdk',
  load: loadAnthropicModules,
  patch: patchModule,
});
