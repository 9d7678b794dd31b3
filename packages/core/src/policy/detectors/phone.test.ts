// The phone detector's compiled validation (phone-validity.ts) against libphonenumber-js itself: on
// random numbers of every shape the detector validates without libphonenumber, both give the same
// verdict and the same length; the shapes it leaves to libphonenumber are validated there, within a
// budget per text, and what is past the budget is reported flagged `unvalidated`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileDetectors } from './compile-detectors';
import { phoneValidationBudget, validateWithLibphonenumber } from './phone';
import { compiledVerdict, UNDECIDED } from './phone-validity';

const digits = (min: number, max = min) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: min, maxLength: max });
/** Area codes that calling code 1's other countries claim (Caribbean, territories), toll-free and premium. */
const SPECIAL_AREAS =
  '242 246 264 268 284 340 345 441 473 649 658 664 670 671 684 721 758 767 784 787 809 829 849 868 869 876 939 800 833 844 855 866 877 888 900 204 416 604 212 415'.split(
    ' ',
  );
const area = fc.oneof(fc.constantFrom(...SPECIAL_AREAS), digits(3));
const sep = fc.constantFrom(' ', '-', '.');

/** Every North American shape of the detector: `(415) 555-2671`, `1-415-555-2671`, `4155552671`, ... */
/** An extension, as the detector's shape allows, or none. */
const extension = fc.oneof(
  fc.constant(''),
  fc.constant(''),
  fc
    .tuple(fc.constantFrom(' ext. ', ' ext ', 'ext.', ' x', 'x', ' extension ', ' X', ' EXT. '), digits(1, 6))
    .map(([a, b]) => a + b),
);
const northAmerican = fc
  .tuple(fc.constantFrom('', '1', '1 ', '1-', '1.'), area, digits(3), digits(4), sep, sep, fc.boolean(), fc.boolean())
  .chain(([prefix, code, exchange, line, first, second, parenthesised, bare]) =>
    fc.constantFrom(
      bare
        ? `${prefix.trim().replace(/[-.]/, '')}${code}${exchange}${line}`
        : parenthesised
          ? `${prefix}(${code})${first}${exchange}${second}${line}`
          : `${prefix}${code}${first}${exchange}${second}${line}`,
      // The shape allows nothing between the parenthesised area code and the exchange.
      `${prefix}(${code})${exchange}${second}${line}`,
    ),
  );

/** Calling codes: shared ones (1, 7, 44, 61, 590, ...), single-country ones, non-geographic ones. */
const CALLING_CODES =
  '1 7 20 27 31 33 34 39 41 44 46 47 49 52 55 61 62 81 82 86 90 91 212 262 290 351 352 353 358 420 590 599 683 800 808 870 878 880 881 882 883 888 971 979'.split(
    ' ',
  );
const NON_GEOGRAPHIC = ['800', '808', '870', '878', '881', '882', '883', '888', '979'];
/**
 * `+`, a calling code and 1–5 groups of digits, separated by a space, a dash, a dot or nothing; sometimes with
 * a national prefix (`0`, `8`, `1`) or one group in parentheses (`(0)`, `(20)`).
 */
const international = fc
  .tuple(
    fc.oneof(fc.constantFrom(...CALLING_CODES), digits(1, 3)),
    fc.constantFrom('', '', '', ' 0', '0', ' (0)', '(0)', ' 8', ' 1', '-0'),
    fc.array(fc.tuple(fc.constantFrom(' ', '-', '', '.'), digits(1, 6)), { minLength: 1, maxLength: 5 }),
    fc.boolean(),
    fc.constantFrom(0, 0, 1, 2),
    fc.constantFrom(' ', ' ', '-', ''),
  )
  .map(([code, prefix, groups, parenthesised, at, before]) => {
    const parts = groups.map(([separator, group]) => separator + group);
    // One group in parentheses: the first, or a later one (`+49 30 (1234) 5678`, `+44-(20) 7946 0958`).
    if (parenthesised && (prefix === '' || at > 0) && at < groups.length)
      parts[at] = `${before}(${groups[at]![1].slice(0, 4)})`;
    return `+${code}${prefix}${parts.join('')}`;
  });

/** A number followed, one time in three, by an extension. */
const withExtension = (number: fc.Arbitrary<string>) =>
  fc.tuple(number, extension).map(([value, suffix]) => value + suffix);

function compare(candidates: readonly string[]): { decided: number; valid: number } {
  let decided = 0;
  let valid = 0;
  const mismatches: [string, number | undefined, number | undefined][] = [];
  for (const candidate of candidates) {
    const verdict = compiledVerdict(candidate);
    if (verdict === UNDECIDED) continue;
    decided++;
    const expected = validateWithLibphonenumber(candidate);
    if (expected !== undefined) valid++;
    if (verdict !== expected) mismatches.push([candidate, verdict, expected]);
  }
  expect(mismatches).toEqual([]);
  return { decided, valid };
}

