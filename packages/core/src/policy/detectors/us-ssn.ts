// US Social Security numbers: AAA-GG-SSSS (dashes or spaces), or 9 bare digits right after an SSN keyword.
import { continuesNumber, inSpacedNumberRow, isWordAt } from './chars';
import type { KindDetector } from './internal-types';
import type { Finding } from './types';

/** `123-45-6789` or `123 45 6789` (one separator throughout). */
const FORMATTED = /(\d{3})([- ])(\d{2})\2(\d{4})/g;
/** Nine digits in a row. */
const BARE = /\d{9}/g;
/** Anywhere in the text: without one, bare nine-digit runs are not looked at. */
const KEYWORD = /\bssns?\b|\bss#|\bsocial[\s-]+security\b/i;
/** The keyword and at most three words (`SSN:`, `social security number is`, `SSN of the employee`). */
const KEYWORD_BEFORE = /(?:\bssns?\b|\bss#|\bsocial[\s-]+security\b)(?:[^\w\n]+[A-Za-z]+){0,3}[^\w\n]*$/i;
const LOOKBEHIND = 48;

/** Published as examples and never valid: Woolworth's wallet card (1938) and the 1940s SSA leaflet. */
const KNOWN_FAKES = new Set(['078051120', '219099999']);

/** The US SSN detector. */
export function usSsnDetector(): KindDetector {
  return { kind: 'us_ssn', maxLength: 11, scan };
}

function scan(text: string, out: Finding[]): void {
  FORMATTED.lastIndex = 0;
  for (let match = FORMATTED.exec(text); match !== null; match = FORMATTED.exec(text)) {
    const start = match.index;
    const end = start + match[0].length;
    if (!standsAlone(text, start, end)) continue;
    if (match[2] === ' ' && inSpacedNumberRow(text, start, end)) continue;
    if (isValidSsn(`${match[1]}${match[3]}${match[4]}`)) out.push({ kind: 'us_ssn', start, end });
  }
  if (!KEYWORD.test(text)) return;
  BARE.lastIndex = 0;
  for (let match = BARE.exec(text); match !== null; match = BARE.exec(text)) {
    const start = match.index;
    const end = start + 9;
    if (!standsAlone(text, start, end) || !isValidSsn(match[0])) continue;
    if (KEYWORD_BEFORE.test(text.slice(Math.max(0, start - LOOKBEHIND), start)))
      out.push({ kind: 'us_ssn', start, end });
  }
}

function standsAlone(text: string, start: number, end: number): boolean {
  if (isWordAt(text, start - 1) || isWordAt(text, end)) return false;
  if (text[start - 1] === '-' || text[end] === '-' || text[start - 1] === '/' || text[end] === '/') return false;
  return !continuesNumber(text, start, end);
}

/**
 * Never-issued numbers are rejected: area 000, 666 or 900–999, group 00, serial 0000, and known
 * published fakes. (Since 2011 areas are random, so no other area is excluded.)
 */
export function isValidSsn(digits: string): boolean {
  const area = Number(digits.slice(0, 3));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return false;
  return !KNOWN_FAKES.has(digits);
}
