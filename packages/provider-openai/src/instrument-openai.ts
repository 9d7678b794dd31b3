import { createFallbackAPIPromise } from '@genops/core/adapter';
import { governCreate, governEndpoint, openAIMethods, PROVIDER } from './govern-openai-call';
import { GOVERNED_ENDPOINTS, GOVERNED_METHODS, openAIAdapter } from './openai-adapter';
import { watchResponseRetrieve } from './openai-background-responses';
import { watchBatchRetrieve } from './openai-batches';
import { watchFineTuningRetrieve } from './openai-fine-tuning';
import type { InstrumentOpenAIOptions } from './types';

const INSTRUMENTED = Symbol.for('genops.openai.instrumented');

/** The SDK's `APIPromise` stand-in when a bundler inlined `openai`; its request id header. */
export const fallbackAPIPromise = createFallbackAPIPromise('x-request-id');

/**
 * Governs one OpenAI client explicitly: works under ESM, bundlers and with `autoInstrument: false`.
 * Governance applies once `GenOps.init()` has run; before that, calls pass through unchanged.
 *
 * @example
 * const client = instrumentOpenAI(new OpenAI());
 * const together = instrumentOpenAI(new OpenAI({ baseURL: 'https://llm.internal/v1' }), { provider: 'together' });
 */
export function instrumentOpenAI<T extends object>(client: T, options: InstrumentOpenAIOptions = {}): T {
  const target = client as Record<PropertyKey, any>;
  if (!looksLikeOpenAIClient(target)) {
    throw new TypeError('instrumentOpenAI(client) expects a client created by the `openai` package (version 7).');
  }
  if (options.provider !== undefined) {
    if (typeof options.provider !== 'string' || !/^[a-z][a-z0-9_.-]*$/.test(options.provider)) {
      throw new TypeError(
        `instrumentOpenAI(client, { provider }) expects a lowercase provider name such as 'together', got ${JSON.stringify(options.provider)}.`,
      );
    }
    Object.defineProperty(target, PROVIDER, { value: options.provider, configurable: true });
  }
  if (target[INSTRUMENTED]) return client;
  // The SDK's own APIPromise class when the module can be loaded; a stand-in when a bundler inlined it.
  const APIPromise =
    openAIAdapter.moduleOf(target, (candidate, module) => candidate instanceof module.OpenAI)?.APIPromise ??
    fallbackAPIPromise;
  for (const { method, path } of GOVERNED_METHODS) {
    const resource = path.reduce((parent, key) => parent?.[key], target as any);
    if (!resource || typeof resource.create !== 'function') continue;
    // Use the SDK's own method underneath even if the prototype is patched, so a call is governed once.
    const original = openAIMethods.unwrap(resource.create);
    if (openAIMethods.isGoverned(resource.create) && Object.hasOwn(resource, 'create')) continue;
    resource.create = governCreate(method, original, APIPromise);
  }
  for (const endpoint of GOVERNED_ENDPOINTS) {
    const resource = endpoint.path.reduce((parent, key) => parent?.[key], target as any);
    const method = resource?.[endpoint.key];
    if (typeof method !== 'function') continue;
    if (openAIMethods.isGoverned(method) && Object.hasOwn(resource, endpoint.key)) continue;
    resource[endpoint.key] = governEndpoint(endpoint, openAIMethods.unwrap(method), APIPromise);
  }
  for (const [path, method] of [
    [['responses'], 'responses.retrieve'],
    [['beta', 'responses'], 'beta.responses.retrieve'],
  ] as const) {
    const responses = path.reduce((parent, key) => parent?.[key], target as any);
    if (typeof responses?.retrieve === 'function' && !Object.hasOwn(responses, 'retrieve'))
      responses.retrieve = watchResponseRetrieve(openAIMethods, openAIMethods.unwrap(responses.retrieve), method);
  }
  const jobs = target.fineTuning?.jobs;
  if (typeof jobs?.retrieve === 'function' && !Object.hasOwn(jobs, 'retrieve'))
    jobs.retrieve = watchFineTuningRetrieve(openAIMethods, openAIMethods.unwrap(jobs.retrieve));
  const batches = target.batches;
  if (typeof batches?.retrieve === 'function' && !Object.hasOwn(batches, 'retrieve'))
    batches.retrieve = watchBatchRetrieve(openAIMethods, openAIMethods.unwrap(batches.retrieve));
  Object.defineProperty(target, INSTRUMENTED, { value: true });
  return client;
}

function looksLikeOpenAIClient(client: Record<PropertyKey, any>): boolean {
  return (
    typeof client.chat?.completions?.create === 'function' && typeof client.post === 'function' && 'baseURL' in client
  );
}
