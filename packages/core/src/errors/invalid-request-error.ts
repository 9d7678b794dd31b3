import { GenOpsError } from './genops-error';
import { showValue } from './show-value';

const name = 'InvalidRequestError';

/**
 * A governed request (what an adapter, or a direct `governor.begin()` call, describes) has a number the
 * worst case is built from that is missing or not a finite number from 0 up: `estimatedInputTokens`,
 * `maxOutputTokens`, `modelRequests`, a `batch` count or a `units` amount. Nothing was reserved or sent.
 * A programming error, not a decision: it is thrown before governance starts, and retrying cannot help.
 */
export class InvalidRequestError extends GenOpsError {
  static readonly errorName: string = name;
  /** Which field, e.g. `estimatedInputTokens` or `units.images[0].count`. */
  readonly field: string;
  readonly received: unknown;

  constructor(options: { field: string; received: unknown; provider?: unknown; model?: unknown }) {
    const what =
      typeof options.provider === 'string' && typeof options.model === 'string'
        ? ` (${options.provider}, ${options.model})`
        : '';
    super({
      name,
      message: `genops: the governed request${what} has ${options.field} = ${showValue(options.received)}: it must be a finite number from 0 up (the reservation's worst case is built from it). Nothing was reserved or sent. An adapter estimates it from the request (estimateInputTokens); a direct governor.begin() call must pass it.`,
    });
    this.field = options.field;
    this.received = options.received;
  }
}
