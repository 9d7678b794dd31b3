// The reference `secret` detector the current one is checked against: its implementation before the
// per-token context checks were read in place (revision 2cd1d9f), unchanged but for the imports, the
// name and isEncodedToken's signature. The token tests it calls (readToken) have their own oracle in
// entropy.test.ts.
import { isDigitCode } from '../chars';
import { entropyThreshold, hasMixedClasses, isEncodedToken, readsAsWords, readToken } from '../entropy';
import type { KindDetector } from '../internal-types';
import { forEachTokenRun } from './token-runs-reference';
import type { Finding } from '../types';

/** A key family with a recognisable shape. */
interface KeyShape {
  readonly detail: string;
  /** Substrings one of which must occur in the text for the pattern to run (a cheap prefilter). */
  readonly prefixes: readonly string[];
  /**
   * Starts with its literal prefix (fast to search); the left boundary is checked in code. Every
   * repetition is bounded, so one attempt costs at most a few hundred steps: linear in the text.
   */
  readonly pattern?: RegExp;
  /** A hand-written scanner instead of `pattern`: appends [start, end] pairs, in order. */
  readonly scanner?: (text: string) => Array<readonly [number, number]>;
  /** Characters that may not come right before the match (it would continue a longer token). */
  readonly glueBefore: RegExp;
  /** Required text right before the match. */
  readonly precededBy?: RegExp;
  /** The finding covers this capture group instead of the whole match. */
  readonly group?: number;
  /** Extra check on the matched value. */
  readonly accept?: (value: string) => boolean;
}

const WORD_OR_DASH = /[A-Za-z0-9_-]/;
const ALPHANUMERIC = /[A-Za-z0-9]/;
const NONE = /$^/;

/** Shorter URL passwords are documentation examples (`https://a:b@host`). */
const MIN_URL_PASSWORD = 4;
const PASSWORD_PLACEHOLDER =
  /^(?:\*+|x+|\.+|password|passwd|pass|pwd|secret|changeme|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[A-Za-z_]+%|\{\{[^}]*\}\}|\[[^\]]*\])$/i;