describe('phone: compiled validation agrees with libphonenumber', () => {
  it('on North American numbers of every shape', () => {
    const candidates = fc.sample(withExtension(northAmerican), 12_000);
    const { decided, valid } = compare(candidates);
    // Only national numbers starting with 0 or 1 are left to libphonenumber.
    expect(decided).toBeGreaterThan(candidates.length * 0.7);
    expect(valid).toBeGreaterThan(decided * 0.2);
    expect(valid).toBeLessThan(decided * 0.9);
  });

  it('on international numbers', () => {
    const candidates = fc.sample(withExtension(international), 12_000);
    const { decided, valid } = compare(candidates);
    expect(decided).toBeGreaterThan(candidates.length * 0.35);
    expect(valid).toBeGreaterThan(250);
  });

  it('on non-geographic numbers (+800, +808, +870, +878, +881–+883, +888, +979)', () => {
    const nonGeographic = fc
      .tuple(
        fc.constantFrom(...NON_GEOGRAPHIC),
        fc.array(fc.tuple(fc.constantFrom(' ', '-', '', '.'), digits(1, 6)), { minLength: 1, maxLength: 4 }),
      )
      .map(([code, groups]) => `+${code}${groups.map(([separator, group]) => separator + group).join('')}`);
    const candidates = fc.sample(withExtension(nonGeographic), 12_000);
    const { decided, valid } = compare(candidates);
    // Left to libphonenumber: extensions on numbers not valid as a whole, and invalid numbers with dots.
    expect(decided).toBeGreaterThan(candidates.length * 0.6);
    expect(valid).toBeGreaterThan(300);
  });

  it('on known numbers', () => {
    for (const [candidate, length] of [
      ['(415) 555-2671', 14],
      ['1-415-555-2671', 14],
      ['4155552671', 10],
      ['212-055-0147', undefined],
      ['+44 20 7946 0958', 16],
      ['+49 30 901820', 13],
      ['+1 415 555 2671', 15],
      ['+86 10 1234 5678', 16],
      ['+44 20 7946 0958 99', undefined],
      ['415-555-2671 ext. 12', 20],
      ['+44 (0)20 7946 0958', 19],
      ['+44 020 7946 0958', 17],
      ['+44 20 7946 0958 x7', 19],
      ['+1 (415) 555-2671', 17],
      ['+44 (20) 7946-0958', 18],
      // With parentheses after a space; not valid as a whole: no part of it is either.
      ['+44 (0)20 1', undefined],
      ['+44 20 (7946) 09', undefined],
      ['+49 30 (1234) 5', 15],
      // A North American national number starting with 0 or 1 is never valid.
      ['015-555-2671', undefined],
      ['1 015 555 2671', undefined],
      ['(115) 555-2671', undefined],
      // Non-geographic codes, valid and not.
      ['+800 1234 5678', 14],
      ['+800-1234-5678 ext. 9', 21],
      ['+800 1234 567', undefined],
      ['+808 1234 5678', 14],
      ['+808 0234 5678', undefined],
      ['+870 312345678', 14],
      ['+870 773 123 4567', undefined],
      ['+878 10 12345 67890', 19],
      ['+878 20 12345 67890', undefined],
      ['+881 612345678', 14],
      ['+882 16 12345', 13],
      ['+883 510012345', 14],
      ['+888 123 456 78901', 18],
      ['+888 123 456 7890', undefined],
      ['+979 123456789', 14],
      ['+979 423456789', undefined],
      // A part after a dot that is `11` and a North American number: a match that does not start at 0.
      ['+888-258612.11204 2902922', undefined],
      // A parenthesised area code after a country code and a dash or nothing, the first space after it.
      ['+44-(20) 7946 0958', 18],
      ['+44(20) 7946 0958', 17],
      ['+1-(415) 555-2671', 17],
      ['+44-(10) 7946 0958', undefined],
      ['+44-(20) 7946 09581', undefined],
      // Not valid as a whole; the part before the space is (with digits after the parenthesis) or is
      // not a candidate for libphonenumber (the space right after it: unbalanced once trimmed).
      ['+44-(20)79460958 1', 16],
      ['+683-(40)02 5', 11],
      ['+683-(4002) 5', undefined],
      ['+44-(20) 415-555-2671', undefined],
      // Not valid as a whole, with an extension and no dot: the number's own verdict.
      ['+44 20 7946 095 x7', undefined],
      ['+4420794609 ext. 12', undefined],
      ['+44 (20) 7946 095 ext 3', undefined],
      ['+442079460958 1 x7', 13],
    ] as const) {
      expect(compiledVerdict(candidate)).toBe(length);
      expect(validateWithLibphonenumber(candidate)).toBe(length);
    }
  });

  it('leaves extensions after a dot, some invalid numbers with dots or parentheses and 011 to libphonenumber', () => {
    for (const candidate of [
      '+44.20.7946 095 x7',
      '+44.20.0113456',
      '+44 (20) (7946) 0958',
      '+44 (20) (7946) 0958',
      '011-683-5296',
    ])
      expect(compiledVerdict(candidate)).toBe(UNDECIDED);
  });
});

