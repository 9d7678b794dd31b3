// Custom detectors: a content rule's `patterns`, each a named regular expression. JavaScript's engine
// backtracks, so a pattern is checked when it is compiled (what can backtrack exponentially is refused)
// and run over the text in bounded windows (what is left can cost at most O(window) per character).
import type { KindDetector } from './internal-types';
import type { CustomPattern, Finding } from './types';

/** The longest match a custom pattern reports; longer matches are not reported (see {@link customDetector}). */
export const MAX_CUSTOM_MATCH = 1024;
/** Characters before a window the expression sees (for `\b`, lookbehind and `^` with the `m` flag). */
const CONTEXT = 64;
/** A counted repetition `{n,m}` with `m` above this counts as unbounded. */
const SMALL_COUNT = 16;

/**
 * Why `source` can backtrack catastrophically, or `undefined` when it cannot: a backreference (`\1`,
 * `\k<name>`), a repeated group that contains a repetition or an alternation (`(a+)+`, `(a|ab)*`: star
 * height above 1), or a lookaround that contains an unbounded repetition (`(?=.*x)`).
 */
export function unsafePatternReason(source: string): string | undefined {
  interface Frame {
    /** Contains a repetition (a quantifier allowing more than one). */
    repeats: boolean;
    /** Contains an unbounded quantifier (`*`, `+`, `{n,}`, `{n,m}` with m > 16). */
    unbounded: boolean;
    alternation: boolean;
    lookaround: boolean;
  }
  const stack: Frame[] = [{ repeats: false, unbounded: false, alternation: false, lookaround: false }];
  /** The group just closed (a quantifier right after it applies to it). */
  let closed: Frame | undefined;
  for (let index = 0; index < source.length; index++) {
    const char = source[index]!;
    const frame = stack[stack.length - 1]!;
    const quantifier = readQuantifier(source, index);
    if (quantifier) {
      const { max, length } = quantifier;
      if (closed && max > SMALL_COUNT && (closed.repeats || closed.alternation))
        return `a repeated group contains ${closed.repeats ? 'a repetition' : 'alternatives'} (nested quantifiers backtrack exponentially); rewrite it without the nesting, e.g. "(ab)+" or a character class`;
      if (max > 1) frame.repeats = true;
      if (max > SMALL_COUNT) frame.unbounded = true;
      index += length - 1;
      // A lazy or possessive-looking suffix is part of the quantifier.
      if (source[index + 1] === '?') index++;
      closed = undefined;
      continue;
    }
    closed = undefined;
    switch (char) {
      case '\\': {
        const next = source[index + 1];
        if (next !== undefined && /[1-9]/.test(next))
          return 'a backreference (\\1) can backtrack exponentially; match the text without referring back';
        if (next === 'k' && source[index + 2] === '<')
          return 'a named backreference (\\k<name>) can backtrack exponentially; match the text without referring back';
        index++;
        break;
      }
      case '[': {
        // Skip the class (escapes included).
        index++;
        if (source[index] === '^') index++;
        if (source[index] === ']') index++;
        while (index < source.length && source[index] !== ']') {
          if (source[index] === '\\') index++;
          index++;
        }
        break;
      }
      case '(': {
        const lookaround = /^\(\?(?:=|!|<=|<!)/.test(source.slice(index, index + 4));
        stack.push({ repeats: false, unbounded: false, alternation: false, lookaround });
        break;
      }
      case ')': {
        if (stack.length === 1) break;
        const group = stack.pop()!;
        if (group.lookaround && group.unbounded)
          return 'a lookaround contains an unbounded repetition (e.g. "(?=.*x)"), which rescans the text from every position; bound it, e.g. "(?=.{0,40}x)"';
        const parent = stack[stack.length - 1]!;
        parent.repeats ||= group.repeats;
        parent.unbounded ||= group.unbounded;
        parent.alternation ||= group.alternation;
        closed = group;
        break;
      }
      case '|':
        frame.alternation = true;
        break;
      default:
        // A single character (or escape) before a quantifier is not a group.
        break;
    }
  }
  return undefined;
}

/** A quantifier at `index`: its largest count and length, or `undefined`. */
function readQuantifier(source: string, index: number): { max: number; length: number } | undefined {
  const char = source[index];
  if (char === '*' || char === '+') return { max: Number.POSITIVE_INFINITY, length: 1 };
  if (char === '?') return { max: 1, length: 1 };
  if (char !== '{') return undefined;
  const match = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(index, index + 24));
  if (!match) return undefined;
  const max = match[2] === undefined ? Number(match[1]) : match[3] ? Number(match[3]) : Number.POSITIVE_INFINITY;
  return { max, length: match[0].length };
}

/**
 * A detector for one custom pattern, compiled once with the `g` flag added (`y` is dropped). Throws a
 * `SyntaxError` naming the pattern when the expression does not compile or can backtrack
 * catastrophically ({@link unsafePatternReason}). Empty matches are skipped.
 *
 * The expression runs over windows of 2,049 characters (plus 64 characters of context before each, for
 * `\b`, lookbehind and `^` in `m` mode), stepping at least 1,024 at a time; a match is taken from the
 * window where it starts. So a match is at most {@link MAX_CUSTOM_MATCH} characters (a longer one is not
 * reported; where the expression could stop earlier, a shorter one may be), one window costs at most
 * what the expression costs on ~2,100 characters, and the caller's deadline is checked between windows.
 */
export function customDetector(pattern: CustomPattern): KindDetector {
  const flags = [...new Set((pattern.flags ?? '').replace(/[gy]/g, ''))].join('');
  let regex: RegExp;
  try {
    regex = new RegExp(pattern.regex, `${flags}g`);
  } catch (error) {
    throw new SyntaxError(`content pattern "${pattern.name}": ${(error as Error).message}`, { cause: error });
  }
  const unsafe = unsafePatternReason(pattern.regex);
  if (unsafe) throw new SyntaxError(`content pattern "${pattern.name}": ${unsafe}`);
  const kind = pattern.name;
  const unicode = /[uv]/.test(regex.flags);
  return {
    kind,
    maxLength: Number.POSITIVE_INFINITY,
    scan(text: string, out: Finding[], deadline?: () => void): void {
      let position = 0;
      while (position < text.length) {
        deadline?.();
        const sliceStart = Math.max(0, position - CONTEXT);
        // A match that starts before `acceptBefore` and reaches `windowEnd` is longer than MAX_CUSTOM_MATCH.
        const acceptBefore = position + MAX_CUSTOM_MATCH;
        const windowEnd = Math.min(text.length, position + 2 * MAX_CUSTOM_MATCH + 1);
        const slice = text.slice(sliceStart, windowEnd);
        let next = acceptBefore;
        regex.lastIndex = position - sliceStart;
        for (let match = regex.exec(slice); match !== null; match = regex.exec(slice)) {
          const start = sliceStart + match.index;
          if (start >= acceptBefore) break;
          if (match[0].length === 0) {
            // Step past an empty match (by code point with `u`/`v`, so a surrogate pair is not split).
            const code = slice.codePointAt(regex.lastIndex) ?? 0;
            regex.lastIndex += unicode && code > 0xffff ? 2 : 1;
            continue;
          }
          const end = start + match[0].length;
          if (end - start <= MAX_CUSTOM_MATCH) out.push({ kind, start, end });
          if (end > next) next = end;
        }
        position = next;
      }
    },
  };
}
