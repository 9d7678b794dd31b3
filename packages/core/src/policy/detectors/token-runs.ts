// Finds long runs of characters of one class without looking at every character of ordinary text:
// a run of `minLength` must cover every `minLength`-th position, so only those are probed.

/** A set of ASCII characters, as a lookup table. */
export type CharClass = Uint8Array;

/** The lookup table of the characters of `chars`. */
export function charClass(chars: string): CharClass {
  const table = new Uint8Array(128);
  for (const char of chars) table[char.charCodeAt(0)] = 1;
  return table;
}

/** `true` when the character `code` is in `chars`. */
export function isMemberCode(chars: CharClass, code: number): boolean {
  return code < 128 && chars[code] === 1;
}

function isMember(chars: CharClass, text: string, index: number): boolean {
  return isMemberCode(chars, text.charCodeAt(index));
}

/** A run found by {@link findRun}: `[start, end)`. */
export interface Run {
  start: number;
  end: number;
}

const found: Run = { start: 0, end: 0 };

/**
 * The first maximal run of characters of `chars` at least `minLength` long that starts at or after
 * `from`, where `from` is 0 or just after a character not in `chars` (one shared object, overwritten by
 * the next call), or `undefined`. A loop over the runs calls it again from `end + 1`: a scanner written
 * as a plain loop, with no callback, stays one piece of optimised code from one call to the next.
 */
export function findRun(text: string, chars: CharClass, minLength: number, from: number): Run | undefined {
  const length = text.length;
  let index = from;
  while (index + minLength <= length) {
    const probe = index + minLength - 1;
    // No run of `minLength` can start in [index, probe] without covering `probe`.
    if (!isMember(chars, text, probe)) {
      index = probe + 1;
      continue;
    }
    let start = probe;
    while (start > index && isMember(chars, text, start - 1)) start--;
    let end = probe + 1;
    while (end < length && isMember(chars, text, end)) end++;
    if (end - start >= minLength) {
      found.start = start;
      found.end = end;
      return found;
    }
    index = end + 1;
  }
  return undefined;
}

/**
 * Calls `visit(start, end)` for every maximal run of characters of `chars` at least `minLength` long,
 * in order.
 */
export function forEachRun(
  text: string,
  chars: CharClass,
  minLength: number,
  visit: (start: number, end: number) => void,
): void {
  for (let run = findRun(text, chars, minLength, 0); run !== undefined; ) {
    const { start, end } = run;
    visit(start, end);
    run = findRun(text, chars, minLength, end + 1);
  }
}

/** Base64, base64url and alphanumeric tokens: the characters of {@link forEachTokenRun}. */
export const TOKEN_CHARS = charClass('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-');

/** The end of a token run ending at `end` with up to two `=` of base64 padding after it. */
export function paddedEnd(text: string, end: number): number {
  let padded = end;
  while (padded < text.length && padded - end < 2 && text.charCodeAt(padded) === 61) padded++;
  return padded;
}

/**
 * Calls `visit(start, end)` for every maximal run of `[A-Za-z0-9+/_-]` at least `minLength` long, in
 * order; `end` includes up to two `=` of base64 padding right after the run.
 */
export function forEachTokenRun(text: string, minLength: number, visit: (start: number, end: number) => void): void {
  forEachRun(text, TOKEN_CHARS, minLength, (start, end) => visit(start, paddedEnd(text, end)));
}
