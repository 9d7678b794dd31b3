const MARKER = Symbol.for('genops.error');

/**
 * Base class of every error GenOps raises. Recognisable across duplicate copies of `@genops/core`
 * (two versions in one `node_modules`, or the ESM and CJS builds side by side): `instanceof` and
 * `isInstance()` check a `Symbol.for` marker and the error's name, not object identity.
 */
export class GenOpsError extends Error {
  readonly [MARKER] = true;
  /**
   * Whether an automatic retry of the same call, seconds later, could succeed (a rate limit, an
   * unreachable store). `false` for a decision that stands until someone changes a rule or a budget.
   */
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

  /**
   * Whether `error` is this class (or a subclass), from any copy of `@genops/core`.
   * `BudgetExceededError.isInstance(error)` narrows to `BudgetExceededError`.
   */
  static isInstance<T extends abstract new (...args: any) => GenOpsError>(
    this: T,
    error: unknown,
  ): error is InstanceType<T> {
    return matches(this, error);
  }

  static [Symbol.hasInstance](instance: unknown): boolean {
    return matches(this, instance);
  }
}

/** `this` is the class asked about; the base class matches every GenOps error. */
function matches(errorClass: unknown, error: unknown): boolean {
  if (typeof error !== 'object' || error === null || (error as Record<symbol, unknown>)[MARKER] !== true) return false;
  if (errorClass === GenOpsError) return true;
  const name = (errorClass as { errorName?: string }).errorName;
  if (!name) return false;
  const names = (error as { errorNames?: readonly string[] }).errorNames;
  return (error as Error).name === name || (names?.includes(name) ?? false);
}
