import { AsyncLocalStorage } from 'node:async_hooks';
import type { Attribution } from './types';

// One storage per process, shared by duplicate copies of @genops/core (ESM and CJS builds side by side).
const STORAGE_KEY = Symbol.for('genops.attribution.storage');
const globalStore = globalThis as { [STORAGE_KEY]?: AsyncLocalStorage<Readonly<Attribution>> };
const storage = (globalStore[STORAGE_KEY] ??= new AsyncLocalStorage<Readonly<Attribution>>());

/**
 * Runs `fn` with `attribution` merged over the attribution already in effect. Every governed call
 * made inside `fn` (including in callbacks and promises it starts) is attributed to it.
 *
 * @example
 * await withAttribution({ team: 'support', customer: 'acme' }, () => client.chat.completions.create(...));
 */
export function withAttribution<T>(attribution: Attribution, fn: () => T): T {
  const outer = storage.getStore();
  // Already what the merge would make (nothing outside, frozen, every value a string): used as it is,
  // so calls made with the same object share it (and resolveAttribution's merge of it).
  if (outer === undefined && isFinalAttribution(attribution)) return storage.run(attribution, fn);
  const merged: Attribution = { ...outer };
  for (const [key, value] of Object.entries(attribution)) if (value !== undefined) merged[key] = String(value);
  return storage.run(Object.freeze(merged), fn);
}

/** A frozen attribution whose values are all strings: what {@link withAttribution} would make of it. */
function isFinalAttribution(attribution: Attribution): boolean {
  if (!Object.isFrozen(attribution)) return false;
  for (const key in attribution) if (typeof attribution[key] !== 'string') return false;
  return true;
}

/** The attribution set by enclosing {@link withAttribution} calls (without init defaults). */
export function getContextAttribution(): Readonly<Attribution> | undefined {
  return storage.getStore();
}

/** Resolves a call's attribution: defaults, then context. The result is frozen for the call's life. */
export function resolveAttribution(defaults: Readonly<Attribution>): Readonly<Attribution> {
  const context = storage.getStore();
  if (!context) return defaults;
  // Calls in one `withAttribution` scope share its (frozen) context object: one merged object for them.
  if (context === lastContext && defaults === lastDefaults) return lastResolved!;
  // Neither can change (frozen): the merge is kept per pair, so calls of several scopes interleaved
  // (the gateway's virtual keys, an app's teams) each find theirs again.
  const cacheable = Object.isFrozen(context) && Object.isFrozen(defaults);
  let byContext = cacheable ? resolvedBy.get(defaults) : undefined;
  let resolved = byContext?.get(context);
  if (resolved === undefined) {
    resolved = Object.freeze({ ...defaults, ...context });
    if (!cacheable) return resolved;
    if (byContext === undefined) resolvedBy.set(defaults, (byContext = new WeakMap()));
    byContext.set(context, resolved);
  }
  lastContext = context;
  lastDefaults = defaults;
  lastResolved = resolved;
  return resolved;
}

/** The attribution {@link resolveAttribution} merged last, and what from. */
let lastContext: Readonly<Attribution> | undefined;
let lastDefaults: Readonly<Attribution> | undefined;
let lastResolved: Readonly<Attribution> | undefined;
/**
 * Every merge of two frozen attributions {@link resolveAttribution} made, by defaults, then context: an
 * entry lives as long as its context object does (a scope's, or a virtual key's for the gateway's life).
 */
const resolvedBy = new WeakMap<Readonly<Attribution>, WeakMap<Readonly<Attribution>, Readonly<Attribution>>>();
