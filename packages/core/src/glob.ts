/**
 * Compiles a glob (`*` any run of characters, `?` one character, `[abc]` / `[a-z]` a class,
 * `{a,b}` alternatives) into an anchored, case-insensitive RegExp. Throws a `SyntaxError` that says
 * what is wrong with a malformed pattern.
 */
export function compileGlob(pattern: string): RegExp {
  if (pattern.length === 0) throw new SyntaxError('a glob cannot be empty');
  let source = '';
  let braceDepth = 0;
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    switch (char) {
      case '*':
        source += '.*';
        break;
      case '?':
        source += '.';
        break;
      case '[': {
        const end = pattern.indexOf(']', index + 2);
        if (end === -1) throw new SyntaxError(`unclosed "[" at position ${index} in "${pattern}"`);
        const body = pattern.slice(index + 1, end).replace(/\\/g, '\\\\');
        source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        index = end;
        break;
      }
      case ']':
        throw new SyntaxError(`unexpected "]" at position ${index} in "${pattern}"`);
      case '{':
        braceDepth++;
        source += '(?:';
        break;
      case '}':
        if (braceDepth === 0) throw new SyntaxError(`unexpected "}" at position ${index} in "${pattern}"`);
        braceDepth--;
        source += ')';
        break;
      case ',':
        source += braceDepth > 0 ? '|' : ',';
        break;
      default:
        source += char.replace(/[.+^$()|\\/]/g, '\\$&');
    }
  }
  if (braceDepth > 0) throw new SyntaxError(`unclosed "{" in "${pattern}"`);
  return new RegExp(`^${source}$`, 'i');
}

/** A set of globs matched as one: true when any matches. */
export class GlobSet {
  private readonly patterns: RegExp[];
  constructor(readonly globs: readonly string[]) {
    this.patterns = globs.map(compileGlob);
  }
  matches(value: string): boolean {
    for (const pattern of this.patterns) if (pattern.test(value)) return true;
    return false;
  }
}
