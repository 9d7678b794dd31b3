const MARKER = Symbol.for('genops.error');

/**
 * Base class of every error GenOps raises. Recognisable across duplicate copies of `@genops/core`
 * (two versions in one `node_modules`, or the ESM and CJS builds side by side): `instanceof` and
 * `isInstance()` check a `Symbol.for` marker and the error's name, not object identity.
 */
export class GenOpsError extends Error {
  readonly [MARKER] = true;
  /** Whether retrying the same call unchanged could succeed (e.g. after a budget window resets). */
  readonly isRetryable: boolean;

  constructor({
    name,
    message,
    cause,
    isRetryable = false,
  }: { name: string; message: string; cause?: unknown; isRetryable?: boolean }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = name;
    this.isRetryable = isRetryable;
  }

  static isInstance(error: unknown): error is GenOpsError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }

  static [Symbol.hasInstance](instance: unknown): boolean {
    if (!GenOpsError.isInstance(instance)) return false;
    // `this` is the class `instanceof` was asked about; the base matches every GenOps error.
    if (this === GenOpsError) return true;
    return hasName(instance, (this as unknown as { errorName?: string }).errorName ?? this.name);
  }
}

function hasName(error: GenOpsError, name: string): boolean {
  const names = (error as unknown as { errorNames?: readonly string[] }).errorNames;
  return error.name === name || (names?.includes(name) ?? false);
}
