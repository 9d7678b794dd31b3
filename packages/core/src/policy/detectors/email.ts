// Email addresses: a practical subset of RFC 5322 (dot-atoms, a dotted domain with a letter TLD).
import type { KindDetector } from './internal-types';
import type { Finding } from './types';

const MAX_LOCAL = 64;
const MAX_ADDRESS = 254;

/**
 * The domain, matched right after `@` (sticky): one or more labels (letters, digits, inner hyphens, at
 * most 63 characters) and a TLD of 2–63 letters not followed by more of the domain. It runs on at most
 * {@link MAX_ADDRESS} + 4 characters after the `@` (a longer address is never reported), so one `@`
 * costs a bounded number of steps.
 *
 * The local part (dot-separated atoms of letters, digits and `_ % + ' -`, starting with a letter, digit
 * or `_`) is checked in code: the earliest start in the run before `@` after its last `..`.
 */
const DOMAIN = /(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-]|\.[A-Za-z0-9])/y;
/** Where a local part may start. */
const LOCAL_START = /[A-Za-z0-9_]/;

/** An `scp`-style remote (`git@github.com:org/repo.git`): `user@host:path`, not an address. */
const SCP_REMOTE_PATH = /^:[A-Za-z0-9~/]/;
/** After a URL's `://`: nothing, or a user name and `:` (`https://user:` before `pass@host`). */
const USERINFO_REST = /^(?:[^\s/?#@:]*:)?$/;
/** Characters of a URL scheme (`https`, `git+ssh`). */
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;

/**
 * `true` when the text right before `start` ends a URL's user info: a scheme (a letter, then letters,
 * digits, `+ . -`), `://`, and at most a user name and `:` (`ssh://` before `git@host`, `https://user:`
 * before `pass@host`). Only the last `://` can qualify (an earlier one is followed by a `/`).
 */
function isUrlUserinfo(before: string): boolean {
  const separator = before.lastIndexOf('://');
  if (separator === -1 || !USERINFO_REST.test(before.slice(separator + 3))) return false;
  for (let index = separator - 1; index >= 0 && SCHEME_CHAR.test(before[index]!); index--) {
    if (/[A-Za-z]/.test(before[index]!)) return true;
  }
  return false;
}

/** Local-part characters (`[A-Za-z0-9_%+'.-]`) as a lookup table: the walk back reads up to 64 per `@`. */
const LOCAL_CHARS = (() => {
  const table = new Uint8Array(128);
  for (const char of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_%+'.-")
    table[char.charCodeAt(0)] = 1;
  return table;
})();
/** A high-density asset name such as `logo@2x.png`. */
const ASSET_SCALE = /@\d(?:\.\d)?x\.(?:png|jpe?g|gif|webp|svg|avif)$/i;

/** The email detector. */
export function emailDetector(): KindDetector {
  return { kind: 'email', maxLength: MAX_ADDRESS, scan };
}

function scan(text: string, out: Finding[]): void {
  let searchFrom = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', Math.max(at + 1, searchFrom))) {
    // The local part: within the run of local-part characters before `@` (at most 64).
    let runStart = at;
    while (runStart > 0 && at - runStart < MAX_LOCAL && LOCAL_CHARS[text.charCodeAt(runStart - 1)] === 1) runStart--;
    const span = matchAddress(text, runStart, at);
    if (span === undefined) continue;
    const [start, end] = span;
    searchFrom = end;
    if (isAddress(text, start, end)) out.push({ kind: 'email', start, end });
  }
}

/**
 * The first (longest) address whose local part starts in [`from`, `at`), as [start, end]. Every
 * character of [`from`, `at`) is a local-part character; a local part is valid from a start that is a
 * letter, digit or `_`, after the last `..`, when the character before `@` is not a `.`.
 */
function matchAddress(text: string, from: number, at: number): readonly [number, number] | undefined {
  if (at === from || text[at - 1] === '.') return undefined;
  let start = from;
  for (let index = at - 2; index >= from; index--) {
    if (text[index] === '.' && text[index + 1] === '.') {
      start = index + 2;
      break;
    }
  }
  while (start < at && !LOCAL_START.test(text[start]!)) start++;
  if (start >= at) return undefined;
  const window = text.slice(at + 1, at + 1 + MAX_ADDRESS + 4);
  DOMAIN.lastIndex = 0;
  const domain = DOMAIN.exec(window);
  return domain === null ? undefined : [start, at + 1 + domain[0].length];
}

function isAddress(text: string, start: number, end: number): boolean {
  const value = text.slice(start, end);
  if (value.length > MAX_ADDRESS || value.indexOf('@') > MAX_LOCAL) return false;
  // In a path (`/assets/logo@2x.png`) or a URL's user info: not a mailbox.
  if (text[start - 1] === '/' || ASSET_SCALE.test(value)) return false;
  if (isUrlUserinfo(text.slice(Math.max(0, start - 96), start))) return false;
  return !SCP_REMOTE_PATH.test(text.slice(end, end + 2));
}
