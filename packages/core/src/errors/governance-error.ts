import type { PolicyResult, ReasonCode } from '../semconv';
import { GenOpsError } from './genops-error';

/** A deliberate governance decision that stopped a call before it reached the provider. */
export class GovernanceError extends GenOpsError {
  static readonly errorName: string = 'GenOpsGovernanceError';
  readonly errorNames: readonly string[] = ['GenOpsGovernanceError'];
  readonly result: PolicyResult;
  readonly reasonCode: ReasonCode;
  /** Trace and span id of the AWU span that recorded the decision, when one was recorded. */
  spanContext: { traceId: string; spanId: string } | undefined;

  constructor(options: {
    name: string;
    message: string;
    result: PolicyResult;
    reasonCode: ReasonCode;
    cause?: unknown;
    isRetryable?: boolean;
  }) {
    super(options);
    this.result = options.result;
    this.reasonCode = options.reasonCode;
    this.spanContext = undefined;
  }
}
