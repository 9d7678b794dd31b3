import { createFallbackAPIPromise } from '@genops/core/adapter';
import { anthropicAdapter, BATCH_RESOURCES, GOVERNED_RESOURCES } from './anthropic-adapter';
import { governSessionCreate, governSessionSend, watchAgent, watchSessionStream } from './anthropic-managed-agents';
import { governBatchCreate, watchBatchResults } from './anthropic-message-batches';
import { anthropicMethods, governCreate } from './govern-anthropic-call';

const INSTRUMENTED = Symbol.for('genops.anthropic.instrumented');

/** The SDK's `APIPromise` stand-in when a bundler inlined `@anthropic-ai/sdk`; its request id header. */
export const fallbackAPIPromise = createFallbackAPIPromise('request-id');

/**
 * Governs one Anthropic client explicitly: works under ESM, bundlers and with `autoInstrument: false`.
 * Governance applies once `GenOps.init()` has run; before that, calls pass through unchanged.
 *
 * @example
 * const client = instrumentAnthropic(new Anthropic({ openTelemetry: false }));
 */
export function instrumentAnthropic<T extends object>(client: T): T {
  const target = client as Record<PropertyKey, any>;
  if (target[INSTRUMENTED]) return client;
  const messages = target.messages;
  if (typeof messages?.create !== 'function' || typeof target.post !== 'function' || !('baseURL' in target)) {
    throw new TypeError('instrumentAnthropic(client) expects a client created by `@anthropic-ai/sdk` (version 1).');
  }
  // The SDK's own APIPromise class when the module can be loaded; a stand-in when a bundler inlined it.
  const APIPromise =
    anthropicAdapter.moduleOf(target, (candidate, module) => candidate instanceof module.Anthropic)?.APIPromise ??
    fallbackAPIPromise;
  for (const { method, path } of GOVERNED_RESOURCES) {
    const resource = path.reduce((parent, key) => parent?.[key], target as any);
    if (typeof resource?.create !== 'function') continue;
    // The SDK's own method underneath even if the prototype is patched, so a call is governed once.
    if (anthropicMethods.isGoverned(resource.create) && Object.hasOwn(resource, 'create')) continue;
    resource.create = governCreate(anthropicMethods.unwrap(resource.create), APIPromise, method);
  }
  for (const { method, path } of BATCH_RESOURCES) {
    const batches = path.reduce((parent, key) => parent?.[key], target as any);
    if (typeof batches?.create !== 'function') continue;
    if (anthropicMethods.isGoverned(batches.create) && Object.hasOwn(batches, 'create')) continue;
    batches.create = governBatchCreate(anthropicMethods.unwrap(batches.create), APIPromise, method);
    if (typeof batches.results === 'function')
      batches.results = watchBatchResults(anthropicMethods.unwrap(batches.results));
  }
  // Managed agents (see anthropic-managed-agents.ts): the session's sends are units, its stream settles them.
  const sessions = target.beta?.sessions;
  const wrapOwn = (resource: any, key: string, wrap: (original: any) => any) => {
    if (typeof resource?.[key] !== 'function') return;
    if (anthropicMethods.isGoverned(resource[key]) && Object.hasOwn(resource, key)) return;
    resource[key] = wrap(anthropicMethods.unwrap(resource[key]));
  };
  wrapOwn(sessions?.events, 'send', (original) => governSessionSend(original, APIPromise));
  wrapOwn(sessions?.events, 'stream', watchSessionStream);
  wrapOwn(sessions, 'create', (original) => governSessionCreate(original, APIPromise));
  for (const key of ['create', 'retrieve', 'update']) wrapOwn(target.beta?.agents, key, watchAgent);
  Object.defineProperty(target, INSTRUMENTED, { value: true });
  return client;
}
