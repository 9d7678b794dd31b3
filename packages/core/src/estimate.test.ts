// The input-token bound is counted without building the request's JSON. It must never be lower than the
// bound it replaced (the UTF-8 length of JSON.stringify plus 8): a lower one would under-reserve. The
// previous implementation is kept here as the oracle.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateInputTokens } from './estimate';

function oracle(input: unknown): number {
  if (input === undefined || input === null) return 0;
  if (typeof input === 'string') return Buffer.byteLength(input, 'utf8') + 8;
  const json = stringifiedOrUndefined(input);
  return json === undefined ? 0 : Buffer.byteLength(json, 'utf8') + 8;
}

function stringifiedOrUndefined(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

// Strings over the whole UTF-16 range: ASCII, escapes, control characters, multi-byte text, surrogate
// pairs and lone surrogates.
const text = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
  fc.constantFrom('"', '\\', '\b\f\n\r\t', '\u0000\u001f\u007f', '\ud83d', '\ude00', '\ud83d\ude00', '’', '€'),
);

const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1e21, -1e-7, 123456789, -999999999, 1e9, Number.NaN, Number.POSITIVE_INFINITY),
);

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(() => 1),
    fc.constant(Symbol('s')),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 6 }),
  object: fc.dictionary(text, tie('value'), { maxKeys: 6 }),
}));

describe('estimateInputTokens', () => {
  it('equals the UTF-8 length of the JSON plus 8 for every JSON-like value (the bound it replaced)', () => {
    fc.assert(
      fc.property(json.value, (value) => {
        expect(estimateInputTokens(value)).toBe(oracle(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it('is never below the old bound for chat message arrays (text and content parts)', () => {
    const message = fc.record({
      role: fc.constantFrom('system', 'user', 'assistant', 'tool'),
      content: fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 3 })),
    });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 8 }), (messages) => {
        expect(estimateInputTokens(messages)).toBeGreaterThanOrEqual(oracle(messages));
      }),
    );
  });

  it('measures values with their own JSON form through JSON.stringify, as before', () => {
    const at = new Date(Date.UTC(2026, 0, 2));
    class Message {
      role = 'user';
      content = 'hi';
    }
    const withToJSON = { toJSON: () => ({ replaced: 'x'.repeat(50) }) };
    const cases: unknown[] = [
      at,
      [at, { at }],
      new Message(),
      withToJSON,
      [withToJSON],
      new String('boxed'),
      new Map([['a', 1]]),
      Object.assign(Object.create(null), { a: 'b' }),
      Object.assign([1, 2], { extra: 'ignored by JSON' }),
      new Array(3), // holes are `null`
      { a: undefined, b: () => 1, c: 1 },
      () => 1,
      Symbol('top'),
      42,
      true,
    ];
    for (const value of cases) expect(estimateInputTokens(value)).toBe(oracle(value));
  });

  it('is 0 where JSON.stringify throws (a BigInt, a cycle, a throwing getter), as before', () => {
    const cycle: Record<string, unknown> = { a: 'x' };
    cycle.self = cycle;
    const throwing = {
      get content(): string {
        throw new Error('no');
      },
    };
    for (const value of [10n, { n: 10n }, cycle, [cycle], throwing]) {
      expect(oracle(value)).toBe(0);
      expect(estimateInputTokens(value)).toBe(0);
    }
  });

  it('measures deeply nested values (past the walk depth) exactly', () => {
    let deep: unknown = 'leaf ✓';
    for (let level = 0; level < 200; level++) deep = level % 2 ? [deep] : { level: deep };
    expect(estimateInputTokens(deep)).toBe(oracle(deep));
  });
});
