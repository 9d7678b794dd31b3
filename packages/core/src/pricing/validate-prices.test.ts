import { describe, expect, it } from 'vitest';
import { parseOptions } from '../config';
import { ConfigError } from '../errors/config-error';
import { priceProblems, validatePrices } from './validate-prices';

const fields = (price: unknown) => priceProblems(price).map((p) => p.field);

describe('priceProblems', () => {
  it('accepts a full valid price', () => {
    expect(
      priceProblems({
        input: 3,
        output: 15,
        cacheRead: 0.3,
        cacheWrite: 3.75,
        cacheWrite1h: 6,
        tiers: [{ aboveInputTokens: 200_000, input: 6, output: 22.5 }],
        batch: { input: 1.5, output: 7.5 },
        units: {
          image: 0.04,
          imageBySize: { 'hd/1024x1024': 0.08 },
          requestBySearchContext: { low: 0.005, medium: 0.008, high: 0.012 },
        },
        maxOutputTokens: 64_000,
        mode: 'chat',
        aliases: ['x'],
      }),
    ).toEqual([]);
  });

  it.each([
    ['a string rate', { input: 1, output: 1, cacheRead: 'free' }, 'cacheRead'],
    ['a negative cache-read rate', { input: 1, output: 1, cacheRead: -0.5 }, 'cacheRead'],
    ['NaN', { input: Number.NaN, output: 1 }, 'input'],
    ['Infinity', { input: 1, output: Number.POSITIVE_INFINITY }, 'output'],
    ['a missing output', { input: 1 }, 'output'],
    ['a rate typed per token x 1e6 twice', { input: 2_500_000, output: 1 }, 'input'],
    ['a negative maxOutputTokens', { input: 1, output: 1, maxOutputTokens: -1e9 }, 'maxOutputTokens'],
    ['a fractional maxOutputTokens', { input: 1, output: 1, maxOutputTokens: 10.5 }, 'maxOutputTokens'],
    ['a negative tier rate', { input: 1, output: 1, tiers: [{ aboveInputTokens: 10, input: -1 }] }, 'tiers[0].input'],
    [
      'tiers out of order',
      { input: 1, output: 1, tiers: [{ aboveInputTokens: 200 }, { aboveInputTokens: 100 }] },
      'tiers[1].aboveInputTokens',
    ],
    ['a negative unit price', { input: 0, output: 0, units: { image: -0.04 } }, 'units.image'],
    ['a typo', { input: 1, output: 1, cacheread: 0.1 }, 'cacheread'],
    ['a cache read dearer than input', { input: 1, output: 1, cacheRead: 2 }, 'cacheRead'],
    ['a bad batch', { input: 1, output: 1, batch: { input: -1, output: 1 } }, 'batch.input'],
  ])('refuses %s', (_name, price, field) => {
    expect(fields(price)).toContain(field);
  });
});

describe('validatePrices and the options parser', () => {
  it('throws a ConfigError naming provider, model and field, with the fix', () => {
    let error: unknown;
    try {
      validatePrices({ openai: { 'gpt-4o': { input: 2.5, output: 10, cacheRead: 'free' } } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe('prices.openai.gpt-4o.cacheRead');
    expect((error as ConfigError).message).toContain('openai "gpt-4o"');
    expect((error as ConfigError).message).toContain('finite number');
    expect((error as ConfigError).received).toBe('free');
  });

  it('GenOps.init options: refuses a negative cacheRead, "free", maxOutputTokens -1e9 and a bad unknownModel fallback', () => {
    expect(() => parseOptions({ prices: { anthropic: { x: { input: 3, output: 15, cacheRead: -0.3 } } } })).toThrow(
      /prices\.anthropic\.x\.cacheRead.*negative/,
    );
    expect(() => parseOptions({ prices: { openai: { x: { input: 1, output: 1, cacheRead: 'free' } } } })).toThrow(
      ConfigError,
    );
    expect(() => parseOptions({ prices: { openai: { x: { input: 1, output: 1, maxOutputTokens: -1e9 } } } })).toThrow(
      /maxOutputTokens/,
    );
    expect(() => parseOptions({ unknownModel: { input: 1, output: -1 } })).toThrow(/unknownModel\.output/);
    expect(() => parseOptions({ prices: { openai: { x: [] } } })).toThrow(ConfigError);
    expect(parseOptions({ prices: { openai: { x: { input: 1, output: 2 } } } }).prices).toEqual({
      openai: { x: { input: 1, output: 2 } },
    });
  });
});
