import { describe, expect, it } from 'vitest';
import { chatRequest } from '../test-support/core-test-setup';
import { MAX_ENTRIES, MetricAttributeCache } from './metric-attributes';

const attribution = { team: 'eng', project: 'bot', environment: 'test' };

describe('MetricAttributeCache', () => {
  it('returns the same attribute objects for the same call tuple, and distinct ones per token type', () => {
    const cache = new MetricAttributeCache();
    const first = cache.call(chatRequest(), 'gpt-4o-2024-08-06', undefined);
    const again = cache.call(chatRequest(), 'gpt-4o-2024-08-06', undefined);
    expect(again).toBe(first);
    expect(first.duration).toBe(first.base);
    expect(first.input).toEqual({ ...first.base, 'gen_ai.token.type': 'input' });
    expect(first.output).toEqual({ ...first.base, 'gen_ai.token.type': 'output' });
    // Building the token sets does not change the shared base set.
    expect(first.base['gen_ai.token.type']).toBeUndefined();
  });

  it('answers each tuple with its own set when calls alternate between tuples', () => {
    const cache = new MetricAttributeCache();
    const mini = { ...chatRequest(), model: 'gpt-4o-mini' };
    const a = cache.call(chatRequest(), undefined, undefined);
    const b = cache.call(mini, undefined, undefined);
    expect(b).not.toBe(a);
    expect(b.base['gen_ai.request.model']).toBe('gpt-4o-mini');
    expect(cache.call(chatRequest(), undefined, undefined)).toBe(a);
    expect(cache.call(chatRequest(), undefined, 'APIConnectionError').duration['error.type']).toBe(
      'APIConnectionError',
    );
    expect(cache.call(chatRequest(), undefined, undefined).duration['error.type']).toBeUndefined();
    const eng = cache.cost(chatRequest(), attribution);
    const ops = cache.cost(chatRequest(), { ...attribution, team: 'ops' });
    expect(ops['genops.team']).toBe('ops');
    expect(cache.cost(chatRequest(), attribution)).toBe(eng);
    const allowed = cache.decision('ALLOWED', undefined, undefined, attribution);
    const blocked = cache.decision('BLOCKED', 'POLICY_DENY_MODEL', 'models', attribution);
    expect(blocked).toMatchObject({ 'genops.policy.result': 'BLOCKED', 'genops.policy.name': 'models' });
    expect(cache.decision('ALLOWED', undefined, undefined, attribution)).toBe(allowed);
    expect(cache.model('openai', 'gpt-4o')).toBe(cache.model('openai', 'gpt-4o'));
    expect(cache.model('openai', 'gpt-4o-mini')['gen_ai.request.model']).toBe('gpt-4o-mini');
  });

  it('adds error.type to the duration set of a failed call only', () => {
    const cache = new MetricAttributeCache();
    const failed = cache.call(chatRequest(), undefined, 'APIConnectionError');
    expect(failed.duration).toMatchObject({ 'error.type': 'APIConnectionError', 'gen_ai.request.model': 'gpt-4o' });
    expect(failed.input['error.type']).toBeUndefined();
    expect(failed.base['error.type']).toBeUndefined();
  });

  it('puts customer ids on cost and decision sets only with metrics.customers', () => {
    const withCustomer = { ...attribution, customer: 'acme' };
    expect(new MetricAttributeCache().cost(chatRequest(), withCustomer)['genops.customer_id']).toBeUndefined();
    expect(new MetricAttributeCache(true).cost(chatRequest(), withCustomer)['genops.customer_id']).toBe('acme');
    expect(
      new MetricAttributeCache(true).decision('ALLOWED', undefined, undefined, withCustomer)['genops.customer_id'],
    ).toBe('acme');
  });

  it('stays bounded under unbounded customer ids, dropping the oldest set and keeping recent ones', () => {
    const cache = new MetricAttributeCache(true);
    const costFor = (customer: string) => cache.cost(chatRequest(), { ...attribution, customer });
    const oldest = costFor('customer-0');
    for (let index = 1; index <= MAX_ENTRIES * 3; index++) costFor(`customer-${index}`);
    const newest = costFor(`customer-${MAX_ENTRIES * 3}`);
    expect(costFor(`customer-${MAX_ENTRIES * 3}`)).toBe(newest);
    // The first customer was evicted long ago: its set is built afresh (equal, not the same object).
    const rebuilt = costFor('customer-0');
    expect(rebuilt).toEqual(oldest);
    expect(rebuilt).not.toBe(oldest);
    // The cache holds at most MAX_ENTRIES sets.
    expect(cache.size).toBe(MAX_ENTRIES);
  });
});
