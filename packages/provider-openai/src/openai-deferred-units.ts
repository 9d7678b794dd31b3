import type { CallOutcome, GovernedCall, MethodPatcher } from '@genops/core/adapter';

/**
 * Units kept open for work the provider bills after the call that started it returns (a batch job, a
 * fine-tuning job, a background response), by the id of that job or response. Each settles once, when
 * the app reads the finished object in this process.
 */
export class DeferredUnits {
  readonly #open = new Map<string, GovernedCall>();

  /** Keeps `call` open for the object `id` (the `StainlessCallPlan.defer` answer: `false` without an id). */
  keep(id: unknown, call: GovernedCall): boolean {
    if (typeof id !== 'string') return false;
    this.#open.set(id, call);
    return true;
  }

  /** The open unit of `id`, removed: the caller settles it. */
  take(id: unknown): GovernedCall | undefined {
    if (typeof id !== 'string') return undefined;
    const call = this.#open.get(id);
    this.#open.delete(id);
    return call;
  }

  has(id: unknown): boolean {
    return typeof id === 'string' && this.#open.has(id);
  }

  /**
   * Wraps a `retrieve(id)` method: when the object it returns is `finished`, the unit kept for its `id`
   * ends with `read(object)`. The caller still gets the SDK's own `APIPromise` (through `_thenUnwrap`).
   */
  watchRetrieve(
    patcher: MethodPatcher,
    original: (...args: any[]) => any,
    finished: (object: any) => boolean,
    read: (object: any) => CallOutcome,
  ) {
    const units = this;
    return patcher.mark(original, function (this: unknown, ...args: unknown[]) {
      const promise = original.apply(this, args);
      if (units.#open.size === 0 || typeof promise?._thenUnwrap !== 'function') return promise;
      return promise._thenUnwrap((object: any) => {
        if (finished(object)) void units.take(object?.id)?.end(read(object));
        return object;
      });
    });
  }
}
