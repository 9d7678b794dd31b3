import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECTOR_KINDS } from '../schema';
import { compileDetectors } from './index';

interface PositiveItem {
  kind: string;
  detail?: string;
  template: string;
  value: string | string[];
}

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const positives = (JSON.parse(fixture('positive.json')) as { items: PositiveItem[] }).items.map((item) => {
  const value = Array.isArray(item.value) ? item.value.join('') : item.value;
  const start = item.template.indexOf('{}');
  return { ...item, value, text: item.template.replace('{}', value), start, end: start + value.length };
});
const negatives = fixture('negative.txt')
  .split('\n')
  .filter((line) => line.trim() !== '');

const all = compileDetectors({ detect: DETECTOR_KINDS });
const DETAILS = [
  ...['openai', 'anthropic', 'aws_access_key', 'aws_secret_key', 'github', 'stripe', 'slack', 'google_api_key'],
  ...['private_key', 'url_password', 'high_entropy'],
  ...['visa', 'mastercard', 'amex', 'discover', 'jcb', 'diners', 'unionpay'],
];

describe('negative corpus: ordinary business text', () => {
  it('has at least 60 lines', () => {
    expect(negatives.length).toBeGreaterThanOrEqual(60);
  });

  it.each(negatives)('no finding in %s', (line) => {
    expect(all.find(line)).toEqual([]);
  });
});

describe('positive corpus', () => {
  it.each(DETECTOR_KINDS)('has at least 5 items of %s', (kind) => {
    expect(positives.filter((item) => item.kind === kind).length).toBeGreaterThanOrEqual(5);
  });

  it.each(
    positives.map((item) => [`${item.kind}${item.detail ? `/${item.detail}` : ''}: ${item.template}`, item] as const),
  )('%s', (_, item) => {
    const findings = all.find(item.text);
    expect(findings).toEqual([
      { kind: item.kind, start: item.start, end: item.end, ...(item.detail ? { detail: item.detail } : {}) },
    ]);
    // The detector of the item's kind alone finds it too.
    const only = compileDetectors({ detect: [item.kind as (typeof DETECTOR_KINDS)[number]] }).find(item.text);
    expect(only.map(({ start, end }) => [start, end])).toEqual([[item.start, item.end]]);
  });
});

describe('a finding never carries the matched value', () => {
  it.each(positives.map((item) => [item.value, item] as const))('%s', (_, item) => {
    for (const { detail, ...finding } of all.find(item.text)) {
      expect(Object.keys(finding).sort()).toEqual(['end', 'kind', 'start']);
      // `detail` is a fixed vocabulary, never derived from the text.
      if (detail !== undefined) expect(DETAILS).toContain(detail);
      const serialized = JSON.stringify(finding);
      expect(serialized).not.toContain(item.value);
      // Not even a recognisable piece of it.
      for (let index = 0; index + 6 <= item.value.length; index++) {
        expect(serialized).not.toContain(item.value.slice(index, index + 6));
      }
    }
  });
});

describe('phone: numbers that are not phone numbers', () => {
  it.each([
    'Order ORD-2024-000123 was placed',
    'Delivered 2026-11-23',
    'Invoice date 12/05/2024',
    'Total 1,234,567.89',
    'Amount 2125551234.50 USD',
    'Order #2125551234',
    'reference 4155552671',
    'SKU: 212-555-0147',
    'v4155552671',
    'build 415-555-2671-rc1',
    'path /api/415-555-2671/items',
    'ratio 0.4155552671',
    'Row 7 415 555 2671 12',
  ])('%s', (text) => {
    expect(compileDetectors({ detect: ['phone'] }).find(text)).toEqual([]);
  });

  it('finds a bare ten-digit number only after a phone keyword', () => {
    const phone = compileDetectors({ detect: ['phone'] });
    expect(phone.find('Customer 4155552671 churned')).toEqual([]);
    expect(phone.find('Tel: 4155552671')).toEqual([{ kind: 'phone', start: 5, end: 15 }]);
  });

  it('reads national numbers as US numbers; other countries need +', () => {
    const phone = compileDetectors({ detect: ['phone'] });
    expect(phone.find('UK office 020 7946 0958')).toEqual([]);
    expect(phone.find('UK office +44 20 7946 0958')).toHaveLength(1);
  });

  it('rejects unassigned numbers (full metadata)', () => {
    expect(compileDetectors({ detect: ['phone'] }).find('call 123-456-7890 or 555-555-5555')).toEqual([]);
  });
});

