import { usdToNanos } from '../money';
import type { RateRule } from '../policy/policy-engine';
import { Selector } from '../policy/policy-engine';
import type { BudgetInput } from '../policy/schema';
import type { BudgetLine, LineUnit } from '../store/types';
import type { Attribution } from '../types';
import { type CalendarWindow, currentPeriod, rollingLine, windowOf } from './window';

export type BudgetAction = 'block' | 'warn' | 'approval' | 'downgrade';

/** A validated budget, ready to match calls. */
export interface Budget {
  name: string;
  /** Limit in integer units: nano-USD, tokens or calls (`requests`). */
  limit: number;
  unit: LineUnit;
  /** A calendar window in `timeZone`, or a rolling window of `windowMs`. */
  window: { kind: 'calendar'; window: CalendarWindow; timeZone: string } | { kind: 'rolling'; windowMs: number };
  /** The window as configured (`day`, `24h`, ...), for messages and status. */
  windowLabel: string;
  per: readonly string[];
  action: BudgetAction;
  downgradeTo: string | undefined;
  warnAt: readonly number[];
  match: Selector | undefined;
}

/** The facts about a call that budgets match on: its attribution plus provider, model and operation. */
export type MatchSubject = Readonly<Attribution> & { provider: string; model: string; operation?: string };

/** Value that stands for "this call has no value for the `per` dimension". */
export const UNATTRIBUTED = '(none)';

/** Period id of rolling windows in budget keys. */
export const ROLLING_PERIOD = 'rolling';

export function compileBudget(options: BudgetInput, defaultTimeZone = 'UTC'): Budget {
  const unit = options.unit ?? 'USD';
  const parsed = windowOf(options.window);
  return {
    name: options.name,
    limit: unit === 'USD' ? usdToNanos(options.limit) : Math.floor(options.limit),
    unit,
    window:
      parsed.kind === 'calendar'
        ? { kind: 'calendar', window: parsed.window, timeZone: options.timezone ?? defaultTimeZone }
        : { kind: 'rolling', windowMs: parsed.windowMs },
    windowLabel: options.window,
    per: options.per === undefined ? [] : Array.isArray(options.per) ? options.per : [options.per as string],
    action: options.action ?? 'block',
    downgradeTo: options.downgradeTo,
    warnAt: options.warnAt ?? [0.8],
    match: options.match ? new Selector(options.match) : undefined,
  };
}

export function budgetMatches(budget: Budget, subject: MatchSubject): boolean {
  return budget.match === undefined || budget.match.matches(subject);
}

/** `dim=value,...` of a call for `per` dimensions; values are URI-encoded. */
function perPart(per: readonly string[], subject: MatchSubject): string {
  let part = '';
  for (let index = 0; index < per.length; index++) {
    const dimension = per[index]!;
    if (index > 0) part += ',';
    part += `${dimension}=${encodeURIComponent(subject[dimension] ?? UNATTRIBUTED)}`;
  }
  return part;
}

/** Key of one budget instance: `name|dim=value,...|period`. */
export function budgetKey(budget: Budget, subject: MatchSubject, periodId: string): string {
  return `${budget.name}|${perPart(budget.per, subject)}|${periodId}`;
}

/** The key {@link lineKey} built last for a budget, and what it was built from. */
interface LastKey {
  periodId: string;
  values: (string | undefined)[];
  key: string;
}
const lastKeys = new WeakMap<Budget, LastKey>();

/**
 * {@link budgetKey}, reusing the key built for the budget's previous line when the period and the `per`
 * values are the same (calls of one team in one day): no string is built.
 */
