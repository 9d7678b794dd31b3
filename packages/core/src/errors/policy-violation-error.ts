import type { ReasonCode } from '../semconv';
import { GovernanceError } from './governance-error';

const name = 'PolicyViolationError';

/** A policy rule in `enforce` mode denied the call. */
export class PolicyViolationError extends GovernanceError {
  static override readonly errorName: string = name;
  /** The rule that decided, e.g. `allowModels`. */
  readonly rule: string;

  constructor(options: { rule: string; reasonCode: ReasonCode; message: string }) {
    super({ name, result: 'BLOCKED', reasonCode: options.reasonCode, message: options.message });
    this.rule = options.rule;
  }
}
