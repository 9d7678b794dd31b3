// Is a token random (a credential) or made of words, a hash layout, or encoded text? Used by the
// generic `secret` detector; every threshold here was calibrated, see index.ts.

/** A token must reach this fraction of the largest entropy a string of its length can have. */
export const ENTROPY_RATIO = 0.8;
/** Largest alphabet considered (base64): the entropy ceiling is log2(min(length, 64)). */
const ALPHABET = 64;
/** Random tokens have short runs of one character class; words have long ones. */
export const MAX_AVERAGE_RUN = 3;
/** Share of letters and digits inside word-like runs (`Revenue`, `HTTP`) above which a token is words. */
export const MAX_WORD_SHARE = 0.5;

const counts = new Uint32Array(128);

/** `c × log2(c)` for every count a token can reach (tokens are at most 512 characters). */
const C_LOG_C = (() => {
  const table = new Float64Array(513);
  for (let count = 1; count < table.length; count++) table[count] = count * Math.log2(count);
  return table;
})();

/**
 * Shannon entropy of an ASCII string, bits per character: `log2(n) − Σ c·log2(c) / n` over the
 * character counts `c` (the same value as `−Σ p·log2(p)`, without a logarithm per character).
 */
export function shannonEntropy(text: string): number {
  const length = text.length;
  if (length === 0) return 0;
  for (let index = 0; index < length; index++) counts[text.charCodeAt(index) & 127]!++;
  let sum = 0;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index) & 127;
    const count = counts[code]!;
    if (count === 0) continue;
    sum += count < C_LOG_C.length ? C_LOG_C[count]! : count * Math.log2(count);
    counts[code] = 0;
  }
  return Math.log2(length) - sum / length;
}

/** The entropy a token of `length` characters must reach to count as random. */
export function entropyThreshold(length: number): number {
  return ENTROPY_RATIO * Math.log2(Math.min(length, ALPHABET));
}

/** `true` when the token has an upper-case letter, a lower-case letter and a digit. */
export function hasMixedClasses(token: string): boolean {
  let classes = 0;
  for (let index = 0; index < token.length && classes !== 7; index++) {
    const code = token.charCodeAt(index);
    if (code >= 65 && code <= 90) classes |= 1;
    else if (code >= 97 && code <= 122) classes |= 2;
    else if (code >= 48 && code <= 57) classes |= 4;
  }
  return classes === 7;
}

/**
 * `true` when the token reads as words: its runs (`Revenue`, `By`, `2024`, `HTTP`: a capitalised or
 * lower-case word, an upper-case block, a number) are longer than 3 characters on average, or at least
 * half its letters and digits sit in word-like runs (3+ lower-case letters, capitalised or not, or 3+
 * capitals). In random base64 or alphanumerics of 24+ characters the average run is under 3 in 99% of
 * tokens.
 */
export function looksLikeWords(token: string): boolean {
  let runs = 0;
  let runChars = 0;
  let wordChars = 0;
  const length = token.length;
  let index = 0;
  while (index < length) {
    const kind = charKind(token.charCodeAt(index));
    if (kind === DIGIT) {
      const start = index;
      while (index < length && charKind(token.charCodeAt(index)) === DIGIT) index++;
      runs++;
      runChars += index - start;
    } else if (kind === UPPER || kind === LOWER) {
      // A letter sequence: capitals, then lower case; the last capital starts the lower-case word.
      let upper = 0;
      while (index < length && charKind(token.charCodeAt(index)) === UPPER) {
        upper++;
        index++;
      }
      let lower = 0;
      while (index < length && charKind(token.charCodeAt(index)) === LOWER) {
        lower++;
        index++;
      }
      const capitals = lower > 0 && upper > 0 ? upper - 1 : upper;
      if (capitals > 0) {
        runs++;
        runChars += capitals;
        if (capitals >= 3) wordChars += capitals;
      }
      if (lower > 0) {
        const word = lower + (upper > 0 ? 1 : 0);
        runs++;
        runChars += word;
        if (lower >= 3) wordChars += word;
      }
    } else {
      index++;
    }
  }
  if (runs === 0 || runChars / runs > MAX_AVERAGE_RUN) return true;
  return wordChars / runChars >= MAX_WORD_SHARE;
}

