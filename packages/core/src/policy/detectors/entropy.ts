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
}

const shape: TokenShape = {
  classes: 0,
  dashOrUnderscore: false,
  longestPart: 0,
  runs: 0,
  runChars: 0,
  wordChars: 0,
  entropy: 0,
};

const OTHER = 0;
const UPPER = 1;
const LOWER = 2;
const DIGIT = 3;

/**
 * What one ASCII character tells the pass: bits 0–1 its kind (OTHER, UPPER, LOWER, DIGIT), bit 2 a `-`
 * or `_`, bits 3–5 its class (1 upper-case, 2 lower-case, 4 digit, as {@link TokenShape.classes}).
 */
const CHAR_INFO = (() => {
  const table = new Uint8Array(128);
  for (let code = 65; code <= 90; code++) table[code] = UPPER | (1 << 3);
  for (let code = 97; code <= 122; code++) table[code] = LOWER | (2 << 3);
  for (let code = 48; code <= 57; code++) table[code] = DIGIT | (4 << 3);
  table[45] = 4; // -
  table[95] = 4; // _
  return table;
})();

// The word runs of a token, read by a small automaton: one table lookup per character and no branch, as
// random tokens change character class every one or two characters (a branch per change is a branch
// the processor mispredicts). A run of capitals then lower case (`HTTPServer`) is split before its last
// capital; a word's characters are counted once it is word-like (3+ lower case, 3+ capitals), and taken
// back when a following lower-case letter shows the capitals were fewer (`ABc`: `A`, `Bc`).
const S_OTHER = 0;
const S_DIGIT = 1;
/** In capitals: 1, 2, 3, 4 or more so far. */
const S_UPPER = [2, 3, 4, 5] as const;
/** In lower case after a non-letter: 1, 2, 3 or more so far. */
const S_LOWER = [6, 7, 8] as const;
/** In lower case after a capital (which belongs to the word): 1, 2, 3 or more lower-case letters so far. */
const S_CAPITALISED = [9, 10, 11] as const;
const STATES = 12;
/** Offset of the word-character change (−3 to +4) stored in a transition. */
const WORD_OFFSET = 8;

