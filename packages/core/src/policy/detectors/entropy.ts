// Is a token random (a credential) or made of words, a hash layout, or encoded text? Used by the
// generic `secret` detector; every threshold here was calibrated, see index.ts.
//
// The tests of a token (character classes, separated parts, word runs, entropy, base64 decoding) are
// read in ONE pass over its characters by `readToken`, without slicing it or running an expression:
// the `secret` detector asks for every 24+ character run of a text, so per-token cost is per-MB cost.

/** A token must reach this fraction of the largest entropy a string of its length can have. */
export const ENTROPY_RATIO = 0.8;
/** Largest alphabet considered (base64): the entropy ceiling is log2(min(length, 64)). */
const ALPHABET = 64;
/** Random tokens have short runs of one character class; words have long ones. */
export const MAX_AVERAGE_RUN = 3;
/** Share of letters and digits inside word-like runs (`Revenue`, `HTTP`) above which a token is words. */
export const MAX_WORD_SHARE = 0.5;

/** What one pass over a token learned. One shared object, overwritten by the next `readToken`. */
export interface TokenShape {
  /** Character classes present: 1 upper-case letter, 2 lower-case letter, 4 digit. */
  classes: number;
  /** A `-` or `_` occurs. */
  dashOrUnderscore: boolean;
  /** The longest run of letters and digits between other characters. */
  longestPart: number;
  /** Letter and digit runs (see {@link looksLikeWords}), their characters, and those in word-like runs. */
  runs: number;
  runChars: number;
  wordChars: number;
  /** Shannon entropy, bits per character (characters read modulo 128). */
  entropy: number;
  /**
   * Bytes of the base64 decoding of the token's first `length − length % 4` characters (kept in a
   * module buffer for {@link isEncodedToken}); -1 when one of them is not a base64 or base64url character.
   */
  decodedLength: number;
}

const shape: TokenShape = {
  classes: 0,
  dashOrUnderscore: false,
  longestPart: 0,
  runs: 0,
  runChars: 0,
  wordChars: 0,
  entropy: 0,
  decodedLength: -1,
};

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

/** The 6-bit value of each base64 and base64url character (`-` and `_` as `+` and `/`), else -1. */
const BASE64_VALUE = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let index = 0; index < 64; index++) table[alphabet.charCodeAt(index)] = index;
  table[45] = 62; // -
  table[95] = 63; // _
  return table;
})();

/** `c × log2(c)` for every count a token can reach (tokens are at most 512 characters). */
const C_LOG_C = (() => {
  const table = new Float64Array(513);
  for (let count = 1; count < table.length; count++) table[count] = count * Math.log2(count);
  return table;
})();

/** Character counts (modulo 128), back to zero after every pass. */
const counts = new Uint32Array(128);
/** The characters seen, in order of first occurrence (the order the entropy sum is taken in). */
const seen = new Uint8Array(128);
/** Reused decoding buffer (tokens are at most 512 characters). */
let bytes = new Uint8Array(512);

/**
 * Reads `text[start, end)` once and returns its {@link TokenShape} (the shared object). Shannon entropy is
 * `log2(n) − Σ c·log2(c) / n` over the character counts `c` (the same value as `−Σ p·log2(p)`, without a
 * logarithm per character), summed in order of first occurrence. Word runs: a digit run; or a letter
 * sequence of capitals then lower case, where the last capital starts the lower-case word (`HTTPServer`:
 * `HTTP`, `Server`).
 */
