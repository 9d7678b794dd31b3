import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../errors/config-error';
import type { OverrideSource } from './price-table';
import type { ModelPrice } from './types';
import { validatePrices } from './validate-prices';

/** Where `genops pricing update` writes, and where `GenOps.init()` looks when nothing else says. */
export const DEFAULT_PRICES_FILE = '.genops/prices.json';
/** Largest prices file read (bytes). */
export const MAX_PRICES_FILE_BYTES = 32 * 1024 * 1024;

/** A prices file: `{ version?, effectiveDate?, source?, prices: { provider: { model: price } } }`. */
export interface PricesFile {
  /** Recorded as `genops.cost.source` = `prices-file:<version>`; default the file's path. */
  version?: string;
  effectiveDate?: string;
  source?: string;
  prices: Record<string, Record<string, ModelPrice>>;
}

/** User prices with where they come from. */
export interface UserPrices {
  prices: Record<string, Record<string, ModelPrice>>;
  origin: OverrideSource;
}

/**
 * Reads and validates a prices file (the `prices` option as a path, `GENOPS_PRICES`, or
 * `genops pricing update`). Accepts `{ prices: {...}, version?, effectiveDate?, source? }` or the bare
 * `{ provider: { model: price } }` map. Throws a {@link ConfigError} naming the file, provider, model
 * and field.
 */
export function readPricesFile(path: string, option = 'prices'): UserPrices {
  const file = resolve(path);
  let text: string;
  try {
    if (statSync(file).size > MAX_PRICES_FILE_BYTES)
      throw new ConfigError({
        path: option,
        message: `prices file ${file} is larger than ${MAX_PRICES_FILE_BYTES} bytes`,
      });
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError({
      path: option,
      message: `cannot read prices file ${file}: ${(error as Error).message}`,
      expected: 'a readable JSON file (see docs/pricing.md#loading-newer-prices)',
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError({
      path: option,
      message: `prices file ${file} is not valid JSON: ${(error as Error).message}`,
      cause: error,
    });
  }
  return pricesFromDocument(parsed, `${option} (${file})`, file);
}

/** Validates a parsed prices document (see {@link readPricesFile}). */
export function pricesFromDocument(document: unknown, path: string, name: string): UserPrices {
  const wrapped =
    typeof document === 'object' && document !== null && 'prices' in document
      ? (document as PricesFile)
      : ({ prices: document } as PricesFile);
  for (const field of ['version', 'effectiveDate', 'source'] as const)
    if (wrapped[field] !== undefined && typeof wrapped[field] !== 'string')
      throw new ConfigError({ path: `${path}.${field}`, message: 'must be a string', received: wrapped[field] });
  validatePrices(wrapped.prices, `${path}.prices`);
  const origin: OverrideSource = { source: `prices-file:${wrapped.version ?? name}` };
  if (wrapped.source !== undefined) origin.sourceUrl = wrapped.source;
  if (wrapped.effectiveDate !== undefined) origin.effectiveDate = wrapped.effectiveDate;
  return { prices: wrapped.prices, origin };
}

/**
 * The user prices `GenOps.init()` uses: the `prices` option (an object, or a file path), else the file
 * `GENOPS_PRICES` names, else `.genops/prices.json` in the working directory when it exists.
 */
export function resolveUserPrices(
  option: string | Record<string, Record<string, ModelPrice>> | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): UserPrices {
  if (typeof option === 'object') return { prices: option, origin: { source: 'prices-option' } };
  if (typeof option === 'string') return readPricesFile(resolve(cwd, option), 'prices');
  const fromEnv = env.GENOPS_PRICES?.trim();
  if (fromEnv) return readPricesFile(resolve(cwd, fromEnv), 'GENOPS_PRICES');
  const fallback = resolve(cwd, DEFAULT_PRICES_FILE);
  if (existsSync(fallback)) return readPricesFile(fallback, DEFAULT_PRICES_FILE);
  return { prices: {}, origin: {} };
}
