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

  constructor(options: {
    rule: string;
    limitKey: string;
    limit: number;
    unit: 'requests' | 'tokens';
    windowMs: number;
    message: string;
  }) {
    super({ name, result: 'RATE_LIMITED', reasonCode: 'RATE_LIMITED', message: options.message, isRetryable: true });
    this.rule = options.rule;
    this.limitKey = options.limitKey;
    this.limit = options.limit;
    this.unit = options.unit;
    this.windowMs = options.windowMs;
  }
}
