import {
  type CompiledPolicy,
  currentPeriod,
  type LineState,
  parseBudgetKey,
  RATE_PREFIX,
  ROLLING_PERIOD,
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
  status: 'Active' | 'Warning' | 'Exceeded';
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
  const configured = new Map((policy?.budgets ?? []).map((budget) => [budget.name, budget]));
  const periodOf = new Map<string, string>();
  for (const budget of configured.values())
    periodOf.set(
      budget.name,
      budget.window.kind === 'rolling'
        ? ROLLING_PERIOD
        : currentPeriod(budget.window.window, now, budget.window.timeZone).id,
    );
  const known = lines
    .filter((line) => !line.budget.startsWith(RATE_PREFIX))
    .map((line) => ({ line, key: parseBudgetKey(line.key) }));
  for (const { line, key } of known) {
    const name = line.budget || key.name;
    if (configured.has(name)) continue;
    const newest = periodOf.get(name);
    if (newest === undefined || key.period > newest) periodOf.set(name, key.period);
  }
  const views: BudgetView[] = [];
  const seen = new Set<string>();
  for (const { line, key } of known) {
    const name = line.budget || key.name;
    if (key.period !== periodOf.get(name)) continue;
    seen.add(name);
    views.push(viewOf(name, key.per, key.period, line, configured.get(name)));
  }
  for (const budget of configured.values())
    if (!seen.has(budget.name) && budget.per.length === 0)
      views.push(
        viewOf(
          budget.name,
          {},
          periodOf.get(budget.name) ?? '',
          { limit: budget.limit, used: 0, reserved: 0, unit: budget.unit },
          budget,
        ),
      );
  const order = [...configured.keys()];
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return views.sort(
    (a, b) =>
      rank(a.budget) - rank(b.budget) || a.budget.localeCompare(b.budget) || perText(a).localeCompare(perText(b)),
  );
}

function viewOf(
  name: string,
  per: Record<string, string>,
  period: string,
  line: Pick<LineState, 'limit' | 'used' | 'reserved' | 'unit'>,
  budget: CompiledPolicy['budgets'][number] | undefined,
): BudgetView {
  const scale = line.unit === 'USD' ? NANOS_PER_USD : 1;
  const warnAt = budget ? Math.min(...budget.warnAt) : 0.8;
  const utilisation = line.limit > 0 ? line.used / line.limit : null;
  return {
    budget: name,
    per,
    period,
    window: budget?.windowLabel ?? null,
    unit: line.unit,
    limit: line.limit / scale,
    used: line.used / scale,
    reserved: line.reserved / scale,
    remaining: (line.limit - line.used - line.reserved) / scale,
    utilisation,
    status: line.used >= line.limit ? 'Exceeded' : line.used >= line.limit * warnAt ? 'Warning' : 'Active',
  };
}

function perText(view: BudgetView): string {
  return Object.entries(view.per)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}
