import { describe, expect, it } from 'vitest';
import { fromReadableSpans, type ReadableSpanLike } from './from-readable-span';

describe('fromReadableSpans', () => {
  it('converts ids, hrtime tuples, events and status', () => {
    const span: ReadableSpanLike = {
      name: 'chat gpt-4o',
      kind: 2,
      spanContext: () => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }),
      attributes: { 'genops.team': 'platform', 'gen_ai.usage.input_tokens': 20 },
      events: [
        {
          name: 'genops.policy.evaluated',
          time: [1763899200, 1_500_000],
          attributes: { 'genops.policy.result': 'ALLOWED' },
        },
        { name: 'no-attributes', time: [1763899201, 0] },
      ],
      startTime: [1763899200, 0],
      endTime: [1763899200, 912_345_678],
      status: { code: 1 },
    };
    expect(fromReadableSpans([span])).toEqual([
      {
        name: 'chat gpt-4o',
        kind: 2,
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        attributes: { 'genops.team': 'platform', 'gen_ai.usage.input_tokens': 20 },
        events: [
          { name: 'genops.policy.evaluated', time: 1763899200001.5, attributes: { 'genops.policy.result': 'ALLOWED' } },
          { name: 'no-attributes', time: 1763899201000, attributes: {} },
        ],
        startTime: 1763899200000,
        endTime: 1763899200912.3457,
        status: { code: 1 },
      },
    ]);
  });

  it('copies attributes instead of sharing them', () => {
    const attributes = { 'genops.team': 'platform' };
    const [converted] = fromReadableSpans([
      { name: 's', spanContext: () => ({ traceId: '1', spanId: '2' }), attributes, events: [] },
    ]);
    converted!.attributes['genops.team'] = 'changed';
    expect(attributes['genops.team']).toBe('platform');
  });
});