function lineKey(budget: Budget, subject: MatchSubject, periodId: string): string {
  const { per } = budget;
  const last = lastKeys.get(budget);
  if (last !== undefined && last.periodId === periodId) {
    let same = true;
    for (let index = 0; index < per.length; index++)
      if (last.values[index] !== subject[per[index]!]) {
        same = false;
        break;
      }
    if (same) return last.key;
  }
  const key = budgetKey(budget, subject, periodId);
  const values: (string | undefined)[] = new Array(per.length);
  for (let index = 0; index < per.length; index++) values[index] = subject[per[index]!];
  lastKeys.set(budget, { periodId, values, key });
  return key;
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

/**
 * The line a budget contributes to a call: one per matching budget. `enforce` is `true` for every
 * action but `warn`: `approval` and `downgrade` budgets refuse first, and the governor then asks for
 * approval or changes the model.
 */
export function lineFor(
  budget: Budget,
  subject: MatchSubject,
  amounts: { nanos: number; tokens: number },
  now: number,
): BudgetLine {
  const line: BudgetLine = {
    key: '',
    budget: budget.name,
    unit: budget.unit,
    limit: budget.limit,
    amount: budget.unit === 'USD' ? amounts.nanos : budget.unit === 'tokens' ? amounts.tokens : 1,
    enforce: budget.action !== 'warn',
  };
  if (budget.window.kind === 'rolling') {
    line.key = lineKey(budget, subject, ROLLING_PERIOD);
    line.rolling = rollingLine(budget.window.windowMs);
  } else {
    const period = currentPeriod(budget.window.window, now, budget.window.timeZone);
    line.key = lineKey(budget, subject, period.id);
    if (period.endsAt !== undefined) line.expiresAt = period.endsAt;
  }
  return line;
}

/**
 * The lines a call reserves: one per matching budget, in configuration order. Frozen (array and lines)
 * when `subject` is: then a call with the same subject object (the governor's subjects are reused while
 * the attribution and model stay the same), the same amounts and a time inside every line's period gets
 * the lines last built for that subject again, with no budget matched and no line built.
 */
export function linesFor(
  budgets: readonly Budget[],
  subject: MatchSubject,
  amounts: { nanos: number; tokens: number },
  now: number,
): BudgetLine[] {
  const built = builtLines.get(budgets);
  if (built !== undefined) {
    // The last lines first; then, for calls of several frozen subjects interleaved (the gateway's
    // virtual keys, an app's teams), the subject's own.
    const { last } = built;
    const entry = last.subject === subject ? last : Object.isFrozen(subject) ? built.bySubject.get(subject) : undefined;
    if (entry !== undefined && reusable(entry, amounts, now)) {
      built.last = entry;
      return entry.lines;
    }
  }
  const lines: BudgetLine[] = [];
  // The time span in which every calendar line keeps its period (and key).
  let from = Number.NEGATIVE_INFINITY;
  let until = Number.POSITIVE_INFINITY;
  for (const budget of budgets) {
    if (!budgetMatches(budget, subject)) continue;
    lines.push(lineFor(budget, subject, amounts, now));
    if (budget.window.kind === 'calendar') {
      const period = currentPeriod(budget.window.window, now, budget.window.timeZone);
      if (period.startsAt > from) from = period.startsAt;
      if (period.endsAt !== undefined && period.endsAt < until) until = period.endsAt;
    }
  }
  if (!Object.isFrozen(subject)) return lines;
  for (const line of lines) {
    if (line.rolling) Object.freeze(line.rolling);
    Object.freeze(line);
  }
  Object.freeze(lines);
  const entry: LinesEntry = { subject, nanos: amounts.nanos, tokens: amounts.tokens, from, until, lines };
  if (built === undefined) builtLines.set(budgets, { last: entry, bySubject: new WeakMap([[subject, entry]]) });
  else {
    built.last = entry;
    built.bySubject.set(subject, entry);
  }
  return lines;
}

/** Whether lines built for `entry`'s subject serve a call of these amounts at `now`. */
function reusable(entry: LinesEntry, amounts: { nanos: number; tokens: number }, now: number): boolean {
  return entry.nanos === amounts.nanos && entry.tokens === amounts.tokens && now >= entry.from && now < entry.until;
}

/** Lines {@link linesFor} built for a frozen subject, and what from. */
interface LinesEntry {
  subject: MatchSubject;
  nanos: number;
  tokens: number;
  /** The lines hold from `from` (inclusive) to `until` (exclusive), epoch ms. */
  from: number;
  until: number;
  lines: BudgetLine[];
}
/**
 * The lines {@link linesFor} built for a set of budgets: the last ones, and the newest for each frozen
 * subject (an entry lives as long as its subject does).
 */
const builtLines = new WeakMap<readonly Budget[], { last: LinesEntry; bySubject: WeakMap<MatchSubject, LinesEntry> }>();

/** Budget-line name prefix of rate-limit lines. */
export const RATE_PREFIX = 'rate:';

/** A compiled rate-limit rule with its window in ms. */
export interface RateLimit {
  rule: RateRule;
  windowMs: number;
  rolling: { windowMs: number; bucketMs: number };
}

export function compileRateLimit(rule: RateRule): RateLimit {
  const parsed = windowOf(rule.window, true);
  const windowMs = parsed.kind === 'rolling' ? parsed.windowMs : 86_400_000;
  return { rule, windowMs, rolling: rollingLine(windowMs) };
}

/** The rate-limit lines a call draws on: 1 request, or its worst-case tokens (settled to the actual count). */
export function rateLinesFor(limits: readonly RateLimit[], subject: MatchSubject, worstTokens: number): BudgetLine[] {
  const lines: BudgetLine[] = [];
  for (const { rule, rolling } of limits) {
    if (rule.when && !rule.when.matches(subject)) continue;
    const unit: LineUnit = rule.unit;
    lines.push({
      key: `${RATE_PREFIX}${rule.name}|${perPart(rule.per, subject)}|${ROLLING_PERIOD}`,
      budget: `${RATE_PREFIX}${rule.name}`,
      unit,
      limit: rule.limit,
      amount: rule.unit === 'requests' ? 1 : worstTokens,
      enforce: rule.mode === 'enforce',
      rolling,
    });
  }
  return lines;
}
