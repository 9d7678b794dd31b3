// The phone detector's backward readers of the words before a number against the expressions they
// replace, on random text made of labels, keywords, number words, separators and white space.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endsWithIdLabel, endsWithPhoneKeyword, LOOKBEHIND } from './phone-context';

/** The expressions the detector ran on the 32 characters before a number (the reference). */
const ID_LABEL =
  /\b(?:order|invoice|inv|sku|po|ref|reference|ticket|case|tracking|serial|part|item|id|acct|account|confirmation|booking|transaction|txn)\s*(?:no\.?|num(?:ber)?\.?|#)?\s*[:#.]?\s*$/i;
const PHONE_KEYWORD =
  /\b(?:phone|tel|telephone|mobile|cell|cellphone|call|fax|sms|text|whatsapp|contact|reach)\b[^\d\n]{0,16}$/i;

const PIECES = [
  'order',
  'Order',
  'ORDER',
  'reorder',
  'inv',
  'invoice',
  'sku',
  'po',
  'ref',
  'reference',
  'id',
  'paid',
  'confirmation',
  'txn',
  'no',
  'No.',
  'num',
  'NUM.',
  'number',
  'numbers',
  '#',
  ':',
  '.',
  ' ',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r',
  '\u00a0',
  '\u2003',
  'phone',
  'Phone',
  'tel',
  'telephone',
  'cellphone',
  'whatsapp',
  'reach',
  'texts',
  'x',
  'a',
  'ſ',
  'é',
  '_',
  '-',
  '1',
  '42',
  '(',
  '+',
];
const text = fc.array(fc.constantFrom(...PIECES), { minLength: 0, maxLength: 24 }).map((pieces) => pieces.join(''));

describe('phone: the words before a number', () => {
  /** `read` agrees with `expression` on the 32 characters before every position of random text. */
  const agrees = (read: (value: string, end: number) => boolean, expression: RegExp): number => {
    let matched = 0;
    fc.assert(
      fc.property(text, (value) => {
        for (let end = 0; end <= value.length; end++) {
          const expected = expression.test(value.slice(Math.max(0, end - LOOKBEHIND), end));
          if (expected) matched++;
          expect([end, read(value, end)]).toEqual([end, expected]);
        }
      }),
      { numRuns: 4000 },
    );
    return matched;
  };

  it('an identifier label is read as the ID_LABEL expression reads it', () => {
    expect(agrees(endsWithIdLabel, ID_LABEL)).toBeGreaterThan(1000);
  });

  it('a phone keyword is read as the PHONE_KEYWORD expression reads it', () => {
    expect(agrees(endsWithPhoneKeyword, PHONE_KEYWORD)).toBeGreaterThan(1000);
  });

  it('on known text', () => {
    expect(endsWithIdLabel('Order # ', 8)).toBe(true);
    expect(endsWithIdLabel('Invoice No.: ', 13)).toBe(true);
    expect(endsWithIdLabel('orderno', 7)).toBe(true);
    expect(endsWithIdLabel('reorder ', 8)).toBe(false);
    expect(endsWithIdLabel('paid ', 5)).toBe(false);
    expect(endsWithPhoneKeyword('call me at ', 11)).toBe(true);
    expect(endsWithPhoneKeyword('phone\n', 6)).toBe(false);
    expect(endsWithPhoneKeyword('telephones ', 11)).toBe(false);
    expect(endsWithPhoneKeyword(`tel${' '.repeat(17)}`, 20)).toBe(false);
  });
});
