// The reference `payment_card` detector the current one is checked against: its implementation before
// clusters were read in one pass with no per-group allocation (revision 2cd1d9f), unchanged but for the
// imports and the name.
import { continuesNumber, isDigitCode, isLetterCode } from '../chars';
import type { KindDetector } from '../internal-types';
import { isLuhnValid } from '../luhn';
import { charClass, forEachRun } from './token-runs-reference';
import type { Finding } from '../types';

/** Where clusters are looked for: stretches of digits, spaces and dashes long enough to hold a card. */
const CLUSTER_CHARS = charClass('0123456789 -');
const MIN_DIGITS = 13;
const MAX_DIGITS = 19;
/** 19 digits and 6 separators. */
const MAX_LENGTH = 25;

/** Characters that glue a number to an id, path, address or amount before it. */
const GLUE_BEFORE = new Set(['-', '_', '/', '\\', '@', '$', '€', '£', '¥']);
const GLUE_AFTER = new Set(['_', '/', '\\', '@', '%']);

/** The payment card detector. */
export function referencePaymentCardDetector(): KindDetector {
  return { kind: 'payment_card', maxLength: MAX_LENGTH, scan };
}

function scan(text: string, out: Finding[]): void {
  forEachRun(text, CLUSTER_CHARS, MIN_DIGITS, (start, end) => {
    // Clusters: runs of digits joined by single spaces or dashes (`4111 1111 1111 1111`, `2024-11-23`),
    // read left to right in one pass (no expression, so no stack however long the cluster).
    let index = start;
    while (index < end) {
      if (!isDigitCode(text.charCodeAt(index))) {
        index++;
        continue;
      }
      const clusterStart = index;
      for (;;) {
        while (index < end && isDigitCode(text.charCodeAt(index))) index++;
        const separator = text.charCodeAt(index);
        if (index + 1 < end && (separator === 32 || separator === 45) && isDigitCode(text.charCodeAt(index + 1))) {
          index++;
          continue;
        }
        break;
      }
      if (index - clusterStart >= MIN_DIGITS) scanCluster(text, clusterStart, index, out);
    }
  });
}

/** The groups of one cluster: where each starts and ends, and the separator before it (0 for the first). */
interface Groups {
  readonly starts: number[];
  readonly ends: number[];
  readonly separators: number[];
}

function scanCluster(text: string, start: number, end: number, out: Finding[]): void {
  const groups: Groups = { starts: [], ends: [], separators: [] };
  let separator = 0;
  let groupStart = start;
  for (let index = start; index <= end; index++) {
    const code = index === end ? 0 : text.charCodeAt(index);
    if (index === end || code === 32 || code === 45) {
      groups.starts.push(groupStart);
      groups.ends.push(index);
      groups.separators.push(separator);
      separator = code;
      groupStart = index + 1;
    }
  }
  // Try the longest card at each group first; a card never overlaps another in one cluster.
  const count = groups.starts.length;
  for (let first = 0; first < count; first++) {
    for (let last = Math.min(count - 1, first + 4); last >= first; last--) {
      const finding = cardAt(text, groups, first, last);
      if (finding) {
        out.push(finding);
        first = last;
        break;
      }
    }
  }
}

function cardAt(text: string, groups: Groups, first: number, last: number): Finding | undefined {
  const { starts, ends, separators } = groups;
  const inner = last > first ? separators[first + 1]! : 0;
  for (let index = first + 1; index <= last; index++) if (separators[index] !== inner) return undefined;
  if (!isCardLayout(starts, ends, first, last)) return undefined;
  // Not a slice of a longer run in the same layout: `1234 4111 1111 1111 1111` is one 20-digit figure.
  // A lone run of digits may sit next to other numbers (`4111111111111111 12/27`), but not dash-joined.
  const before = separators[first]!;
  const after = last + 1 < separators.length ? separators[last + 1]! : 0;
  if (inner === 0 ? before === 45 || after === 45 : before === inner || after === inner) return undefined;
  const start = starts[first]!;
  const end = ends[last]!;
  if (!standsAlone(text, start, end)) return undefined;
  let digits = '';
  for (let index = first; index <= last; index++) digits += text.slice(starts[index]!, ends[index]!);
  const network = cardNetwork(digits);
  if (network === undefined || !isLuhnValid(digits)) return undefined;
  return { kind: 'payment_card', start, end, detail: network };
}

/**
 * One run of 13–19 digits; or groups of 4 with a last group of 1–5 (`4-4-4-4`, `4-4-4-4-3`, `4-4-5`);
 * or the 4-6-5 / 4-6-4 layout of Amex and Diners.
 */
function isCardLayout(starts: readonly number[], ends: readonly number[], first: number, last: number): boolean {
  let total = 0;
  for (let index = first; index <= last; index++) total += ends[index]! - starts[index]!;
  if (total < MIN_DIGITS || total > MAX_DIGITS) return false;
  const count = last - first + 1;
  if (count === 1) return true;
  const length = (index: number) => ends[index]! - starts[index]!;
  if (count === 3 && length(first) === 4 && length(first + 1) === 6) return true;
  if (length(last) > 5) return false;
  for (let index = first; index < last; index++) if (length(index) !== 4) return false;
  return true;
}

function standsAlone(text: string, start: number, end: number): boolean {
  const before = text.charCodeAt(start - 1);
  const after = text.charCodeAt(end);
  if (isLetterCode(before) || before === 95 || isLetterCode(after) || after === 95) return false;
  if (GLUE_BEFORE.has(text[start - 1] ?? '') || GLUE_AFTER.has(text[end] ?? '')) return false;
  // `4111-1111-1111-1111-` followed by more of an id.
  if (text[end] === '-' && (isDigitCode(text.charCodeAt(end + 1)) || isLetterCode(text.charCodeAt(end + 1))))
    return false;
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
function cardNetwork(digits: string): string | undefined {
  for (const { network, from, to, digits: prefixLength, lengths } of NETWORKS) {
    const prefix = Number(digits.slice(0, prefixLength));
    if (prefix >= from && prefix <= to && lengths.includes(digits.length)) return network;
  }
  return undefined;
}
