import { type AdapterContext, type GenOpsAdapter, loadPackageBuilds } from '@genops/core/adapter';
import { governLegacyMethod, isGovernedLegacy, type LegacyKind, unwrapLegacy } from './govern-generative-ai-call';
import { GOVERNED_METHODS, type GovernedMethodName, governMethod, isGoverned, unwrap } from './govern-google-call';

/** One loaded copy of `@google/genai`: its CJS build or its ESM build. */
export interface GoogleGenAIModule {
  GoogleGenAI: any;
  Models: any;
}

/**
 * Loads every copy of `@google/genai` the app can reach: the Node CommonJS build (`require`) and the
 * Node ESM build (`import`). They are separate module graphs with separate `Models` classes, so both
 * are patched. Node 22.12+ loads the ESM build synchronously with `require()`.
 */
export function loadGoogleGenAIModules(searchPaths: readonly string[]): GoogleGenAIModule[] {
  // The entry point is `dist/node/index.cjs` (the `node` + `require` export condition).
  return loadPackageBuilds<GoogleGenAIModule>('@google/genai', {
    searchPaths,
    from: import.meta.url,
    builds: ['index.cjs', 'index.mjs'],
    accept: (loaded) => Boolean(loaded.GoogleGenAI && loaded.Models),
  }).map((loaded) => ({ GoogleGenAI: loaded.GoogleGenAI, Models: loaded.Models }));
}

/**
 * Patches the request methods on `Models.prototype` of one module copy, so clients created before
 * or after this are governed (see {@link GOVERNED_METHODS} for why these methods).
 */
export function patchModule(module: GoogleGenAIModule): () => void {
  const prototype = module.Models?.prototype;
  if (!prototype) return () => {};
  const patched: GovernedMethodName[] = [];
  for (const [name, kind] of Object.entries(GOVERNED_METHODS) as Array<
    [GovernedMethodName, (typeof GOVERNED_METHODS)[GovernedMethodName]]
  >) {
    const current = prototype[name];
    if (typeof current !== 'function' || isGoverned(current)) continue;
    prototype[name] = governMethod(current, kind);
    patched.push(name);
  }
  return () => {
    for (const name of patched) if (isGoverned(prototype[name])) prototype[name] = unwrap(prototype[name]);
  };
}

/** One loaded copy of the legacy `@google/generative-ai`. */
export interface GenerativeAIModule {
  GenerativeModel: any;
  ChatSession: any;
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
  const undo: Array<() => void> = [];
  for (const [className, name, kind, stream] of LEGACY_METHODS) {
    const prototype = module[className]?.prototype;
    const current = prototype?.[name];
    if (typeof current !== 'function' || isGovernedLegacy(current)) continue;
    prototype[name] = governLegacyMethod(current, kind, stream);
    undo.push(() => {
      if (isGovernedLegacy(prototype[name])) prototype[name] = unwrapLegacy(prototype[name]);
    });
  }
  return () => {
    for (const step of undo) step();
  };
}

let unpatch: Array<() => void> = [];

/** Registered with `@genops/core`: `GenOps.init()` enables it when `@genops/provider-google` is installed. */
export const googleGenAIAdapter: GenOpsAdapter = {
  name: '@genops/provider-google',
  instruments: '@google/genai',
  enable(context: AdapterContext): boolean {
    const modules = loadGoogleGenAIModules(context.searchPaths);
    for (const module of modules) unpatch.push(patchModule(module));
    const legacy = loadGenerativeAIModules(context.searchPaths);
    for (const module of legacy) unpatch.push(patchGenerativeAIModule(module));
    return (
      legacy.length > 0 ||
      modules.some((module) => typeof module.Models?.prototype?.generateContentInternal === 'function')
    );
  },
  disable(): void {
    for (const step of unpatch) step();
    unpatch = [];
  },
};
