// SDK methods are patched without their types (the SDK is a peer dependency).
type AnyFunction = (this: any, ...args: any[]) => any;

/**
 * Marks governed wrappers of SDK methods so a method is never governed twice and can be unwrapped.
 * The marker is a `Symbol.for` key, so copies of an adapter loaded twice agree on it.
 */
export interface MethodPatcher {
  /** Marks `governed` as the governed form of `original` (and gives it `original`'s name). */
  mark<F extends AnyFunction>(original: F, governed: F): F;
  /** The SDK's own method behind a (possibly) governed one. */
  unwrap<F extends AnyFunction>(method: F): F;
  /** Whether `method` is a governed wrapper. */
  isGoverned(method: unknown): boolean;
  /**
   * Replaces `target[key]` (a prototype or an instance) by `wrap(original)` unless it is governed
   * already, and returns the undo. The SDK's own method is used underneath even if it was wrapped. A
   * method `target` inherits is patched as an own property, which the undo deletes again.
   */
  patch(
    target: Record<PropertyKey, any> | undefined,
    key: PropertyKey,
    wrap: (original: AnyFunction) => AnyFunction,
  ): () => void;
}

/**
 * The patcher of one adapter, e.g. `methodPatcher('openai')` (marker `genops.openai.original`).
 *
 * @example
 * const patcher = methodPatcher('anthropic');
 * const undo = patcher.patch(Anthropic.Messages.prototype, 'create', (original) => governCreate(original, APIPromise));
 */
export function methodPatcher(name: string): MethodPatcher {
  const ORIGINAL = Symbol.for(`genops.${name}.original`);
  const patcher: MethodPatcher = {
    mark(original, governed) {
      Object.defineProperty(governed, ORIGINAL, { value: original });
      Object.defineProperty(governed, 'name', { value: original.name });
      return governed;
    },
    unwrap(method) {
      return (method as typeof method & { [ORIGINAL]?: typeof method })[ORIGINAL] ?? method;
    },
    isGoverned(method) {
      return typeof method === 'function' && ORIGINAL in method;
    },
    patch(target, key, wrap) {
      const current = target?.[key];
      if (!target || typeof current !== 'function' || patcher.isGoverned(current)) return () => {};
      // A method `target` inherits (a base class's) is shadowed while patched, and unshadowed on undo.
      const inherited = !Object.hasOwn(target, key);
      target[key] = wrap(current);
      return () => {
        if (!patcher.isGoverned(target[key])) return;
        if (inherited) delete target[key];
        else target[key] = patcher.unwrap(target[key]);
      };
    },
  };
  return patcher;
}
