// Stage: what a finished call actually cost, from its outcome (or its reservation when it has none).
import { costMicros } from '../pricing/cost';
import { type UsageViolation, validateUsage } from '../usage/validate-usage';
import type { CallOutcome, CallState } from './types';

export interface ActualCost {
  actualMicros: number;
  actualTokens: number;
  incomplete: boolean;
  estimated: boolean;
  /**
   * The reported usage or cost broke the accounting invariant (`ACCOUNTING_INVARIANT_VIOLATION`): the
   * call is settled at its reservation, never more and never less than zero.
   */
  violations?: UsageViolation[];
}

/** The largest cost one call may settle at (USD 10M in micro-dollars): beyond it the number is not a cost. */
const MAX_CALL_MICROS = 1e13;

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
  if (reported !== undefined && !(Number.isFinite(reported) && reported >= 0 && reported * 1e6 <= MAX_CALL_MICROS))
    violations.push({
      field: 'reportedCostUsd',
      code: Number.isFinite(reported) ? (reported < 0 ? 'NEGATIVE' : 'TOO_LARGE') : 'NOT_FINITE',
      message: `the cost the provider reported (${reported}) is not a valid amount`,
      value: reported,
    });
  if (violations.length > 0)
    return {
      actualMicros: state.reservedMicros,
      actualTokens: state.reservedTokens,
      incomplete,
      estimated: true,
      violations,
    };
  let actualMicros: number;
  let estimated = !state.priced;
  if (reported !== undefined) {
    actualMicros = Math.round(reported * 1_000_000);
  } else if (error !== undefined && usage === undefined && !partial) {
    // The provider refused or failed the request: nothing billable was produced.
    actualMicros = 0;
  } else if (tool && usage === undefined && state.price) {
    actualMicros = costMicros(state.price, { inputTokens: 0, outputTokens: 0 });
  } else if (usage === undefined || !state.price) {
    // No usage to price: settle from the reservation (the worst case), flagged incomplete.
    actualMicros = state.reservedMicros;
    estimated = true;
  } else {
    actualMicros = costMicros(state.price, usage);
  }
  const actualTokens = usage
    ? usage.inputTokens + usage.outputTokens
    : (error !== undefined && !partial) || tool
      ? 0
      : state.reservedTokens;
  if (!(Number.isFinite(actualMicros) && actualMicros >= 0 && actualMicros <= MAX_CALL_MICROS))
    return {
      actualMicros: state.reservedMicros,
      actualTokens: state.reservedTokens,
      incomplete,
      estimated: true,
      violations: [
        {
          field: 'cost',
          code: 'TOO_LARGE',
          message: `the computed cost (${actualMicros} µ$) is not a valid amount`,
          value: actualMicros,
        },
      ],
    };
  return { actualMicros, actualTokens, incomplete, estimated };
}
