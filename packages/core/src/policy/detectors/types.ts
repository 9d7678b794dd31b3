// Public types of the content detectors: findings, compiled detectors and the stream scanner.
import type { DetectorKind } from '../schema';

/**
 * One piece of sensitive content found in a text: what it is and where, never the matched value.
 * Findings are safe to put on spans, logs and audit records.
 */
export interface Finding {
  /** The detector kind (`email`, `payment_card`, `secret`, ...) or the name of a custom pattern. */
  readonly kind: string;
  /** UTF-16 offset of the first character of the match. */
  readonly start: number;
  /** UTF-16 offset just past the last character of the match. */
  readonly end: number;
  /**
   * A sub-kind that never reveals the value: for `secret`, the key family (`openai`, `anthropic`,
   * `aws_access_key`, `aws_secret_key`, `github`, `stripe`, `slack`, `google_api_key`, `private_key`,
   * `url_password`, `high_entropy`); for `payment_card`, the card network (`visa`, `mastercard`, ...);
   * for `phone`, `unvalidated` when the number was reported without libphonenumber's validation because
   * the text's validation budget was spent (see the `phone` detector's documentation).
   */
  readonly detail?: string;
}

/** A custom detector from a content rule: `name` is reported as the finding's kind. */
export interface CustomPattern {
  readonly name: string;
  /** A JavaScript regular expression source, without slashes. */
  readonly regex: string;
  /** Flags among `i`, `m`, `s`, `u`; `g` is always added. */
  readonly flags?: string | undefined;
}

/** What {@link compileDetectors} builds a detector from: the `detect` and `patterns` of a content rule. */
export interface DetectorSpec {
  readonly detect?: readonly DetectorKind[] | undefined;
  readonly patterns?: readonly CustomPattern[] | undefined;
}

/** Limits of a compiled detector (the policy's `limits` section sets them for content rules). */
export interface DetectorOptions {
  /**
   * The longest text `find` and `redact` scan, in UTF-16 code units; a longer one throws a
   * `ContentScanError` (`reason: 'too_large'`). Default 8,388,608 (8 Mi characters): at the measured
   * 10–50 ms per MB of the built-in detectors, well under a second of scanning.
   */
  readonly maxTextLength?: number | undefined;
  /**
   * Time budget of one `find` or `redact` call, in milliseconds; checked between detectors and, for
   * custom patterns, between windows. Past it, the call throws a `ContentScanError`
   * (`reason: 'timeout'`). Default 2,000.
   */
  readonly timeBudgetMs?: number | undefined;
}

/** The result of {@link Detector.redact}. */
export interface Redaction {
  /** The text with every finding replaced by `[REDACTED:<kind>]`. */
  readonly text: string;
  /** How many findings of each kind were replaced. */
  readonly counts: Record<string, number>;
}

/** A compiled set of detectors. Compile once per rule; `find` and `redact` are safe to call on every request. */
export interface Detector {
  /** Findings in `text`: non-overlapping, sorted by `start`. */
  find(text: string): Finding[];
  /**
   * `text` with every finding replaced by `[REDACTED:<kind>]`, and the count of each kind. Pass the
   * findings of an earlier `find(text)` on the same text to skip the scan (one pass per call).
   */
  redact(text: string, findings?: readonly Finding[]): Redaction;
  /**
   * The longest match the built-in detectors can produce (custom patterns are unbounded and not
   * counted), except a whole PEM private-key block (up to ~8 kB), whose BEGIN line alone is a finding.
   * The stream scanner keeps at least this much text.
   */
  readonly maxMatchLength: number;
}

/** Options of {@link createStreamScanner}. */
export interface StreamScannerOptions {
  /**
   * Characters of already-scanned text kept to catch a match that spans chunks. Default 1024; never
   * less than `detector.maxMatchLength + hold + 64`. A custom-pattern match longer than the window is
   * reported from where the window starts if that part still matches the pattern, else missed.
   */
  readonly window?: number;
  /**
   * A finding other than a `secret` is reported once at least this many characters follow it (or at
   * `end()`), so that text still to come cannot change it (`4111 1111 1111 1111` followed by ` 2`
   * is a longer figure). Default 2: the most right-hand context a built-in detector reads. A `secret`
   * is reported as soon as it is recognisable, even while it is still arriving.
   */
  readonly hold?: number;
  /**
   * Scan only when at least this many characters arrived since the last scan (`end()` always scans).
   * Default 1 (every delta). A larger value bounds the cost of tiny deltas, but lets up to that many
   * characters of a finding pass before it is reported.
   */
  readonly scanEvery?: number;
}

/** Scans streamed text as it arrives; see {@link createStreamScanner}. */
export interface StreamScanner {
  /**
   * Adds the next piece of streamed text. Returns the findings that became visible with this delta,
   * each reported once, with offsets relative to the whole streamed text so far. A secret still arriving
   * is reported with the end it has so far.
   */
  push(textDelta: string): Finding[];
  /** Ends the stream: returns the findings not yet reported. Call it once, when the stream ends. */
  end(): Finding[];
}
