import { defineSdkAdapter, loadPackageBuilds } from '@genops/core/adapter';
import { governCreate, openAIMethods } from './govern-openai-call';
import type { OpenAIMethod, OpenAIModule } from './types';

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
  const undo = GOVERNED_METHODS.map(({ method, resource }) =>
    openAIMethods.patch(resource(module.OpenAI)?.prototype, 'create', (original) =>
      governCreate(method, original, module.APIPromise),
    ),
  );
  return () => {
    for (const step of undo) step();
  };
}

/** Registered with `@genops/core`: `GenOps.init()` enables it when `@genops/provider-openai` is installed. */
export const openAIAdapter = defineSdkAdapter<OpenAIModule>({
  name: '@genops/provider-openai',
  instruments: 'openai',
  load: loadOpenAIModules,
  patch: patchModule,
});
