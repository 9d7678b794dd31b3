const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** A number (at most 15 digits before and 6 after the point) and a unit; read without backtracking. */
const PATTERN = /^(\d{1,15}(?:\.\d{1,6})?)\s{0,8}(ms|s|m|h|d|w)$/;

/** The longest duration accepted: 3,660 days (10 years). Longer windows and timeouts are configuration mistakes. */
export const MAX_DURATION_MS = 3_660 * 86_400_000;

/**
 * What is wrong with `text` as a duration, or `undefined` when it is one: a number and a unit (`500ms`,
 * `30s`, `5m`, `1h`, `24h`, `7d`, `2w`), at least 1 ms and at most {@link MAX_DURATION_MS} (10 years).
 */
export function durationProblem(text: string): string | undefined {
  const trimmed = text.length > 64 ? undefined : text.trim();
  const match = trimmed === undefined ? null : PATTERN.exec(trimmed);
  if (!match)
    return `"${text.length > 64 ? `${text.slice(0, 61)}...` : text}" is not a duration; use a number and a unit: ms, s, m, h, d or w (e.g. "30s", "24h", "7d")`;
  const ms = Math.round(Number(match[1]) * UNITS[match[2]!]!);
  if (ms <= 0) return `"${text}" is not a positive duration`;
  if (ms > MAX_DURATION_MS) return `"${text}" is longer than the longest duration accepted, 3660d (10 years)`;
  return undefined;
}

/** `true` when `text` is a duration from 1 ms to 10 years such as `500ms`, `30s`, `5m`, `1h`, `24h`, `7d`, `2w`. */
export function isDuration(text: string): boolean {
  return durationProblem(text) === undefined;
}

/**
 * Parses a duration such as `30s`, `5m`, `1h`, `7d` into milliseconds (1 ms to 10 years); throws a
 * `SyntaxError` that says what is wrong otherwise.
 */
export function parseDuration(text: string): number {
  const problem = durationProblem(text);
  if (problem) throw new SyntaxError(problem);
  const match = PATTERN.exec(text.trim())!;
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}
