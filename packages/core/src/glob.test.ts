import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, GlobSet, MAX_GLOB_LENGTH } from './glob';

/** A glob as tokens, so the test can build the reference expression independently of the matcher. */
type Token = { glob: string; regex: string };

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const literal = fc.constantFrom('a', 'b', 'A', '-', '.', 'é').map((char) => ({ glob: char, regex: escapeRegex(char) }));
const wildcard = fc.constantFrom<Token>(
  { glob: '*', regex: '[\\s\\S]*' },
  { glob: '?', regex: '[\\s\\S]' },
  { glob: '[ab]', regex: '[ab]' },
  { glob: '[a-c]', regex: '[a-c]' },
  { glob: '[!a]', regex: '[^a]' },
);
const simple = fc.oneof(literal, wildcard);
const sequence = (item: fc.Arbitrary<Token>, max: number) =>
  fc.array(item, { minLength: 1, maxLength: max }).map((tokens) => ({
    glob: tokens.map((token) => token.glob).join(''),
    regex: tokens.map((token) => token.regex).join(''),
  }));
const alternatives = (item: fc.Arbitrary<Token>) =>
  fc.array(sequence(item, 3), { minLength: 1, maxLength: 3 }).map((options) => ({
    glob: `{${options.map((option) => option.glob).join(',')}}`,
    regex: `(?:${options.map((option) => option.regex).join('|')})`,
  }));
const nested = fc.oneof({ weight: 4, arbitrary: simple }, { weight: 1, arbitrary: alternatives(simple) });
const globArbitrary = sequence(
  fc.oneof({ weight: 4, arbitrary: nested }, { weight: 1, arbitrary: alternatives(nested) }),
  6,
);
const valueArbitrary = fc
  .array(fc.constantFrom('a', 'b', 'c', 'A', 'B', '-', '.', '\n', 'é', 'É'), { maxLength: 12 })
  .map((chars) => chars.join(''));

describe('compileGlob', () => {
  it('agrees with a reference regular expression on small inputs', () => {
    fc.assert(
      fc.property(globArbitrary, valueArbitrary, (glob, value) => {
        const reference = new RegExp(`^(?:${glob.regex})$`, 'i');
        expect(compileGlob(glob.glob).test(value)).toBe(reference.test(value));
      }),
      { numRuns: 1500 },
    );
  });

  it('agrees with the reference on many values of one glob (its DFA is built across matches)', () => {
    fc.assert(
      fc.property(globArbitrary, fc.array(valueArbitrary, { minLength: 20, maxLength: 40 }), (glob, values) => {
        const reference = new RegExp(`^(?:${glob.regex})$`, 'i');
        const compiled = compileGlob(glob.glob);
        for (const value of values) expect([value, compiled.test(value)]).toEqual([value, reference.test(value)]);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with the reference past its DFA limit (a glob whose DFA would have 2^10 states)', () => {
    // The 10th character from the end is an `a`: a DFA must remember the last 10 characters.
    const compiled = compileGlob('*a??????????');
    const reference = /^[\s\S]*a[\s\S]{10}$/i;
    const values = fc.sample(
      fc
        .array(fc.constantFrom('a', 'b', 'A'), { minLength: 8, maxLength: 40, size: 'max' })
        .map((chars) => chars.join('')),
      { seed: 3, numRuns: 3000 },
    );
    let matched = 0;
    for (const value of values) {
      const expected = reference.test(value);
      if (expected) matched++;
      expect([value, compiled.test(value)]).toEqual([value, expected]);
    }
    expect(matched).toBeGreaterThan(500);
  });

  it('matches literals, wildcards, classes and nested alternatives case-insensitively', () => {
    expect(compileGlob('gpt-4o*').test('GPT-4o-mini')).toBe(true);
    expect(compileGlob('gpt-4o').test('gpt-4o-mini')).toBe(false);
    expect(compileGlob('claude-{sonnet,haiku-{3,4}}-*').test('claude-haiku-4-latest')).toBe(true);
    expect(compileGlob('claude-{sonnet,haiku-{3,4}}-*').test('claude-haiku-5-latest')).toBe(false);
    expect(compileGlob('v[0-9]?').test('v3a')).toBe(true);
    expect(compileGlob('[!a]*').test('abc')).toBe(false);
    expect(compileGlob('a,b').test('a,b')).toBe(true);
    expect(compileGlob('{a,}b').test('b')).toBe(true);
  });

  it('lets * and ? match line breaks (a deny glob is not bypassed by a newline)', () => {
    expect(compileGlob('gpt-*').test('gpt-4\n')).toBe(true);
    expect(new GlobSet(['a?c']).matches('a\nc')).toBe(true);
  });

  it('says what is wrong with a malformed glob', () => {
    expect(() => compileGlob('')).toThrow(SyntaxError);
    expect(() => compileGlob('gpt-[4o')).toThrow(/unclosed "\["/);
    expect(() => compileGlob('a]')).toThrow(/unexpected "\]"/);
    expect(() => compileGlob('{a,b')).toThrow(/unclosed "\{"/);
    expect(() => compileGlob('a}')).toThrow(/unexpected "\}"/);
    expect(() => compileGlob('[z-a]')).toThrow(/range out of order/);
    expect(() => compileGlob('a'.repeat(MAX_GLOB_LENGTH + 1))).toThrow(/at most 1024/);
  });

  it('caches compiled globs', () => {
    expect(compileGlob('cache-*-me')).toBe(compileGlob('cache-*-me'));
  });

  // Issue 13: `*-*-*-prod` against a 4,000-character attribution value blocked the loop for 52 s (the
  // glob compiled to a backtracking `.*-.*-.*-prod`). The NFA costs value length × pattern length.
  it('matches a 3-star glob against 4,000-character values (no backtracking)', () => {
    const glob = compileGlob('*-*-*-prod');
    expect(glob.test('-'.repeat(4000))).toBe(false);
    expect(glob.test('a-'.repeat(2000))).toBe(false);
    expect(glob.test(`${'a-'.repeat(1999)}-prod`)).toBe(true);
    const many = compileGlob(`${'*a'.repeat(30)}*b`);
    expect(many.test('a'.repeat(4000))).toBe(false);
  });
});
