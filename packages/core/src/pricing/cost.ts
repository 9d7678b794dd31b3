import { picosToMicrosCeil, picosToMicrosRound, picosToNanosCeil, picosToNanosRound, pricePicos } from '../money';
import type { Usage } from '../types';
import type { BillableUsage, ModelPrice, UnitPrices } from './types';

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

/** A USD-per-unit price as integer pico-USD per unit. */
export function unitPicos(usdPerUnit: number): number {
  return Math.round(usdPerUnit * 1e12);
}

const count = (value: number | undefined): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;

/** The cost of a call in pico-USD, and the units it used that the price has no rate for. */
export interface CostBreakdown {
  picos: number;
  /** Units used but not priced (e.g. `image 2048x2048`, `audioInputSecond`): charged nothing here. */
  unpriced: string[];
}

/**
 * Exact cost of a call in pico-USD, with the units the price could not price. Normalized usage counts
 * cache reads and writes (and citation, audio and image input) inside `inputTokens`, and reasoning (and
 * audio and image output) inside `outputTokens`, so each token is priced exactly once. A batch call (`usage.batch`)
 * uses the model's `batch` rates for plain input, cache reads and output; long-context tiers do not
 * apply to batch rates.
 */
export function costBreakdown(price: ModelPrice, usage: Usage | BillableUsage): CostBreakdown {
  const u = usage as BillableUsage;
  let rates = effectiveRates(price, usage.inputTokens);
  if (u.batch === true && price.batch) {
    rates = {
      ...price,
      input: price.batch.input,
      output: price.batch.output,
      cacheRead: price.batch.cacheRead ?? price.cacheRead,
    };
  }
  const cacheRead = count(usage.cacheReadInputTokens);
  const cacheWrite = count(usage.cacheWriteInputTokens);
  const cacheWrite1h = Math.min(cacheWrite, count(usage.cacheWrite1hInputTokens));
  const citation = rates.citation === undefined ? 0 : count(u.citationInputTokens);
  const audioIn = rates.audioInput === undefined ? 0 : count(u.audioInputTokens);
  const imageIn = rates.imageInput === undefined ? 0 : count(u.imageInputTokens);
  const plainInput = Math.max(0, usage.inputTokens - cacheRead - cacheWrite - citation - audioIn - imageIn);
  const reasoning =
    rates.reasoning === undefined ? 0 : Math.min(usage.outputTokens, count(usage.reasoningOutputTokens));
  const audioOut =
    rates.audioOutput === undefined
      ? 0
      : Math.min(Math.max(0, usage.outputTokens - reasoning), count(u.audioOutputTokens));
  const imageOut =
    rates.imageOutput === undefined
      ? 0
      : Math.min(Math.max(0, usage.outputTokens - reasoning - audioOut), count(u.imageOutputTokens));
  const plainOutput = Math.max(0, usage.outputTokens - reasoning - audioOut - imageOut);
  const cacheWriteRate = rates.cacheWrite ?? rates.input;
  let picos =
    plainInput * pricePicos(rates.input) +
    cacheRead * pricePicos(rates.cacheRead ?? rates.input) +
    (cacheWrite - cacheWrite1h) * pricePicos(cacheWriteRate) +
    cacheWrite1h * pricePicos(rates.cacheWrite1h ?? cacheWriteRate) +
    citation * pricePicos(rates.citation ?? rates.input) +
    audioIn * pricePicos(rates.audioInput ?? rates.input) +
    imageIn * pricePicos(rates.imageInput ?? rates.input) +
    plainOutput * pricePicos(rates.output) +
    reasoning * pricePicos(rates.reasoning ?? rates.output) +
    audioOut * pricePicos(rates.audioOutput ?? rates.output) +
    imageOut * pricePicos(rates.imageOutput ?? rates.output);
  const unpriced: string[] = [];
  picos += unitCost(price.units ?? NO_UNITS, u, unpriced);
  return { picos, unpriced };
}

/** The price of one generated image of this size/quality, USD, or `undefined` when the price has none. */
export function imagePrice(units: UnitPrices, size?: string, quality?: string): number | undefined {
  const bySize = units.imageBySize;
  if (bySize) {
    const normalized = size?.toLowerCase().replace(/\s+/g, '').replace('-x-', 'x');
    if (normalized && quality) {
      const hit = bySize[`${quality.toLowerCase()}/${normalized}`];
      if (hit !== undefined) return hit;
    }
    if (normalized) {
      const hit = bySize[normalized];
      if (hit !== undefined) return hit;
    }
  }
  return units.image;
}

/** The price of a second of video of this size, USD (the dearest size when the size has no rate). */
function videoSecondPrice(units: UnitPrices, size: string | undefined): number | undefined {
  const bySize = units.videoSecondBySize;
  if (!bySize) return units.videoSecond;
  return (size ? bySize[size.toLowerCase()] : undefined) ?? units.videoSecond ?? Math.max(...Object.values(bySize));
}

