const marker = Symbol.for('genops.store-redis.RedisStoreError');

/**
 * Redis could not carry out an operation: the server is unreachable, the connection dropped, no reply
 * came in time, or Redis answered with an error. The message names the server (without credentials),
 * the namespace, the operation and why. With `failMode: 'closed'` GenOps denies the call with a
 * `StoreUnavailableError` whose `cause` is this error.
 */
export class RedisStoreError extends Error {
  override readonly name = 'RedisStoreError';
  /** The server, e.g. `redis://10.0.0.5:6379/0` (no password). */
  readonly server: string;
  /** The store method that failed, e.g. `reserve`. */
  readonly operation: string;

  constructor(options: { server: string; namespace: string; operation: string; reason: string; cause?: unknown }) {
    super(
      `genops: Redis store ${options.server} (namespace "${options.namespace}"): ${options.operation} failed: ${options.reason}`,
      { cause: options.cause },
    );
    this.server = options.server;
    this.operation = options.operation;
    Object.defineProperty(this, marker, { value: true });
  }

  /** Recognises the error across duplicate copies of this package. */
  static isInstance(error: unknown): error is RedisStoreError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}