/**
 * A country code and a parenthesised area code written after a space, a dash or nothing, then groups
 * (`+44 (20) 7946-0958`, `+44-(20) 7946 0958`, `+1 (415) 555-2671`, `+44(20)7946 0958`).
 */
const parenthesisedAfterCode = fc
  .tuple(
    fc.oneof(fc.constantFrom(...CALLING_CODES), digits(1, 3)),
    fc.constantFrom(' ', '-', '', '.'),
    digits(1, 4),
    fc.array(fc.tuple(fc.constantFrom(' ', '-', '', '.'), digits(1, 6)), { minLength: 1, maxLength: 4 }),
  )
  .map(
    ([code, separator, areaCode, groups]) =>
      `+${code}${separator}(${areaCode})${groups.map(([before, group]) => before + group).join('')}`,
  );

describe('phone: compiled validation agrees with libphonenumber on parenthesised area codes', () => {
  it('after a country code and a space, a dash, a dot or nothing', () => {
    const candidates = fc.sample(withExtension(parenthesisedAfterCode), 12_000);
    const { decided, valid } = compare(candidates);
    // Left to libphonenumber: a dot with a parenthesis (about half of these), an extension on a number
    // not valid as a whole.
    expect(decided).toBeGreaterThan(candidates.length * 0.25);
    expect(valid).toBeGreaterThan(300);
  });

  it('on what the detector finds in text with nested, unbalanced and repeated parentheses', () => {
    const piece = fc.oneof(
      parenthesisedAfterCode,
      northAmerican,
      fc.constantFrom('(', ')', '((', '))', '+44 (', '+44-(', '(0)', ' ', '-', '((((1', '+'),
      digits(1, 6),
    );
    const texts = fc.sample(
      fc.array(piece, { minLength: 1, maxLength: 12 }).map((pieces) => pieces.join('')),
      3_000,
    );
    // The candidates the scanner reads out of such text (the regular expression's matches).
    const shape =
      /\+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,6})){1,7}|(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}/g;
    const candidates = texts.flatMap((text) => text.match(shape) ?? []);
    expect(candidates.length).toBeGreaterThan(3_000);
    const { decided } = compare(candidates);
    expect(decided).toBeGreaterThan(candidates.length * 0.5);
  });
});

describe('phone: candidates left to libphonenumber', () => {
  const phone = compileDetectors({ detect: ['phone'] });
  /**
   * Distinct London numbers written with two groups in parentheses (`+44 (0)(20) 7946 0958`): a shape
   * libphonenumber itself validates.
   */
  // (A seed per test: verdicts libphonenumber gave are cached across texts, and cost no validation.)
  const withExtension = (count: number, seed: number) =>
    fc.sample(
      fc.tuple(digits(4), digits(4)).map(([a, b]) => `call +44 (0)(20) ${a} ${b}\n`),
      { seed, numRuns: count },
    );

  it('are validated by libphonenumber within the budget', () => {
    const lines = withExtension(24, 5);
    const text = lines.join('');
    expect(lines.length).toBeLessThan(phoneValidationBudget(text.length));
    const found = phone.find(text);
    expect(found.some((finding) => finding.detail === 'unvalidated')).toBe(false);
    let offset = 0;
    const expected = [];
    for (const line of lines) {
      const length = validateWithLibphonenumber(line.slice(5, -1));
      if (length !== undefined) expected.push({ kind: 'phone', start: offset + 5, end: offset + 5 + length });
      offset += line.length;
    }
    expect(expected.length).toBeGreaterThan(5);
    expect(found).toEqual(expected);
  });

  it('past the budget are reported flagged unvalidated, not silently', () => {
    const lines = withExtension(3000, 6);
    const text = lines.join('');
    const budget = phoneValidationBudget(text.length);
    expect(lines.length).toBeGreaterThan(budget + 1000);
    const found = phone.find(text);
    const unvalidated = found.filter((finding) => finding.detail === 'unvalidated');
    // Every candidate past the budget is reported, flagged; those within it were validated.
    expect(unvalidated).toHaveLength(lines.length - budget);
    expect(found.length - unvalidated.length).toBeLessThanOrEqual(budget);
  });

  it('the budget grows with the text: one validation per 16,384 characters, plus 32', () => {
    expect(phoneValidationBudget(0)).toBe(32);
    expect(phoneValidationBudget(1 << 20)).toBe(32 + 64);
  });
});