describe('payment_card', () => {
  const cards = compileDetectors({ detect: ['payment_card'] });

  it.each([
    ['Luhn-invalid', '4111 1111 1111 1112'],
    ['unknown network prefix', '9111 1111 1111 1115'],
    ['wrong length for the network (Amex is 15)', '3782 8224 6310 0052'],
    ['part of a longer run of digits', '14111111111111111'],
    ['a slice of a longer grouped figure', '1234 4111 1111 1111 1111'],
    ['glued to letters', 'ID4111111111111111'],
    ['glued to an id', 'ORD-4111111111111111'],
    ['a decimal', '0.4111111111111111'],
    ['mixed separators', '4111 1111-1111 1111'],
    ['double separators', '4111  1111  1111  1111'],
    ['not a card layout', '41 1111 1111 1111 11'],
  ])('ignores %s: %s', (_, text) => {
    expect(cards.find(text)).toEqual([]);
  });

  it('reports the network as detail', () => {
    expect(cards.find('4111111111111111 and 5555555555554444').map((finding) => finding.detail)).toEqual([
      'visa',
      'mastercard',
    ]);
  });

  it('finds a card followed by other numbers', () => {
    expect(cards.find('4111111111111111 12/27 123')).toEqual([
      { kind: 'payment_card', start: 0, end: 16, detail: 'visa' },
    ]);
  });
});

describe('iban', () => {
  const iban = compileDetectors({ detect: ['iban'] });

  it.each([
    ['a wrong check digit', 'DE88 3704 0044 0532 0130 00'],
    ['a wrong length', 'DE89 3704 0044 0532 0130 0'],
    ['a BBAN of the wrong structure (GB needs 4 letters)', 'GB29 1234 6016 1331 9268 19'],
    ['an unknown country', 'ZZ89 3704 0044 0532 0130 00'],
    ['lower case', 'de89 3704 0044 0532 0130 00'],
    ['groups of 3', 'DE8 937 040 044 053 201 300 0'],
    ['more characters right after', 'NL91ABNA0417164300X'],
  ])('ignores %s', (_, text) => {
    expect(iban.find(text)).toEqual([]);
  });
});

describe('us_ssn', () => {
  const ssn = compileDetectors({ detect: ['us_ssn'] });

  it.each([
    ['area 000', '000-12-3456'],
    ['area 666', '666-12-3456'],
    ['area 900-999', '912-12-3456'],
    ['group 00', '123-00-4567'],
    ['serial 0000', '123-45-0000'],
    ['the Woolworth wallet card', '078-05-1120'],
    ['the 1940s SSA leaflet', '219-09-9999'],
    ['mixed separators', '123-45 6789'],
    ['part of a longer number', '123-45-6789-01'],
    ['9 digits without a keyword', 'routing 021000021, order 123456789'],
    ['9 digits too far from the keyword', 'SSN on file; the customer order number for the last shipment is 123456789'],
  ])('ignores %s', (_, text) => {
    expect(ssn.find(text)).toEqual([]);
  });
});

describe('generated ordinary values', () => {
  const digits = (length: number) =>
    fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length });
  const hex = (length: number) =>
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
  const int = (min: number, max: number) => fc.integer({ min, max });
  const pad = (value: number, length: number) => String(value).padStart(length, '0');
  const ordinary = fc.oneof(
    fc.tuple(int(2000, 2099), int(1, 12), int(1, 28)).map(([y, m, d]) => `${y}-${pad(m, 2)}-${pad(d, 2)}`),
    fc.tuple(int(1, 12), int(1, 28), int(2000, 2099)).map(([m, d, y]) => `${pad(m, 2)}/${pad(d, 2)}/${y}`),
    fc.tuple(int(0, 23), int(0, 59), int(0, 59)).map(([h, m, s]) => `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`),
    fc
      .tuple(int(2000, 2099), int(1, 12), int(1, 28), int(0, 23), int(0, 59), int(0, 59), int(0, 999))
      .map(
        ([y, mo, d, h, mi, s, ms]) =>
          `${y}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`,
      ),
    fc
      .tuple(int(0, 9_999_999), int(0, 99))
      .map(([whole, cents]) => `$${whole.toLocaleString('en-US')}.${pad(cents, 2)}`),
    fc.tuple(int(2000, 2099), digits(6)).map(([year, serial]) => `ORD-${year}-${serial}`),
    fc.tuple(int(2000, 2099), digits(5)).map(([year, serial]) => `INV-${year}-${serial}`),
    fc.uuid(),
    hex(40),
    hex(64),
    fc.tuple(int(0, 40), int(0, 40), int(0, 400)).map(([major, minor, patch]) => `v${major}.${minor}.${patch}`),
    fc.tuple(int(0, 255), int(0, 255), int(0, 255), int(0, 255)).map((parts) => parts.join('.')),
    digits(8).map((serial) => `1Z999AA1${serial}`),
  );

  it('are never reported', () => {
    fc.assert(
      fc.property(fc.array(ordinary, { minLength: 1, maxLength: 6 }), (values) => {
        const text = `Status update: ${values.join(', ')}.`;
        expect(all.find(text)).toEqual([]);
      }),
      { seed: 20_261_123, numRuns: 2_000 },
    );
  });
});
