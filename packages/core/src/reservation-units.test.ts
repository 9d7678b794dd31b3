import { describe, expect, it } from 'vitest';
import { worstCaseOf } from './governance-steps';
import { costMicros } from './pricing/cost';
import { PRICE_FILES } from './pricing/data/index';
import { PriceTable } from './pricing/price-table';
import type { GovernedRequest } from './types';

// Units beyond tokens and batch jobs in the reservation (`GovernedRequest.units`, `.batch`), and the
// video and training-token units in the actual cost.

const table = new PriceTable(PRICE_FILES);

function request(fields: Partial<GovernedRequest>): GovernedRequest {
  return { provider: 'openai', operation: 'generate_content', model: 'dall-e-3', estimatedInputTokens: 0, ...fields };
}

describe('worstCaseOf with units', () => {
  it('reserves images at their size and quality, the dearest size when unknown', () => {
    const sized = worstCaseOf(
      table,
      request({ maxOutputTokens: 0, units: { images: [{ count: 2, size: '1024x1792', quality: 'hd' }] } }),
    );
    expect(sized.worstNanos).toBe(240_000_000);
    // gpt-image-1 has no any-size price: an unknown size reserves its dearest ($0.25, high 1536x1024).
    const unknown = worstCaseOf(
      table,
      request({ model: 'gpt-image-1', maxOutputTokens: 0, units: { images: [{ count: 1 }] } }),
    );
    expect(unknown.worstNanos).toBe(250_000_000);
  });

  it('reserves characters, audio seconds, video seconds by size and training tokens', () => {
    expect(
      worstCaseOf(table, request({ model: 'tts-1', maxOutputTokens: 0, units: { characters: 1000 } })).worstNanos,
    ).toBe(15_000_000);
    expect(
      worstCaseOf(table, request({ model: 'whisper-1', maxOutputTokens: 0, units: { audioInputSeconds: 60 } }))
        .worstNanos,
    ).toBe(6_000_000);
    expect(
      worstCaseOf(
        table,
        request({ model: 'sora-2-pro', maxOutputTokens: 0, units: { videoSeconds: 4, videoSize: '1280x720' } }),
      ).worstNanos,
    ).toBe(1_200_000_000);
    expect(
      worstCaseOf(
        table,
        request({ model: 'gpt-4o-mini-2024-07-18', maxOutputTokens: 0, units: { trainingTokens: 1_000_000 } }),
      ).worstNanos,
    ).toBe(3_000_000_000);
  });

  it('a batch reserves at batch rates: the capped requests plus the model output limit per uncapped one', () => {
    const price = table.lookup('openai', 'gpt-4o-mini')!.price;
    const worst = worstCaseOf(
      table,
      request({
        operation: 'chat',
        model: 'gpt-4o-mini',
        estimatedInputTokens: 1000,
        batch: { requests: 3, uncappedRequests: 1, cappedOutputTokens: 200 },
      }),
    );
    expect(worst.outputBound).toBe(200 + price.maxOutputTokens!);
    // Batch rates in pico-USD per token, the worst case rounded up to the nano-dollar.
    const picos =
      1000 * Math.round(price.batch!.input * 1e6) + worst.outputBound * Math.round(price.batch!.output * 1e6);
    expect(worst.worstNanos).toBe(Math.ceil(picos / 1_000));
  });
});

describe('costMicros of video seconds and training tokens', () => {
  it('prices sora-2-pro by size and sora-2 flat', () => {
    const pro = table.lookup('openai', 'sora-2-pro')!.price;
    expect(costMicros(pro, { inputTokens: 0, outputTokens: 0, videoSeconds: 8, videoSize: '1792x1024' } as never)).toBe(
      4_000_000,
    );
    const sora = table.lookup('openai', 'sora-2')!.price;
    expect(costMicros(sora, { inputTokens: 0, outputTokens: 0, videoSeconds: 12 } as never)).toBe(1_200_000);
  });

  it('prices trained tokens at the training rate', () => {
    const price = table.lookup('openai', 'gpt-4.1-mini-2025-04-14')!.price;
    expect(costMicros(price, { inputTokens: 0, outputTokens: 0, trainingTokens: 200_000 } as never)).toBe(1_000_000);
  });
});

describe('worstCaseOf for a unit of several model requests (modelRequests)', () => {
  it('reserves each request’s input estimate and output bound, that many times', () => {
    const one = worstCaseOf(
      table,
      request({ provider: 'anthropic', operation: 'chat', model: 'claude-sonnet-4-5', estimatedInputTokens: 500 }),
    );
    const three = worstCaseOf(
      table,
      request({
        provider: 'anthropic',
        operation: 'chat',
        model: 'claude-sonnet-4-5',
        estimatedInputTokens: 500,
        modelRequests: 3,
      }),
    );
    expect(three.outputBound).toBe(one.outputBound * 3);
    expect(three.worstTokens).toBe(one.worstTokens * 3);
    // Flat prices below the long-context tier: three times the cost of one.
    expect(three.worstNanos).toBe(one.worstNanos! * 3);
  });
});
