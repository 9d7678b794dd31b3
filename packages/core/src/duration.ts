const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;

/** `true` when `text` is a positive duration (at least 1 ms) such as `500ms`, `30s`, `5m`, `1h`, `24h`, `7d`, `2w`. */
export function isDuration(text: string): boolean {
  const match = PATTERN.exec(text.trim());
  return match !== null && Math.round(Number(match[1]) * UNITS[match[2]!]!) > 0;
}

/** Parses a duration such as `30s`, `5m`, `1h`, `7d` into milliseconds; throws a `SyntaxError` otherwise. */
export function parseDuration(text: string): number {
  const match = PATTERN.exec(text.trim());
  if (!match)
    throw new SyntaxError(
      `"${text}" is not a duration; use a number and a unit: ms, s, m, h, d or w (e.g. "30s", "24h", "7d")`,
    );
  const ms = Math.round(Number(match[1]) * UNITS[match[2]!]!);
  if (ms <= 0) throw new SyntaxError(`"${text}" is not a positive duration`);
  return ms;
}
