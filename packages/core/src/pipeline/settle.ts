// Stage: commit what a call cost to its reservation's lines and release the rest.
import { diag } from '@opentelemetry/api';
import type { LineState, SettleAmounts, SettleResult } from '../store/types';
import type { StageContext } from './context';
import { isPromise, type MaybePromise } from './maybe-promise';
import type { CallState } from './types';

export interface Settled {
  /** The lines' state after settlement (empty when nothing was settled in the store now). */
  lines: LineState[];
  /** The reservation was still open (its lease had not expired). */
  open: boolean;
}

const NOTHING: Settled = Object.freeze({ lines: [], open: true }) as Settled;

/** Settles in the store; synchronous when the store answers synchronously. Never throws: failures are journaled. */
export function settle(context: StageContext, state: CallState, amounts: SettleAmounts): MaybePromise<Settled> {
  if (state.failOpenLines && state.failOpenLines.length > 0) {
    // Ran fail-open without a reservation: commit what it cost once the store answers again.
    context.journal.add({ id: state.id, actual: amounts, lines: state.failOpenLines, at: Date.now() });
    return { lines: [], open: false };
  }
  if (!state.hasLines) return NOTHING;
  const { store } = context;
  const failed = (error: unknown): Settled => {
    // Never lost: journaled and replayed; until then the reservation's lease keeps the budget held.
    context.journal.add({ id: state.id, actual: amounts, lines: state.lines, at: Date.now() });
    diag.error(
      `genops: could not settle reservation ${state.id}; the settlement is journaled and replayed when the store is back`,
      error,
    );
    return { lines: [], open: false };
  };
  let result: MaybePromise<SettleResult>;
  try {
    result = store.settleSync
      ? store.settleSync(state.id, amounts, state.lines)
      : store.settle(state.id, amounts, state.lines);
  } catch (error) {
    return failed(error);
  }
  // The store's own result (a fresh object per settlement) is the stage's: no copy.
  if (isPromise(result)) return result.then(undefined, failed);
  return result;
}