const KEY_SHAPES: readonly KeyShape[] = [
  {
    detail: 'anthropic',
    prefixes: ['sk-ant-'],
    pattern: /sk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{32,240}(?![A-Za-z0-9_-])/g,
    glueBefore: WORD_OR_DASH,
  },
  {
    // Project, service-account and admin keys; legacy `sk-` and 32+ alphanumerics of mixed case and digits.
    detail: 'openai',
    prefixes: ['sk-'],
    pattern: /sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{32,240}|(?!ant-)[A-Za-z0-9]{32,240})(?![A-Za-z0-9_-])/g,
    glueBefore: WORD_OR_DASH,
    accept: (value) => /^sk-(?:proj|svcacct|admin)-/.test(value) || hasMixedClasses(value.slice(3)),
  },
  {
    // Access key ids of long-term (AKIA) and temporary (ASIA) credentials: 16 base32 characters.
    detail: 'aws_access_key',
    prefixes: ['AKIA', 'ASIA'],
    pattern: /(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Za-z0-9])/g,
    glueBefore: ALPHANUMERIC,
  },
  {
    // Personal, OAuth, user-to-server, server-to-server and refresh tokens; fine-grained PATs.
    detail: 'github',
    prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    pattern: /(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{36,244})(?![A-Za-z0-9_])/g,
    glueBefore: WORD_OR_DASH,
  },
  {
    detail: 'stripe',
    prefixes: ['_live_', '_test_'],
    pattern: /[sr]k_(?:live|test)_[A-Za-z0-9]{20,247}(?![A-Za-z0-9_])/g,
    glueBefore: WORD_OR_DASH,
  },
  {
    detail: 'slack',
    prefixes: ['xox'],
    pattern: /xox[abposre]-(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{20,250}(?![A-Za-z0-9_-])/g,
    glueBefore: WORD_OR_DASH,
  },
  {
    detail: 'google_api_key',
    prefixes: ['AIza'],
    pattern: /AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g,
    glueBefore: WORD_OR_DASH,
  },
  {
    // A PEM private key: the whole block when its END line follows within 8 kB, else the BEGIN line.
    detail: 'private_key',
    prefixes: ['PRIVATE KEY-----'],
    scanner: scanPrivateKeys,
    glueBefore: NONE,
  },
  {
    // The password of `scheme://user:password@host`, unless it is a placeholder.
    detail: 'url_password',
    prefixes: ['://'],
    pattern: /:\/\/[^\s/?#@:]{1,64}:([^\s/?#@]{1,128})@/dg,
    glueBefore: NONE,
    precededBy: /(?:^|[^A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,20}$/,
    group: 1,
    accept: (value) => value.length >= MIN_URL_PASSWORD && !PASSWORD_PLACEHOLDER.test(value),
  },
];

/** A line that names AWS or a secret, before a 40-character base64 run (`aws_secret_access_key = ...`). */
const AWS_SECRET_CONTEXT = /aws|secret/i;
const AWS_SECRET_LENGTH = 40;

/** Generic tokens: runs of `[A-Za-z0-9+/_-]` (and `=` padding) of 24 to 512 characters. */
const MIN_TOKEN = 24;
/** Longer runs are data (images, files, blobs), not credentials. */
const MAX_TOKEN = 512;
const MIN_RANDOM_PART = 12;

/**
 * Identifiers that are random but not secret: OpenAI and Anthropic object ids (`chatcmpl-`, `call_`,
 * `msg_`, `toolu_`, `conv_`, ...), Stripe object ids (`cus_`, `pi_`, ...), SRI hashes (`sha512-`).
 */
const PUBLIC_ID =
  /(?:chatcmpl|cmpl|call|asst|thread|msg|run|step|file|batch|resp|conv|cp|ci|vs|fc|rs|ft|ftjob|ftckpt|org|proj|user|item|modr|upload|eval|toolu|srvtoolu|req|evt|cus|pi|pm|ch|in|ii|sub|price|prod|txn|sess|cs|seti|src|tok|acct|ba|card|re|po|tr|py|sha\d+|md5)[-_]/y;
/** A labelled hash or fingerprint right before the token (`pin-sha256="`, `SHA-256: `, `etag=`). */
const HASH_LABEL = /(?:sha-?\d{1,3}|md5|hash|digest|checksum|fingerprint|integrity|etag)["']?\s*[:=]?\s*["']?$/i;
/** The label words of HASH_LABEL other than `sha-?\d{1,3}`, in lower case. */
const HASH_WORDS = ['md5', 'hash', 'digest', 'checksum', 'fingerprint', 'integrity', 'etag'];
/** Query parameters whose value is a credential. */
const CREDENTIAL_PARAMETER = /(?:key|token|secret|pass|pwd|sig|signature|auth|credential|session)[A-Za-z0-9_-]*$/i;
/** Characters that end a URL when walking back from a token. */
const URL_STOP = /[\s"'<>()[\]{}`,]/;
const URL_LOOKBEHIND = 2048;

/** The secret detector. */
export function referenceSecretDetector(): KindDetector {
  return { kind: 'secret', maxLength: MAX_TOKEN, scan };
}

/**
 * One pass per key family (each a bounded expression or a hand-written scanner, run only when its
 * prefix occurs), then one pass over the token runs. Findings of a family never overlap an earlier
 * family's; overlaps are found by binary search and a forward cursor, so the scan stays linear however
 * many findings there are.
 */
function scan(text: string, out: Finding[]): void {
  // Findings so far, sorted by start (each family's findings come in order and never overlap).
  let found: Finding[] = [];
  for (const shape of KEY_SHAPES) {
    if (!shape.prefixes.some((prefix) => text.includes(prefix))) continue;
    const added = scanShape(text, shape, found);
    if (added.length > 0) found = mergeByStart(found, added);
  }
  const awsContext = AWS_SECRET_CONTEXT.test(text);
  const urls = new UrlContext(text);
  let cursor = 0;
  forEachTokenRun(text, MIN_TOKEN, (start, end) => {
    if (end - start > MAX_TOKEN) return;
    while (cursor < found.length && found[cursor]!.end <= start) cursor++;
    // Token runs come in order: the only family findings that can overlap start at `cursor`.
    const next = found[cursor];
    if (next && next.start < end) return;
    if (awsContext && isAwsSecretKey(text, start, end)) {
      out.push({ kind: 'secret', start, end, detail: 'aws_secret_key' });
    } else if (isRandomRun(text, start, end) && isCredentialContext(text, start, urls)) {
      out.push({ kind: 'secret', start, end, detail: 'high_entropy' });
    }
  });
  for (const finding of found) out.push(finding);
}

function scanShape(text: string, shape: KeyShape, found: readonly Finding[]): Finding[] {
  const added: Finding[] = [];
  const consider = (start: number, end: number): void => {
    if (shape.accept && !shape.accept(text.slice(start, end))) return;
    if (overlaps(found, start, end)) return;
    added.push({ kind: 'secret', start, end, detail: shape.detail });
  };
  if (shape.scanner) {
    for (const [start, end] of shape.scanner(text)) consider(start, end);
    return added;
  }
  const { pattern, group } = shape;
  if (!pattern) return added;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match.index > 0 && shape.glueBefore.test(text[match.index - 1]!)) continue;
    if (shape.precededBy && !shape.precededBy.test(text.slice(Math.max(0, match.index - 24), match.index))) continue;
    const span: readonly [number, number] | undefined =
      group === undefined ? [match.index, match.index + match[0].length] : match.indices?.[group];
    if (span) consider(span[0], span[1]);
  }
  return added;
}

/** Two lists sorted by start, merged. */
function mergeByStart(left: readonly Finding[], right: readonly Finding[]): Finding[] {
  const merged: Finding[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length || (i < left.length && left[i]!.start <= right[j]!.start)) merged.push(left[i++]!);
    else merged.push(right[j++]!);
  }
  return merged;
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const KEY_TAIL = 'PRIVATE KEY-----';
/** The END line must start within this many characters of the BEGIN line's end. */
const MAX_PEM_BODY = 8192;

/**
 * The end of `(?:[A-Z0-9]+ )*PRIVATE KEY-----` read from `from`, or -1. `PRIVATE KEY-----` can only
 * follow the last word of the chain (`PRIVATE ` is itself a word), so the first word start where it
 * occurs is the only one.
 */
function keyLabelEnd(text: string, from: number): number {
  let index = from;
  for (;;) {
    if (text.startsWith(KEY_TAIL, index)) return index + KEY_TAIL.length;
    let end = index;
    for (let code = text.charCodeAt(end); (code >= 65 && code <= 90) || (code >= 48 && code <= 57); ) {
      code = text.charCodeAt(++end);
    }
    if (end === index || text.charCodeAt(end) !== 32) return -1;
    index = end + 1;
  }
}

/**
 * PEM private keys: `-----BEGIN … PRIVATE KEY-----`, through the first END line that starts within
 * 8 kB after it, else the BEGIN line alone. The next valid END line is remembered, so every BEGIN and
 * END occurrence is read once: linear, however many BEGIN lines have no END.
 */
function scanPrivateKeys(text: string): Array<readonly [number, number]> {
  const spans: Array<readonly [number, number]> = [];
  let searchedTo = 0;
  let validEnd = -1;
  let validEndLineEnd = -1;
  /** The first valid END line at or after `from`: [start, end], or undefined. */
  const endLineFrom = (from: number): readonly [number, number] | undefined => {
    if (validEnd >= from) return [validEnd, validEndLineEnd];
    let at = text.indexOf(END, Math.max(from, searchedTo));
    while (at !== -1) {
      const lineEnd = keyLabelEnd(text, at + END.length);
      if (lineEnd !== -1) {
        validEnd = at;
        validEndLineEnd = lineEnd;
        searchedTo = at + 1;
        return [at, lineEnd];
      }
      at = text.indexOf(END, at + 1);
    }
    searchedTo = text.length;
    return undefined;
  };
  let at = text.indexOf(BEGIN);
  while (at !== -1) {
    const headerEnd = keyLabelEnd(text, at + BEGIN.length);
    if (headerEnd === -1) {
      at = text.indexOf(BEGIN, at + 1);
      continue;
    }
    const endLine = endLineFrom(headerEnd);
    const end = endLine && endLine[0] - headerEnd <= MAX_PEM_BODY ? endLine[1] : headerEnd;
    spans.push([at, end]);
    at = text.indexOf(BEGIN, end);
  }
  return spans;
}

/** 40 base64 characters of mixed case with a digit, `/` or `+`, on a line that names AWS or a secret. */
function isAwsSecretKey(text: string, start: number, end: number): boolean {
  if (end - start !== AWS_SECRET_LENGTH) return false;
  let classes = 0;
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code >= 65 && code <= 90) classes |= 1;
    else if (code >= 97 && code <= 122) classes |= 2;
    else if ((code >= 48 && code <= 57) || code === 47 || code === 43) classes |= 4;
    else return false;
  }
  if (classes !== 7) return false;
  // The 64 characters before the token, from the line start if that is nearer (never a scan back further).
  let lineStart = start;
  const stop = Math.max(0, start - 64);
  while (lineStart > stop && text.charCodeAt(lineStart - 1) !== 10) lineStart--;
  return AWS_SECRET_CONTEXT.test(text.slice(lineStart, start));
}

