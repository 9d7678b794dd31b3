// Shared private types of the detectors (never exported from the package).
import type { Finding } from './types';

/** One detector kind, compiled once. */
export interface KindDetector {
  /** Reported as the findings' kind. */
  readonly kind: string;
  /** The longest match this detector can report (`Infinity` for custom patterns). */
  readonly maxLength: number;
  /**
   * Appends the findings in `text` to `out`: non-overlapping among themselves, in any order. Built-in
   * detectors are linear in the text; custom patterns call `deadline` between windows (it throws when
   * the scan's time budget is spent).
   */
  scan(text: string, out: Finding[], deadline?: () => void): void;
}
