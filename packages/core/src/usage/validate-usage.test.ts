import { describe, expect, it } from 'vitest';
import { validateUsage } from './validate-usage';

const codes = (usage: Parameters<typeof validateUsage>[0], maxOutputTokens?: number, choices?: number) =>
  validateUsage(usage, { maxOutputTokens }, { choices }).map((v) => `${v.field}:${v.code}`);

describe('validateUsage', () => {
  it('accepts plausible usage', () => {
    expect(
      codes(
        {
          inputTokens: 1000,
          outputTokens: 100,
          cacheReadInputTokens: 600,
          cacheWriteInputTokens: 400,
          cacheWrite1hInputTokens: 100,
          reasoningOutputTokens: 60,
        },
        100,
      ),
    ).toEqual([]);
  });

  it('flags non-finite, negative and absurd counts (1e308, Infinity, NaN, -5)', () => {
    expect(codes({ inputTokens: 1e308, outputTokens: Number.NaN })).toEqual([
      'inputTokens:TOO_LARGE',
      'outputTokens:NOT_FINITE',
    ]);
    expect(codes({ inputTokens: Number.POSITIVE_INFINITY, outputTokens: -5 })).toEqual([
      'inputTokens:NOT_FINITE',
      'outputTokens:NEGATIVE',
    ]);
    expect(codes({ inputTokens: 1, outputTokens: 1, cacheReadInputTokens: '3' as unknown as number })).toEqual([
      'cacheReadInputTokens:NOT_FINITE',
    ]);
  });

  it('flags output above max tokens × n plus slack, and allows the slack', () => {
    expect(codes({ inputTokens: 10, outputTokens: 1e6 }, 100)).toEqual(['outputTokens:ABOVE_MAX_TOKENS']);
    expect(codes({ inputTokens: 10, outputTokens: 1e12 }, 100)).toEqual(['outputTokens:TOO_LARGE']);
    expect(codes({ inputTokens: 10, outputTokens: 116 }, 100)).toEqual([]);
    expect(codes({ inputTokens: 10, outputTokens: 117 }, 100)).toEqual(['outputTokens:ABOVE_MAX_TOKENS']);
    expect(codes({ inputTokens: 10, outputTokens: 330 }, 100, 3)).toEqual([]);
    expect(codes({ inputTokens: 10, outputTokens: 1e6 })).toEqual([]); // no cap in the request: nothing to bound
  });

  it('flags cached tokens above the input, and 1-hour writes above writes', () => {
    expect(codes({ inputTokens: 10, outputTokens: 1, cacheReadInputTokens: 10_000 })).toEqual([
      'cacheReadInputTokens:CACHED_ABOVE_INPUT',
    ]);
    expect(codes({ inputTokens: 10, outputTokens: 1, cacheWriteInputTokens: 5, cacheWrite1hInputTokens: 6 })).toEqual([
      'cacheWrite1hInputTokens:CACHED_ABOVE_INPUT',
    ]);
  });

  it('flags reasoning above output, unless the usage is documented to report it outside output', () => {
    const usage = { inputTokens: 33, outputTokens: 7163, reasoningOutputTokens: 73_997 };
    expect(codes(usage)).toEqual(['reasoningOutputTokens:REASONING_ABOVE_OUTPUT']);
    expect(validateUsage(usage, {}, { reasoningOutsideOutput: true })).toEqual([]);
  });
});