/**
 * The generic test of `text[start, end)`, read in one pass with no slice and no expression (unless
 * the token has a `-` or `_` that can end a public id prefix).
 */
function isRandomRun(text: string, start: number, end: number): boolean {
  let bodyEnd = end;
  while (bodyEnd > start && text.charCodeAt(bodyEnd - 1) === 61) bodyEnd--;
  const length = bodyEnd - start;
  if (length < MIN_TOKEN) return false;
  const token = readToken(text, start, bodyEnd);
  if (token.classes !== 7) return false;
  if (token.dashOrUnderscore && isPublicId(text, start)) return false;
  if (token.longestPart < MIN_RANDOM_PART || readsAsWords(token)) return false;
  if (token.entropy < entropyThreshold(length)) return false;
  return !isEncodedToken(text, start, bodyEnd);
}

/** {@link PUBLIC_ID} at `start` (sticky: it cannot run past the token, as `-` and `_` end its match). */
function isPublicId(text: string, start: number): boolean {
  PUBLIC_ID.lastIndex = start;
  return PUBLIC_ID.test(text);
}

/**
 * Tokens inside a URL (path segments, ids, signed-URL parts) are not reported, except the value of a
 * query parameter named like a credential (`?api_key=`, `&token=`); nor are percent-encoded fragments
 * (`%2B...`), data-URI payloads and labelled hashes (`pin-sha256="..."`).
 */
