import { StoreUnavailableError } from '../errors/store-unavailable-error';
import type { StageContext } from './context';
import type { Decision, Unit } from './types';

/** Denies a call because the store failed (fail-closed): the decision is recorded and the error returned to throw. */
export function storeUnavailable(
  context: StageContext,
  unit: Unit,
  operation: 'reserve' | 'approval',
  message: string,
  cause: unknown,
): StoreUnavailableError {
  const { store, recorder } = context;
  const blocked: Decision = {
    result: 'BLOCKED',
    reasonCode: 'BUDGET_RESERVATION_FAILED',
    rule: 'store',
    message,
    constraint: operation === 'reserve' ? 'budget_limit' : 'approval',
  };
  return recorder.blocked(
    unit,
    blocked,
    new StoreUnavailableError({ store: store.kind, operation, message, cause }),
  ) as StoreUnavailableError;
}
