import {
  type BudgetInstance,
  type BudgetStatus,
  budgetInstances,
  type CompiledPolicy,
  type LineState,
} from '@genops/core/internal';

/** One row of the console's budget table (amounts in the line's unit: USD as a number, tokens, requests). */
export interface BudgetView {
  budget: string;
  /** The `per` values of this instance (`{ team: 'a' }`); empty for a shared budget. */
  per: Record<string, string>;
  period: string;
  /** As configured (`day`, `24h`); `null` for a budget the policy in force does not name. */
  window: string | null;
  unit: string;
  limit: number;
  used: number;
  reserved: number;
  remaining: number;
  /** `used / limit`, 0..1 (above 1 when overspent through a warn-only budget); `null` for a zero limit. */
  utilisation: number | null;
  status: BudgetStatus;
}

const NANOS_PER_USD = 1e9;

/**
 * The budget table: for a budget the policy configures, its instances in the current period (a shared
 * budget nobody used yet shows with nothing used); for a budget only the store knows (a policy changed
 * since), its instances in the newest period the store holds. Rate-limit lines are not budgets.
 */
export function budgetViews(
  lines: readonly LineState[],
  policy: CompiledPolicy | undefined,
  now: number,
): BudgetView[] {
  return budgetInstances(lines, policy?.budgets, now).flatMap(({ instances }) =>
    instances.map(viewOf).sort((a, b) => perText(a).localeCompare(perText(b))),
  );
}

function viewOf(instance: BudgetInstance): BudgetView {
  const { limit, used, reserved, unit } = instance;
  const scale = unit === 'USD' ? NANOS_PER_USD : 1;
  return {
    budget: instance.budget,
    per: instance.per,
    period: instance.period,
    window: instance.window,
    unit,
    limit: limit / scale,
    used: used / scale,
    reserved: reserved / scale,
    remaining: (limit - used - reserved) / scale,
    utilisation: limit > 0 ? used / limit : null,
    status: instance.status,
  };
}

function perText(view: BudgetView): string {
  return Object.entries(view.per)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}
