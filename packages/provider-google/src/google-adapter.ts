import { defineSdkAdapter, loadPackageBuilds } from '@genops/core/adapter';
import { generativeAIMethods, governLegacyMethod } from './govern-generative-ai-call';
import { GOVERNED_METHODS, googleMethods, governMethod } from './govern-google-call';
import type { GenerativeAIModule, GoogleGenAIModule, LegacyKind } from './types';

/**
 * Loads every copy of `@google/genai` the app can reach: the Node CommonJS build (`require`) and the
 * Node ESM build (`import`). They are separate module graphs with separate `Models` classes, so both
 * are patched. Node 22.12+ loads the ESM build synchronously with `require()`. A copy without the
 * methods GenOps governs (another major) is left alone.
 */
export function loadGoogleGenAIModules(searchPaths: readonly string[]): GoogleGenAIModule[] {
  // The entry point is `dist/node/index.cjs` (the `node` + `require` export condition).
  return loadPackageBuilds<GoogleGenAIModule>('@google/genai', {
    searchPaths,
    from: import.meta.url,
    builds: ['index.cjs', 'index.mjs'],
    accept: (loaded) =>
      Boolean(loaded.GoogleGenAI && typeof loaded.Models?.prototype?.generateContentInternal === 'function'),
  }).map((loaded) => ({ GoogleGenAI: loaded.GoogleGenAI, Models: loaded.Models }));
}

/**
 * Patches the request methods on `Models.prototype` of one module copy, so clients created before
 * or after this are governed (see {@link GOVERNED_METHODS} for why these methods).
 */
export function patchModule(module: GoogleGenAIModule): () => void {
  const undo = Object.entries(GOVERNED_METHODS).map(([name, kind]) =>
    googleMethods.patch(module.Models?.prototype, name, (original) => governMethod(original, kind)),
  );
  return () => {
    for (const step of undo) step();
  };
}

/** Loads every copy (CJS `index.js`, ESM `index.mjs`) of the legacy `@google/generative-ai`. */
export function loadGenerativeAIModules(searchPaths: readonly string[]): GenerativeAIModule[] {
  return loadPackageBuilds<GenerativeAIModule>('@google/generative-ai', {
    searchPaths,
    from: import.meta.url,
    builds: ['index.js', 'index.mjs'],
    accept: (loaded) => Boolean(loaded.GenerativeModel && loaded.ChatSession),
  }).map((loaded) => ({ GenerativeModel: loaded.GenerativeModel, ChatSession: loaded.ChatSession }));
}

const LEGACY_METHODS: ReadonlyArray<[keyof GenerativeAIModule, string, LegacyKind, boolean]> = [
  ['GenerativeModel', 'generateContent', 'model', false],
  ['GenerativeModel', 'generateContentStream', 'model', true],
  ['ChatSession', 'sendMessage', 'chat', false],
  ['ChatSession', 'sendMessageStream', 'chat', true],
];

/** Patches one copy of the legacy SDK: `GenerativeModel` and `ChatSession` (which bypasses it). */
export function patchGenerativeAIModule(module: GenerativeAIModule): () => void {
  const undo = LEGACY_METHODS.map(([className, name, kind, stream]) =>
    generativeAIMethods.patch(module[className]?.prototype, name, (original) =>
      governLegacyMethod(original, kind, stream),
    ),
  );
  return () => {
    for (const step of undo) step();
  };
}

/** A loaded copy of either SDK this package governs. */
type GoogleSdkModule = { genai: GoogleGenAIModule } | { legacy: GenerativeAIModule };

/** Registered with `@genops/core`: `GenOps.init()` enables it when `@genops/provider-google` is installed. */
export const googleGenAIAdapter = defineSdkAdapter<GoogleSdkModule>({
  name: '@genops/provider-google',
  instruments: '@google/genai',
  load: (searchPaths) => [
    ...loadGoogleGenAIModules(searchPaths).map((genai) => ({ genai })),
    ...loadGenerativeAIModules(searchPaths).map((legacy) => ({ legacy })),
  ],
  patch: (module) => ('genai' in module ? patchModule(module.genai) : patchGenerativeAIModule(module.legacy)),
});
