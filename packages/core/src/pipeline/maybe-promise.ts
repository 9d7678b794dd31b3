/** A value a store or stage returns either at once (the memory store) or later (a remote store). */
export type MaybePromise<T> = T | Promise<T>;

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

/** Applies `fn` to `value` now when it is ready, else when it resolves: no promise on the synchronous path. */
export function andThen<T, U>(value: MaybePromise<T>, fn: (resolved: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromise(value) ? value.then(fn) : fn(value);
}

const DONE_KEY = Symbol.for('genops.done');

/**
 * The promise a stage returns when its work already finished synchronously (the memory store): one
 * shared, resolved promise, so a caller can tell "done" (`=== DONE`) without waiting a microtask. One
 * per process, not per build: the adapter kit often runs from core's CommonJS build while the governor
 * runs from its ESM build, and a sentinel of each build's own would never compare equal (the kit would
 * then wait a promise and a microtask per call for work that already finished).
 */
export const DONE: Promise<void> = ((globalThis as Record<symbol, Promise<void> | undefined>)[DONE_KEY] ??=
  Promise.resolve());
