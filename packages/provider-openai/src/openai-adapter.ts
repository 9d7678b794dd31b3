import { defineSdkAdapter, loadPackageBuilds, warnUngoverned } from '@genops/core/adapter';
import { governCreate, governEndpoint, openAIMethods } from './govern-openai-call';
import { ASSISTANT_RUN_ENDPOINTS, watchAssistant, watchRunRetrieve } from './openai-assistant-runs';
import { AUDIO_ENDPOINTS } from './openai-audio';
import { watchResponseRetrieve } from './openai-background-responses';
import { BATCH_ENDPOINTS, patchBatchRetrieve } from './openai-batches';
import { COMPACT_ENDPOINTS } from './openai-compact';
import type { OpenAIEndpoint } from './openai-endpoint';
import { FINE_TUNING_ENDPOINTS, watchFineTuningRetrieve } from './openai-fine-tuning';
import { IMAGE_ENDPOINTS } from './openai-images';
import { VIDEO_ENDPOINTS } from './openai-videos';
import type { OpenAIModule, OpenAIPatchedMethod } from './types';

/**
 * Where each governed method lives on the SDK's resource classes. The SDK's helpers go through these:
 * `chat.completions.parse/stream/runTools` call `chat.completions.create`, `responses.parse/stream` call
 * `responses.create`. `beta.responses` is a class of its own (`POST /v1/responses?beta=true`).
 */
export const GOVERNED_METHODS: ReadonlyArray<{
  method: OpenAIPatchedMethod;
  path: readonly string[];
  resource: (OpenAI: any) => any;
}> = [
  { method: 'chat.completions.create', path: ['chat', 'completions'], resource: (OpenAI) => OpenAI?.Chat?.Completions },
  { method: 'responses.create', path: ['responses'], resource: (OpenAI) => OpenAI?.Responses },
  { method: 'beta.responses.create', path: ['beta', 'responses'], resource: (OpenAI) => OpenAI?.Beta?.Responses },
  { method: 'embeddings.create', path: ['embeddings'], resource: (OpenAI) => OpenAI?.Embeddings },
  { method: 'completions.create', path: ['completions'], resource: (OpenAI) => OpenAI?.Completions },
];

/** Billable methods beyond `create`, each governed as one unit priced by its own units (one file per group). */
export const GOVERNED_ENDPOINTS: readonly OpenAIEndpoint[] = [
  ...IMAGE_ENDPOINTS,
  ...AUDIO_ENDPOINTS,
  ...VIDEO_ENDPOINTS,
  ...BATCH_ENDPOINTS,
  ...COMPACT_ENDPOINTS,
  ...FINE_TUNING_ENDPOINTS,
  ...ASSISTANT_RUN_ENDPOINTS,
];

/**
 * Billable methods without a governed unit yet (none today: video edits, extensions and remixes are
 * governed since their source video is read first). While GenOps runs, the first call of each prints a
 * `GENOPS_UNGOVERNED` warning, so none is silently ungoverned. (A resumed stream of a background response
 * this process did not start warns the same way, from `openai-background-responses.ts`.)
 */
export const UNGOVERNED_METHODS: ReadonlyArray<{
  method: string;
  key: string;
  resource: (OpenAI: any) => any;
  when?: (args: unknown[]) => boolean;
}> = [];

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
  for (const endpoint of GOVERNED_ENDPOINTS) {
    undo.push(
      openAIMethods.patch(endpoint.resource(module.OpenAI)?.prototype, endpoint.key, (original) =>
        governEndpoint(endpoint, original, module.APIPromise),
      ),
    );
  }
  // A background response's unit settles when the app reads it (or resumes its stream).
  undo.push(
    openAIMethods.patch(module.OpenAI?.Responses?.prototype, 'retrieve', (original) =>
      watchResponseRetrieve(openAIMethods, original, 'responses.retrieve'),
    ),
    openAIMethods.patch(module.OpenAI?.Beta?.Responses?.prototype, 'retrieve', (original) =>
      watchResponseRetrieve(openAIMethods, original, 'beta.responses.retrieve'),
    ),
  );
  // A fine-tuning job's unit settles when the app reads the finished job.
  undo.push(
    openAIMethods.patch(module.OpenAI?.FineTuning?.Jobs?.prototype, 'retrieve', (original) =>
      watchFineTuningRetrieve(openAIMethods, original),
    ),
  );
  // A batch job's unit settles when the app reads the finished job.
  undo.push(patchBatchRetrieve(openAIMethods, module.OpenAI?.Batches));
  // An Assistants run's unit settles when the app reads the run ended (the poll helpers read it); the
  // assistants' models are remembered for their runs' policy and reservation.
  undo.push(
    openAIMethods.patch(module.OpenAI?.Beta?.Threads?.Runs?.prototype, 'retrieve', (original) =>
      watchRunRetrieve(openAIMethods, original),
    ),
    ...(['create', 'retrieve', 'update'] as const).map((key) =>
      openAIMethods.patch(module.OpenAI?.Beta?.Assistants?.prototype, key, (original) =>
        watchAssistant(openAIMethods, original),
      ),
    ),
  );
  for (const { method, key, resource, when } of UNGOVERNED_METHODS) {
    undo.push(
      warnUngoverned(openAIMethods, resource(module.OpenAI)?.prototype, key, {
        method: `openai ${method}`,
        adapter: '@genops/provider-openai',
        ...(when ? { when } : {}),
      }),
    );
  }
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
