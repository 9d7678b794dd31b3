import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/config-error';
import { PRICE_FILES } from './data/index';
import { DEFAULT_PRICES_FILE, readPricesFile, resolveUserPrices } from './load-prices';
import { PriceTable } from './price-table';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'genops-prices-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const FILE = {
  version: 'acme-2026-08-01',
  effectiveDate: '2026-08-01',
  source: 'https://example.com/negotiated',
  prices: { openai: { 'gpt-4o': { input: 2, output: 8 }, 'acme-model': { input: 1, output: 1 } } },
};

describe('prices files', () => {
  it('reads a wrapped file and records its version as the cost source', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'prices.json'), JSON.stringify(FILE));
    const user = resolveUserPrices('./prices.json', {}, dir);
    const table = new PriceTable(PRICE_FILES, user.prices, user.origin);
    expect(table.lookup('openai', 'gpt-4o')).toMatchObject({
      matchedBy: 'override',
      price: { input: 2, output: 8 },
      source: 'prices-file:acme-2026-08-01',
      sourceUrl: 'https://example.com/negotiated',
      effectiveDate: '2026-08-01',
    });
    // Models the file does not list keep the bundled price and source.
    expect(table.lookup('openai', 'gpt-4o-mini')?.source).toBe('genops-bundled@2026-07-24');
  });

  it('reads GENOPS_PRICES, then .genops/prices.json, and a bare provider map', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'env.json'), JSON.stringify(FILE.prices));
    const fromEnv = resolveUserPrices(undefined, { GENOPS_PRICES: 'env.json' }, dir);
    expect(fromEnv.prices.openai?.['acme-model']).toEqual({ input: 1, output: 1 });
    expect(fromEnv.origin.source).toBe(`prices-file:${join(dir, 'env.json')}`);
    expect(resolveUserPrices(undefined, {}, dir)).toEqual({ prices: {}, origin: {} });
    mkdirSync(join(dir, '.genops'));
    writeFileSync(join(dir, DEFAULT_PRICES_FILE), JSON.stringify(FILE));
    expect(resolveUserPrices(undefined, {}, dir).origin.source).toBe('prices-file:acme-2026-08-01');
    // The option object wins over the environment and the default file.
    expect(resolveUserPrices({ openai: {} }, { GENOPS_PRICES: 'env.json' }, dir).origin.source).toBe('prices-option');
  });

  it('refuses a missing file, bad JSON and an invalid price with a ConfigError naming the field', () => {
    const dir = tempDir();
    expect(() => readPricesFile(join(dir, 'none.json'))).toThrow(ConfigError);
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    expect(() => readPricesFile(join(dir, 'bad.json'))).toThrow(/not valid JSON/);
    writeFileSync(
      join(dir, 'neg.json'),
      JSON.stringify({ prices: { openai: { m: { input: 1, output: 1, cacheRead: -1 } } } }),
    );
    expect(() => readPricesFile(join(dir, 'neg.json'), 'GENOPS_PRICES')).toThrow(/prices\.openai\.m\.cacheRead/);
  });
});
