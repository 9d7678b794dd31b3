import { GenOpsError } from './genops-error';

const name = 'StoreIdentityError';

/**
 * The governance store is no longer the one this process opened: its SQLite file was deleted or
 * replaced, or its Redis database was flushed (or its namespace's epoch key removed or changed), while
 * the process ran. Carrying on would split the ledger (this process writing a file nobody else sees, or
 * counting from $0 again), so every operation fails from then on; GenOps then acts on the store's
 * `failMode` (`closed` denies calls with a `StoreUnavailableError` whose `cause` is this error). Not
 * retryable: restart the process once the store is where it should be (restore the file, or accept the
 * new ledger).
 */
export class StoreIdentityError extends GenOpsError {
  static readonly errorName: string = name;
  /** The store's kind (`sqlite`, `redis`). */
  readonly store: string;
  /** Where the store is: the SQLite file, or the Redis server and namespace (never a password). */
  readonly location: string;
  /** What changed: `deleted`, `replaced` (SQLite) or `flushed` (Redis). */
  readonly reason: 'deleted' | 'replaced' | 'flushed';

  constructor(options: {
    store: string;
    location: string;
    reason: 'deleted' | 'replaced' | 'flushed';
    message: string;
    cause?: unknown;
  }) {
    super({ name, message: options.message, cause: options.cause, isRetryable: false });
    this.store = options.store;
    this.location = options.location;
    this.reason = options.reason;
  }
}
