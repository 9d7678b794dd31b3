// Stage: what a finished call actually cost, from its outcome (or its reservation when it has none).
import { MAX_LEDGER_NANOS, usdToNanos } from '../money';
import { costNanos } from '../pricing/cost';
import { type UsageViolation, validateUsage } from '../usage/validate-usage';
import type { CallOutcome, CallState } from './types';

export interface ActualCost {
  actualNanos: number;
  actualTokens: number;
  incomplete: boolean;
  estimated: boolean;
  /**
   * The reported usage or cost broke the accounting invariant (`ACCOUNTING_INVARIANT_VIOLATION`): the
   * call is settled at its reservation, never more and never less than zero.
   */
  violations?: UsageViolation[];
}

/**
 * The largest cost one call may settle at, nano-USD: the largest amount a ledger holds exactly
 * ($9,007,199.25); beyond it the number is not a cost.
 */
const MAX_CALL_NANOS = MAX_LEDGER_NANOS;

export function actualCost(state: CallState, outcome: CallOutcome, error: unknown): ActualCost {
  const { request } = state;
  const usage = outcome.usage;
  // A failure with a partial outcome (a stream that broke mid-way) executed: it is settled from the
  // best data, flagged incomplete. A failure without one produced nothing billable.
  const partial = error !== undefined && outcome.incomplete === true;
  // A tool call has no token usage: it is complete without one, and costs what its price says per call (0).
  const tool = request.operation === 'execute_tool';
  const incomplete =
    partial || (error === undefined && (outcome.incomplete === true || (usage === undefined && !tool)));
  // The accounting invariant: usage must be finite, non-negative and possible for the request (output
  // within the cap, cached within input, reasoning within output), and a reported cost a real amount.
  const violations = usage && !tool ? validateUsage(usage, request) : [];
  const reported = outcome.reportedCostUsd;
  if (reported !== undefined && !(Number.isFinite(reported) && reported >= 0 && usdToNanos(reported) <= MAX_CALL_NANOS))
    violations.push({
      field: 'reportedCostUsd',
      code: Number.isFinite(reported) ? (reported < 0 ? 'NEGATIVE' : 'TOO_LARGE') : 'NOT_FINITE',
      message: `the cost the provider reported (${reported}) is not a valid amount`,
      value: reported,
    });
  if (violations.length > 0)
    return {
      actualNanos: state.reservedNanos,
      actualTokens: state.reservedTokens,
      incomplete,
      estimated: true,
      violations,
    };
  let actualNanos: number;
  let estimated = !state.priced;
  if (reported !== undefined) {
    actualNanos = usdToNanos(reported);
  } else if (error !== undefined && usage === undefined && !partial) {
    // The provider refused or failed the request: nothing billable was produced.
    actualNanos = 0;
  } else if (tool && usage === undefined && state.price) {
    actualNanos = costNanos(state.price, { inputTokens: 0, outputTokens: 0 });
  } else if (usage === undefined || !state.price) {
    // No usage to price: settle from the reservation (the worst case), flagged incomplete.
    actualNanos = state.reservedNanos;
    estimated = true;
  } else {
    actualNanos = costNanos(state.price, usage);
  }
  const actualTokens = usage
    ? usage.inputTokens + usage.outputTokens
    : (error !== undefined && !partial) || tool
      ? 0
      : state.reservedTokens;
  if (!(Number.isFinite(actualNanos) && actualNanos >= 0 && actualNanos <= MAX_CALL_NANOS))
    return {
      actualNanos: state.reservedNanos,
      actualTokens: state.reservedTokens,
      incomplete,
      estimated: true,
      violations: [
        {
          field: 'cost',
          code: 'TOO_LARGE',
          message: `the computed cost (${actualNanos} nano-USD) is not a valid amount`,
          value: actualNanos,
        },
      ],
    };
  return { actualNanos, actualTokens, incomplete, estimated };
}
