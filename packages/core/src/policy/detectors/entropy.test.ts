// The one-pass token reader (readToken) and the backwards hash-label scanner against the functions
// they replaced, kept here as the oracle: one scan per question (classes, separated parts, word runs,
// entropy, base64 + UTF-8 decoding), a slice per token and the HASH_LABEL expression. Any token, any
// text around it: the same answers, the same entropy to the last bit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceIsEncodedData } from './__fixtures__/encoded-data-reference';
import {
  entropyThreshold,
  hasMixedClasses,
  isEncodedData,
  looksLikeWords,
  readsAsWords,
  readToken,
  shannonEntropy,
} from './entropy';
import { endsWithHashLabel, isRandomRun, isRandomToken } from './secret';

// ---- The oracle: the former implementations, unchanged but for the names. ----

function oldShannonEntropy(text: string): number {
  const counts = new Uint32Array(128);
  const table = new Float64Array(513);
  for (let count = 1; count < table.length; count++) table[count] = count * Math.log2(count);
  const length = text.length;
  if (length === 0) return 0;
  for (let index = 0; index < length; index++) counts[text.charCodeAt(index) & 127]!++;
  let sum = 0;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index) & 127;
    const count = counts[code]!;
    if (count === 0) continue;
    sum += count < table.length ? table[count]! : count * Math.log2(count);
    counts[code] = 0;
  }
  return Math.log2(length) - sum / length;
}

function oldHasMixedClasses(token: string): boolean {
  let classes = 0;
  for (let index = 0; index < token.length && classes !== 7; index++) {
    const code = token.charCodeAt(index);
    if (code >= 65 && code <= 90) classes |= 1;
    else if (code >= 97 && code <= 122) classes |= 2;
    else if (code >= 48 && code <= 57) classes |= 4;
  }
  return classes === 7;
}

const OTHER = 0;
const UPPER = 1;
const LOWER = 2;
const DIGIT = 3;
function charKind(code: number): number {
  if (code >= 65 && code <= 90) return UPPER;
  if (code >= 97 && code <= 122) return LOWER;
  if (code >= 48 && code <= 57) return DIGIT;
  return OTHER;
}

function oldLooksLikeWords(token: string): boolean {
  const { runs, runChars, wordChars } = oldWordRuns(token);
  if (runs === 0 || runChars / runs > 3) return true;
  return wordChars / runChars >= 0.5;
}

/** The counts oldLooksLikeWords decided from (readToken's automaton must give the same ones). */
function oldWordRuns(token: string): { runs: number; runChars: number; wordChars: number } {
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
  return { runs, runChars, wordChars };
}

function oldLongestAlphanumericPart(token: string): number {
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

/** The former isEncodedData: atob and a fatal TextDecoder. */
const oldIsEncodedData = referenceIsEncodedData;

const OLD_PUBLIC_ID =
  /^(?:chatcmpl|cmpl|call|asst|thread|msg|run|step|file|batch|resp|conv|cp|ci|vs|fc|rs|ft|ftjob|ftckpt|org|proj|user|item|modr|upload|eval|toolu|srvtoolu|req|evt|cus|pi|pm|ch|in|ii|sub|price|prod|txn|sess|cs|seti|src|tok|acct|ba|card|re|po|tr|py|sha\d+|md5)[-_]/;

function oldIsRandomToken(token: string): boolean {
  let bodyEnd = token.length;
  while (bodyEnd > 0 && token.charCodeAt(bodyEnd - 1) === 61) bodyEnd--;
  const body = bodyEnd === token.length ? token : token.slice(0, bodyEnd);
  if (body.length < 24 || !oldHasMixedClasses(body)) return false;
  if ((body.includes('-') || body.includes('_')) && OLD_PUBLIC_ID.test(body)) return false;
  if (oldLongestAlphanumericPart(body) < 12 || oldLooksLikeWords(body)) return false;
  if (oldShannonEntropy(body) < entropyThreshold(body.length)) return false;
  return !oldIsEncodedData(token);
}

const OLD_HASH_LABEL = /(?:sha-?\d{1,3}|md5|hash|digest|checksum|fingerprint|integrity|etag)["']?\s*[:=]?\s*["']?$/i;

// ---- Tokens: random, word-like, encoded, padded, id-prefixed, and arbitrary strings. ----

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const chars = (alphabet: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet.split('')), minLength: min, maxLength: max });
const base64Of = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

