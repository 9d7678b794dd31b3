import { GovernanceError } from './governance-error';

const name = 'RateLimitedError';

/** A rate-limit rule refused the call: too many requests or tokens in its window. Retry later. */
export class RateLimitedError extends GovernanceError {
  static override readonly errorName: string = name;
  /** The rate-limit rule. */
  readonly rule: string;
  /** The limited key, e.g. `rate:team-rpm|team=search|rolling`. */
  readonly limitKey: string;
  readonly limit: number;
  readonly unit: 'requests' | 'tokens';
  readonly windowMs: number;
  /** Seconds until the rule has room again at the latest (its window), when the window is known. */
  readonly retryAfter: number | undefined;

  constructor(options: {
    rule: string;
    limitKey: string;
    limit: number;
    unit: 'requests' | 'tokens';
    windowMs: number;
    message: string;
  }) {
    // The window is sliding, so the call has room again at the latest one window from now: that is
    // the `retry-after` a retry layer honours (LangChain waits for it up to 60 s, and gives up beyond).
    const retryAfter = options.windowMs > 0 ? Math.ceil(options.windowMs / 1000) : undefined;
    super({
      name,
      result: 'RATE_LIMITED',
      reasonCode: 'RATE_LIMITED',
      message: options.message,
      isRetryable: true,
      status: 429,
      ...(retryAfter === undefined ? {} : { headers: { 'retry-after': String(retryAfter) } }),
    });
    this.retryAfter = retryAfter;
    this.rule = options.rule;
    this.limitKey = options.limitKey;
    this.limit = options.limit;
    this.unit = options.unit;
    this.windowMs = options.windowMs;
  }
}