/** `TRANSITIONS[state << 2 | kind]`: the next state (bits 0–3), a run starts (bit 4), word characters + 8 (bits 5–8). */
const TRANSITIONS = (() => {
  const table = new Uint16Array(STATES << 2);
  const set = (state: number, kind: number, next: number, run: number, word: number) => {
    table[(state << 2) | kind] = next | (run << 4) | ((word + WORD_OFFSET) << 5);
  };
  for (let state = 0; state < STATES; state++) {
    set(state, OTHER, S_OTHER, 0, 0);
    set(state, DIGIT, S_DIGIT, state === S_DIGIT ? 0 : 1, 0);
    set(state, UPPER, S_UPPER[0], 1, 0);
    set(state, LOWER, S_LOWER[0], 1, 0);
  }
  // Capitals: word-like from the third (all three counted then), one more each after.
  set(S_UPPER[0], UPPER, S_UPPER[1], 0, 0);
  set(S_UPPER[1], UPPER, S_UPPER[2], 0, 3);
  set(S_UPPER[2], UPPER, S_UPPER[3], 0, 1);
  set(S_UPPER[3], UPPER, S_UPPER[3], 0, 1);
  // Lower case after capitals: the last capital starts the word; the capitals before it are a run of
  // their own when there is one (two capitals: one run of one), word-like only from three.
  set(S_UPPER[0], LOWER, S_CAPITALISED[0], 0, 0);
  set(S_UPPER[1], LOWER, S_CAPITALISED[0], 1, 0);
  set(S_UPPER[2], LOWER, S_CAPITALISED[0], 1, -3);
  set(S_UPPER[3], LOWER, S_CAPITALISED[0], 1, -1);
  // Lower case: word-like from the third letter (plus the capital before, if any), one more each after.
  set(S_LOWER[0], LOWER, S_LOWER[1], 0, 0);
  set(S_LOWER[1], LOWER, S_LOWER[2], 0, 3);
  set(S_LOWER[2], LOWER, S_LOWER[2], 0, 1);
  set(S_CAPITALISED[0], LOWER, S_CAPITALISED[1], 0, 0);
  set(S_CAPITALISED[1], LOWER, S_CAPITALISED[2], 0, 4);
  set(S_CAPITALISED[2], LOWER, S_CAPITALISED[2], 0, 1);
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

/** `log2(n)` for every token length up to 512 (the same values, looked up instead of computed per token). */
const LOG2 = (() => {
  const table = new Float64Array(513);
  for (let length = 1; length < table.length; length++) table[length] = Math.log2(length);
  return table;
})();

/** Character counts (modulo 128), back to zero after every pass. */
const counts = new Uint32Array(128);
/** The characters seen, in order of first occurrence (the order the entropy sum is taken in). */
const seen = new Uint8Array(129);
/** Reused decoding buffer (tokens are at most 512 characters). */
let bytes = new Uint8Array(384);

/**
 * Reads `text[start, end)` once and returns its {@link TokenShape} (the shared object). Shannon entropy is
 * `log2(n) − Σ c·log2(c) / n` over the character counts `c` (the same value as `−Σ p·log2(p)`, without a
 * logarithm per character), summed in order of first occurrence. Word runs: a digit run; or a letter
 * sequence of capitals then lower case, where the last capital starts the lower-case word (`HTTPServer`:
 * `HTTP`, `Server`). Each character costs a few table lookups and no data-dependent branch; the base64
 * decoding is left to {@link isEncodedToken}, which decodes only as far as it reads.
 */
export function readToken(text: string, start: number, end: number): TokenShape {
  // Locals, so the loop reads no module bindings.
  const tally = counts;
  const order = seen;
  const info = CHAR_INFO;
  const transitions = TRANSITIONS;
  let flags = 0;
  let state = S_OTHER;
  let part = 0;
  let longestPart = 0;
  let runs = 0;
  let runChars = 0;
  let wordChars = 0;
  let distinct = 0;
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    const bits = code < 128 ? info[code]! : 0;
    flags |= bits;
    const kind = bits & 3;
    const step = transitions[(state << 2) | kind]!;
    state = step & 15;
    runs += (step >> 4) & 1;
    wordChars += (step >> 5) - WORD_OFFSET;
    // 1 for a letter or digit, 0 otherwise.
    const alphanumeric = (kind + 3) >> 2;
    runChars += alphanumeric;
    part = (part + 1) * alphanumeric;
    if (part > longestPart) longestPart = part;
    const masked = code & 127;
    const count = tally[masked]!;
    tally[masked] = count + 1;
    order[distinct] = masked;
    // One more distinct character when this one was not seen before (count 0), without a branch.
    distinct += (count - 1) >>> 31;
  }
  const length = end - start;
  let sum = 0;
  for (let index = 0; index < distinct; index++) {
    const code = order[index]!;
    const count = tally[code]!;
    sum += count < C_LOG_C.length ? C_LOG_C[count]! : count * Math.log2(count);
    tally[code] = 0;
  }
  shape.classes = (flags >> 3) & 7;
  shape.dashOrUnderscore = (flags & 4) !== 0;
  shape.longestPart = longestPart;
  shape.runs = runs;
  shape.runChars = runChars;
  shape.wordChars = wordChars;
  shape.entropy = length === 0 ? 0 : (length < LOG2.length ? LOG2[length]! : Math.log2(length)) - sum / length;
  return shape;
}

/** The token's letter and digit runs average more than 3 characters, or half its letters and digits are in words. */
export function readsAsWords(token: TokenShape): boolean {
  if (token.runs === 0 || token.runChars / token.runs > MAX_AVERAGE_RUN) return true;
  return token.wordChars / token.runChars >= MAX_WORD_SHARE;
}

/** The entropy a token of `length` characters must reach to count as random. */
export function entropyThreshold(length: number): number {
  const capped = Math.min(length, ALPHABET);
  return ENTROPY_RATIO * (capped >= 1 && capped === (capped | 0) ? LOG2[capped]! : Math.log2(capped));
}

/** Base64 of common file types (PNG, JPEG, GIF, PDF, ZIP/Office, gzip): data, not a credential. */
const FILE_MAGIC = ['iVBORw0KGgo', '/9j/', 'R0lGOD', 'JVBERi0', 'UEsDB', 'H4sI'];

/**
 * `true` when `text[start, end)`, a token without its `=` padding, is base64 (standard or URL-safe) of
 * text, at least 95% printable UTF-8 (`SGVsbG8gd29ybGQ=`, JSON such as a JWT header), or of a common file
 * type. Its first `length − length % 4` characters are decoded only as far as the UTF-8 is read: a random
 * token fails within its first few bytes. The UTF-8 is validated by hand (strict, as `TextDecoder` with
 * `fatal: true` reads it: no overlong forms, surrogates or code points past U+10FFFF; a leading BOM is
 * skipped).
 */
export function isEncodedToken(text: string, start: number, end: number): boolean {
  const length = end - start;
  const first = text.charCodeAt(start);
  // The first characters of the FILE_MAGIC prefixes: `i`, `/`, `R`, `J`, `U`, `H`.
  if (first === 105 || first === 47 || first === 82 || first === 74 || first === 85 || first === 72) {
    for (const magic of FILE_MAGIC) {
      if (length >= magic.length && text.startsWith(magic, start)) return true;
    }
  }
  if (length < 16) return false;
  const usableEnd = end - (length % 4);
  const decodedLength = ((usableEnd - start) >> 2) * 3;
  if (bytes.length < decodedLength) bytes = new Uint8Array(decodedLength);
  decodeText = text;
  decodeNext = start;
  decodeEnd = usableEnd;
  decoded = 0;
  const printable = isPrintableUtf8(decodedLength);
  decodeText = '';
  return printable;
}

// The lazy decoding of isEncodedToken: the token's text, the next character to decode, where decoding
// ends, and how many bytes of `bytes` are decoded.
let decodeText = '';
let decodeNext = 0;
let decodeEnd = 0;
let decoded = 0;

/**
 * Decodes groups of 4 characters into `bytes` until at least `need` bytes are decoded (or the usable
 * characters end). `false` when a character is not base64 or base64url: the token is then not encoded,
 * wherever that character is, so decoding ahead never changes the answer.
 */
function decodeTo(need: number): boolean {
  const text = decodeText;
  const base64 = BASE64_VALUE;
  const buffer = bytes;
  while (decoded < need && decodeNext < decodeEnd) {
    let group = 0;
    for (let offset = 0; offset < 4; offset++) {
      const code = text.charCodeAt(decodeNext + offset);
      const value = code < 128 ? base64[code]! : -1;
      if (value < 0) return false;
      group = (group << 6) | value;
    }
    buffer[decoded++] = (group >> 16) & 255;
    buffer[decoded++] = (group >> 8) & 255;
    buffer[decoded++] = group & 255;
    decodeNext += 4;
  }
  return true;
}

/** `true` when the `length` decoded bytes are strict UTF-8 (a leading BOM skipped) and ≥ 95% printable. */
function isPrintableUtf8(length: number): boolean {
  if (!decodeTo(3)) return false;
  const buffer = bytes;
  let index = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  let printable = 0;
  let total = 0;
  while (index < length) {
    // The lead byte and up to 3 continuation bytes.
    if (decoded < index + 4 && !decodeTo(index + 4)) return false;
    const lead = buffer[index]!;
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
      const next = buffer[index + offset]!;
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
  // A base64 character past the bytes read still makes the token not encoded (as a full decoding would).
  return decodeTo(length) && total > 0 && printable / total >= 0.95;
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
  return isEncodedToken(token, 0, end);
}
