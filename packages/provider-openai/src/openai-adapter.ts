import { type AdapterContext, type GenOpsAdapter, loadPackageBuilds } from '@genops/core';
import type { OpenAIMethod } from './describe-openai-request';
import { type APIPromiseClass, governCreate, isGoverned, unwrap } from './govern-openai-call';

/** One loaded copy of the `openai` module: its CJS build or its ESM build. */
export interface OpenAIModule {
  OpenAI: any;
  APIPromise: APIPromiseClass;
}

/** Where each governed method lives on the SDK's resource classes. */
export const GOVERNED_METHODS: ReadonlyArray<{ method: OpenAIMethod; resource: (OpenAI: any) => any }> = [
  { method: 'chat.completions.create', resource: (OpenAI) => OpenAI?.Chat?.Completions },
  { method: 'responses.create', resource: (OpenAI) => OpenAI?.Responses },
  { method: 'embeddings.create', resource: (OpenAI) => OpenAI?.Embeddings },
  { method: 'completions.create', resource: (OpenAI) => OpenAI?.Completions },
];

/**
 * Loads every copy of `openai` the app can reach: the CommonJS build (what `require('openai')` gets)
 * and the ESM build (what `import 'openai'` gets). They are separate module graphs with separate
 * classes, so both are patched. Node 22.12+ loads the ESM build synchronously with `require()`, and
 * shares the instance with `import`.
 */
export function loadOpenAIModules(searchPaths: readonly string[]): OpenAIModule[] {
  return loadPackageBuilds<OpenAIModule>('openai', {
    searchPaths,
    from: import.meta.url,
    builds: ['index.js', 'index.mjs'],
    accept: (loaded) => Boolean(loaded.OpenAI && loaded.APIPromise),
  }).map((loaded) => ({ OpenAI: loaded.OpenAI, APIPromise: loaded.APIPromise }));
}

/** Patches the SDK's resource prototypes, so clients created before or after this are governed. */
export function patchModule(module: OpenAIModule): () => void {
  const undo: Array<() => void> = [];
  for (const { method, resource } of GOVERNED_METHODS) {
    const prototype = resource(module.OpenAI)?.prototype;
    const current = prototype?.create;
    if (typeof current !== 'function' || isGoverned(current)) continue;
    prototype.create = governCreate(method, current, module.APIPromise);
    undo.push(() => {
      if (isGoverned(prototype.create)) prototype.create = unwrap(prototype.create);
    });
  }
  return () => {
    for (const step of undo) step();
  };
}

let unpatch: Array<() => void> = [];

/** Registered with `@genops/core`: `GenOps.init()` enables it when `@genops/provider-openai` is installed. */
export const openAIAdapter: GenOpsAdapter = {
  name: '@genops/provider-openai',
  instruments: 'openai',
  enable(context: AdapterContext): boolean {
    const modules = loadOpenAIModules(context.searchPaths);
    for (const module of modules) unpatch.push(patchModule(module));
    return modules.length > 0;
  },
  disable(): void {
    for (const step of unpatch) step();
    unpatch = [];
  },
};