function unitCost(units: UnitPrices, usage: BillableUsage, unpriced: string[]): number {
  let picos = 0;
  if (usage.images !== undefined)
    for (const image of usage.images) {
      const n = image.count === undefined ? 1 : count(image.count);
      const rate = imagePrice(units, image.size, image.quality);
      picos += unitAmount(
        n,
        rate,
        `image ${[image.quality, image.size].filter(Boolean).join('/') || '(any size)'}`,
        unpriced,
      );
    }
  picos += unitAmount(count(usage.inputImages), units.inputImage, 'inputImage', unpriced);
  picos += unitAmount(count(usage.audioInputSeconds), units.audioInputSecond, 'audioInputSecond', unpriced);
  picos += unitAmount(count(usage.audioOutputSeconds), units.audioOutputSecond, 'audioOutputSecond', unpriced);
  picos += unitAmount(count(usage.characters), units.character, 'character', unpriced);
  picos += unitAmount(count(usage.searchQueries), units.search, 'search', unpriced);
  picos += unitAmount(count(usage.computeSeconds), units.computeSecond, 'computeSecond', unpriced);
  picos += unitAmount(count(usage.videoSeconds), videoSecondPrice(units, usage.videoSize), 'videoSecond', unpriced);
  picos += unitAmount(count(usage.trainingTokens), units.trainingToken, 'trainingToken', unpriced);
  // Request fees apply to the requests the adapter reports (a plain token usage reports none, so a call
  // priced from tokens alone keeps its token cost).
  const requests = count(usage.requests);
  if (units.request !== undefined) picos += requests * unitPicos(units.request);
  if (units.requestBySearchContext !== undefined)
    picos += requests * unitPicos(units.requestBySearchContext[usage.searchContextSize ?? 'medium']);
  return picos;
}

/** The cost of `used` units at `rate` (pico-USD); a unit used with no rate is named in `unpriced` (and costs 0). */
function unitAmount(used: number, rate: number | undefined, name: string, unpriced: string[]): number {
  if (used <= 0) return 0;
  if (rate === undefined) {
    unpriced.push(name);
    return 0;
  }
  return used * unitPicos(rate);
}

/** The unit prices of a price that has none. */
const NO_UNITS: UnitPrices = Object.freeze({});

/**
 * Exact cost of a call in pico-USD (integer). Units the price has no rate for are charged nothing;
 * {@link costBreakdown} lists them.
 */
export function costPicos(price: ModelPrice, usage: Usage | BillableUsage): number {
  return costBreakdown(price, usage).picos;
}

/**
 * Actual cost of a call in integer nano-USD: the exact pico-USD cost rounded half up, once. Ledgers add
 * these without further rounding.
 */
export function costNanos(price: ModelPrice, usage: Usage | BillableUsage): number {
  return picosToNanosRound(costPicos(price, usage));
}

/** Actual cost of a call in integer micro-USD (rounded half up). @deprecated Use {@link costNanos}. */
export function costMicros(price: ModelPrice, usage: Usage | BillableUsage): number {
  return picosToMicrosRound(costPicos(price, usage));
}

/** Worst-case cost in integer micro-USD, rounded up. @deprecated Use {@link worstCaseNanos}. */
export function worstCaseMicros(
  price: ModelPrice,
  inputTokens: number,
  outputTokens: number,
  units?: Omit<BillableUsage, 'inputTokens' | 'outputTokens'>,
): number {
  return picosToMicrosCeil(worstCasePicos(price, inputTokens, outputTokens, units));
}

/** Worst-case cost in integer nano-USD, rounded up (a reservation never under-reserves); see {@link worstCasePicos}. */
export function worstCaseNanos(
  price: ModelPrice,
  inputTokens: number,
  outputTokens: number,
  units?: Omit<BillableUsage, 'inputTokens' | 'outputTokens'>,
): number {
  return picosToNanosCeil(worstCasePicos(price, inputTokens, outputTokens, units));
}

/**
 * Worst-case cost in integer pico-USD: every input token at the highest input rate
 * (a cache write can cost more than plain input) and every output token at the highest output rate.
 * `units` adds known non-token units: request fees (the dearest search-context fee), images at their
 * size's price (else the dearest size), seconds, characters, searches.
 */
export function worstCasePicos(
  price: ModelPrice,
  inputTokens: number,
  outputTokens: number,
  units?: Omit<BillableUsage, 'inputTokens' | 'outputTokens'>,
): number {
  const rates = effectiveRates(price, inputTokens);
  const inputRate = Math.max(
    rates.input,
    rates.cacheWrite ?? 0,
    rates.cacheWrite1h ?? 0,
    rates.cacheRead ?? 0,
    rates.citation ?? 0,
    rates.audioInput ?? 0,
    rates.imageInput ?? 0,
  );
  const outputRate = Math.max(rates.output, rates.reasoning ?? 0, rates.audioOutput ?? 0, rates.imageOutput ?? 0);
  let picos = inputTokens * pricePicos(inputRate) + outputTokens * pricePicos(outputRate);
  const unitPrices = price.units ?? {};
  if (units) {
    const requests = count(units.requests);
    if (unitPrices.request !== undefined) picos += requests * unitPicos(unitPrices.request);
    if (unitPrices.requestBySearchContext !== undefined)
      picos += requests * unitPicos(Math.max(...Object.values(unitPrices.requestBySearchContext)));
    const maxImage = Math.max(0, unitPrices.image ?? 0, ...Object.values(unitPrices.imageBySize ?? {}));
    const images = (units.images ?? []).map((image) => ({
      ...image,
      price: imagePrice(unitPrices, image.size, image.quality) ?? maxImage,
    }));
    picos += unitCost(
      {
        ...unitPrices,
        request: undefined,
        requestBySearchContext: undefined,
        imageBySize: undefined,
        image: undefined,
      },
      { ...units, images: [], inputTokens: 0, outputTokens: 0 },
      [],
    );
    for (const image of images) picos += (image.count === undefined ? 1 : count(image.count)) * unitPicos(image.price);
  }
  return picos;
}
