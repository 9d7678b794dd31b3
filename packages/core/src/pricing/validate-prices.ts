import { ConfigError } from '../errors/config-error';
import type { ModelPrice } from './types';

/**
 * Sane upper bounds. The most expensive published token rate is a few hundred USD per 1M tokens and
 * the most expensive unit (an image, a minute) a few USD; these bounds are far above both, and catch a
 * price typed per token instead of per 1M the other way round (a rate of 2,500,000 for $2.50 per 1M).
 */
export const MAX_TOKEN_RATE = 10_000;
export const MAX_UNIT_PRICE = 10_000;
/** Largest model limit accepted (tokens). */
export const MAX_TOKEN_LIMIT = 100_000_000;

const TOKEN_RATES = [
  'input',
  'output',
  'cacheRead',
  'cacheWrite',
  'cacheWrite1h',
  'reasoning',
  'citation',
  'audioInput',
  'audioOutput',
  'imageInput',
  'imageOutput',
] as const;
const TIER_RATES = ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h'] as const;
const UNIT_PRICES = [
  'image',
  'inputImage',
  'audioInputSecond',
  'audioOutputSecond',
  'character',
  'search',
  'request',
  'computeSecond',
  'videoSecond',
  'trainingToken',
] as const;
const MODES = new Set([
  'chat',
  'completion',
  'embedding',
  'image_generation',
  'audio_speech',
  'audio_transcription',
  'rerank',
  'search',
]);
const KNOWN_FIELDS = new Set<string>([
  ...TOKEN_RATES,
  'batch',
  'tiers',
  'units',
  'maxOutputTokens',
  'maxInputTokens',
  'mode',
  'aliases',
  'source',
  'effectiveDate',
]);

/** One problem with a price: the field (`tiers[1].input`) and what is wrong, with the fix. */
export interface PriceProblem {
  field: string;
  message: string;
  received: unknown;
}

const describe = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? String(value) : typeof value;

function rateProblem(field: string, value: unknown, max: number, unit: string): PriceProblem | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value))
    return { field, message: `must be a finite number of ${unit}, got ${describe(value)}`, received: value };
  if (value < 0)
    return { field, message: `must not be negative (${value}); a negative rate would credit budgets`, received: value };
  if (value > max)
    return { field, message: `${value} ${unit} is above the sane maximum ${max}; check the unit`, received: value };
  return undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every problem of one price entry (empty when valid): token rates finite, non-negative and at most
 * {@link MAX_TOKEN_RATE} USD per 1M; unit prices at most {@link MAX_UNIT_PRICE} USD; tiers with positive
 * integer thresholds in ascending order; cache reads no dearer than input; model limits positive
 * integers; no unknown fields (a typo such as `cacheread` would silently price at the input rate).
 */
