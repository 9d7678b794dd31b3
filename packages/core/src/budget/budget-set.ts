import type { BudgetOptions } from '../config';
import { GlobSet } from '../glob';
import { usdToMicros } from '../money';
import type { BudgetLine } from '../store/types';
import type { AccountingUnit, Attribution } from '../types';
import { type BudgetWindow, currentPeriod } from './window';

/** A validated budget, ready to match calls. */
export interface Budget {
  name: string;
  /** Limit in integer units: micro-USD or tokens. */
  limit: number;
  unit: AccountingUnit;
  window: BudgetWindow;
  per: readonly string[];
  action: 'block' | 'warn';
  warnAt: readonly number[];
  match: ReadonlyArray<readonly [string, GlobSet]>;
}

/** The facts about a call that budgets match on: its attribution plus provider and model. */
export type MatchSubject = Readonly<Attribution> & { provider: string; model: string };

/** Value that stands for "this call has no value for the `per` dimension". */
export const UNATTRIBUTED = '(none)';

export function compileBudget(options: BudgetOptions): Budget {
  const unit = options.unit ?? 'USD';
  return {
    name: options.name,
    limit: unit === 'USD' ? usdToMicros(options.limit) : Math.floor(options.limit),
    unit,
    window: options.window,
    per: options.per === undefined ? [] : Array.isArray(options.per) ? options.per : [options.per],
    action: options.action ?? 'block',
    warnAt: options.warnAt ?? [0.8],
    match: Object.entries(options.match ?? {}).map(
      ([key, value]) => [key, new GlobSet(Array.isArray(value) ? value : [value])] as const,
    ),
  };
}

export function budgetMatches(budget: Budget, subject: MatchSubject): boolean {
  for (const [key, globs] of budget.match) {
    const value = subject[key];
    if (value === undefined || !globs.matches(value)) return false;
  }
  return true;
}

/** Key of one budget instance: `name|dim=value,...|period`; values are URI-encoded. */
export function budgetKey(budget: Budget, subject: MatchSubject, periodId: string): string {
  const per = budget.per
    .map((dimension) => `${dimension}=${encodeURIComponent(subject[dimension] ?? UNATTRIBUTED)}`)
    .join(',');
  return `${budget.name}|${per}|${periodId}`;
}

/** Splits a budget key back into its parts. */
export function parseBudgetKey(key: string): { name: string; per: Record<string, string>; period: string } {
  const [name = '', per = '', period = ''] = key.split('|');
  const values: Record<string, string> = {};
  for (const pair of per.split(',').filter(Boolean)) {
    const [dimension = '', value = ''] = pair.split('=');
    values[dimension] = decodeURIComponent(value);
  }
  return { name, per: values, period };
}

/** The lines a call reserves: one per matching budget, in configuration order. */
export function linesFor(
  budgets: readonly Budget[],
  subject: MatchSubject,
  amounts: { micros: number; tokens: number },
  now: number,
): BudgetLine[] {
  const lines: BudgetLine[] = [];
  for (const budget of budgets) {
    if (!budgetMatches(budget, subject)) continue;
    const period = currentPeriod(budget.window, now);
    const line: BudgetLine = {
      key: budgetKey(budget, subject, period.id),
      budget: budget.name,
      unit: budget.unit,
      limit: budget.limit,
      amount: budget.unit === 'USD' ? amounts.micros : amounts.tokens,
      enforce: budget.action === 'block',
    };
    if (period.endsAt !== undefined) line.expiresAt = period.endsAt;
    lines.push(line);
  }
  return lines;
}
