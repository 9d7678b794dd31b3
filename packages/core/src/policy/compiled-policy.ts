// The compiled policy's shape, a leaf module (types only) so the pipeline's types need not import the compiler.
import type { Budget, RateLimit } from '../budget/budget-set';
import type { PolicyEngine } from './policy-engine';

/** Everything that decides calls, compiled once and swapped as one reference when the policy file changes. */
export interface CompiledPolicy {
  engine: PolicyEngine;
  budgets: readonly Budget[];
  rateLimits: readonly RateLimit[];
  approvals: {
    /** Worst-case cost above which a call waits for approval, nano-USD. */
    overNanos: number | undefined;
    /** The threshold in USD, for messages. */
    overUsd: number | undefined;
    timeoutMs: number;
    onTimeout: 'deny' | 'approve';
  };
  alerts: { webhook: string | undefined };
  /** The policy document's content hash (`genops.policy.version`). */
  version: string;
}
