import { appSearchPaths } from '@genops/core';
import { type AnthropicModule, loadAnthropicModules } from './anthropic-adapter';
import { fallbackAPIPromise } from './fallback-api-promise';
import { governCreate, isGoverned, unwrap } from './govern-anthropic-call';

const INSTRUMENTED = Symbol.for('genops.anthropic.instrumented');

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
  const APIPromise = moduleOf(target)?.APIPromise ?? fallbackAPIPromise;
  // The SDK's own method underneath even if the prototype is patched, so a call is governed once.
  if (!(isGoverned(messages.create) && Object.hasOwn(messages, 'create'))) {
    messages.create = governCreate(unwrap(messages.create), APIPromise);
  }
  Object.defineProperty(target, INSTRUMENTED, { value: true });
  return client;
}

function moduleOf(client: object): AnthropicModule | undefined {
  for (const module of loadAnthropicModules(appSearchPaths())) {
    if (client instanceof module.Anthropic) return module;
  }
  return undefined;
}
