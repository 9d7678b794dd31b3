import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endJson, startJson, writeBoolean, writeNumber, writeRaw, writeString } from './json-bytes';

/** What the writer makes of `write`, as one string. */
function written(write: () => void): string {
  startJson();
  write();
  return endJson();
}

describe('json-bytes', () => {
  it('writes numbers as JSON.stringify does: safe integers digit by digit, the rest as their text', () => {
    const numbers = [0, -0, 1, -1, 9, 10, 99, 100, 66_600, 1_796_551_279_335, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53];
    for (const value of [...numbers, 0.0000666, 1e-7, 1e21, -1.5, 123.456, Number.MIN_VALUE, Number.MAX_VALUE])
      expect(written(() => writeNumber(value))).toBe(JSON.stringify(value));
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true })),
        (value) => {
          expect(written(() => writeNumber(value))).toBe(JSON.stringify(value));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('writes strings as JSON.stringify does: escapes, non-ASCII, lone and paired surrogates', () => {
    for (const text of [
      '',
      'gpt-4o-mini',
      'a"b\\c',
      '\u0000\u001f\u007f',
      'é ✓ 😀 \u2028',
      'lone \ud800 \udc00',
      ',"seq":1',
    ])
      expect(written(() => writeString(text))).toBe(JSON.stringify(text));
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { maxLength: 5 }), (texts) => {
        const text = written(() => {
          writeRaw('[');
          texts.forEach((item, index) => {
            if (index > 0) writeRaw(',');
            writeString(item);
          });
          writeRaw(']');
        });
        expect(text).toBe(JSON.stringify(texts));
      }),
      { numRuns: 500 },
    );
  });

  it('grows past its buffer, keeps what was written, and starts over with startJson', () => {
    const long = 'x'.repeat(10_000);
    const wide = '€'.repeat(5_000);
    expect(
      written(() => {
        writeString(long);
        writeRaw(',');
        writeString(wide);
        writeRaw(',');
        writeBoolean(false);
      }),
    ).toBe(`${JSON.stringify(long)},${JSON.stringify(wide)},false`);
    expect(written(() => writeBoolean(true))).toBe('true');
  });
});