function isCredentialContext(text: string, start: number, urls: UrlContext): boolean {
  if (text[start - 1] === '%' || text.endsWith('base64,', start)) return false;
  if (endsWithHashLabel(text, start)) return false;
  const wordStart = Math.max(urls.wordStart(start), start - URL_LOOKBEHIND);
  const prefix = text.slice(wordStart, start);
  if (!prefix.includes('://') && !prefix.startsWith('www.')) return true;
  if (text[start - 1] !== '=') return false;
  const parameterStart = Math.max(prefix.lastIndexOf('?'), prefix.lastIndexOf('&'), prefix.lastIndexOf(';'));
  return parameterStart !== -1 && CREDENTIAL_PARAMETER.test(prefix.slice(parameterStart + 1, -1));
}

/**
 * {@link HASH_LABEL} tested on the 24 characters before `start`, read backwards without a slice or an
 * expression: an optional quote, spaces, an optional `:` or `=`, spaces, an optional quote (the three
 * optional parts are of disjoint character sets, so taking each greedily is the only way to match), then a
 * label word ending there. A non-ASCII character where a space may be (`\s` also has Unicode spaces) is
 * left to the expression.
 */
function endsWithHashLabel(text: string, start: number): boolean {
  const windowStart = Math.max(0, start - 24);
  let index = start;
  if (index > windowStart && isQuoteCode(text.charCodeAt(index - 1))) index--;
  index = skipSpacesBack(text, index, windowStart);
  if (index > windowStart) {
    const code = text.charCodeAt(index - 1);
    if (code === 58 || code === 61) index = skipSpacesBack(text, index - 1, windowStart);
  }
  if (index > windowStart && isQuoteCode(text.charCodeAt(index - 1))) index--;
  if (index < 0) return HASH_LABEL.test(text.slice(windowStart, start));
  for (const word of HASH_WORDS) {
    if (index - word.length >= windowStart && endsWithLowerCase(text, index, word)) return true;
  }
  // sha-?\d{1,3}
  let digitsStart = index;
  while (digitsStart > windowStart && index - digitsStart < 4 && isDigitCode(text.charCodeAt(digitsStart - 1))) {
    digitsStart--;
  }
  const digits = index - digitsStart;
  if (digits < 1 || digits > 3) return false;
  const shaEnd = digitsStart > windowStart && text.charCodeAt(digitsStart - 1) === 45 ? digitsStart - 1 : digitsStart;
  return shaEnd - 3 >= windowStart && endsWithLowerCase(text, shaEnd, 'sha');
}

