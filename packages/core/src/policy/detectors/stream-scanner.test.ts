import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECTOR_KINDS } from '../schema';
import { compileDetectors, createStreamScanner, type Detector, type Finding, type StreamScannerOptions } from './index';

// Fake keys are assembled at run time so that no well-formed token appears in the source.
const ANTHROPIC_KEY = [
  'sk-',
  'ant-',
  'api03-',
  '13uF4rVV6VbbnojhvIV7DIKcITiLfA7uDSC3JwEjESuiFFtxfQlDlzJjVsD-M2XFxudEMkMwUzZR5Pj8F168fD4hCVT8EAA',
].join('');

const OPENAI_KEY = ['sk-', 'proj-', 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGhIj2kLm5nOp8qRs1tUv4wXy7z'].join('');

const all = compileDetectors({ detect: DETECTOR_KINDS });

/** Feeds `chunks` and returns every finding reported by push() and end(), and by which call. */
function stream(detector: Detector, chunks: readonly string[], options?: StreamScannerOptions) {
  const scanner = createStreamScanner(detector, options);
  const reported: Array<Finding & { at: number | 'end' }> = [];
  chunks.forEach((chunk, index) => {
    for (const finding of scanner.push(chunk)) reported.push({ ...finding, at: index });
  });
  for (const finding of scanner.end()) reported.push({ ...finding, at: 'end' });
  return reported;
}

const withoutAt = (findings: ReadonlyArray<Finding & { at: unknown }>) =>
  findings.map(({ at: _, ...finding }) => finding);

describe('createStreamScanner', () => {
  it('finds a secret split across two chunks, once, with offsets in the whole stream', () => {
    const text = `Here is the key: ${ANTHROPIC_KEY} — keep it safe.`;
    const split = text.indexOf(ANTHROPIC_KEY) + 20;
    const findings = stream(all, [text.slice(0, split), text.slice(split)]);
    expect(findings).toEqual([
      { kind: 'secret', detail: 'anthropic', start: 17, end: 17 + ANTHROPIC_KEY.length, at: 1 },
    ]);
  });

  it('reports a secret in the delta that completes it, so the stream can stop before the next one', () => {
    const key = OPENAI_KEY.slice('sk-proj-'.length);
    const findings = stream(all, ['Here is the key: sk-proj-', key, ' and more']);
    expect(findings).toEqual([{ kind: 'secret', detail: 'openai', start: 17, end: 17 + OPENAI_KEY.length, at: 1 }]);
  });

  it('reports a secret still arriving once, with the end it has when it becomes recognisable', () => {
    const findings = stream(all, ['key ', ANTHROPIC_KEY.slice(0, 60), ANTHROPIC_KEY.slice(60), ' done']);
    expect(findings).toEqual([{ kind: 'secret', detail: 'anthropic', start: 4, end: 64, at: 1 }]);
  });

  it('finds an email split across chunks at every position', () => {
    const text = 'Please write to jane.doe@example.com about the renewal.';
    for (let split = 1; split < text.length; split++) {
      const findings = stream(all, [text.slice(0, split), text.slice(split)]);
      expect(withoutAt(findings)).toEqual([{ kind: 'email', start: 16, end: 36 }]);
    }
  });

  it('holds other findings until 2 characters follow them, so more digits cannot make them wrong', () => {
    // `…1111` is a card until the next digit arrives; then it is a 17-digit figure.
    expect(stream(all, ['Reference 4111 1111 1111 1111', '1 was filed.'])).toEqual([]);
    // A 20-digit figure streamed 3 digits at a time never shows a card on the way.
    expect(stream(all, ['Parcel ', ...'41111111111111111111'.match(/.{1,3}/g)!, ' is late.'])).toEqual([]);
    expect(stream(all, ['Call 415-555-2671', '9 times'])).toEqual([]);
    // Followed by 2 characters, it is reported with that delta.
    expect(stream(all, ['Card 4111 1111 1111 1111', ' e', 'xp 12/27'])).toEqual([
      { kind: 'payment_card', detail: 'visa', start: 5, end: 24, at: 1 },
    ]);
  });

  it('reports what is still held back at end()', () => {
    const findings = stream(all, ['mail a@b.io']);
    expect(findings).toEqual([{ kind: 'email', start: 5, end: 11, at: 'end' }]);
  });

  it('reports each finding once over a long stream of one-character deltas', () => {
    const filler = 'The quarterly review covers revenue, churn and hiring plans. ';
    const text = `${filler.repeat(30)}Card 4111 1111 1111 1111. ${filler.repeat(30)}Call (415) 555-2671. ${filler.repeat(30)}Mail a@b.io`;
    const findings = stream(all, [...text]);
    expect(withoutAt(findings)).toEqual(all.find(text));
    expect(findings.map((finding) => text.slice(finding.start, finding.end))).toEqual([
      '4111 1111 1111 1111',
      '(415) 555-2671',
      'a@b.io',
    ]);
    expect(findings.at(-1)?.at).toBe('end');
  });

  it('reports the findings of a scan of the whole text, however the text is chunked', () => {
    const pieces = [
      'Hello ',
      'jane.doe@example.com',
      ' ',
      '(415) 555-2671',
      ' card ',
      '5555 5555 5555 4444',
      ' iban ',
      'DE89 3704 0044 0532 0130 00',
      ' SSN ',
      '123-45-6789',
      ' key ',
      ANTHROPIC_KEY,
      ' order ORD-2024-000123 on 2026-11-23 ',
      'The quarterly review covers revenue and churn. '.repeat(12),
    ];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 50 }),
        (parts, sizes) => {
          const text = parts.join('');
          const chunks: string[] = [];
          for (let position = 0, index = 0; position < text.length; index++) {
            const size = sizes[index % sizes.length]!;
            chunks.push(text.slice(position, position + size));
            position += size;
          }
          const expected = all.find(text);
          const actual = withoutAt(stream(all, chunks));
          // A secret may be reported before its last characters arrive: same start, an end no later, and
          // maybe `high_entropy` before its key family is recognisable. Everything else is exact.
          expect(actual.map(({ kind, start }) => ({ kind, start }))).toEqual(
            expected.map(({ kind, start }) => ({ kind, start })),
          );
          actual.forEach((finding, index) => {
            const whole = expected[index]!;
            if (finding.kind !== 'secret') expect(finding).toEqual(whole);
            else expect(finding.end).toBeLessThanOrEqual(whole.end);
          });
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('keeps a bounded window: memory does not grow with the stream', () => {
    const detector = compileDetectors({ detect: ['email'] });
    const scanner = createStreamScanner(detector, { window: 2048 });
    const filler = 'x'.repeat(100);
    const reported: Finding[] = [];
    for (let index = 0; index < 5_000; index++) reported.push(...scanner.push(index === 2_500 ? ' a@b.io ' : filler));
    reported.push(...scanner.end());
    expect(reported).toEqual([{ kind: 'email', start: 250_001, end: 250_007 }]);
  });

  it('reports a match longer than the window from where the window starts, when that part still matches', () => {
    const detector = compileDetectors({ patterns: [{ name: 'run', regex: 'z{50,}' }] });
    const findings = stream(detector, ['a ', ...Array.from({ length: 30 }, () => 'z'.repeat(100)), ' b'], {
      window: 256,
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'run', end: 3002 });
    expect(findings[0]!.start).toBeGreaterThan(2);
  });

  it('never uses a window smaller than the longest built-in match needs', () => {
    const text = `key ${'x'.repeat(600)} a@b.io end of message with more words after it`;
    const findings = stream(all, [...text], { window: 10 });
    expect(withoutAt(findings)).toEqual(all.find(text));
  });

  it('scanEvery trades latency for cost: findings come with a later delta', () => {
    const chunks = ['Key: ', ...OPENAI_KEY.match(/.{1,4}/g)!, ' and the rest of the message.'];
    const every = stream(all, chunks);
    const batched = stream(all, chunks, { scanEvery: 64 });
    expect(every).toHaveLength(1);
    expect(batched).toHaveLength(1);
    expect(batched[0]).toMatchObject({ kind: 'secret', start: 5 });
    expect(every[0]).toMatchObject({ kind: 'secret', start: 5 });
    expect(batched[0]!.at).toBeGreaterThan(every[0]!.at as number);
  });

  it('end() is final', () => {
    const scanner = createStreamScanner(all);
    scanner.push('a@b.io');
    expect(scanner.end()).toHaveLength(1);
    expect(scanner.end()).toEqual([]);
    expect(() => scanner.push('more')).toThrow('StreamScanner.push() after end()');
  });

  it('ignores empty deltas', () => {
    const scanner = createStreamScanner(all, { scanEvery: 1 });
    expect(scanner.push('')).toEqual([]);
    expect(scanner.end()).toEqual([]);
  });
});
