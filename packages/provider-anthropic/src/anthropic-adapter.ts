import { defineSdkAdapter, loadPackageBuilds } from '@genops/core/adapter';
import { governSessionCreate, governSessionSend, watchAgent, watchSessionStream } from './anthropic-managed-agents';
import { type AnthropicBatchMethod, governBatchCreate, watchBatchResults } from './anthropic-message-batches';
import { anthropicMethods, governCreate } from './govern-anthropic-call';
import type { AnthropicMethod, AnthropicModule } from './types';

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
 * Where each governed `create` lives on the SDK's classes: `messages.create` and its beta mirror
 * `beta.messages.create`. Everything billable goes through one of them: `messages.stream()` and
 * `beta.messages.stream()` call `create({ stream: true })`, `beta.messages.parse()` calls `create`, and
 * `beta.messages.toolRunner()` and message threads send each model turn with `beta.messages.create`
 * (one governed unit per turn). `countTokens` is free and stays ungoverned.
 */
export const GOVERNED_RESOURCES: ReadonlyArray<{
  method: AnthropicMethod;
  path: readonly string[];
  resource: (Anthropic: any) => any;
}> = [
  { method: 'messages.create', path: ['messages'], resource: (Anthropic) => Anthropic?.Messages },
  { method: 'beta.messages.create', path: ['beta', 'messages'], resource: (Anthropic) => Anthropic?.Beta?.Messages },
];

/**
 * Message batches: `create` is one governed unit at batch rates, settled when the app reads `results`
 * (see `anthropic-message-batches.ts`).
 */
export const BATCH_RESOURCES: ReadonlyArray<{
  method: AnthropicBatchMethod;
  path: readonly string[];
  resource: (Anthropic: any) => any;
}> = [
  {
    method: 'messages.batches.create',
    path: ['messages', 'batches'],
    resource: (Anthropic) => Anthropic?.Messages?.Batches,
  },
  {
    method: 'beta.messages.batches.create',
    path: ['beta', 'messages', 'batches'],
    resource: (Anthropic) => Anthropic?.Beta?.Messages?.Batches,
  },
];

/** Patches the governed `create` methods of one module copy, so clients created before or after this are governed. */
export function patchModule(module: AnthropicModule): () => void {
  const undo = GOVERNED_RESOURCES.map(({ method, resource }) =>
    anthropicMethods.patch(resource(module.Anthropic)?.prototype, 'create', (original) =>
      governCreate(original, module.APIPromise, method),
    ),
  );
  for (const { method, resource } of BATCH_RESOURCES) {
    const prototype = resource(module.Anthropic)?.prototype;
    undo.push(
      anthropicMethods.patch(prototype, 'create', (original) => governBatchCreate(original, module.APIPromise, method)),
      anthropicMethods.patch(prototype, 'results', (original) => watchBatchResults(original)),
    );
  }
  // Managed agents: a user event sent to a session is a governed agent turn, settled from the session's
  // event stream (see anthropic-managed-agents.ts); agents and sessions are read to learn the model.
  const beta = module.Anthropic?.Beta;
  const agents = beta?.Agents?.prototype;
  undo.push(
    anthropicMethods.patch(beta?.Sessions?.Events?.prototype, 'send', (original) =>
      governSessionSend(original, module.APIPromise),
    ),
    anthropicMethods.patch(beta?.Sessions?.Events?.prototype, 'stream', watchSessionStream),
    anthropicMethods.patch(beta?.Sessions?.prototype, 'create', (original) =>
      governSessionCreate(original, module.APIPromise),
    ),
    ...['create', 'retrieve', 'update'].map((name) => anthropicMethods.patch(agents, name, watchAgent)),
  );
  return () => {
    for (const step of undo) step();
  };
}

/** Registered with `@genops/core`: `GenOps.init()` enables it when `@genops/provider-anthropic` is installed. */
export const anthropicAdapter = defineSdkAdapter<AnthropicModule>({
  name: '@genops/provider-anthropic',
  instruments: '@anthropic-ai/sdk',
  load: loadAnthropicModules,
  patch: patchModule,
});
