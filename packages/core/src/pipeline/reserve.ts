// Stage: reserve the worst case in every matching rate limit and budget, all or nothing. A budget with
// no room denies the call (fail-closed), unless its action is `approval` (held for approval, then
// reserved over the limit) or `downgrade` (the call re-enters admission with the cheaper model).
import { type Budget, linesFor, RATE_PREFIX, rateLinesFor } from '../budget/budget-set';
import { BudgetExceededError } from '../errors/budget-exceeded-error';
import { RateLimitedError } from '../errors/rate-limited-error';
import type { WorstCase } from '../governance-steps';
import { formatUsdNanosExact, nanosToUsd } from '../money';
import { subjectOf } from '../policy/policy-engine';
import type { BudgetLine, LineState, ReserveRequest, ReserveResult } from '../store/types';
import type { GovernedRequest } from '../types';
import { approve, askFor } from './approve';
import { budgetNamed, rateLimitOfLine } from './budget-index';
import type { StageContext } from './context';
import { storeUnavailable } from './deny';
import { isPromise, type MaybePromise } from './maybe-promise';
import type { ApprovalInfo, Decision, Downgrade, Unit } from './types';

/** The reservation is held (possibly after a budget approval). */
export interface Reserved {
  lines: LineState[];
  approval: ApprovalInfo | undefined;
}

/** A `downgrade` budget had no room: admit `request` (the cheaper model) instead. */
export interface Downgraded {
  request: GovernedRequest;
  downgrade: Downgrade;
}

/** The lines a call reserves: its rate limits, then its budgets. */
export function linesOf(unit: Unit, request: GovernedRequest, cost: WorstCase, reservedNanos: number, now: number) {
  const { policy } = unit;
  if (policy.rateLimits.length === 0 && policy.budgets.length === 0) return [];
  // The same facts `when` selectors match on (attribution, provider, model, operation, tool).
  const subject = subjectOf({ request, attribution: unit.attribution });
  const rate = policy.rateLimits.length === 0 ? [] : rateLinesFor(policy.rateLimits, subject, cost.worstTokens);
  if (policy.budgets.length === 0) return rate;
  const budgets = linesFor(policy.budgets, subject, { nanos: reservedNanos, tokens: cost.worstTokens }, now);
  return rate.length === 0 ? budgets : [...rate, ...budgets];
}

/** What one reservation attempt works on (an approved `approval` budget makes a second attempt). */
export interface Attempt {
  unit: Unit;
  lines: BudgetLine[];
  decision: Decision;
  reservedNanos: number;
  downgrade: Downgrade | undefined;
  approval?: ApprovalInfo | undefined;
  /** No approval wait follows the reservation and the request leaves at once: reserve it marked sent. */
  sent?: boolean | undefined;
}

/** Reserves the attempt's lines; synchronous when the store answers synchronously (the memory store). */
export function reserve(context: StageContext, attempt: Attempt): MaybePromise<Reserved | Downgraded> {
  const { store } = context;
  const request: ReserveRequest = {
    id: attempt.unit.id,
    lines: attempt.lines,
    leaseMs: context.settings.reservationLeaseMs,
  };
  if (attempt.sent) request.sent = true;
  let result: MaybePromise<ReserveResult>;
  try {
    result = store.reserveSync ? store.reserveSync(request) : store.reserve(request);
  } catch (cause) {
    return storeDown(context, attempt, cause);
  }
  if (isPromise(result))
    return result.then(
      (outcome) => reserved(context, attempt, outcome),
      (cause) => storeDown(context, attempt, cause),
    );
  return reserved(context, attempt, result);
}

function storeDown(context: StageContext, attempt: Attempt, cause: unknown): Reserved {
  const { unit, lines, decision, approval } = attempt;
  const { store, recorder } = context;
  const reason = (cause as Error)?.message ?? String(cause);
  if (store.failMode === 'open') {
    // Fail-open: the call runs without a reservation; its settlement is journaled and replayed
    // into these lines when the store is back, so what it cost is still counted.
    unit.failOpenLines = lines;
    recorder.failOpen(unit);
    if (decision.result === 'ALLOWED')
      Object.assign(decision, {
        result: 'WARNING',
        reasonCode: 'BUDGET_RESERVATION_FAILED',
        rule: 'store',
        message: `the governance store (${store.kind}) is unavailable (${reason}); the call ran without a reservation (failMode: open)`,
        constraint: 'budget_limit',
      });
    return { lines: [], approval };
  }
  const message = `The governance store (${store.kind}) could not reserve this call's budget: ${reason}. The call was denied (failMode: closed). Retry when the store is back, or set failMode: 'open' on the store to let calls run unreserved.`;
  throw storeUnavailable(context, unit, 'reserve', message, cause);
}

