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
  /**
   * The HTTP status a gateway would answer with: 402 for a budget, 403 for a policy or approval
   * denial, 429 for a rate limit, 503 for an unreachable store. Retry layers read it (LangChain's
   * `AsyncCaller` never retries 402 and 403), so a denial is final to them.
   */
  readonly status: number;
  /**
   * Response-like headers, where retry layers look for `retry-after` (LangChain reads
   * `error.headers['retry-after']`). Only a `RateLimitedError` with a known window has one.
   */
  readonly headers: Readonly<Record<string, string>>;

  constructor(options: {
    name: string;
    message: string;
    result: PolicyResult;
    reasonCode: ReasonCode;
    cause?: unknown;
    isRetryable?: boolean;
    status?: number;
    headers?: Record<string, string>;
  }) {
    super(options);
    this.result = options.result;
    this.reasonCode = options.reasonCode;
    this.spanContext = undefined;
    this.status = options.status ?? 403;
    this.headers = Object.freeze({ ...options.headers });
  }
}
