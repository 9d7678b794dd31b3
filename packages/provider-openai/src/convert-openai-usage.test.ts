import { describe, expect, it } from 'vitest';
import { convertChatUsage, convertResponsesUsage } from './convert-openai-usage';

describe('convertChatUsage', () => {
  it('keeps cached, cache-write and reasoning tokens inside the totals, and the raw object', () => {
    const raw = {
      prompt_tokens: 1000,
      completion_tokens: 300,
      total_tokens: 1300,
      prompt_tokens_details: { cached_tokens: 600, cache_write_tokens: 200 },
      completion_tokens_details: { reasoning_tokens: 120 },
    };
    expect(convertChatUsage(raw)).toEqual({
      inputTokens: 1000,
      outputTokens: 300,
      cacheReadInputTokens: 600,
      cacheWriteInputTokens: 200,
      reasoningOutputTokens: 120,
      raw,
    });
  });

  it('reads an embeddings usage (no completion tokens) and rejects shapes without prompt_tokens', () => {
    expect(convertChatUsage({ prompt_tokens: 8, total_tokens: 8 })).toMatchObject({ inputTokens: 8, outputTokens: 0 });
    expect(convertChatUsage(null)).toBeUndefined();
    expect(convertChatUsage({ input_tokens: 3 })).toBeUndefined();
    expect(
      convertChatUsage({ prompt_tokens: 5, prompt_tokens_details: { cached_tokens: -1 } })?.cacheReadInputTokens,
    ).toBeUndefined();
  });
});

describe('convertResponsesUsage', () => {
  it('maps Responses usage, with 12-hour cache writes as the long-TTL class', () => {
    const raw = {
      input_tokens: 5000,
      output_tokens: 900,
      input_tokens_details: {
        cached_tokens: 1000,
        cache_write_tokens: 3000,
        cache_write_tokens_details: { ttl_12h_tokens: 2000, ttl_30m_tokens: 1000 },
      },
      output_tokens_details: { reasoning_tokens: 700 },
    };
    expect(convertResponsesUsage(raw)).toEqual({
      inputTokens: 5000,
      outputTokens: 900,
      cacheReadInputTokens: 1000,
      cacheWriteInputTokens: 3000,
      cacheWrite1hInputTokens: 2000,
      reasoningOutputTokens: 700,
      raw,
    });
    expect(convertResponsesUsage({ prompt_tokens: 1 })).toBeUndefined();
  });
});