function reserved(
  context: StageContext,
  attempt: Attempt,
  outcome: ReserveResult,
): MaybePromise<Reserved | Downgraded> {
  const { unit, lines, decision, reservedNanos, downgrade, approval } = attempt;
  const { policy, request } = unit;
  const { recorder } = context;
  if (outcome.ok) {
    if (outcome.sent === true) unit.sentInStore = true;
    warnOverLimit(unit, outcome.lines, lines, decision);
    return { lines: outcome.lines, approval };
  }
  const { failed, requested } = outcome;
  if (failed.budget.startsWith(RATE_PREFIX)) {
    const limit = rateLimitOfLine(policy, failed.budget);
    const unitName = failed.unit === 'tokens' ? 'tokens' : 'requests';
    const windowText = limit ? `per ${limit.rule.window}` : '';
    const message = `Rate limit "${failed.budget.slice(RATE_PREFIX.length)}" (${failed.key}) allows ${failed.limit} ${unitName} ${windowText}; ${failed.used + failed.reserved} are used and this call needs ${requested}. Retry later, or raise the rule's limit.`;
    const blocked: Decision = {
      result: 'RATE_LIMITED',
      reasonCode: 'RATE_LIMITED',
      rule: failed.budget.slice(RATE_PREFIX.length),
      message,
      constraint: 'rate_limit',
    };
    throw recorder.blocked(
      unit,
      blocked,
      new RateLimitedError({
        rule: blocked.rule!,
        limitKey: failed.key,
        limit: failed.limit,
        unit: unitName,
        windowMs: limit?.windowMs ?? 0,
        message,
      }),
    );
  }
  const budget = budgetNamed(policy, failed.budget);
  if (budget?.action === 'downgrade' && budget.downgradeTo && !downgrade && request.editable?.model) {
    const to = budget.downgradeTo;
    recorder.downgraded(unit, to, budget.name);
    return { request: { ...request, model: to }, downgrade: { from: request.model, budget: budget.name } };
  }
  if (budget?.action === 'approval' && !approval) {
    const used = failed.used + failed.reserved;
    const shown = (value: number) =>
      failed.unit === 'USD' ? formatUsdNanosExact(value) : `${value} ${failed.unit === 'tokens' ? 'tokens' : 'calls'}`;
    const ask = askFor(
      unit,
      reservedNanos,
      `budget:${budget.name}`,
      `budget "${budget.name}" (${failed.key}) has ${shown(Math.max(0, failed.limit - used))} left of ${shown(failed.limit)} and this call needs up to ${shown(requested)}`,
    );
    return approve(context, unit, ask, reservedNanos, false).then((approved) =>
      // Approved: reserve again with this budget counted but not refusing.
      reserve(context, {
        ...attempt,
        lines: lines.map((line) => (line.budget === budget.name ? { ...line, enforce: false } : line)),
        approval: approved,
      }),
    );
  }
  const error = budgetExceeded(failed, requested, budget, downgrade, request);
  const blocked: Decision = {
    result: 'BLOCKED',
    reasonCode: 'BUDGET_EXCEEDED',
    rule: `budget:${failed.budget}`,
    message: error.message,
    constraint: 'budget_limit',
  };
  recorder.budgetRefused(unit, failed);
  // Nothing to release: a refused reservation holds nothing (all or nothing).
  throw recorder.blocked(unit, blocked, error, undefined, approval);
}

function budgetExceeded(
  failed: LineState,
  requested: number,
  budget: Budget | undefined,
  downgrade: Downgrade | undefined,
  request: GovernedRequest,
): BudgetExceededError {
  const unitValue = (value: number) => (failed.unit === 'USD' ? nanosToUsd(value) : value);
  const downgradeNote =
    budget?.action === 'downgrade'
      ? downgrade
        ? ` (already downgraded from ${downgrade.from})`
        : request.editable?.model
          ? ''
          : ' (this SDK call cannot be downgraded by GenOps)'
      : '';
  return new BudgetExceededError({
    budget: failed.budget,
    budgetKey: failed.key,
    ...(downgradeNote ? { note: downgradeNote.trim() } : {}),
    limit: unitValue(failed.limit),
    used: unitValue(failed.used + failed.reserved),
    requested: unitValue(requested),
    unit: failed.unit === 'USD' ? 'USD' : failed.unit === 'tokens' ? 'tokens' : 'calls',
    period: budget ? periodWord(budget) : 'budget',
  });
}

/** Non-refusing lines over their limit turn an ALLOWED call into a WARNING (rate limits in shadow mode only record). */
function warnOverLimit(
  unit: Unit,
  states: readonly LineState[],
  lines: readonly BudgetLine[],
  decision: Decision,
): void {
  const { policy } = unit;
  for (let index = 0; index < states.length; index++) {
    const state = states[index]!;
    const line = lines[index];
    if (!line || line.enforce || state.used + state.reserved <= state.limit) continue;
    if (state.budget.startsWith(RATE_PREFIX)) {
      const name = state.budget.slice(RATE_PREFIX.length);
      const rule = rateLimitOfLine(policy, state.budget)?.rule;
      if (rule?.mode === 'shadow') {
        unit.shadow = [...(unit.shadow ?? []), `${name}:RATE_LIMITED`];
        continue;
      }
      if (decision.result === 'ALLOWED')
        Object.assign(decision, {
          result: 'WARNING',
          reasonCode: 'RATE_LIMITED',
          rule: name,
          message: `rate limit "${name}" is over its limit (warn mode)`,
          constraint: 'rate_limit',
        });
      continue;
    }
    const budget = budgetNamed(policy, state.budget);
    if (decision.result === 'ALLOWED')
      Object.assign(decision, {
        result: 'WARNING',
        reasonCode: 'BUDGET_EXCEEDED',
        rule: `budget:${state.budget}`,
        message:
          budget?.action === 'approval'
            ? `budget "${state.budget}" is over its limit (approved)`
            : `budget "${state.budget}" is over its limit (action: warn)`,
        constraint: budget?.action === 'approval' ? 'approval' : 'budget_limit',
      });
  }
}

/** How a budget's window reads in messages: `day`, `month`, `24h window`, `budget` (total). */
function periodWord(budget: Budget): string {
  if (budget.window.kind === 'rolling') return `${budget.windowLabel} window`;
  return budget.window.window === 'total' ? 'budget' : budget.window.window;
}
