import { describe, expect, it } from 'vitest';
import { costMicros, worstCaseMicros } from './cost';
import { PRICE_FILES } from './data/index';
import { PriceTable } from './price-table';

const table = new PriceTable(PRICE_FILES);

describe('PriceTable.lookup', () => {
  it.each([
    ['openai', 'gpt-4o', 'gpt-4o', 'exact'],
    ['openai', 'GPT-4o', 'gpt-4o', 'exact'],
    ['openai', 'gpt-4o-2024-05-13', 'gpt-4o-2024-05-13', 'exact'],
    ['openai', 'gpt-4o-2024-08-06', 'gpt-4o-2024-08-06', 'exact'],
    ['openai', 'gpt-4o-2099-01-01', 'gpt-4o', 'snapshot'],
    ['openai', 'gpt-4o-mini-2099-12-31', 'gpt-4o-mini', 'snapshot'],
    ['anthropic', 'claude-sonnet-4-5-20990101', 'claude-sonnet-4-5', 'snapshot'],
    ['openai', 'openai/gpt-4o', 'gpt-4o', 'prefix'],
    // OpenRouter spells versions with a dot.
    ['anthropic', 'anthropic/claude-sonnet-4.5', 'claude-sonnet-4-5', 'prefix'],
    ['anthropic', 'claude-opus-4.1', 'claude-opus-4-1', 'prefix'],
    ['openai', 'gpt-4.1', 'gpt-4.1', 'exact'],
    // Vertex AI has its own table (Gemini, and Claude under `@date` ids), and falls back to the Gemini
    // API's and Anthropic's list prices for models it does not list.
    ['gcp.vertex_ai', 'gemini-2.5-flash', 'gemini-2.5-flash', 'exact'],
    ['gcp.vertex_ai', 'claude-sonnet-4-5@20250929', 'claude-sonnet-4-5@20250929', 'exact'],
    ['gcp.vertex_ai', 'gemini-1.5-flash', 'gemini-1.5-flash', 'exact'],
  ])('%s %s → %s (%s)', (provider, model, expected, matchedBy) => {
    const match = table.lookup(provider, model);
    expect(match?.model).toBe(expected);
    expect(match?.matchedBy).toBe(matchedBy);
  });

  it('prices a Bedrock cross-region inference profile id as its underlying model', () => {
    const profile = table.lookup('aws.bedrock', 'us.anthropic.claude-3-haiku-20240307-v1:0');
    const bare = table.lookup('aws.bedrock', 'anthropic.claude-3-haiku-20240307-v1:0');
    expect(bare).toBeDefined();
    expect(profile?.price.input).toBe(bare?.price.input);
    expect(profile?.price.output).toBe(bare?.price.output);
  });

  it('prefers a per-region entry when given a region, and falls back to the model elsewhere', () => {
    const tokyo = table.lookup('aws.bedrock', 'anthropic.claude-instant-v1', 'ap-northeast-1');
    expect(tokyo).toMatchObject({
      model: 'ap-northeast-1/anthropic.claude-instant-v1',
      price: { input: 2.23, output: 7.55 },
    });
    const elsewhere = table.lookup('aws.bedrock', 'anthropic.claude-instant-v1', 'xx-nowhere-1');
    expect(elsewhere).toMatchObject({ model: 'anthropic.claude-instant-v1', price: { input: 0.8, output: 2.4 } });
  });

  it('returns undefined for a model it does not know, never a zero price', () => {
    expect(table.lookup('openai', 'gpt-imaginary-9')).toBeUndefined();
    expect(table.lookup('no-such-provider', 'gpt-4o')).toBeUndefined();
  });

  it('takes prices supplied for a reseller first, and falls back to list prices for the rest', () => {
    const custom = new PriceTable(PRICE_FILES, { 'gcp.vertex_ai': { 'gemini-2.5-pro': { input: 1, output: 2 } } });
    expect(custom.lookup('gcp.vertex_ai', 'gemini-2.5-pro')).toMatchObject({ matchedBy: 'override' });
    expect(custom.lookup('gcp.vertex_ai', 'gemini-1.5-flash')).toMatchObject({
      provider: 'gcp.gemini',
      model: 'gemini-1.5-flash',
    });
  });

  it('lets overrides replace and add prices', () => {
    const custom = new PriceTable(PRICE_FILES, {
      openai: { 'gpt-4o': { input: 1, output: 2 }, 'my-finetune': { input: 3, output: 4 } },
    });
    expect(custom.lookup('openai', 'gpt-4o')).toMatchObject({ matchedBy: 'override', price: { input: 1, output: 2 } });
    expect(custom.lookup('openai', 'my-finetune')?.price.output).toBe(4);
  });
});

