// Compiles a content rule's detectors once; finds non-overlapping findings and redacts them.
import { ContentScanError } from '../../errors/content-scan-error';
import type { DetectorKind } from '../schema';
import { customDetector } from './custom';
import { emailDetector } from './email';
import { ibanDetector } from './iban';
import type { KindDetector } from './internal-types';
import { paymentCardDetector } from './payment-card';
import { phoneDetector } from './phone';
import { secretDetector } from './secret';
import type { Detector, DetectorOptions, DetectorSpec, Finding, Redaction } from './types';
import { usSsnDetector } from './us-ssn';

const BUILT_IN: Readonly<Record<DetectorKind, () => KindDetector>> = {
  email: emailDetector,
  phone: phoneDetector,
  payment_card: paymentCardDetector,
  iban: ibanDetector,
  us_ssn: usSsnDetector,
  secret: secretDetector,
};

/** Default {@link DetectorOptions.maxTextLength}: 8 Mi characters (16 MB of UTF-16). */
export const DEFAULT_MAX_TEXT_LENGTH = 8 * 1024 * 1024;
/** Default {@link DetectorOptions.timeBudgetMs}. */
export const DEFAULT_SCAN_BUDGET_MS = 2_000;

/**
 * Compiles the detectors of a content rule: the built-in kinds of `detect` (in that order, duplicates
 * ignored) and the custom `patterns` after them. Throws a `SyntaxError` naming a pattern that does not
 * compile or can backtrack catastrophically, and a `TypeError` for an unknown kind.
 */
export function compileDetectors(spec: DetectorSpec, options: DetectorOptions = {}): Detector {
  const maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
  const budgetMs = options.timeBudgetMs ?? DEFAULT_SCAN_BUDGET_MS;
  const detectors: KindDetector[] = [];
  for (const kind of new Set(spec.detect ?? [])) {
    const create = Object.hasOwn(BUILT_IN, kind) ? BUILT_IN[kind] : undefined;
    if (!create) throw new TypeError(`unknown content detector "${kind}"`);
    detectors.push(create());
  }
  for (const pattern of spec.patterns ?? []) detectors.push(customDetector(pattern));
  let maxMatchLength = 0;
  for (const detector of detectors) {
    if (Number.isFinite(detector.maxLength)) maxMatchLength = Math.max(maxMatchLength, detector.maxLength);
  }

  const find = (text: string): Finding[] => {
    if (text.length === 0 || detectors.length === 0) return [];
    if (text.length > maxTextLength)
      throw new ContentScanError({ reason: 'too_large', textLength: text.length, limit: maxTextLength });
    const started = performance.now();
    const deadline = (): void => {
      if (performance.now() - started > budgetMs)
        throw new ContentScanError({ reason: 'timeout', textLength: text.length, limit: budgetMs });
    };
    const found: Finding[] = [];
    const priority: number[] = [];
    for (const [index, detector] of detectors.entries()) {
      if (index > 0) deadline();
      detector.scan(text, found, deadline);
      while (priority.length < found.length) priority.push(index);
    }
    return resolveOverlaps(found, priority);
  };

  return {
    find,
    redact: (text, findings) => redact(text, findings ?? find(text)),
    maxMatchLength,
  };
}

/**
 * Keeps a non-overlapping subset: the longest finding wins, then the earliest, then the detector listed
 * first. Returned sorted by `start`.
 *
 * Findings are split into groups of overlapping ones (a sweep by start); a finding alone is kept, and
 * each group is resolved on its own (greedy in priority order, marking the characters kept ones cover).
 * Each detector's findings never overlap each other, so a group's findings cover at most (number of
 * detectors × its span) characters: linear in the text.
 */
