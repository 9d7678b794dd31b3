// The `payment_card` detector against its former implementation (__fixtures__/payment-card-reference.ts,
// the oracle): the same findings, to the character, on random and adversarial text: digit groups of
// every length joined by every separator kind, card numbers (valid and not) in every layout, clusters
// longer than the scanner's window of groups, and arbitrary characters around them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referencePaymentCardDetector } from './__fixtures__/payment-card-reference';
import type { KindDetector } from './internal-types';
import { paymentCardDetector } from './payment-card';
import type { Finding } from './types';

const findings = (detector: KindDetector, text: string): Finding[] => {
  const out: Finding[] = [];
  detector.scan(text, out);
  return out;
};

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: min, maxLength: max });

/** A Luhn-valid number of `length` digits starting with `prefix`. */
function luhnComplete(prefix: string, body: string, length: number): string {
  const partial = (prefix + body).slice(0, length - 1).padEnd(length - 1, '0');
  for (let check = 0; check <= 9; check++) {
    const number = partial + check;
    let sum = 0;
    for (let index = 0; index < number.length; index++) {
      let digit = number.charCodeAt(number.length - 1 - index) - 48;
      if (index % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      sum += digit;
    }
    if (sum % 10 === 0) return number;
  }
  return partial;
}

/** Card numbers of every network and length, Luhn-valid, written in one of the layouts (or a wrong one). */
const card = fc
  .tuple(
    fc.constantFrom(
      '4',
      '51',
      '55',
      '2221',
      '2720',
      '34',
      '37',
      '6011',
      '644',
      '65',
      '3528',
      '300',
      '36',
      '38',
      '62',
      '9',
    ),
    digits(19, 19),
    fc.integer({ min: 12, max: 20 }),
    fc.constantFrom('', ' ', '-', '.', '  '),
    fc.constantFrom('4', '4-6', 'irregular'),
  )
  .map(([prefix, body, length, separator, layout]) => {
    const number = luhnComplete(prefix, body, length);
    if (separator === '') return number;
    if (layout === '4-6') return [number.slice(0, 4), number.slice(4, 10), number.slice(10)].join(separator);
    if (layout === 'irregular') return [number.slice(0, 2), number.slice(2)].join(separator);
    return (number.match(/.{1,4}/g) ?? []).join(separator);
  });

const piece = fc.oneof(
  { weight: 5, arbitrary: card },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom('x ', ': ', '(', '\n', 'a'), card, fc.constantFrom(' x', '. ', ')', '\n', ',', '-', '_'))
      .map(([before, number, after]) => before + number + after),
  },
  { weight: 4, arbitrary: digits(1, 6) },
  { weight: 1, arbitrary: digits(12, 22) },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      ' ',
      ' ',
      '-',
      '-',
      '.',
      ',',
      '/',
      '_',
      '$',
      '€',
      '@',
      '%',
      'x',
      'a',
      '\n',
      '--',
      '  ',
      '+',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);
const text = fc.array(piece, { maxLength: 80 }).map((pieces) => pieces.join(''));

describe('payment_card: the same findings as the former implementation', () => {
  const current = paymentCardDetector();
  const reference = referencePaymentCardDetector();

  it('on text made of cards, digit groups and separators', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(findings(current, value)).toEqual(findings(reference, value));
      }),
      { numRuns: 3000 },
    );
  });

  it('on long clusters of groups (more than the window of 64 groups) with cards inside', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(digits(1, 6), card), { minLength: 50, maxLength: 400 }),
        fc.array(fc.constantFrom(' ', '-'), { minLength: 1, maxLength: 3 }),
        (parts, separators) => {
          const value = parts.map((part, index) => part + separators[index % separators.length]).join('');
          expect(findings(current, value)).toEqual(findings(reference, value));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on fixed cases of each layout and boundary', () => {
    for (const value of [
      '4111 1111 1111 1111',
      '4111-1111-1111-1111',
      '4111111111111111',
      '3782 822463 10005',
      '1234 4111 1111 1111 1111',
      '4111 1111 1111 1111 1',
      '4111-1111-1111-1111-x',
      '$4111111111111111',
      '4111111111111111 12/27 123',
      `${'1234 '.repeat(100)}4111111111111111 ${'1234-'.repeat(100)}`,
    ]) {
      expect(findings(current, value), value).toEqual(findings(reference, value));
    }
    expect(findings(current, `${'1234 '.repeat(100)}x 4111 1111 1111 1111 x`)).toEqual([
      { kind: 'payment_card', start: 502, end: 521, detail: 'visa' },
    ]);
  });
});
