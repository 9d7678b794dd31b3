import { picosToMicrosCeil, picosToMicrosRound, pricePicos } from '../money';
import type { Usage } from '../types';
import type { ModelPrice } from './types';

/** The rates that apply to one request, after long-context tiers. USD per 1M tokens. */
export function effectiveRates(
  price: ModelPrice,
  inputTokens: number,
): Required<Pick<ModelPrice, 'input' | 'output'>> & ModelPrice {
  let rates: ModelPrice = price;
  if (price.tiers) {
    for (const tier of price.tiers) {
      if (inputTokens > tier.aboveInputTokens) rates = { ...rates, ...definedOnly(tier) };
    }
  }
  return rates;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, v] of Object.entries(value))
    if (v !== undefined && key !== 'aboveInputTokens') (out as Record<string, unknown>)[key] = v;
  return out;
}

/**
 * Exact cost of a call in pico-USD (integer). Normalized usage counts cache reads and writes inside
 * `inputTokens` and reasoning inside `outputTokens`, so each token is priced exactly once.
 */
export function costPicos(price: ModelPrice, usage: Usage): number {
  const rates = effectiveRates(price, usage.inputTokens);
  const cacheRead = Math.max(0, usage.cacheReadInputTokens ?? 0);
  const cacheWrite = Math.max(0, usage.cacheWriteInputTokens ?? 0);
  const cacheWrite1h = Math.min(cacheWrite, Math.max(0, usage.cacheWrite1hInputTokens ?? 0));
  const plainInput = Math.max(0, usage.inputTokens - cacheRead - cacheWrite);
  const reasoning =
    rates.reasoning === undefined ? 0 : Math.min(usage.outputTokens, Math.max(0, usage.reasoningOutputTokens ?? 0));
  const plainOutput = Math.max(0, usage.outputTokens - reasoning);
  const cacheWriteRate = rates.cacheWrite ?? rates.input;
  return (
    plainInput * pricePicos(rates.input) +
    cacheRead * pricePicos(rates.cacheRead ?? rates.input) +
    (cacheWrite - cacheWrite1h) * pricePicos(cacheWriteRate) +
    cacheWrite1h * pricePicos(rates.cacheWrite1h ?? cacheWriteRate) +
    plainOutput * pricePicos(rates.output) +
    reasoning * pricePicos(rates.reasoning ?? rates.output)
  );
}

/** Actual cost of a call in integer micro-USD (rounded half up). */
export function costMicros(price: ModelPrice, usage: Usage): number {
  return picosToMicrosRound(costPicos(price, usage));
}

/**
 * Worst-case cost in integer micro-USD, rounded up: every input token at the highest input rate
 * (a cache write can cost more than plain input) and every output token at the highest output rate.
 */
export function worstCaseMicros(price: ModelPrice, inputTokens: number, outputTokens: number): number {
  const rates = effectiveRates(price, inputTokens);
  const inputRate = Math.max(rates.input, rates.cacheWrite ?? 0, rates.cacheWrite1h ?? 0, rates.cacheRead ?? 0);
  const outputRate = Math.max(rates.output, rates.reasoning ?? 0);
  return picosToMicrosCeil(inputTokens * pricePicos(inputRate) + outputTokens * pricePicos(outputRate));
}
