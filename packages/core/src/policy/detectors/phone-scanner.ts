// The phone detector's candidates: the shapes of a phone number, found by a hand-written scanner over
// character codes instead of a regular expression, with no string made per candidate.
//
// It finds exactly what this expression finds with `exec` in a loop (flags `gi`; each search starts at
// the end of the previous match), which `phone-scanner.test.ts` keeps and compares on random text:
//
//   (?:(INTERNATIONAL)|(NANP)|(BARE))EXTENSION
//   INTERNATIONAL  \+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,6})){1,7}   `+44 (0)20 7946 0958`
//   NANP           (?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}   `(415) 555-2671`
//   BARE           1?\d{10}   (only after a phone keyword: the detector checks)
//   EXTENSION      (?:[ ]?(?:ext\.?|extension|x)[ ]?\d{1,6})?
//
// Every choice of that expression is decided by the next character or two, so each is read once: an
// optional separator is taken when present (without it, what follows must start with a digit or `(`,
// and a separator does not); a group of `\d{1,6}` takes up to 6 digits; the country code `\d{1,3}`
// gives its last digit back as the first group only when no group follows it (the match then ends at
// the same place). A match is at most 53 characters plus an extension of 17, and a position that
// starts none costs a few character reads: linear in the text.

/** Where the last candidate found by {@link nextCandidate} ends, and what it is. */
export interface PhoneCandidate {
  /** The end of the candidate, its extension included. */
  end: number;
  /** The end of the number (before the extension, if any). */
  numberEnd: number;
  /** `+` and a country code. */
  international: boolean;
  /** Ten (or `1` and ten) bare digits. */
  bare: boolean;
}

const isDigit = (code: number): boolean => code >= 48 && code <= 57;
/**
 * The character at `index`, or -1 past the end: every read is in bounds (an out-of-bounds
 * `charCodeAt` makes V8 give up its inline fast path for that call site, at a cost on every read).
 */
