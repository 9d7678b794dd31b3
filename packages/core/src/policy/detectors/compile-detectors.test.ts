import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMod97Valid } from './iban';
import { compileDetectors } from './index';
import { isLuhnValid } from './luhn';
import { cardNetwork } from './payment-card';
import { isValidSsn } from './us-ssn';

// Fake keys are assembled at run time so that no well-formed token appears in the source.
const GITHUB_TOKEN = ['gh', 'p_', 'WSlgqtUPyZczohZVS5tc0euGXDAv65KJbx8W'].join('');
const OPENAI_KEY = ['sk-', 'proj-', 'CY8zkQnFlTaipBXU_dzcfBIu39TXf2Rj0RArBK4PkEgJ9VP31B14aGO'].join('');

describe('redact', () => {
  const detector = compileDetectors({ detect: ['email', 'phone', 'payment_card', 'iban', 'us_ssn', 'secret'] });

  it('replaces each finding with [REDACTED:<kind>] and counts kinds', () => {
    const text =
      'Hi, I am jane.doe@example.com (cc bob@example.org), call (415) 555-2671. ' +
      `Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789, token ${GITHUB_TOKEN}.`;
    expect(detector.redact(text)).toEqual({
      text:
        'Hi, I am [REDACTED:email] (cc [REDACTED:email]), call [REDACTED:phone]. ' +
        'Card [REDACTED:payment_card], IBAN [REDACTED:iban], SSN [REDACTED:us_ssn], token [REDACTED:secret].',
      counts: { email: 2, phone: 1, payment_card: 1, iban: 1, us_ssn: 1, secret: 1 },
    });
  });

  it('returns the text unchanged, and no counts, when nothing is found', () => {
    const text = 'Order ORD-2024-000123 ships 2026-11-23 for $1,234.56.';
    expect(detector.redact(text)).toEqual({ text, counts: {} });
    expect(detector.redact('')).toEqual({ text: '', counts: {} });
  });

  it('redacts findings at the very start and end, and adjacent ones', () => {
    expect(detector.redact('a@b.io').text).toBe('[REDACTED:email]');
    expect(detector.redact(`${OPENAI_KEY} a@b.io`).text).toBe('[REDACTED:secret] [REDACTED:email]');
  });

  it('is idempotent: redacted text has nothing left to find', () => {
    const once = detector.redact(`mail a@b.io, card 5555555555554444, key ${OPENAI_KEY}`).text;
    expect(detector.find(once)).toEqual([]);
  });

  it('counts custom patterns under their names', () => {
    const custom = compileDetectors({
      detect: ['email'],
      patterns: [{ name: 'order_id', regex: 'ORD-\\d{4}-\\d{6}' }],
    });
    expect(custom.redact('ORD-2024-000123 for a@b.io and ORD-2025-000001')).toEqual({
      text: '[REDACTED:order_id] for [REDACTED:email] and [REDACTED:order_id]',
      counts: { order_id: 2, email: 1 },
    });
  });
});

