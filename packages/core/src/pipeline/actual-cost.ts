// Stage: what a finished call actually cost, from its outcome (or its reservation when it has none).
import { costMicros } from '../pricing/cost';
import type { CallOutcome, CallState } from './types';

export interface ActualCost {
  actualMicros: number;
  actualTokens: number;
  incomplete: boolean;
  estimated: boolean;
}

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
  let actualMicros: number;
  let estimated = !state.priced;
  if (outcome.reportedCostUsd !== undefined && Number.isFinite(outcome.reportedCostUsd)) {
    actualMicros = Math.round(outcome.reportedCostUsd * 1_000_000);
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
  return { actualMicros, actualTokens, incomplete, estimated };
}
