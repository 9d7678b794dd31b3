// Compiles a content rule's detectors once; finds non-overlapping findings and redacts them.
import type { DetectorKind } from '../schema';
import { customDetector } from './custom';
import { emailDetector } from './email';
import { ibanDetector } from './iban';
import type { KindDetector } from './internal-types';
import { paymentCardDetector } from './payment-card';
import { phoneDetector } from './phone';
import { secretDetector } from './secret';
import type { Detector, DetectorSpec, Finding, Redaction } from './types';
import { usSsnDetector } from './us-ssn';

const BUILT_IN: Readonly<Record<DetectorKind, () => KindDetector>> = {
  email: emailDetector,
  phone: phoneDetector,
  payment_card: paymentCardDetector,
  iban: ibanDetector,
  us_ssn: usSsnDetector,
  secret: secretDetector,
};

/**
 * Compiles the detectors of a content rule: the built-in kinds of `detect` (in that order, duplicates
 * ignored) and the custom `patterns` after them. Throws a `SyntaxError` naming a pattern that does not
 * compile, and a `TypeError` for an unknown kind.
 */
export function compileDetectors(spec: DetectorSpec): Detector {
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
    const found: Finding[] = [];
    const priority: number[] = [];
    for (const [index, detector] of detectors.entries()) {
      detector.scan(text, found);
      while (priority.length < found.length) priority.push(index);
    }
    return resolveOverlaps(found, priority);
  };

  return {
    find,
    redact: (text) => redact(text, find(text)),
    maxMatchLength,
  };
}

/**
 * Keeps a non-overlapping subset: the longest finding wins, then the earliest, then the detector listed
 * first. Returned sorted by `start`.
 */
function resolveOverlaps(found: readonly Finding[], priority: readonly number[]): Finding[] {
  if (found.length <= 1) return [...found];
  const order = found.map((_, index) => index);
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
  // `kept` stays sorted by start; a binary search finds the neighbours of each candidate.
  const kept: Finding[] = [];
  for (const index of order) {
    const candidate = found[index]!;
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (kept[middle]!.start < candidate.start) low = middle + 1;
      else high = middle;
    }
    const previous = kept[low - 1];
    const next = kept[low];
    if (previous && previous.end > candidate.start) continue;
    if (next && next.start < candidate.end) continue;
    kept.splice(low, 0, candidate);
  }
  return kept;
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