const tokens = fc.oneof(
  chars(`${BASE64}-_`, 0, 600),
  chars(`${BASE64}=`, 20, 80),
  fc.tuple(chars(BASE64, 20, 70), fc.constantFrom('', '=', '==')).map(([body, pad]) => body + pad),
  fc
    .array(fc.constantFrom('Revenue', 'by', '2024', 'HTTP', 'Server', 'x', 'Q3', 'aB', '_', '-', '/', '7', 'ID'), {
      minLength: 1,
      maxLength: 30,
    })
    .map((parts) => parts.join('')),
  fc
    .tuple(fc.constantFrom('chatcmpl', 'call', 'msg', 'sha256', 'md5', 'cus', 'toolu', 'x'), chars('-_', 1, 1))
    .chain(([prefix, separator]) => chars(BASE64, 20, 40).map((rest) => prefix + separator + rest)),
  fc.string({ unit: 'grapheme', minLength: 10, maxLength: 80 }).map((text) => base64Of(new TextEncoder().encode(text))),
  fc.uint8Array({ minLength: 12, maxLength: 200 }).map(base64Of),
  fc
    .constantFrom('iVBORw0KGgo', '/9j/', 'R0lGOD', 'JVBERi0', 'UEsDB', 'H4sI')
    .chain((magic) => chars(BASE64, 0, 40).map((rest) => magic + rest)),
  fc.string({ unit: 'binary', maxLength: 120 }),
);

describe('readToken: one pass gives what the former per-question scans gave', () => {
  it('entropy (bit for bit), classes, longest part, word runs and base64 text, on any token', () => {
    fc.assert(
      fc.property(tokens, (token) => {
        const shape = readToken(token, 0, token.length);
        expect(shape.entropy).toBe(oldShannonEntropy(token));
        expect(shape.classes === 7).toBe(oldHasMixedClasses(token));
        expect(shape.longestPart).toBe(oldLongestAlphanumericPart(token));
        expect(readsAsWords(shape)).toBe(oldLooksLikeWords(token));
        expect({ runs: shape.runs, runChars: shape.runChars, wordChars: shape.wordChars }).toEqual(oldWordRuns(token));
        expect(shape.dashOrUnderscore).toBe(token.includes('-') || token.includes('_'));
        // The one-question forms are views of the same pass.
        expect(shannonEntropy(token)).toBe(oldShannonEntropy(token));
        expect(hasMixedClasses(token)).toBe(oldHasMixedClasses(token));
        expect(looksLikeWords(token)).toBe(oldLooksLikeWords(token));
        expect(isEncodedData(token)).toBe(oldIsEncodedData(token));
      }),
      { numRuns: 3000 },
    );
  });

  it('isRandomToken gives the former verdict, for a token alone or inside a text', () => {
    fc.assert(
      fc.property(tokens, fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (token, before, after) => {
        const expected = oldIsRandomToken(token);
        expect(isRandomToken(token)).toBe(expected);
        expect(isRandomRun(before + token + after, before.length, before.length + token.length)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('flags random tokens and rejects encoded text the same way (fixed cases)', () => {
    const key = 'uDxwG6NQGA4QKcdOJQF0eEC5dF1NPtQ4';
    expect(isRandomToken(key)).toBe(true);
    expect(isRandomRun(`  ${key}  `, 2, 2 + key.length)).toBe(true);
    expect(isRandomRun(`  ${key}  `, 2, 1 + key.length)).toBe(oldIsRandomToken(key.slice(0, -1)));
    expect(isRandomToken('SGVsbG8gd29ybGQsIHRoaXMgaXMgYSB0ZXN0IG1lc3NhZ2U=')).toBe(false);
  });
});

describe('endsWithHashLabel: the HASH_LABEL expression read backwards', () => {
  const labelText = fc
    .array(
      fc.constantFrom(
        'sha',
        'SHA',
        'sha-',
        '256',
        '1',
        '5',
        '2561',
        'md5',
        'MD5',
        'hash',
        'Digest',
        'checksum',
        'fingerprint',
        'integrity',
        'ETag',
        'etag',
        '"',
        "'",
        ' ',
        '\t',
        '\n',
        '\u00a0',
        '\u2028',
        ':',
        '=',
        'x',
        '-',
        'ſha',
        'é',
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join(''));

  it('agrees with the expression on the 24 characters before the token, for any text', () => {
    fc.assert(
      fc.property(labelText, fc.oneof(labelText, fc.string({ unit: 'binary', maxLength: 30 })), (text, other) => {
        for (const candidate of [text, other + text, text + other]) {
          const start = candidate.length;
          const expected = OLD_HASH_LABEL.test(candidate.slice(Math.max(0, start - 24), start));
          expect(endsWithHashLabel(`${candidate}Qm7vR2xK9pLw4TzN8bYc3HfJ`, start)).toBe(expected);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['sha256=', true],
    ['pin-sha256="', true],
    ['SHA-256: ', true],
    ['sha2561=', false],
    ['md5 ', true],
    ['etag=', true],
    ['fingerprint : "', true],
    ['hash==', false],
    ['hashes: ', false],
    ['a'.repeat(30), false],
    [`${'x'.repeat(5)}integrity${' '.repeat(16)}`, false],
  ])('%j before a token: %s', (before, expected) => {
    expect(endsWithHashLabel(`${before}Qm7vR2xK9pLw4TzN8bYc3HfJ`, before.length)).toBe(expected);
  });
});
