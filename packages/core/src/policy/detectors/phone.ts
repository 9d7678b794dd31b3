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
import { nextCandidate, type PhoneCandidate } from './phone-scanner';
import { UNDECIDED, verdictAt } from './phone-validity';
import type { Finding } from './types';

/** National numbers are read as US numbers; other countries need their `+` international prefix. */
const DEFAULT_COUNTRY = 'US';

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
  const shape: PhoneCandidate = { end: 0, numberEnd: 0, international: false, bare: false };
  for (let start = nextCandidate(text, 0, shape); start !== -1; start = nextCandidate(text, shape.end, shape)) {
    const end = shape.end;
    if (!standsAlone(text, start, end)) continue;
    if (!shape.international) {
      if (hasSpace(text, start, end) && inSpacedNumberRow(text, start, end)) continue;
      // (Bare digits without a keyword first: the cheaper test, and the common reason to skip.)
      if (shape.bare && !endsWithPhoneKeyword(text, start)) continue;
      if (endsWithIdLabel(text, start)) continue;
    }
    let found = verdictAt(text, start, shape.numberEnd, end);
    if (found !== UNDECIDED) {
      if (found !== undefined) out.push({ kind: 'phone', start, end: start + found });
      continue;
    }
    // Left to libphonenumber (the only candidate made a string).
    const candidate = text.slice(start, end);
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

function hasSpace(text: string, start: number, end: number): boolean {
  for (let index = start; index < end; index++) if (text.charCodeAt(index) === 32) return true;
  return false;
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
