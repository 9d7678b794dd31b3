import { StoreAmountError } from '../errors/store-amount-error';
import type { BudgetLine, ReserveRequest, SettleAmounts } from './types';

/**
 * A number from 0 to `Number.MAX_SAFE_INTEGER` (`NaN` fails the comparison): beyond it a ledger could
 * no longer hold the amount exactly (2^53 - 1 nano-USD is $9,007,199.25).
 */
function valid(amount: unknown): boolean {
  return typeof amount === 'number' && amount >= 0 && amount <= Number.MAX_SAFE_INTEGER;
}

/**
 * Refuses a reservation whose line amounts are not all finite numbers ≥ 0. Every store calls it first,
 * so a ledger never holds `NaN`, `Infinity` or a negative amount.
 * @throws StoreAmountError naming the store, the reservation and the line.
 */
export function assertReserveAmounts(store: string, request: ReserveRequest): void {
  assertLineAmounts(store, 'reserve', request.id, request.lines);
}

function assertLineAmounts(store: string, operation: string, id: string, lines: readonly BudgetLine[]): void {
  for (let index = 0; index < lines.length; index++) {
    const amount = lines[index]!.amount;
    if (!valid(amount))
      throw new StoreAmountError({ store, operation, id, field: `lines[${index}].amount`, received: amount });
  }
}

/**
 * Refuses a settlement whose actual amounts (or, for a late one, its lines' amounts) are not finite
 * numbers ≥ 0; a unit left out (or `undefined`/`null`) commits 0.
 * @throws StoreAmountError naming the store, the reservation and the amount.
 */
export function assertSettleAmounts(
  store: string,
  id: string,
  actual: SettleAmounts,
  lines?: readonly BudgetLine[],
): void {
  for (const unit in actual) {
    const amount = actual[unit as keyof SettleAmounts];
    if (amount != null && !valid(amount))
      throw new StoreAmountError({ store, operation: 'settle', id, field: `actual.${unit}`, received: amount });
  }
  if (lines) assertLineAmounts(store, 'settle', id, lines);
}

/**
 * Refuses an operation that would take a line's total (used + reserved + the new amount) past
 * `Number.MAX_SAFE_INTEGER`, the most a ledger counts exactly (2^53 - 1 nano-USD is $9,007,199.25): a
 * warn-only line, or actual costs above their reservations, can otherwise grow without a limit. Stores
 * call it before they change anything.
 * @throws StoreAmountError naming the store, the operation, the reservation and the line.
 */
export function assertLedgerTotal(store: string, operation: string, id: string, key: string, total: number): void {
  if (total > Number.MAX_SAFE_INTEGER)
    throw new StoreAmountError({ store, operation, id, field: `the total of line "${key}"`, received: total });
}