describe('cost', () => {
  const gpt4o = table.lookup('openai', 'gpt-4o')!.price; // $2.50 in, $1.25 cached, $10 out per 1M

  it('prices input and output to the micro-dollar', () => {
    expect(gpt4o).toMatchObject({ input: 2.5, output: 10, cacheRead: 1.25 });
    expect(costMicros(gpt4o, { inputTokens: 1000, outputTokens: 500 })).toBe(7_500);
  });

  it('counts cached tokens once, at the cache-read rate (inputTokens includes them)', () => {
    // 1000 input of which 800 cached: 200 × 2.5 + 800 × 1.25 = 1500 micro-USD; + 100 × 10 = 1000
    expect(costMicros(gpt4o, { inputTokens: 1000, outputTokens: 100, cacheReadInputTokens: 800 })).toBe(2_500);
  });

  it('prices Anthropic cache writes by TTL class', () => {
    const sonnet = table.lookup('anthropic', 'claude-sonnet-4-5')!.price; // 3 in, 3.75 5m write, 6 1h write, 0.3 read, 15 out
    expect(sonnet).toMatchObject({ input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 });
    const micros = costMicros(sonnet, {
      inputTokens: 10_000,
      outputTokens: 1_000,
      cacheReadInputTokens: 4_000,
      cacheWriteInputTokens: 3_000,
      cacheWrite1hInputTokens: 1_000,
    });
    // plain 3000 × 3 = 9000; read 4000 × 0.3 = 1200; 5m write 2000 × 3.75 = 7500; 1h write 1000 × 6 = 6000; out 1000 × 15 = 15000
    expect(micros).toBe(38_700);
  });

  it('applies a long-context tier to the whole request above its threshold', () => {
    const pro = table.lookup('gcp.gemini', 'gemini-2.5-pro')!.price;
    const tier = pro.tiers?.find((candidate) => candidate.aboveInputTokens === 200_000);
    expect(tier).toBeDefined();
    expect(costMicros(pro, { inputTokens: 200_000, outputTokens: 0 })).toBe(200_000 * pro.input);
    expect(costMicros(pro, { inputTokens: 200_001, outputTokens: 0 })).toBe(Math.round(200_001 * tier!.input!));
  });

  it('rounds fractional micro-dollars half up, and worst cases up', () => {
    const mini = table.lookup('openai', 'gpt-4o-mini')!.price; // 0.15 in, 0.6 out
    expect(costMicros(mini, { inputTokens: 3, outputTokens: 0 })).toBe(0); // 0.45 µ$
    expect(costMicros(mini, { inputTokens: 4, outputTokens: 0 })).toBe(1); // 0.6 µ$
    expect(worstCaseMicros(mini, 3, 0)).toBe(1);
  });

  it('takes the worst case at the highest input and output rates', () => {
    const sonnet = table.lookup('anthropic', 'claude-sonnet-4-5')!.price;
    // every input token could be a 1-hour cache write ($6) and every output token costs $15
    expect(worstCaseMicros(sonnet, 1000, 100)).toBe(1000 * 6 + 100 * 15);
  });
});
