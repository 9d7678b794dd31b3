/** A value a store or stage returns either at once (the memory store) or later (a remote store). */
export type MaybePromise<T> = T | Promise<T>;

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

/** Applies `fn` to `value` now when it is ready, else when it resolves: no promise on the synchronous path. */
export function andThen<T, U>(value: MaybePromise<T>, fn: (resolved: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromise(value) ? value.then(fn) : fn(value);
}

/**
 * The promise a stage returns when its work already finished synchronously (the memory store): one
 * shared, resolved promise, so a caller can tell "done" (`=== DONE`) without waiting a microtask.
 */
export const DONE: Promise<void> = Promise.resolve();