const OTHER = 0;
const UPPER = 1;
const LOWER = 2;
const DIGIT = 3;

const KINDS = (() => {
  const table = new Uint8Array(128).fill(OTHER);
  for (let code = 65; code <= 90; code++) table[code] = UPPER;
  for (let code = 97; code <= 122; code++) table[code] = LOWER;
  for (let code = 48; code <= 57; code++) table[code] = DIGIT;
  return table;
})();

function charKind(code: number): number {
  return code < 128 ? KINDS[code]! : OTHER;
}

/** The longest run of letters and digits between separators (`-`, `_`, `/`, `+`, `=`). */
export function longestAlphanumericPart(token: string): number {
  let longest = 0;
  let current = 0;
  for (let index = 0; index < token.length; index++) {
    const code = token.charCodeAt(index);
    const alphanumeric = (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    current = alphanumeric ? current + 1 : 0;
    if (current > longest) longest = current;
  }
  return longest;
}

/** Base64 of common file types (PNG, JPEG, GIF, PDF, ZIP/Office, gzip): data, not a credential. */
const FILE_MAGIC = /^(?:iVBORw0KGgo|\/9j\/|R0lGOD|JVBERi0|UEsDB|H4sI)/;

/** The 6-bit value of each base64 and base64url character (`-` and `_` as `+` and `/`), else -1. */
const BASE64_VALUE = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let index = 0; index < 64; index++) table[alphabet.charCodeAt(index)] = index;
  table[45] = 62; // -
  table[95] = 63; // _
  return table;
})();

/** Reused decoding buffer (tokens are at most 512 characters). */
let bytes = new Uint8Array(512);

/**
 * `true` when the token is base64 (standard or URL-safe) of text, at least 95% printable UTF-8
 * (`SGVsbG8gd29ybGQ=`, JSON such as a JWT header), or of a common file type. Decoded and validated by
 * hand in one pass (strict UTF-8 as `TextDecoder` with `fatal: true` reads it: no overlong forms,
 * surrogates or code points past U+10FFFF; a leading BOM is skipped).
 */
export function isEncodedData(token: string): boolean {
  if (FILE_MAGIC.test(token)) return true;
  let length = token.length;
  while (length > 0 && token.charCodeAt(length - 1) === 61) length--;
  const usable = length - (length % 4);
  if (usable < 16) return false;
  const byteLength = (usable / 4) * 3;
  if (bytes.length < byteLength) bytes = new Uint8Array(byteLength);
  for (let index = 0, out = 0; index < usable; index += 4) {
    let group = 0;
    for (let offset = 0; offset < 4; offset++) {
      const code = token.charCodeAt(index + offset);
      const value = code < 128 ? BASE64_VALUE[code]! : -1;
      if (value < 0) return false;
      group = (group << 6) | value;
    }
    bytes[out++] = (group >> 16) & 255;
    bytes[out++] = (group >> 8) & 255;
    bytes[out++] = group & 255;
  }
  let index = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let printable = 0;
  let total = 0;
  while (index < byteLength) {
    const lead = bytes[index]!;
    let code: number;
    let extra: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead < 0x80) {
      code = lead;
      extra = 0;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      code = lead & 0x1f;
      extra = 1;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      code = lead & 0x0f;
      extra = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      code = lead & 0x07;
      extra = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return false;
    if (index + extra >= byteLength && extra > 0) return false;
    for (let offset = 1; offset <= extra; offset++) {
      const next = bytes[index + offset]!;
      if (next < low || next > high) return false;
      low = 0x80;
      high = 0xbf;
      code = (code << 6) | (next & 0x3f);
    }
    index += extra + 1;
    total++;
    if (code === 9 || code === 10 || code === 13 || (code >= 32 && code !== 127 && !(code >= 128 && code < 160))) {
      printable++;
    }
  }
  return total > 0 && printable / total >= 0.95;
}
