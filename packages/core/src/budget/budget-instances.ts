// The budget instances a reader shows (`genops status`, the console's budget table): for a budget the
// policy configures, its instances in the current period (a shared budget nobody used yet shows with
// nothing used); for a budget only the store knows (the policy changed since), its instances in the
// newest period the store holds. Rate-limit lines are not budgets. Amounts stay in the line's integer
// unit (nano-USD, tokens, requests); each reader formats them its own way.

import type { LineState } from '../store/types';
import { type Budget, parseBudgetKey, RATE_PREFIX, ROLLING_PERIOD } from './budget-set';
import { currentPeriod } from './window';

export type BudgetStatus = 'Active' | 'Warning' | 'Exceeded';

/** The warn threshold of a budget the policy in force does not name. */
export const DEFAULT_WARN_AT = 0.8;

/** One budget instance: a `per` value in a window period. */
export interface BudgetInstance {
  budget: string;
  /** The store key of the line. */
  key: string;
  /** The `per` values (`{ team: 'a' }`); empty for a shared budget. */
  per: Record<string, string>;
  /** Period id: `2026-11-23`, `2026-W48`, `2026-11`, `total` or `rolling`. */
  period: string;
  /** As configured (`day`, `24h`); `null` for a budget the policy in force does not name. */
  window: string | null;
  unit: string;
  limit: number;
  used: number;
  reserved: number;
  /** The lowest warnAt fraction of the budget. */
  warnAt: number;
  status: BudgetStatus;
}

/** The instances of one budget, in store order. */
export interface BudgetInstanceGroup {
  budget: string;
  instances: BudgetInstance[];
}

/** Active below `warnAt`, Warning from it, Exceeded from the limit. */
export function budgetStatus(used: number, limit: number, warnAt: number): BudgetStatus {
  if (used >= limit) return 'Exceeded';
  if (used >= limit * warnAt) return 'Warning';
  return 'Active';
}

/**
 * The budget instances of `lines`, grouped by budget: the policy's budgets in its order, then the
 * store's other budgets by name. A budget with no instance to show is left out.
 */
export function budgetInstances(
  lines: readonly LineState[],
  budgets: readonly Budget[] | undefined,
  now: number,
): BudgetInstanceGroup[] {
  const configured = new Map<string, Budget>((budgets ?? []).map((budget) => [budget.name, budget]));
  const byBudget = new Map<string, Array<{ line: LineState; parsed: ReturnType<typeof parseBudgetKey> }>>();
  for (const line of lines) {
    if (line.budget.startsWith(RATE_PREFIX)) continue;
    const parsed = parseBudgetKey(line.key);
    const name = line.budget || parsed.name;
    let group = byBudget.get(name);
    if (!group) byBudget.set(name, (group = []));
    group.push({ line, parsed });
  }
  const names = [...configured.keys(), ...[...byBudget.keys()].filter((name) => !configured.has(name)).sort()];
  const groups: BudgetInstanceGroup[] = [];
  for (const name of names) {
    const budget = configured.get(name);
    const group = byBudget.get(name) ?? [];
    const period =
      budget === undefined
        ? newestPeriod(group)
        : budget.window.kind === 'rolling'
          ? ROLLING_PERIOD
          : currentPeriod(budget.window.window, now, budget.window.timeZone).id;
    if (period === undefined) continue;
    const window = budget?.windowLabel ?? null;
    const warnAt = budget ? Math.min(...budget.warnAt) : DEFAULT_WARN_AT;
    const instances: BudgetInstance[] = [];
    for (const { line, parsed } of group)
      if (parsed.period === period)
        instances.push({
          budget: name,
          key: line.key,
          per: parsed.per,
          period,
          window,
          unit: line.unit,
          limit: line.limit,
          used: line.used,
          reserved: line.reserved,
          warnAt,
          status: budgetStatus(line.used, line.limit, warnAt),
        });
    if (instances.length === 0 && budget !== undefined && budget.per.length === 0)
      instances.push({
        budget: name,
        key: `${name}||${period}`,
        per: {},
        period,
        window,
        unit: budget.unit,
        limit: budget.limit,
        used: 0,
        reserved: 0,
        warnAt,
        status: budgetStatus(0, budget.limit, warnAt),
      });
    if (instances.length > 0) groups.push({ budget: name, instances });
  }
  return groups;
}

function newestPeriod(group: ReadonlyArray<{ parsed: { period: string } }>): string | undefined {
  let newest: string | undefined;
  for (const { parsed } of group) if (newest === undefined || parsed.period > newest) newest = parsed.period;
  return newest;
}