function resolveOverlaps(found: readonly Finding[], priority: readonly number[]): Finding[] {
  if (found.length <= 1 || inOrderAndDisjoint(found)) return [...found];
  const byStart = orderByStart(found, priority);
  const kept: Finding[] = [];
  let groupStart = 0;
  while (groupStart < byStart.length) {
    let groupEnd = groupStart + 1;
    let reach = found[byStart[groupStart]!]!.end;
    while (groupEnd < byStart.length && found[byStart[groupEnd]!]!.start < reach) {
      reach = Math.max(reach, found[byStart[groupEnd]!]!.end);
      groupEnd++;
    }
    if (groupEnd - groupStart === 1) kept.push(found[byStart[groupStart]!]!);
    else
      for (const finding of resolveGroup(found, priority, Array.from(byStart.subarray(groupStart, groupEnd))))
        kept.push(finding);
    groupStart = groupEnd;
  }
  return kept;
}

/**
 * The findings are sorted by start and none overlaps the next (one detector's findings, or several
 * detectors' in separate stretches of the text): each is a group of its own, kept as it is.
 */
function inOrderAndDisjoint(found: readonly Finding[]): boolean {
  for (let index = 1; index < found.length; index++) if (found[index]!.start < found[index - 1]!.end) return false;
  return true;
}

/** Detectors whose findings are merged (rather than sorted) when each one's are in order. */
const MAX_MERGED_DETECTORS = 8;

/**
 * The indices of `found` sorted by start, then by index. Each detector's findings (a run of equal
 * `priority`) usually come in order: the runs are then merged, in linear time, with no comparison
 * function called per pair (a text with tens of thousands of findings spent more time in that sort than
 * in the detector); otherwise they are sorted.
 */
function orderByStart(found: readonly Finding[], priority: readonly number[]): Int32Array {
  const order = new Int32Array(found.length);
  // The runs: where each detector's findings start, and whether they are in order.
  const runStarts: number[] = [0];
  let sorted = true;
  for (let index = 1; index < found.length; index++) {
    if (priority[index] !== priority[index - 1]) runStarts.push(index);
    else if (found[index]!.start < found[index - 1]!.start) sorted = false;
  }
  if (!sorted || runStarts.length > MAX_MERGED_DETECTORS) {
    for (let index = 0; index < order.length; index++) order[index] = index;
    return order.sort((a, b) => found[a]!.start - found[b]!.start || a - b);
  }
  runStarts.push(found.length);
  const heads = runStarts.slice(0, -1);
  for (let position = 0; position < order.length; position++) {
    // The run whose next finding starts first (the earliest run on a tie: the lower index).
    let best = -1;
    for (let run = 0; run < heads.length; run++) {
      const head = heads[run]!;
      if (head < runStarts[run + 1]! && (best === -1 || found[head]!.start < found[heads[best]!]!.start)) best = run;
    }
    order[position] = heads[best]!;
    heads[best]!++;
  }
  return order;
}

/** The greedy choice within one group of overlapping findings, sorted by start. */
function resolveGroup(found: readonly Finding[], priority: readonly number[], group: number[]): Finding[] {
  const order = [...group];
  order.sort((a, b) => {
    const left = found[a]!;
    const right = found[b]!;
    return (
      right.end - right.start - (left.end - left.start) ||
      left.start - right.start ||
      priority[a]! - priority[b]! ||
      a - b
    );
  });
  let from = Number.POSITIVE_INFINITY;
  let to = 0;
  for (const index of group) {
    from = Math.min(from, found[index]!.start);
    to = Math.max(to, found[index]!.end);
  }
  const covered = new Uint8Array(to - from);
  const keep = new Uint8Array(found.length);
  for (const index of order) {
    const { start, end } = found[index]!;
    let free = true;
    for (let position = start; position < end && free; position++) free = covered[position - from] === 0;
    if (!free) continue;
    covered.fill(1, start - from, end - from);
    keep[index] = 1;
  }
  return group.filter((index) => keep[index] === 1).map((index) => found[index]!);
}

function redact(text: string, findings: readonly Finding[]): Redaction {
  if (findings.length === 0) return { text, counts: {} };
  const counts = new Map<string, number>();
  let output = '';
  let position = 0;
  for (const finding of findings) {
    output += `${text.slice(position, finding.start)}[REDACTED:${finding.kind}]`;
    position = finding.end;
    counts.set(finding.kind, (counts.get(finding.kind) ?? 0) + 1);
  }
  output += text.slice(position);
  return { text: output, counts: Object.fromEntries(counts) };
}
