// Phone numbers: a cheap shape match, context checks, then libphonenumber's validation (full metadata).
//
// `libphonenumber-js/max` rather than `/min`: with `/min`, `isValid()` only checks the length and leading
// digits of a country, so many digit strings pass (on random +86 numbers, /min accepts ~78% and /max ~9%;
// on random 10-digit US numbers, /min ~48% and /max ~45%, rejecting unassigned area codes). Precision
// matters more here than the ~65 kB of extra metadata.
//
// `findPhoneNumbersInText` is run on each shaped candidate only (its default leniency, VALID, accepts a
// number only when `isValid()`), not on the whole text: over a text with many figures it costs
// milliseconds, while the shape match below rejects ordinary figures in microseconds.
import { findPhoneNumbersInText } from 'libphonenumber-js/max';
import { continuesNumber, inSpacedNumberRow, isWordCode } from './chars';
import type { KindDetector } from './internal-types';
import { endsWithIdLabel, endsWithPhoneKeyword } from './phone-context';
import { compiledVerdict, UNDECIDED } from './phone-validity';
import type { Finding } from './types';

/** National numbers are read as US numbers; other countries need their `+` international prefix. */
const DEFAULT_COUNTRY = 'US';

/** `+` then a country code and up to 7 groups, optionally parenthesised (`+44 (0)20 7946 0958`). */
const INTERNATIONAL = String.raw`\+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,6})){1,7}`;
/** NANP with separators: `(415) 555-2671`, `415-555-2671`, `415.555.2671`, `1 415 555 2671`. */
const NANP = String.raw`(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}`;
/** Ten digits (or 1 and ten digits) without separators: only after a phone keyword. */
const BARE = String.raw`1?\d{10}`;
const EXTENSION = String.raw`(?:[ ]?(?:ext\.?|extension|x)[ ]?\d{1,6})?`;
const CANDIDATE = new RegExp(`(?:(${INTERNATIONAL})|(${NANP})|(${BARE}))${EXTENSION}`, 'gi');

/**
 * Characters that glue a number to a neighbouring id, path, amount or address, before it
 * (`- _ . / \ # @ $ € £ ¥ + & =`) and after it (`- _ / \ @ % +`).
 */
function gluesBefore(code: number): boolean {
  switch (code) {
    case 45:
    case 95:
    case 46:
    case 47:
    case 92:
    case 35:
    case 64:
    case 36:
    case 0x20ac:
    case 0xa3:
    case 0xa5:
    case 43:
    case 38:
    case 61:
      return true;
    default:
      return false;
  }
}
function gluesAfter(code: number): boolean {
  return code === 45 || code === 95 || code === 47 || code === 92 || code === 64 || code === 37 || code === 43;
}

const MAX_LENGTH = 48;

/**
 * Most candidates are validated from libphonenumber's metadata compiled once (`phone-validity.ts`, well
 * under a microsecond each). The few shapes that code leaves to libphonenumber itself (an international
 * number not valid as a whole and written with an extension, two groups in parentheses, a dash before
 * one, or a dot and a parenthesis; a national prefix rule that rewrites the number; `011` read as the
 * US international prefix) cost ~15–20 µs each there, up to ~100 µs when libphonenumber then tries
 * parts of the number, so a text gets at most `PHONE_VALIDATIONS_BASE` of those plus one per
 * `PHONE_VALIDATION_CHARACTERS` characters (1 MB: 96): a budget that grows with the text, so it adds a
 * bounded cost per MB rather than a fixed cost per text. Past it, such a candidate (it passed the shape
 * and context checks) is reported unvalidated, with `detail: 'unvalidated'`: over-reported rather than
 * scanned for seconds, and flagged.
 */
export const PHONE_VALIDATIONS_BASE = 32;
export const PHONE_VALIDATION_CHARACTERS = 16_384;

/** How many candidates libphonenumber validates itself in a text of `length` characters. */
export function phoneValidationBudget(length: number): number {
  return PHONE_VALIDATIONS_BASE + Math.floor(length / PHONE_VALIDATION_CHARACTERS);
}
/** Recent verdicts by candidate (a text often repeats a number); bounded, cleared when full. */
const verdicts = new Map<string, number | undefined>();
const VERDICT_CACHE_SIZE = 4096;

/** The phone detector. */
export function phoneDetector(): KindDetector {
  return { kind: 'phone', maxLength: MAX_LENGTH, scan };
}

function scan(text: string, out: Finding[]): void {
  const budget = phoneValidationBudget(text.length);
  let validations = 0;
  CANDIDATE.lastIndex = 0;
  for (let match = CANDIDATE.exec(text); match !== null; match = CANDIDATE.exec(text)) {
    const start = match.index;
    const candidate = match[0];
    const end = start + candidate.length;
    const number = match[1] ?? match[2] ?? match[3]!;
    if (!standsAlone(text, start, end)) continue;
    if (match[1] === undefined) {
      if (candidate.includes(' ') && inSpacedNumberRow(text, start, end)) continue;
      // (Bare digits without a keyword first: the cheaper test, and the common reason to skip.)
      if (match[3] !== undefined && !endsWithPhoneKeyword(text, start)) continue;
      if (endsWithIdLabel(text, start)) continue;
    }
    // The shape's own groups say whether an extension follows the number.
    let found = compiledVerdict(candidate, number.length < candidate.length);
    if (found !== UNDECIDED) {
      if (found !== undefined) out.push({ kind: 'phone', start, end: start + found });
      continue;
    }
    if (verdicts.has(candidate)) found = verdicts.get(candidate);
    else if (validations >= budget) {
      out.push({ kind: 'phone', start, end, detail: 'unvalidated' });
      continue;
    } else {
      validations++;
      found = validate(candidate);
      if (verdicts.size >= VERDICT_CACHE_SIZE) verdicts.clear();
      verdicts.set(candidate, found);
    }
    if (found !== undefined) out.push({ kind: 'phone', start, end: start + found });
  }
}

function standsAlone(text: string, start: number, end: number): boolean {
  if (start > 0) {
    const code = text.charCodeAt(start - 1);
    if (isWordCode(code) || gluesBefore(code)) return false;
  }
  if (end < text.length) {
    const code = text.charCodeAt(end);
    if (isWordCode(code) || gluesAfter(code)) return false;
  }
  return !continuesNumber(text, start, end);
}

/** The length of the valid number at the start of `candidate`, or `undefined`. */
function validate(candidate: string): number | undefined {
  for (const result of findPhoneNumbersInText(candidate, { defaultCountry: DEFAULT_COUNTRY })) {
    if (result.startsAt === 0) return result.endsAt;
  }
  return undefined;
}

/** libphonenumber's own verdict on a candidate (what `compiledVerdict` reproduces), for tests. */
export { validate as validateWithLibphonenumber };