export function priceProblems(price: unknown): PriceProblem[] {
  if (!isRecord(price))
    return [
      { field: '', message: `must be a price object { input, output, ... }, got ${describe(price)}`, received: price },
    ];
  const problems: PriceProblem[] = [];
  const push = (problem: PriceProblem | undefined): void => {
    if (problem) problems.push(problem);
  };
  for (const field of Object.keys(price))
    if (!KNOWN_FIELDS.has(field))
      problems.push({
        field,
        message: `is not a price field (known: ${[...KNOWN_FIELDS].join(', ')})`,
        received: price[field],
      });
  for (const field of TOKEN_RATES) {
    if (price[field] === undefined && field !== 'input' && field !== 'output') continue;
    push(rateProblem(field, price[field], MAX_TOKEN_RATE, 'USD per 1M tokens'));
  }
  const input = price.input as number;
  if (typeof price.cacheRead === 'number' && typeof input === 'number' && price.cacheRead > input)
    problems.push({
      field: 'cacheRead',
      message: `${price.cacheRead} is above the input rate ${input}`,
      received: price.cacheRead,
    });
  if (price.batch !== undefined) {
    if (!isRecord(price.batch))
      problems.push({ field: 'batch', message: 'must be { input, output, cacheRead? }', received: price.batch });
    else
      for (const field of ['input', 'output', 'cacheRead'] as const) {
        if (price.batch[field] === undefined && field === 'cacheRead') continue;
        push(rateProblem(`batch.${field}`, price.batch[field], MAX_TOKEN_RATE, 'USD per 1M tokens'));
      }
  }
  if (price.tiers !== undefined) {
    if (!Array.isArray(price.tiers))
      problems.push({
        field: 'tiers',
        message: 'must be an array of { aboveInputTokens, ... }',
        received: price.tiers,
      });
    else {
      let previous = 0;
      for (const [index, tier] of (price.tiers as unknown[]).entries()) {
        const at = `tiers[${index}]`;
        if (!isRecord(tier)) {
          problems.push({ field: at, message: 'must be { aboveInputTokens, input?, output?, ... }', received: tier });
          continue;
        }
        const above = tier.aboveInputTokens;
        if (typeof above !== 'number' || !Number.isInteger(above) || above <= 0 || above > MAX_TOKEN_LIMIT)
          problems.push({
            field: `${at}.aboveInputTokens`,
            message: `must be a positive integer number of tokens, got ${describe(above)}`,
            received: above,
          });
        else if (above <= previous)
          problems.push({
            field: `${at}.aboveInputTokens`,
            message: `${above} must be above the previous tier's ${previous} (tiers in ascending order)`,
            received: above,
          });
        else previous = above;
        for (const field of Object.keys(tier))
          if (field !== 'aboveInputTokens' && !(TIER_RATES as readonly string[]).includes(field))
            problems.push({
              field: `${at}.${field}`,
              message: `is not a tier field (known: aboveInputTokens, ${TIER_RATES.join(', ')})`,
              received: tier[field],
            });
        for (const field of TIER_RATES)
          if (tier[field] !== undefined)
            push(rateProblem(`${at}.${field}`, tier[field], MAX_TOKEN_RATE, 'USD per 1M tokens'));
      }
    }
  }
  if (price.units !== undefined) {
    if (!isRecord(price.units))
      problems.push({ field: 'units', message: 'must be an object of USD-per-unit prices', received: price.units });
    else {
      const units = price.units;
      for (const field of Object.keys(units))
        if (
          !(UNIT_PRICES as readonly string[]).includes(field) &&
          field !== 'imageBySize' &&
          field !== 'videoSecondBySize' &&
          field !== 'requestBySearchContext'
        )
          problems.push({
            field: `units.${field}`,
            message: `is not a unit (known: ${[...UNIT_PRICES, 'imageBySize', 'videoSecondBySize', 'requestBySearchContext'].join(', ')})`,
            received: units[field],
          });
      for (const field of UNIT_PRICES)
        if (units[field] !== undefined)
          push(rateProblem(`units.${field}`, units[field], MAX_UNIT_PRICE, 'USD per unit'));
      for (const [field, key, per] of [
        ['imageBySize', '"<quality>/<W>x<H>"', 'USD per image'],
        ['videoSecondBySize', '"<W>x<H>"', 'USD per second of video'],
      ] as const) {
        const bySize = units[field];
        if (bySize === undefined) continue;
        if (!isRecord(bySize))
          problems.push({ field: `units.${field}`, message: `must map ${key} to ${per}`, received: bySize });
        else
          for (const [size, value] of Object.entries(bySize))
            push(rateProblem(`units.${field}.${size}`, value, MAX_UNIT_PRICE, per));
      }
      if (units.requestBySearchContext !== undefined) {
        if (!isRecord(units.requestBySearchContext))
          problems.push({
            field: 'units.requestBySearchContext',
            message: 'must be { low, medium, high } USD per request',
            received: units.requestBySearchContext,
          });
        else
          for (const size of ['low', 'medium', 'high'])
            push(
              rateProblem(
                `units.requestBySearchContext.${size}`,
                units.requestBySearchContext[size],
                MAX_UNIT_PRICE,
                'USD per request',
              ),
            );
      }
    }
  }
  for (const field of ['maxOutputTokens', 'maxInputTokens'] as const) {
    const value = price[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > MAX_TOKEN_LIMIT)
      problems.push({
        field,
        message: `must be a positive integer number of tokens up to ${MAX_TOKEN_LIMIT}, got ${describe(value)}`,
        received: value,
      });
  }
  if (price.mode !== undefined && !MODES.has(price.mode as string))
    problems.push({
      field: 'mode',
      message: `must be one of ${[...MODES].join(', ')}, got ${describe(price.mode)}`,
      received: price.mode,
    });
  if (
    price.aliases !== undefined &&
    !(Array.isArray(price.aliases) && price.aliases.every((a) => typeof a === 'string' && a.length > 0))
  )
    problems.push({ field: 'aliases', message: 'must be an array of non-empty model ids', received: price.aliases });
  for (const field of ['source', 'effectiveDate'] as const)
    if (price[field] !== undefined && typeof price[field] !== 'string')
      problems.push({ field, message: 'must be a string', received: price[field] });
  return problems;
}

function fail(path: string, problem: PriceProblem, what: string): never {
  throw new ConfigError({
    path: problem.field ? `${path}.${problem.field}` : path,
    message: `${what}: ${problem.field || 'the price'} ${problem.message}`,
    expected: 'USD per 1M tokens (finite, >= 0) for token rates, USD per unit for `units`; see docs/pricing.md',
    received: problem.received,
  });
}

/** Validates one price (e.g. `unknownModel`'s fallback); throws a {@link ConfigError} naming the field. */
export function validatePrice(price: unknown, path: string): asserts price is ModelPrice {
  const [problem] = priceProblems(price);
  if (problem) fail(path, problem, `invalid price at ${path}`);
}

/**
 * Validates user prices `{ [provider]: { [model]: ModelPrice } }` (the `prices` option, a prices file);
 * throws a {@link ConfigError} naming the provider, model and field, e.g.
 * `Invalid GenOps option \`prices.openai.gpt-4o.cacheRead\`: price of openai "gpt-4o": cacheRead must be a finite number ...`.
 */
export function validatePrices(
  prices: unknown,
  path = 'prices',
): asserts prices is Record<string, Record<string, ModelPrice>> {
  if (!isRecord(prices))
    throw new ConfigError({
      path,
      message: 'must map provider → model id → price',
      expected: "{ openai: { 'my-model': { input: 2.5, output: 10 } } }",
      received: prices,
    });
  for (const [provider, models] of Object.entries(prices)) {
    if (!isRecord(models))
      throw new ConfigError({
        path: `${path}.${provider}`,
        message: `must map model ids of ${provider} to prices`,
        expected: "{ 'my-model': { input: 2.5, output: 10 } }",
        received: models,
      });
    for (const [model, price] of Object.entries(models)) {
      const [problem] = priceProblems(price);
      if (problem) fail(`${path}.${provider}.${model}`, problem, `price of ${provider} "${model}"`);
    }
  }
}
