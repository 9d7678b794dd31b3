import { GovernanceError } from './governance-error';

const name = 'BudgetExceededError';

/** The call's worst-case cost does not fit in a budget with action `block`. */
export class BudgetExceededError extends GovernanceError {
  static override readonly errorName: string = name;
  readonly budget: string;
  /** The budget instance key, `name|per values|period`, e.g. `team-daily|team=engineering|2026-11-23`. */
  readonly budgetKey: string;
  readonly limit: number;
  readonly used: number;
  readonly requested: number;
  readonly unit: string;

  constructor(options: {
    budget: string;
    budgetKey: string;
    limit: number;
    used: number;
    requested: number;
    unit: string;
    period: string;
    /** Extra context appended to the message (e.g. why a downgrade budget could not downgrade). */
    note?: string;
  }) {
    const money = (value: number) =>
      options.unit === 'USD'
        ? `$${value.toFixed(6).replace(/0{1,4}$/, '')}`
        : options.unit === 'calls'
          ? `${value} ${value === 1 ? 'call' : 'calls'}`
          : `${value} ${options.unit}`;
    const advice =
      options.unit === 'calls'
        ? `Raise the budget's limit, wait for its next ${options.period}, or set the budget's action to "warn" or "approval".`
        : `Raise the budget's limit, lower the call's max output tokens, or set the budget's action to "warn".`;
    super({
      name,
      result: 'BLOCKED',
      reasonCode: 'BUDGET_EXCEEDED',
      // Final to retry layers: the budget frees up when its window resets (hours or days), not in the
      // seconds a retry loop waits; retrying only records more BLOCKED decisions.
      isRetryable: false,
      status: 402,
      message:
        `Budget "${options.budget}" (${options.budgetKey}) would be exceeded: ${money(options.used)} of ${money(options.limit)} ` +
        `already used or reserved this ${options.period}, and this call ${options.unit === 'calls' ? 'is' : 'may cost up to'} ${money(options.requested)}${options.note ? ` ${options.note}` : ''}. ` +
        advice,
    });
    this.budget = options.budget;
    this.budgetKey = options.budgetKey;
    this.limit = options.limit;
    this.used = options.used;
    this.requested = options.requested;
    this.unit = options.unit;
  }
}
