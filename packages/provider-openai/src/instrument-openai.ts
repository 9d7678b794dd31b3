import { appSearchPaths } from '@genops/core';
import { fallbackAPIPromise } from './fallback-api-promise';
import { governCreate, isGoverned, unwrap } from './govern-openai-call';
import { GOVERNED_METHODS, loadOpenAIModules, type OpenAIModule } from './openai-adapter';

const INSTRUMENTED = Symbol.for('genops.openai.instrumented');

/**
 * Governs one OpenAI client explicitly: works under ESM, bundlers and with `autoInstrument: false`.
 * Governance applies once `GenOps.init()` has run; before that, calls pass through unchanged.
 *
 * @example
 * const client = instrumentOpenAI(new OpenAI());
 */
export function instrumentOpenAI<T extends object>(client: T): T {
  const target = client as Record<PropertyKey, any>;
  if (target[INSTRUMENTED]) return client;
  if (!looksLikeOpenAIClient(target)) {
    throw new TypeError('instrumentOpenAI(client) expects a client created by the `openai` package (version 7).');
  }
  // The SDK's own APIPromise class when the module can be loaded; a stand-in when a bundler inlined it.
  const APIPromise = moduleOf(target)?.APIPromise ?? fallbackAPIPromise;
  for (const { method } of GOVERNED_METHODS) {
    const [first, second] = method.split('.') as [string, string, string?];
    const resource = second === 'create' ? target[first] : target[first]?.[second];
    if (!resource || typeof resource.create !== 'function') continue;
    // Use the SDK's own method underneath even if the prototype is patched, so a call is governed once.
    const original = unwrap(resource.create);
    if (isGoverned(resource.create) && Object.hasOwn(resource, 'create')) continue;
    resource.create = governCreate(method, original, APIPromise);
  }
  Object.defineProperty(target, INSTRUMENTED, { value: true });
  return client;
}

function looksLikeOpenAIClient(client: Record<PropertyKey, any>): boolean {
  return (
    typeof client.chat?.completions?.create === 'function' && typeof client.post === 'function' && 'baseURL' in client
  );
}

function moduleOf(client: object): OpenAIModule | undefined {
  for (const module of loadOpenAIModules(appSearchPaths())) {
    if (client instanceof module.OpenAI) return module;
  }
  return undefined;
}
