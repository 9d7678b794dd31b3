// Payment card numbers (PAN): 13–19 digits in a card layout, a known network prefix and length, Luhn-valid.
import { continuesNumber, isDigitCode, isLetterCode } from './chars';
import type { KindDetector } from './internal-types';
import { charClass, isMemberCode } from './token-runs';
import type { Finding } from './types';

/** Where clusters are looked for: stretches of digits, spaces and dashes long enough to hold a card. */
const CLUSTER_CHARS = charClass('0123456789 -');
const MIN_DIGITS = 13;
const MAX_DIGITS = 19;
/** 19 digits and 6 separators. */
const MAX_LENGTH = 25;

/** Characters that glue a number to an id, path, address or amount before it: `- _ / \\ @ $ € £ ¥`. */
const isGlueBefore = (code: number): boolean =>
  code === 45 ||
  code === 95 ||
  code === 47 ||
  code === 92 ||
  code === 64 ||
  code === 36 ||
  code === 0x20ac ||
  code === 0xa3 ||
  code === 0xa5;
/** And after it: `_ / \\ @ %`. */
const isGlueAfter = (code: number): boolean => code === 95 || code === 47 || code === 92 || code === 64 || code === 37;

/** The payment card detector. */
export function paymentCardDetector(): KindDetector {
  return { kind: 'payment_card', maxLength: MAX_LENGTH, scan };
}

/**
 * Finds the runs of digits, spaces and dashes that can hold a card (probing every 13th character, as
 * `findRun` does) and reads the clusters in them: runs of digits joined by
 * single spaces or dashes (`4111 1111 1111 1111`, `2024-11-23`), left to right, with no expression (so no
 * stack however long the cluster) and no allocation per group.
 */
function scan(text: string, out: Finding[]): void {
  const length = text.length;
  let index = 0;
  while (index + MIN_DIGITS <= length) {
    const probe = index + MIN_DIGITS - 1;
    // No run of 13 can start in [index, probe] without covering `probe`.
    if (!isMemberCode(CLUSTER_CHARS, text.charCodeAt(probe))) {
      index = probe + 1;
      continue;
    }
    let start = probe;
    while (start > index && isMemberCode(CLUSTER_CHARS, text.charCodeAt(start - 1))) start--;
    let end = probe + 1;
    while (end < length && isMemberCode(CLUSTER_CHARS, text.charCodeAt(end))) end++;
    // A shorter run cannot hold 13 digits (phone numbers, dates, amounts).
    if (end - start >= MIN_DIGITS) scanRun(text, start, out);
    index = end + 1;
  }
}

/**
 * Reads the clusters of the run of digits, spaces and dashes that starts at `start`, to its end. A
 * cluster of fewer than 13 characters cannot hold a card and is not looked at.
 */
function scanRun(text: string, start: number, out: Finding[]): void {
  let index = start;
  for (;;) {
    let code = text.charCodeAt(index);
    // Spaces and dashes between clusters.
    while (code === 32 || code === 45) code = text.charCodeAt(++index);
    if (!isDigitCode(code)) return;
    const clusterStart = index;
    groups.count = 0;
    groups.next = 0;
    let separator = 0;
    for (;;) {
      const groupStart = index;
      while (isDigitCode(code)) code = text.charCodeAt(++index);
      addGroup(text, groupStart, index, separator, out);
      if ((code === 32 || code === 45) && isDigitCode(text.charCodeAt(index + 1))) {
        separator = code;
        code = text.charCodeAt(++index);
        continue;
      }
      break;
    }
    if (index - clusterStart >= MIN_DIGITS) findCards(text, groups.count, out);
  }
}

/**
 * The groups of the cluster being read, in a window that slides along it: where each starts and ends,
 * and the separator before it (0 for the first). `next` is the first group not yet tried as a card's
 * first group. A card's candidates at a group are decided by the 5 groups after it, so all but the last
 * 6 groups of a full window are tried, then dropped: memory stays bounded however long the cluster.
 */
