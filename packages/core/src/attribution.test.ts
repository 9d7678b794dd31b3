import { describe, expect, it } from 'vitest';
import { getContextAttribution, resolveAttribution, withAttribution } from './attribution';

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

  it('gives each call a frozen attribution', () => {
    withAttribution({ team: 'a' }, () => {
      const attribution = resolveAttribution({});
      expect(Object.isFrozen(attribution)).toBe(true);
      expect(() => {
        (attribution as Record<string, string>).team = 'b';
      }).toThrow(TypeError);
    });
  });
});
