import { type AdapterContext, type GenOpsAdapter, loadPackageBuilds } from '@genops/core';
import { type APIPromiseClass, governCreate, isGoverned, unwrap } from './govern-anthropic-call';

/** One loaded copy of `@anthropic-ai/sdk`: its CJS build or its ESM build. */
export interface AnthropicModule {
  Anthropic: any;
  APIPromise: APIPromiseClass;
}

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
  const prototype = module.Anthropic?.Messages?.prototype;
  const current = prototype?.create;
  if (typeof current !== 'function' || isGoverned(current)) return () => {};
  prototype.create = governCreate(current, module.APIPromise);
  return () => {
    if (isGoverned(prototype.create)) prototype.create = unwrap(prototype.create);
  };
}

let unpatch: Array<() => void> = [];

/** Registered with `@genops/core`: `GenOps.init()` enables it when `@genops/provider-anthropic` is installed. */
export const anthropicAdapter: GenOpsAdapter = {
  name: '@genops/provider-anthropic',
  instruments: '@anthropic-ai/sdk',
  enable(context: AdapterContext): boolean {
    const modules = loadAnthropicModules(context.searchPaths);
    for (const module of modules) unpatch.push(patchModule(module));
    return modules.length > 0;
  },
  disable(): void {
    for (const step of unpatch) step();
    unpatch = [];
  },
};