const WINDOW = 64;
/** Groups after the one tried whose separators decide its candidates. */
const LOOKAHEAD = 6;
const groups = {
  starts: new Int32Array(WINDOW),
  ends: new Int32Array(WINDOW),
  separators: new Uint8Array(WINDOW),
  count: 0,
  next: 0,
};

function addGroup(text: string, start: number, end: number, separator: number, out: Finding[]): void {
  if (groups.count === WINDOW) {
    findCards(text, WINDOW - LOOKAHEAD, out);
    const { starts, ends, separators, next } = groups;
    starts.copyWithin(0, next, WINDOW);
    ends.copyWithin(0, next, WINDOW);
    separators.copyWithin(0, next, WINDOW);
    groups.count = WINDOW - next;
    groups.next = 0;
  }
  const at = groups.count++;
  groups.starts[at] = start;
  groups.ends[at] = end;
  groups.separators[at] = separator;
}

/**
 * Tries every group before `limit` not yet tried as a card's first group, the longest card first; a card
 * found is reported, and the next try starts after it (a card never overlaps another in one cluster).
 * With one separator throughout, a card of several groups must be the whole stretch of groups joined by
 * its separator (not a slice of a longer one, `1234 4111 1111 1111 1111`), so each group has at most two
 * candidates: that stretch, when it starts there and has at most 5 groups, and the group alone (a lone
 * run of digits may sit next to other numbers, `4111111111111111 12/27`, but not dash-joined).
 */
function findCards(text: string, limit: number, out: Finding[]): void {
  const { starts, ends, separators, count } = groups;
  let first = groups.next;
  while (first < limit) {
    const before = separators[first]!;
    const after = first + 1 < count ? separators[first + 1]! : 0;
    let last = -1;
    if (after !== 0 && after !== before) {
      let end = first + 1;
      while (end + 1 < count && separators[end + 1] === after && end - first < 5) end++;
      if (end - first <= 4 && isCardLayout(starts, ends, first, end) && isCard(text, first, end, out)) last = end;
    }
    if (last === -1 && before !== 45 && after !== 45 && isCardLayout(starts, ends, first, first)) {
      if (isCard(text, first, first, out)) last = first;
    }
    first = last === -1 ? first + 1 : last + 1;
  }
  groups.next = first;
}

/**
 * Reports groups `first`–`last` as a card when they stand alone, with a network's prefix and length and
 * a valid Luhn check digit (the digits read in place; the Luhn sum only for a known network).
 */
function isCard(text: string, first: number, last: number, out: Finding[]): boolean {
  const { starts, ends } = groups;
  const start = starts[first]!;
  const end = ends[last]!;
  if (!standsAlone(text, start, end)) return false;
  let total = 0;
  for (let group = first; group <= last; group++) total += ends[group]! - starts[group]!;
  // The first 4 digits (every group but the last has at least 4; a lone group has 13 or more).
  let prefix = 0;
  for (let index = start, digits = 0; digits < 4; index++) {
    const code = text.charCodeAt(index);
    if (isDigitCode(code)) {
      prefix = prefix * 10 + code - 48;
      digits++;
    }
  }
  const network = networkOf(prefix, total);
  if (network === undefined) return false;
  // The Luhn sum: every second digit from the right doubled (9 subtracted past 9).
  let sum = 0;
  let double = (total & 1) === 0;
  for (let group = first; group <= last; group++) {
    for (let index = starts[group]!; index < ends[group]!; index++) {
      const digit = text.charCodeAt(index) - 48;
      sum += double ? LUHN_DOUBLED[digit]! : digit;
      double = !double;
    }
  }
  if (sum % 10 !== 0) return false;
  out.push({ kind: 'payment_card', start, end, detail: network });
  return true;
}

/** A digit doubled for the Luhn sum, 9 subtracted when past 9. */
const LUHN_DOUBLED = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];

/**
 * One run of 13–19 digits; or groups of 4 with a last group of 1–5 (`4-4-4-4`, `4-4-4-4-3`, `4-4-5`);
 * or the 4-6-5 / 4-6-4 layout of Amex and Diners.
 */
