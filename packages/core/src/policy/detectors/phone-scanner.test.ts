// The phone detector's hand-written candidate scanner against the regular expression it replaced, kept
// here as the reference: on random text dense in the characters that matter (digits, `+ ( ) . - ` and
// the letters of `ext`, `extension` and `x`), both find the same candidates, in the same order, with
// the same number, extension and shape.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextCandidate, type PhoneCandidate } from './phone-scanner';

const INTERNATIONAL = String.raw`\+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,6})){1,7}`;
const NANP = String.raw`(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}`;
const BARE = String.raw`1?\d{10}`;
const EXTENSION = String.raw`(?:[ ]?(?:ext\.?|extension|x)[ ]?\d{1,6})?`;
const CANDIDATE = new RegExp(`(?:(${INTERNATIONAL})|(${NANP})|(${BARE}))${EXTENSION}`, 'gi');

type Found = [start: number, numberEnd: number, end: number, shape: 'international' | 'nanp' | 'bare'];

function byExpression(text: string): Found[] {
  const found: Found[] = [];
  CANDIDATE.lastIndex = 0;
  for (let match = CANDIDATE.exec(text); match !== null; match = CANDIDATE.exec(text)) {
    const number = match[1] ?? match[2] ?? match[3]!;
    const shape = match[1] !== undefined ? 'international' : match[2] !== undefined ? 'nanp' : 'bare';
    found.push([match.index, match.index + number.length, match.index + match[0].length, shape]);
  }
  return found;
}

function byScanner(text: string): Found[] {
  const found: Found[] = [];
  const shape: PhoneCandidate = { end: 0, numberEnd: 0, international: false, bare: false };
  for (let start = nextCandidate(text, 0, shape); start !== -1; start = nextCandidate(text, shape.end, shape))
    found.push([
      start,
      shape.numberEnd,
      shape.end,
      shape.international ? 'international' : shape.bare ? 'bare' : 'nanp',
    ]);
  return found;
}

const digits = (min: number, max = min) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: min, maxLength: max });
/** Pieces of phone-like text: digit runs, separators, parentheses, `+`, extension labels and noise. */
const piece = fc.oneof(
  digits(1, 12),
  fc.constantFrom(
    ' ',
    '-',
    '.',
    '(',
    ')',
    '+',
    '1',
    '1-',
    '1 ',
    'x',
    'X',
    ' x',
    'e',
    'ex',
    'ext',
    'EXT.',
    'ext. ',
    'Ext',
  ),
  fc.constantFrom('extension', ' extension ', 'extens', 'a', 'phone ', '\n', '((', '))', '+44 (', '+44-(', '(0)', '  '),
  fc.tuple(digits(1, 3), digits(1, 5)).map(([code, area]) => `+${code} (${area})`),
  fc.tuple(digits(3), digits(3), digits(4)).map(([area, exchange, line]) => `(${area})${exchange}-${line}`),
);
const text = fc.oneof(
  fc.array(piece, { maxLength: 40 }).map((pieces) => pieces.join('')),
  fc.string({ unit: fc.constantFrom(...'0123456789 .-()+xXeEtnsio1'.split('')), maxLength: 300 }),
);

describe('phone candidate scanner', () => {
  it('finds what the regular expression finds, on random phone-like text', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(byScanner(value)).toEqual(byExpression(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it('on a text that is one run of a million digits (each position is not re-read to the end of the run)', () => {
    const run = '4155552671'.repeat(100_000);
    const found = byScanner(run);
    expect(found).toHaveLength(100_000);
    expect(found).toEqual(byExpression(run));
  });

  it('on known shapes: country codes, parenthesised area codes, extensions, bare digits', () => {
    for (const value of [
      '+44 (20) 7946-0958',
      '+44-(20) 7946 0958',
      '+44 (0)(20) 7946 0958',
      '+1 (415) 555-2671 ext. 12',
      '(415)555-2671',
      '1-415-555-2671 x7',
      '415-555-2671 extension 99',
      'tel 14155552671',
      '+4',
      '+44',
      '+44 ',
      '+1 2 3 4 5 6 7 8 9',
      '+123456789012345678901234567890123456789012345678',
      '+44 (12345) 6',
      '((((1',
      '+44 (+44 (+44 (',
      '(415) 555-2671EXT.12345678',
      '123-456-78901',
      '11234567890',
    ])
      expect(byScanner(value), value).toEqual(byExpression(value));
  });
});
