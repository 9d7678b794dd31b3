import { describe, expect, it } from 'vitest';
import { getContextAttribution, resolveAttribution, withAttribution } from './attribution';
import type { Attribution } from './types';

describe('withAttribution', () => {
  it('nests, merges over defaults, and survives awaits', async () => {
    const defaults = Object.freeze({ team: 'platform', project: 'default', environment: 'test' });
    const seen = await withAttribution({ team: 'support', customer: 'acme' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return withAttribution({ feature: 'summaries' }, () => resolveAttribution(defaults));
    });
    expect(seen).toEqual({
      team: 'support',
      project: 'default',
      environment: 'test',
      customer: 'acme',
      feature: 'summaries',
    });
    expect(getContextAttribution()).toBeUndefined();
  });

  it('uses a frozen attribution of strings as it is when none is in effect, and merges any other', () => {
    const final = Object.freeze({ team: 'a', virtualKey: 'team-a' });
    withAttribution(final, () => {
      expect(getContextAttribution()).toBe(final);
      // Calls in scopes of the same object share one resolved attribution.
      const defaults = Object.freeze({ project: 'p' });
      expect(resolveAttribution(defaults)).toEqual({ project: 'p', team: 'a', virtualKey: 'team-a' });
      // Nested: merged over the outer one, never the given object itself.
      const inner = Object.freeze({ customer: 'acme' });
      withAttribution(inner, () => {
        expect(getContextAttribution()).not.toBe(inner);
        expect(getContextAttribution()).toEqual({ team: 'a', virtualKey: 'team-a', customer: 'acme' });
      });
    });
    withAttribution(final, () => expect(getContextAttribution()).toBe(final));
    // Not frozen, or a value that is not a string: a frozen copy with string values.
    const open = { team: 'b' };
    withAttribution(open, () => {
      expect(getContextAttribution()).not.toBe(open);
      expect(Object.isFrozen(getContextAttribution())).toBe(true);
    });
    const numbered = Object.freeze({ team: 7 as unknown as string });
    withAttribution(numbered, () => expect(getContextAttribution()).toEqual({ team: '7' }));
  });

  it('gives each call a frozen attribution', () => {
    withAttribution({ team: 'a' }, () => {
      const attribution = resolveAttribution({});
      expect(Object.isFrozen(attribution)).toBe(true);
      expect(() => {
        (attribution as Record<string, string>).team = 'b';
      }).toThrow(TypeError);
    });
  });

  it("merges each scope over each governor's defaults, alternating between them", () => {
    const a = Object.freeze({ team: 'platform', project: 'a' });
    const b = Object.freeze({ team: 'platform', project: 'b' });
    const seen = withAttribution({ customer: 'acme' }, () => [
      resolveAttribution(a),
      resolveAttribution(a),
      resolveAttribution(b),
      withAttribution({ customer: 'globex' }, () => resolveAttribution(b)),
      resolveAttribution(a),
    ]);
    expect(seen.map((attribution) => `${attribution.project}/${attribution.customer}`)).toEqual([
      'a/acme',
      'a/acme',
      'b/acme',
      'b/globex',
      'a/acme',
    ]);
    // Calls in one scope with the same defaults share one frozen object.
    expect(seen[1]).toBe(seen[0]);
  });

  it('keeps the merge of each frozen scope over each frozen defaults while scopes interleave', () => {
    const defaults = Object.freeze({ team: 'platform', project: 'p' });
    const keys = ['a', 'b', 'c'].map((team) => Object.freeze({ team, virtualKey: `key-${team}` }));
    const round = () => keys.map((key) => withAttribution(key, () => resolveAttribution(defaults)));
    const first = round();
    expect(first).toEqual([
      { team: 'a', project: 'p', virtualKey: 'key-a' },
      { team: 'b', project: 'p', virtualKey: 'key-b' },
      { team: 'c', project: 'p', virtualKey: 'key-c' },
    ]);
    const second = round();
    for (const [index, resolved] of second.entries()) expect(resolved).toBe(first[index]);
    // Other defaults (another governor's): a merge of their own, and the first ones' still kept.
    const other = Object.freeze({ project: 'q' });
    expect(withAttribution(keys[0]!, () => resolveAttribution(other))).toEqual({
      project: 'q',
      team: 'a',
      virtualKey: 'key-a',
    });
    expect(withAttribution(keys[0]!, () => resolveAttribution(defaults))).toBe(first[0]);
  });

  it('merges defaults that can still change afresh for every call', () => {
    const defaults: Attribution = { project: 'p' };
    const key = Object.freeze({ team: 'a' });
    const first = withAttribution(key, () => resolveAttribution(defaults));
    defaults.project = 'q';
    const second = withAttribution(key, () => resolveAttribution(defaults));
    expect(second).toEqual({ project: 'q', team: 'a' });
    expect(second).not.toBe(first);
    withAttribution(Object.freeze({ team: 'b' }), () => resolveAttribution(defaults));
    defaults.project = 'r';
    expect(withAttribution(key, () => resolveAttribution(defaults))).toEqual({ project: 'r', team: 'a' });
  });
});