function isCardLayout(starts: Int32Array, ends: Int32Array, first: number, last: number): boolean {
  let total = 0;
  for (let index = first; index <= last; index++) total += ends[index]! - starts[index]!;
  if (total < MIN_DIGITS || total > MAX_DIGITS) return false;
  const count = last - first + 1;
  if (count === 1) return true;
  if (count === 3 && ends[first]! - starts[first]! === 4 && ends[first + 1]! - starts[first + 1]! === 6) return true;
  if (ends[last]! - starts[last]! > 5) return false;
  for (let index = first; index < last; index++) if (ends[index]! - starts[index]! !== 4) return false;
  return true;
}

function standsAlone(text: string, start: number, end: number): boolean {
  const before = text.charCodeAt(start - 1);
  const after = text.charCodeAt(end);
  if (isLetterCode(before) || before === 95 || isLetterCode(after) || after === 95) return false;
  if (isGlueBefore(before) || isGlueAfter(after)) return false;
  // `4111-1111-1111-1111-` followed by more of an id.
  if (after === 45 && (isDigitCode(text.charCodeAt(end + 1)) || isLetterCode(text.charCodeAt(end + 1)))) return false;
  return !continuesNumber(text, start, end);
}

/** Network prefixes (IIN ranges) and the lengths each network issues. */
const NETWORKS: ReadonlyArray<{
  network: string;
  from: number;
  to: number;
  digits: number;
  lengths: readonly number[];
}> = [
  { network: 'visa', from: 4, to: 4, digits: 1, lengths: [13, 16, 19] },
  { network: 'mastercard', from: 51, to: 55, digits: 2, lengths: [16] },
  { network: 'mastercard', from: 2221, to: 2720, digits: 4, lengths: [16] },
  { network: 'amex', from: 34, to: 34, digits: 2, lengths: [15] },
  { network: 'amex', from: 37, to: 37, digits: 2, lengths: [15] },
  { network: 'discover', from: 6011, to: 6011, digits: 4, lengths: [16, 17, 18, 19] },
  { network: 'discover', from: 644, to: 649, digits: 3, lengths: [16, 17, 18, 19] },
  { network: 'discover', from: 65, to: 65, digits: 2, lengths: [16, 17, 18, 19] },
  { network: 'jcb', from: 3528, to: 3589, digits: 4, lengths: [16, 17, 18, 19] },
  { network: 'diners', from: 300, to: 305, digits: 3, lengths: [14, 15, 16, 17, 18, 19] },
  { network: 'diners', from: 36, to: 36, digits: 2, lengths: [14, 15, 16, 17, 18, 19] },
  { network: 'diners', from: 38, to: 38, digits: 2, lengths: [14, 15, 16, 17, 18, 19] },
  { network: 'unionpay', from: 62, to: 62, digits: 2, lengths: [16, 17, 18, 19] },
];

/** The card network of a digit string by prefix and length, or `undefined`. */
export function cardNetwork(digits: string): string | undefined {
  return networkOf(Number(digits.slice(0, 4)) * 10 ** Math.max(0, 4 - digits.length), digits.length);
}

/** {@link NETWORKS} read by {@link networkOf}: what divides a 4-digit prefix into the entry's, and its lengths as bits. */
const NETWORK_PREFIXES = NETWORKS.map(({ network, from, to, digits, lengths }) => ({
  network,
  from,
  to,
  divisor: 10 ** (4 - digits),
  lengths: lengths.reduce((bits, length) => bits | (1 << length), 0),
}));

/** The network of a number of `length` digits whose first 4 digits are `prefix`, or `undefined`. */
function networkOf(prefix: number, length: number): string | undefined {
  if (length < MIN_DIGITS || length > MAX_DIGITS) return undefined;
  for (const { network, from, to, divisor, lengths } of NETWORK_PREFIXES) {
    const value = Math.floor(prefix / divisor);
    if (value >= from && value <= to && ((lengths >> length) & 1) === 1) return network;
  }
  return undefined;
}
