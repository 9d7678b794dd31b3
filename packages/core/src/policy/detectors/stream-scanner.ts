// Scans streamed output: a tail window of recent text, rescanned as deltas arrive; each finding once.
import type { Detector, Finding, StreamScanner, StreamScannerOptions } from './types';

const DEFAULT_WINDOW = 1024;
/** The most right-hand context a built-in detector reads past a match (`.5`, ` 12`, `.com`). */
const DEFAULT_HOLD = 2;
const DEFAULT_SCAN_EVERY = 1;
/** Room for the context detectors read before a match (keywords such as `SSN:` or `aws_secret`). */
const LOOKBEHIND = 64;

/**
 * A scanner of streamed text for `detector`. Text is kept in a tail window (default 1024 characters,
 * never less than the longest built-in match plus `hold` plus 64), rescanned on each delta, so a key or an
 * address split across deltas is found. Each finding is reported once, with offsets in the whole stream:
 * a `secret` as soon as it is recognisable (more text can only lengthen it), any other finding once `hold`
 * characters follow it (more digits can turn a card number into a longer figure) or at `end()`.
 */
export function createStreamScanner(detector: Detector, options: StreamScannerOptions = {}): StreamScanner {
  const hold = Math.max(0, options.hold ?? DEFAULT_HOLD);
  const scanEvery = Math.max(1, options.scanEvery ?? DEFAULT_SCAN_EVERY);
  const window = Math.max(options.window ?? DEFAULT_WINDOW, detector.maxMatchLength + hold + LOOKBEHIND);
  /** The retained tail of the stream. */
  let buffer = '';
  /** Stream offset of `buffer[0]`. */
  let base = 0;
  /** Stream offset up to which every finding has been decided (reported or not) with enough context. */
  let decidedUpTo = 0;
  /** Reported findings that may still overlap text in the window, as stream offsets. */
  let reported: Array<readonly [number, number]> = [];
  /** `buffer.length` at the last scan. */
  let scannedLength = 0;
  let ended = false;

  const scan = (final: boolean): Finding[] => {
    scannedLength = buffer.length;
    const stableLimit = final ? buffer.length : Math.max(0, buffer.length - hold);
    const found: Finding[] = [];
    for (const finding of detector.find(buffer)) {
      const start = base + finding.start;
      const end = base + finding.end;
      // Decided by an earlier scan (with at least as much context), or already reported (a secret
      // reported while still arriving is found again, longer).
      if (end <= decidedUpTo || reported.some(([from, to]) => start < to && from < end)) continue;
      if (finding.end > stableLimit && finding.kind !== 'secret') continue;
      found.push({ ...finding, start, end });
      reported.push([start, end]);
    }
    decidedUpTo = Math.max(decidedUpTo, base + stableLimit);
    if (buffer.length > window) {
      const cut = buffer.length - window;
      buffer = buffer.slice(cut);
      base += cut;
      scannedLength -= cut;
      reported = reported.filter(([, to]) => to > base);
    }
    return found;
  };

  return {
    push(textDelta: string): Finding[] {
      if (ended) throw new Error('StreamScanner.push() after end()');
      if (textDelta.length === 0) return [];
      buffer += textDelta;
      if (buffer.length - scannedLength < scanEvery) return [];
      return scan(false);
    },
    end(): Finding[] {
      if (ended) return [];
      ended = true;
      return scan(true);
    },
  };
}
