import { GovernanceError } from './governance-error';

const name = 'ReservationFailedError';

/**
 * A reservation could not be made for a reason other than an exhausted budget: the model has no
 * price and `unknownModel` is `deny`, or the store could not be reached (fail-closed).
 */
export class ReservationFailedError extends GovernanceError {
  static override readonly errorName: string = name;

  constructor(options: { message: string; reasonCode?: 'BUDGET_RESERVATION_FAILED' | `x_${string}`; cause?: unknown }) {
    super({
      name,
      result: 'BLOCKED',
      reasonCode: options.reasonCode ?? 'BUDGET_RESERVATION_FAILED',
      message: options.message,
      cause: options.cause,
    });
  }
}
