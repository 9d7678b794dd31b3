import { describe, expect, it } from 'vitest';
import { showValue } from './show-value';

describe('showValue', () => {
  it('shows primitives and small plain values as JSON', () => {
    expect(showValue(undefined)).toBe('nothing');
    expect(showValue(null)).toBe('null');
    expect(showValue('gpt-4o')).toBe('"gpt-4o"');
    expect(showValue(-1)).toBe('-1');
    expect(showValue(Number.NaN)).toBe('NaN');
    expect(showValue(true)).toBe('true');
    expect(showValue(10n)).toBe('10n');
    expect(showValue([])).toBe('[]');
    expect(showValue({ limit: -1, per: ['team'] })).toBe('{"limit":-1,"per":["team"]}');
  });

  it('shortens long values to 80 characters', () => {
    expect(showValue('x'.repeat(500))).toBe(JSON.stringify(`${'x'.repeat(77)}...`));
    const shown = showValue(Array.from({ length: 30 }, (_, index) => `model-${index}`));
    expect(shown).toHaveLength(80);
    expect(shown.endsWith('...')).toBe(true);
  });

  it('names what it does not serialise: cycles, class instances, functions, large objects', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(showValue(cycle)).toBe('an object');
    class SpanRecorder {
      spans: unknown[] = [];
    }
    expect(showValue(new SpanRecorder())).toBe('an object (SpanRecorder)');
    expect(showValue(() => 1)).toBe('a function');
    expect(showValue(Symbol('s'))).toBe('Symbol(s)');
    expect(showValue(Array.from({ length: 100_000 }, (_, index) => index))).toBe('an array of 100000 items');
    expect(showValue({ nested: { n: Number.POSITIVE_INFINITY } })).toBe('an object');
  });
});