describe('overlapping detectors', () => {
  it('keeps the longer finding', () => {
    const detector = compileDetectors({
      detect: ['email'],
      patterns: [{ name: 'domain', regex: 'example\\.com' }],
    });
    expect(detector.find('write to jane.doe@example.com')).toEqual([{ kind: 'email', start: 9, end: 29 }]);
  });

  it('keeps the longer finding even when a shorter one starts earlier', () => {
    const detector = compileDetectors({
      patterns: [
        { name: 'short', regex: 'ab' },
        { name: 'long', regex: 'bcdef' },
      ],
    });
    expect(detector.find('abcdef')).toEqual([{ kind: 'long', start: 1, end: 6 }]);
  });

  it('between findings of equal length keeps the earlier one', () => {
    const detector = compileDetectors({
      patterns: [
        { name: 'late', regex: 'bcd' },
        { name: 'early', regex: 'abc' },
      ],
    });
    expect(detector.find('abcd')).toEqual([{ kind: 'early', start: 0, end: 3 }]);
  });

  it('between identical spans keeps the detector listed first', () => {
    const spans = [
      { name: 'first', regex: 'abc' },
      { name: 'second', regex: 'abc' },
    ];
    expect(compileDetectors({ patterns: spans }).find('abc')).toEqual([{ kind: 'first', start: 0, end: 3 }]);
    expect(compileDetectors({ patterns: [...spans].reverse() }).find('abc')).toEqual([
      { kind: 'second', start: 0, end: 3 },
    ]);
  });

  it('keeps every finding that does not overlap a kept one, sorted by start', () => {
    const detector = compileDetectors({
      patterns: [
        { name: 'x', regex: 'x+' },
        { name: 'word', regex: '[a-z]+' },
      ],
    });
    expect(detector.find('xx abc xxxx de')).toEqual([
      { kind: 'x', start: 0, end: 2 },
      { kind: 'word', start: 3, end: 6 },
      { kind: 'x', start: 7, end: 11 },
      { kind: 'word', start: 12, end: 14 },
    ]);
  });

  it('on random text, keeps what the rule says, with findings merged (four detectors) or sorted (nine)', () => {
    // Four detectors, each reporting in order: their findings are merged. Nine: more than are merged,
    // they are sorted.
    const few = [
      { name: 'digits', regex: '\\d{2,5}' },
      { name: 'word', regex: '[a-c]+\\d' },
      { name: 'mixed', regex: '\\d[a-c]\\d' },
      { name: 'x', regex: 'x[0-9a]+' },
    ];
    const many = [...few, ...['a+', 'b+', 'c\\d', '0+', '1x'].map((regex, index) => ({ name: `p${index}`, regex }))];
    for (const patterns of [few, many]) {
      const detector = compileDetectors({ patterns });
      const alone = patterns.map((pattern) => compileDetectors({ patterns: [pattern] }));
      fc.assert(
        fc.property(fc.string({ unit: fc.constantFrom(...'abcx0123 '.split('')), maxLength: 80 }), (text) => {
          // The rule: longest first, then earliest, then the detector listed first; kept unless it
          // overlaps one already kept; returned by start.
          const all = alone.flatMap((one, priority) => one.find(text).map((finding) => ({ finding, priority })));
          all.sort(
            (a, b) =>
              b.finding.end - b.finding.start - (a.finding.end - a.finding.start) ||
              a.finding.start - b.finding.start ||
              a.priority - b.priority,
          );
          const kept: { start: number; end: number }[] = [];
          for (const { finding } of all)
            if (kept.every((other) => finding.end <= other.start || finding.start >= other.end)) kept.push(finding);
          kept.sort((a, b) => a.start - b.start);
          expect(detector.find(text)).toEqual(kept);
        }),
        { numRuns: 3_000 },
      );
    }
  });

  it('a built-in and a custom pattern on the same card: the first listed wins', () => {
    const detector = compileDetectors({ detect: ['payment_card'], patterns: [{ name: 'pan', regex: '\\d{16}' }] });
    expect(detector.find('4111111111111111')).toEqual([{ kind: 'payment_card', start: 0, end: 16, detail: 'visa' }]);
  });
});

