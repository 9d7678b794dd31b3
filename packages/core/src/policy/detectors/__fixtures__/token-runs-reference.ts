// The former token-runs.ts (revision 2cd1d9f), for the reference detectors: the run finder the current
// scanners' findRun was taken from, kept as it was.

/** A set of ASCII characters, as a lookup table. */
export type CharClass = Uint8Array;

/** The lookup table of the characters of `chars`. */
export function charClass(chars: string): CharClass {
  const table = new Uint8Array(128);
  for (const char of chars) table[char.charCodeAt(0)] = 1;
  return table;
}

/** Base64, base64url and alphanumeric tokens. */
const TOKEN_CHARS = charClass('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-');

function isMember(chars: CharClass, text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code < 128 && chars[code] === 1;
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
  const length = text.length;
  let index = 0;
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
    if (end - start >= minLength) visit(start, end);
    index = end + 1;
  }
}

/**
 * Calls `visit(start, end)` for every maximal run of `[A-Za-z0-9+/_-]` at least `minLength` long, in
 * order; `end` includes up to two `=` of base64 padding right after the run.
 */
export function forEachTokenRun(text: string, minLength: number, visit: (start: number, end: number) => void): void {
  forEachRun(text, TOKEN_CHARS, minLength, (start, end) => {
    let padded = end;
    while (padded < text.length && padded - end < 2 && text.charCodeAt(padded) === 61) padded++;
    visit(start, padded);
  });
}