const isQuoteCode = (code: number): boolean => code === 34 || code === 39;

/** The index before the spaces that end at `index` (not before `stop`); -1 at a non-ASCII character. */
function skipSpacesBack(text: string, index: number, stop: number): number {
  while (index > stop) {
    const code = text.charCodeAt(index - 1);
    if (code >= 128) return -1;
    if (code !== 32 && !(code >= 9 && code <= 13)) break;
    index--;
  }
  return index;
}

/** `true` when `text` has `word` (lower case, ASCII) right before `end`, in any case. */
function endsWithLowerCase(text: string, end: number, word: string): boolean {
  const from = end - word.length;
  for (let offset = 0; offset < word.length; offset++) {
    const code = text.charCodeAt(from + offset);
    // ASCII letters lower-cased; digits stay digits. Non-ASCII never equals an ASCII letter here (`i`
    // without `u` does not fold non-ASCII characters onto ASCII ones).
    if ((code >= 65 && code <= 90 ? code | 0x20 : code) !== word.charCodeAt(offset)) return false;
  }
  return true;
}

/**
 * Where the word (a stretch without a URL-ending character) that contains a position starts. Asked
 * for positions in increasing order, it reads each character once.
 */
class UrlContext {
  private scanned = 0;
  private lastStop = 0;
  constructor(private readonly text: string) {}
  wordStart(position: number): number {
    for (; this.scanned < position; this.scanned++) {
      const code = this.text.charCodeAt(this.scanned);
      const stop = code < 128 ? URL_STOP_ASCII[code] === 1 : URL_STOP.test(this.text[this.scanned]!);
      if (stop) this.lastStop = this.scanned + 1;
    }
    return this.lastStop;
  }
}

const URL_STOP_ASCII = (() => {
  const table = new Uint8Array(128);
  for (let code = 0; code < 128; code++) table[code] = URL_STOP.test(String.fromCharCode(code)) ? 1 : 0;
  return table;
})();

/** `true` when [start, end) overlaps a finding of `sorted` (sorted by start, non-overlapping). */
function overlaps(sorted: readonly Finding[], start: number, end: number): boolean {
  let low = 0;
  let high = sorted.length;
  // The first finding that ends after `start`: ends are increasing too, as findings do not overlap.
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]!.end <= start) low = middle + 1;
    else high = middle;
  }
  const candidate = sorted[low];
  return candidate !== undefined && candidate.start < end;
}