describe('custom patterns', () => {
  it('always run globally (every match), whatever the flags', () => {
    const detector = compileDetectors({ patterns: [{ name: 'ticket', regex: 'tkt-\\d+', flags: 'i' }] });
    expect(detector.find('TKT-1, tkt-22 and Tkt-333')).toEqual([
      { kind: 'ticket', start: 0, end: 5 },
      { kind: 'ticket', start: 7, end: 13 },
      { kind: 'ticket', start: 18, end: 25 },
    ]);
  });

  it('ignores g and y in flags', () => {
    const detector = compileDetectors({ patterns: [{ name: 'n', regex: '\\d', flags: 'gy' }] });
    expect(detector.find('a1b2').map((finding) => finding.start)).toEqual([1, 3]);
  });

  it('honour m, s and u', () => {
    expect(compileDetectors({ patterns: [{ name: 'line', regex: '^id$', flags: 'm' }] }).find('x\nid\ny')).toHaveLength(
      1,
    );
    expect(compileDetectors({ patterns: [{ name: 'span', regex: 'a.b', flags: 's' }] }).find('a\nb')).toHaveLength(1);
    expect(
      compileDetectors({ patterns: [{ name: 'emoji', regex: '\\p{Emoji_Presentation}', flags: 'u' }] }).find('ok 🎉'),
    ).toEqual([{ kind: 'emoji', start: 3, end: 5 }]);
  });

  it('skip empty matches without looping', () => {
    const detector = compileDetectors({ patterns: [{ name: 'maybe', regex: 'x*', flags: 'u' }] });
    expect(detector.find('a😀xx')).toEqual([{ kind: 'maybe', start: 3, end: 5 }]);
  });

  it('give the same results on every call (lastIndex is reset)', () => {
    const detector = compileDetectors({ patterns: [{ name: 'n', regex: '\\d+' }] });
    expect(detector.find('a 1 b 22')).toEqual(detector.find('a 1 b 22'));
    expect(detector.find('7')).toEqual([{ kind: 'n', start: 0, end: 1 }]);
  });

  it('throw a SyntaxError naming the pattern when the expression does not compile', () => {
    expect(() => compileDetectors({ patterns: [{ name: 'broken', regex: 'a(' }] })).toThrow(
      /content pattern "broken": .*/,
    );
    expect(() => compileDetectors({ patterns: [{ name: 'broken', regex: 'a(' }] })).toThrow(SyntaxError);
  });

  it('accept any name as a kind, even one that is an Object.prototype key', () => {
    const detector = compileDetectors({ patterns: [{ name: '__proto__', regex: 'x' }] });
    const { counts } = detector.redact('x');
    expect(Object.keys(counts)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(counts, '__proto__')?.value).toBe(1);
  });
});

describe('compileDetectors', () => {
  it('finds nothing without detectors', () => {
    expect(compileDetectors({}).find('a@b.io')).toEqual([]);
  });

  it('ignores duplicate kinds', () => {
    expect(compileDetectors({ detect: ['email', 'email'] }).find('a@b.io')).toEqual([
      { kind: 'email', start: 0, end: 6 },
    ]);
  });

  it('rejects an unknown kind', () => {
    expect(() => compileDetectors({ detect: ['passport' as 'email'] })).toThrow('unknown content detector "passport"');
  });

  it('states the longest built-in match (custom patterns are unbounded and not counted)', () => {
    expect(compileDetectors({ detect: ['us_ssn'] }).maxMatchLength).toBe(11);
    expect(compileDetectors({ detect: ['secret'], patterns: [{ name: 'p', regex: '.+' }] }).maxMatchLength).toBe(512);
    expect(compileDetectors({ patterns: [{ name: 'p', regex: '.+' }] }).maxMatchLength).toBe(0);
  });
});

describe('validators', () => {
  it('Luhn', () => {
    expect(isLuhnValid('4111111111111111')).toBe(true);
    expect(isLuhnValid('4111111111111112')).toBe(false);
    expect(isLuhnValid('79927398713')).toBe(true);
    expect(isLuhnValid('')).toBe(false);
  });

  it('card networks by prefix and length', () => {
    expect(cardNetwork('4111111111111111')).toBe('visa');
    expect(cardNetwork('4111111111111')).toBe('visa');
    expect(cardNetwork('41111111111111')).toBeUndefined();
    expect(cardNetwork('2221000000000009')).toBe('mastercard');
    expect(cardNetwork('2721000000000004')).toBeUndefined();
    expect(cardNetwork('378282246310005')).toBe('amex');
    expect(cardNetwork('3782822463100050')).toBeUndefined();
    expect(cardNetwork('6445644564456445')).toBe('discover');
    expect(cardNetwork('3589000000000000')).toBe('jcb');
    expect(cardNetwork('30569309025904')).toBe('diners');
    expect(cardNetwork('6212345678901232')).toBe('unionpay');
    expect(cardNetwork('9111111111111111')).toBeUndefined();
  });

  it('IBAN mod 97', () => {
    expect(isMod97Valid('GB82WEST12345698765432')).toBe(true);
    expect(isMod97Valid('GB82WEST12345698765433')).toBe(false);
    expect(isMod97Valid('GB82-WEST')).toBe(false);
  });

  it('SSN areas, groups, serials and published fakes', () => {
    expect(isValidSsn('123456789')).toBe(true);
    expect(isValidSsn('772123456')).toBe(true);
    for (const invalid of ['000123456', '666123456', '900123456', '999123456', '123006789', '123450000', '078051120']) {
      expect(isValidSsn(invalid)).toBe(false);
    }
  });
});