export function readToken(text: string, start: number, end: number): TokenShape {
  const length = end - start;
  const usableEnd = start + length - (length % 4);
  if (bytes.length < (length >> 2) * 3) bytes = new Uint8Array((length >> 2) * 3);
  // Locals, so the loop reads no module bindings (`bytes` is reassigned above).
  const buffer = bytes;
  const tally = counts;
  const order = seen;
  const kinds = KINDS;
  const base64 = BASE64_VALUE;
  let classes = 0;
  let dashOrUnderscore = false;
  let part = 0;
  let longestPart = 0;
  let runs = 0;
  let runChars = 0;
  let wordChars = 0;
  let distinct = 0;
  // The run being read: `mode` DIGIT (digits), UPPER (capitals so far) or LOWER (capitals, then lower case).
  let mode = OTHER;
  let upper = 0;
  let lower = 0;
  let digits = 0;
  let decodedLength = 0;
  let group = 0;
  for (let index = start; ; index++) {
    const atEnd = index >= end;
    const code = atEnd ? 0 : text.charCodeAt(index);
    const kind = atEnd || code >= 128 ? OTHER : kinds[code]!;
    if (kind !== mode && !(mode === UPPER && kind === LOWER)) {
      // The run being read ends: count it.
      if (mode === DIGIT) {
        runs++;
        runChars += digits;
      } else if (mode !== OTHER) {
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
      }
      upper = 0;
      lower = 0;
      digits = 0;
    }
    if (atEnd) break;
    mode = kind;
    const masked = code & 127;
    const count = tally[masked]!;
    tally[masked] = count + 1;
    if (count === 0) order[distinct++] = masked;
    if (kind === OTHER) {
      part = 0;
      if (code === 45 || code === 95) dashOrUnderscore = true;
    } else {
      if (kind === DIGIT) {
        classes |= 4;
        digits++;
      } else if (kind === UPPER) {
        classes |= 1;
        upper++;
      } else {
        classes |= 2;
        lower++;
      }
      if (++part > longestPart) longestPart = part;
    }
    if (index < usableEnd && decodedLength >= 0) {
      const value = code < 128 ? base64[code]! : -1;
      if (value < 0) decodedLength = -1;
      else {
        group = (group << 6) | value;
        if (((index - start) & 3) === 3) {
          buffer[decodedLength++] = (group >> 16) & 255;
          buffer[decodedLength++] = (group >> 8) & 255;
          buffer[decodedLength++] = group & 255;
          group = 0;
        }
      }
    }
  }
  let sum = 0;
  for (let index = 0; index < distinct; index++) {
    const code = order[index]!;
    const count = tally[code]!;
    sum += count < C_LOG_C.length ? C_LOG_C[count]! : count * Math.log2(count);
    tally[code] = 0;
  }
  shape.classes = classes;
  shape.dashOrUnderscore = dashOrUnderscore;
  shape.longestPart = longestPart;
  shape.runs = runs;
  shape.runChars = runChars;
  shape.wordChars = wordChars;
  shape.entropy = length === 0 ? 0 : Math.log2(length) - sum / length;
  shape.decodedLength = decodedLength;
  return shape;
}

/** The token's letter and digit runs average more than 3 characters, or half its letters and digits are in words. */
export function readsAsWords(token: TokenShape): boolean {
  if (token.runs === 0 || token.runChars / token.runs > MAX_AVERAGE_RUN) return true;
  return token.wordChars / token.runChars >= MAX_WORD_SHARE;
}

/** The entropy a token of `length` characters must reach to count as random. */
export function entropyThreshold(length: number): number {
  return ENTROPY_RATIO * Math.log2(Math.min(length, ALPHABET));
}

/** Base64 of common file types (PNG, JPEG, GIF, PDF, ZIP/Office, gzip): data, not a credential. */
const FILE_MAGIC = ['iVBORw0KGgo', '/9j/', 'R0lGOD', 'JVBERi0', 'UEsDB', 'H4sI'];

/**
 * `true` when `text[start, end)`, a token without its `=` padding that {@link readToken} just read
 * (`token` is what it returned), is base64 (standard or URL-safe) of text, at least 95% printable UTF-8
 * (`SGVsbG8gd29ybGQ=`, JSON such as a JWT header), or of a common file type. The UTF-8 is validated by
 * hand (strict, as `TextDecoder` with `fatal: true` reads it: no overlong forms, surrogates or code
 * points past U+10FFFF; a leading BOM is skipped).
 */
export function isEncodedToken(text: string, start: number, end: number, token: TokenShape): boolean {
  for (const magic of FILE_MAGIC) {
    if (end - start >= magic.length && text.startsWith(magic, start)) return true;
  }
  if (end - start < 16 || token.decodedLength < 0) return false;
  return isPrintableUtf8(bytes, token.decodedLength);
}

/** `true` when `bytes[0, length)` is strict UTF-8 (a leading BOM skipped) and ≥ 95% printable. */
function isPrintableUtf8(bytes: Uint8Array, length: number): boolean {
  let index = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let printable = 0;
  let total = 0;
  while (index < length) {
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
    if (index + extra >= length && extra > 0) return false;
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

// One-question forms of readToken, for the key patterns and the tests.

/** Shannon entropy of a string, bits per character (characters read modulo 128). */
export function shannonEntropy(text: string): number {
  return readToken(text, 0, text.length).entropy;
}

/** `true` when the token has an upper-case letter, a lower-case letter and a digit. */
export function hasMixedClasses(token: string): boolean {
  return readToken(token, 0, token.length).classes === 7;
}

/**
 * `true` when the token reads as words: its runs (`Revenue`, `By`, `2024`, `HTTP`: a capitalised or
 * lower-case word, an upper-case block, a number) are longer than 3 characters on average, or at least
 * half its letters and digits sit in word-like runs (3+ lower-case letters, capitalised or not, or 3+
 * capitals). In random base64 or alphanumerics of 24+ characters the average run is under 3 in 99% of
 * tokens.
 */
export function looksLikeWords(token: string): boolean {
  return readsAsWords(readToken(token, 0, token.length));
}

/** {@link isEncodedToken} of a token (its `=` padding is ignored). */
export function isEncodedData(token: string): boolean {
  let end = token.length;
  while (end > 0 && token.charCodeAt(end - 1) === 61) end--;
  return isEncodedToken(token, 0, end, readToken(token, 0, end));
}
