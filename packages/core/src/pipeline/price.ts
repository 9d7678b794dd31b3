// Stage: price the call's worst case, and handle a model without a price.
import { ReservationFailedError } from '../errors/reservation-failed-error';
import { type WorstCase, worstCaseOf } from '../governance-steps';
import type { PriceTable } from '../pricing/price-table';
import type { ModelPrice } from '../pricing/types';
import type { GovernedRequest } from '../types';
import type { StageContext } from './context';
import type { Decision, GovernorSettings, Unit } from './types';

/** The price, the output bound and the worst-case cost the reservation holds. */
export function price(prices: PriceTable, request: GovernedRequest, settings: GovernorSettings): WorstCase {
  let options = pricingOptions.get(settings);
  if (options === undefined) {
    options = {
      fallbackPrice: typeof settings.unknownModel === 'object' ? (settings.unknownModel as ModelPrice) : undefined,
      defaultMaxOutputTokens: settings.defaultMaxOutputTokens,
      conservative: settings.unknownModel === 'warn',
    };
    pricingOptions.set(settings, options);
  }
  return worstCaseOf(prices, request, options);
}

/** The pricing options of a governor's settings, read once (settings do not change after init). */
const pricingOptions = new WeakMap<GovernorSettings, Parameters<typeof worstCaseOf>[2] & object>();

/**
 * A model without a price: deny (the default), or run with a warning. Under `unknownModel: 'warn'` the
 * call is reserved and charged at the provider's highest known rates (`genops.cost.source` =
 * `conservative-estimate`, `genops.cost.estimated`), so an unknown model never passes a budget at $0.
 */
export function unknownPrice(
  context: StageContext,
  unit: Unit,
  decision: Decision,
  conservative: ModelPrice | undefined,
): void {
  const { request } = unit;
  if (context.settings.unknownModel === 'deny') {
    const message =
      `No price is known for model "${request.model}" of provider "${request.provider}", so its cost cannot be reserved. ` +
      `Add it with GenOps.init({ prices: { '${request.provider}': { '${request.model}': { input: <USD per 1M>, output: <USD per 1M> } } } }), ` +
      `or set unknownModel to 'warn' or a fallback price.`;
    const blocked: Decision = {
      result: 'BLOCKED',
      reasonCode: 'BUDGET_RESERVATION_FAILED',
      rule: 'unknownModel',
      message,
      constraint: 'pricing',
    };
    throw context.recorder.blocked(unit, blocked, new ReservationFailedError({ message }));
  }
  if (decision.result === 'ALLOWED') {
    Object.assign(decision, {
      result: 'WARNING',
      reasonCode: 'x_price_unknown',
      rule: 'unknownModel',
      message: conservative
        ? `no price for ${request.model}; reserved and charged at ${request.provider}'s highest known rates (estimated)`
        : `no price for ${request.model}; cost recorded as 0`,
      constraint: 'pricing',
    });
  }
}
