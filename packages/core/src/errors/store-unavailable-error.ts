import { GovernanceError } from './governance-error';

const name = 'StoreUnavailableError';

/**
 * The governance store could not be reached (or answered with an error) and its `failMode` is
 * `closed` (the default): the call was denied rather than run without a reservation. Retry when the
 * store is back, or set `failMode: 'open'` on the store to let calls run (recorded, and their
 * settlements journaled and replayed later).
 */
export class StoreUnavailableError extends GovernanceError {
  static override readonly errorName: string = name;
  override readonly errorNames: readonly string[] = ['GenOpsGovernanceError', 'ReservationFailedError', name];
  /** The store's kind (`sqlite`, `redis`, ...). */
  readonly store: string;
  /** What GenOps was doing: `reserve` or `approval`. */
  readonly operation: string;

  constructor(options: { store: string; operation: string; message: string; cause?: unknown }) {
    super({
      name,
      result: 'BLOCKED',
      reasonCode: 'BUDGET_RESERVATION_FAILED',
      message: options.message,
      cause: options.cause,
      isRetryable: true,
      status: 503,
    });
    this.store = options.store;
    this.operation = options.operation;
  }
}