const codeAt = (text: string, index: number): number => (index < text.length ? text.charCodeAt(index) : -1);
/** A character that can start a candidate: `+`, `(` or a digit (one class: no backtracking). */
const START = /[+(0-9]/g;
/** Characters read here that start nothing before {@link START} skips the rest. */
const SKIP_AFTER = 8;
/** `[ .-]`. */
const isSeparator = (code: number): boolean => code === 32 || code === 46 || code === 45;

/**
 * The start of the next candidate at or after `from` (its end and shape in `out`), or -1 when there is
 * none.
 */
export function nextCandidate(text: string, from: number, out: PhoneCandidate): number {
  const length = text.length;
  let misses = 0;
  // The end of the run of digits the position is in, when it is within 10 digits (valid while
  // `start < runEnd`).
  let runEnd = -1;
  for (let start = from; start < length; start++) {
    let code = text.charCodeAt(start);
    if (code !== 43 && code !== 40 && !isDigit(code)) {
      if (++misses < SKIP_AFTER) continue;
      // Past a few characters that start nothing (prose), the engine's scan for a character class
      // finds the next that can, faster than a loop here (`test`: no match object is made).
      START.lastIndex = start;
      if (!START.test(text)) return -1;
      start = START.lastIndex - 1;
      code = text.charCodeAt(start);
    }
    misses = 0;
    let end: number;
    if (code === 43) {
      end = international(text, start + 1);
      if (end === -1) continue;
      out.international = true;
      out.bare = false;
    } else if (code === 40) {
      // Only a North American number starts with `(`: `(` and three digits first.
      if (!isDigit(codeAt(text, start + 1))) continue;
      end = areaCodeAndNumber(text, start);
      if (end === -1) continue;
      out.international = false;
      out.bare = false;
    } else {
      // Within a run of digits, the digits left in it (`left`) say what can start here: ten or more,
      // bare digits only; a North American number only with a separator or `(` after 3 of them (or
      // after a `1` and 3, or right after a `1`); nothing else. Every position that can start nothing
      // is skipped at once, so a run is read about once however long (`digit groups`, `digit run`).
      // (Read at most 10 digits ahead: a run of more is known only not to end within them.)
      let left: number;
      if (start < runEnd) left = runEnd - start;
      else {
        let position = start + 1;
        while (position < length && position - start < 10 && isDigit(text.charCodeAt(position))) position++;
        left = position - start;
        runEnd = left < 10 ? position : -1;
      }
      if (left >= 10) {
        end = bare(text, start);
        out.bare = true;
      } else if (left === 3 || (code === 49 && (left === 1 || left === 4))) {
        end = northAmerican(text, start);
        out.bare = false;
        if (end === -1) continue;
      } else {
        // The next position where something can start: 4 digits before the end (a `1` and 3), 3, or
        // the last digit (a `1` before a separator or `(`).
        start = (left > 4 ? runEnd - 4 : left === 4 ? runEnd - 3 : left === 2 ? runEnd - 1 : runEnd) - 1;
        continue;
      }
      out.international = false;
    }
    out.numberEnd = end;
    out.end = extension(text, end);
    return start;
  }
  return -1;
}

/** `\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,6})){1,7}` at `position` (after the `+`): its end, or -1. */
function international(text: string, position: number): number {
  let end = position;
  while (end - position < 3 && isDigit(codeAt(text, end))) end++;
  const countryCode = end - position;
  if (countryCode === 0) return -1;
  let groups = 0;
  for (; groups < 7; groups++) {
    const next = group(text, end);
    if (next === -1) break;
    end = next;
  }
  // No group after the country code: it gives its last digit back as one (when it has two or more).
  if (groups === 0 && countryCode === 1) return -1;
  return end;
}

/** `[ .-]?(?:\(\d{1,4}\)|\d{1,6})` at `position`: its end, or -1. */
function group(text: string, position: number): number {
  let start = position;
  let code = codeAt(text, start);
  if (isSeparator(code)) code = codeAt(text, ++start);
  if (code === 40) {
    let end = start + 1;
    while (end - start <= 4 && isDigit(codeAt(text, end))) end++;
    return end > start + 1 && codeAt(text, end) === 41 ? end + 1 : -1;
  }
  let end = start;
  while (end - start < 6 && isDigit(codeAt(text, end))) end++;
  return end === start ? -1 : end;
}

/** `(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}` at `position`: its end, or -1. */
function northAmerican(text: string, position: number): number {
  if (codeAt(text, position) === 49) {
    const after = isSeparator(codeAt(text, position + 1)) ? position + 2 : position + 1;
    const end = areaCodeAndNumber(text, after);
    if (end !== -1) return end;
  }
  return areaCodeAndNumber(text, position);
}

function areaCodeAndNumber(text: string, position: number): number {
  let exchange: number;
  if (codeAt(text, position) === 40) {
    if (!digitsAt(text, position + 1, 3) || codeAt(text, position + 4) !== 41) return -1;
    exchange = isSeparator(codeAt(text, position + 5)) ? position + 6 : position + 5;
  } else {
    if (!digitsAt(text, position, 3) || !isSeparator(codeAt(text, position + 3))) return -1;
    exchange = position + 4;
  }
  return digitsAt(text, exchange, 3) && isSeparator(codeAt(text, exchange + 3)) && digitsAt(text, exchange + 4, 4)
    ? exchange + 8
    : -1;
}

/** `1?\d{10}` at `position`: its end, or -1. */
function bare(text: string, position: number): number {
  if (codeAt(text, position) === 49 && digitsAt(text, position + 1, 10)) return position + 11;
  return digitsAt(text, position, 10) ? position + 10 : -1;
}

/** `true` when `count` digits start at `position`. */
function digitsAt(text: string, position: number, count: number): boolean {
  for (let index = position; index < position + count; index++) if (!isDigit(codeAt(text, index))) return false;
  return true;
}

/** `(?:[ ]?(?:ext\.?|extension|x)[ ]?\d{1,6})?` at `position`: its end (`position` when there is none). */
function extension(text: string, position: number): number {
  const label = codeAt(text, position) === 32 ? position + 1 : position;
  const first = codeAt(text, label) | 32;
  if (first === 101) {
    // `ext`, then an optional `.`; or `extension`.
    if ((codeAt(text, label + 1) | 32) !== 120 || (codeAt(text, label + 2) | 32) !== 116) return position;
    const afterExt = codeAt(text, label + 3) === 46 ? label + 4 : label + 3;
    const end = extensionDigits(text, afterExt);
    if (end !== -1) return end;
    if (!isAt(text, label + 3, 'ension')) return position;
    const afterExtension = extensionDigits(text, label + 9);
    return afterExtension === -1 ? position : afterExtension;
  }
  if (first !== 120) return position;
  const end = extensionDigits(text, label + 1);
  return end === -1 ? position : end;
}

/** `[ ]?\d{1,6}` at `position`: its end, or -1. */
function extensionDigits(text: string, position: number): number {
  const start = codeAt(text, position) === 32 ? position + 1 : position;
  let end = start;
  while (end - start < 6 && isDigit(codeAt(text, end))) end++;
  return end === start ? -1 : end;
}

/** `true` when `word` (lower case ASCII letters) is at `position`, compared case-insensitively. */
function isAt(text: string, position: number, word: string): boolean {
  for (let index = 0; index < word.length; index++)
    if ((codeAt(text, position + index) | 32) !== word.charCodeAt(index)) return false;
  return true;
}
