import { describe, expect, it } from 'vitest';
import { costBreakdown, costMicros, worstCaseMicros } from './cost';
import { PRICE_FILES } from './data/index';
import { PriceTable } from './price-table';
import type { BillableUsage } from './types';

const table = new PriceTable(PRICE_FILES);
const priceOf = (provider: string, model: string) => {
  const match = table.lookup(provider, model);
  if (!match) throw new Error(`no price for ${provider} ${model}`);
  return match.price;
};

describe('units beyond tokens', () => {
  it("reproduces Perplexity's published Sonar Deep Research example: $0.409393", () => {
    // https://docs.perplexity.ai/getting-started/models/models/sonar-deep-research (example response):
    // prompt 33, completion 7,163, citation 20,016, reasoning 73,997 tokens, 18 searches; $2 input and
    // citations, $8 output, $3 reasoning per 1M, $5 per 1,000 searches, no request fee. Perplexity reports
    // citation and reasoning tokens outside prompt and completion tokens; normalized usage counts them
    // inside input and output.
    const usage: BillableUsage = {
      inputTokens: 33 + 20_016,
      citationInputTokens: 20_016,
      outputTokens: 7_163 + 73_997,
      reasoningOutputTokens: 73_997,
      searchQueries: 18,
    };
    // 66 + 40,032 + 57,304 + 221,991 + 90,000 µ$
    expect(costMicros(priceOf('perplexity', 'sonar-deep-research'), usage)).toBe(409_393);
  });

  it("charges Perplexity Sonar's per-request fee by search context size (medium by default) when the usage reports the request", () => {
    const sonar = priceOf('perplexity', 'sonar'); // $1/$1 per 1M; $5/$8/$12 per 1,000 requests
    expect(costMicros(sonar, { inputTokens: 500, outputTokens: 200, requests: 1 } as BillableUsage)).toBe(700 + 8_000);
    expect(
      costMicros(sonar, {
        inputTokens: 500,
        outputTokens: 200,
        requests: 1,
        searchContextSize: 'low',
      } as BillableUsage),
    ).toBe(5_700);
    // Token-only usage (today's adapters) keeps its token cost.
    expect(costMicros(sonar, { inputTokens: 500, outputTokens: 200 })).toBe(700);
    // The reservation assumes the dearest fee.
    expect(worstCaseMicros(sonar, 500, 200, { requests: 1 })).toBe(700 + 12_000);
    expect(worstCaseMicros(sonar, 500, 200)).toBe(700);
  });

  it('prices generated images by size and quality (DALL·E 3)', () => {
    const dalle3 = priceOf('openai', 'dall-e-3');
    const usage: BillableUsage = {
      inputTokens: 0,
      outputTokens: 0,
      images: [
        { size: '1024x1792', quality: 'hd', count: 2 }, // $0.12 each
        { size: '1024x1024', quality: 'standard' }, // $0.04
      ],
    };
    expect(costBreakdown(dalle3, usage)).toEqual({ picos: 280_000 * 1_000_000, unpriced: [] });
    expect(costMicros(dalle3, usage)).toBe(280_000);
  });

  it('reports an image size the price does not know, instead of pricing it silently', () => {
    const stability = priceOf('aws.bedrock', 'stability.stable-diffusion-xl-v1');
    const result = costBreakdown(stability, { inputTokens: 0, outputTokens: 0, images: [{ size: '640x640' }] });
    expect(result.unpriced).toEqual(['image 640x640']);
    // The worst case falls back to the dearest size.
    expect(worstCaseMicros(stability, 0, 0, { images: [{ size: '640x640' }] })).toBe(80_000);
  });

  it('prices audio per second (Whisper: $0.006 per minute) and text-to-speech per character', () => {
    expect(
      costMicros(priceOf('openai', 'whisper-1'), {
        inputTokens: 0,
        outputTokens: 0,
        audioInputSeconds: 90,
      } as BillableUsage),
    ).toBe(9_000);
    // tts-1: $15 per 1M characters
    expect(
      costMicros(priceOf('openai', 'tts-1'), { inputTokens: 0, outputTokens: 0, characters: 1_000 } as BillableUsage),
    ).toBe(15_000);
  });

  it('prices compute seconds and per-request fees from a user price', () => {
    const price = { input: 0, output: 0, units: { computeSecond: 0.000225, request: 0.001 } };
    expect(
      costMicros(price, { inputTokens: 0, outputTokens: 0, computeSeconds: 40, requests: 1 } as BillableUsage),
    ).toBe(9_000 + 1_000);
    expect(costMicros(price, { inputTokens: 0, outputTokens: 0, requests: 3 } as BillableUsage)).toBe(3_000);
    expect(costMicros(price, { inputTokens: 0, outputTokens: 0 })).toBe(0);
  });

  it('applies batch rates (50%) to batch calls where the model has them, and the normal rates otherwise', () => {
    const mini = priceOf('openai', 'gpt-4o-mini'); // $0.15/$0.60, batch $0.075/$0.30
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    expect(costMicros(mini, usage)).toBe(750_000);
    expect(costMicros(mini, { ...usage, batch: true } as BillableUsage)).toBe(375_000);
    expect(costMicros({ input: 1, output: 2 }, { ...usage, batch: true } as BillableUsage)).toBe(3_000_000);
  });

  it('prices image output tokens at the image rate (gpt-image-1: $40 per 1M image tokens)', () => {
    const gptImage = priceOf('openai', 'gpt-image-1');
    expect(
      costMicros(gptImage, { inputTokens: 100, outputTokens: 4_160, imageOutputTokens: 4_160 } as BillableUsage),
    ).toBe(500 + 166_400);
  });
});

describe('1-hour cache writes and long-context tiers (issue 16 gaps)', () => {
  it('prices Claude 3 Opus and Haiku 1-hour writes at 2x input', () => {
    const write = {
      inputTokens: 1_000_000,
      outputTokens: 0,
      cacheWriteInputTokens: 1_000_000,
      cacheWrite1hInputTokens: 1_000_000,
    };
    expect(costMicros(priceOf('anthropic', 'claude-3-opus-20240229'), write)).toBe(30_000_000);
    expect(costMicros(priceOf('anthropic', 'claude-3-haiku-20240307'), write)).toBe(500_000);
  });

  it("prices Sonnet 4's 1-hour writes above 200k input tokens at the tier's 2x input ($12)", () => {
    const usage = {
      inputTokens: 300_000,
      outputTokens: 0,
      cacheWriteInputTokens: 100_000,
      cacheWrite1hInputTokens: 100_000,
    };
    // 200,000 plain at $6 + 100,000 1-hour writes at $12
    expect(costMicros(priceOf('anthropic', 'claude-sonnet-4-20250514'), usage)).toBe(1_200_000 + 1_200_000);
  });
});
