// Custom detectors: a content rule's `patterns`, each a named regular expression.
import type { KindDetector } from './internal-types';
import type { CustomPattern, Finding } from './types';

/**
 * A detector for one custom pattern, compiled once with the `g` flag added (`y` is dropped). Throws a
 * `SyntaxError` naming the pattern when the expression does not compile. Empty matches are skipped.
 */
export function customDetector(pattern: CustomPattern): KindDetector {
  const flags = [...new Set((pattern.flags ?? '').replace(/[gy]/g, ''))].join('');
  let regex: RegExp;
  try {
    regex = new RegExp(pattern.regex, `${flags}g`);
  } catch (error) {
    throw new SyntaxError(`content pattern "${pattern.name}": ${(error as Error).message}`, { cause: error });
  }
  const kind = pattern.name;
  const unicode = /[uv]/.test(regex.flags);
  return {
    kind,
    maxLength: Number.POSITIVE_INFINITY,
    scan(text: string, out: Finding[]): void {
      regex.lastIndex = 0;
      for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
        if (match[0].length === 0) {
          // Step past an empty match (by code point with `u`/`v`, so a surrogate pair is not split).
          const code = text.codePointAt(regex.lastIndex) ?? 0;
          regex.lastIndex += unicode && code > 0xffff ? 2 : 1;
          continue;
        }
        out.push({ kind, start: match.index, end: match.index + match[0].length });
      }
    },
  };
}
