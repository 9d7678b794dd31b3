import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { SummedCounter } from './summed-counter';

class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function collect(reader: OnDemandReader) {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics[0]?.metrics[0];
  return {
    descriptor: metric?.descriptor,
    points: (metric?.dataPoints ?? []).map((point) => [{ ...point.attributes }, point.value]),
    monotonic: metric && 'isMonotonic' in metric ? metric.isMonotonic : undefined,
  };
}

describe('SummedCounter', () => {
  it('reports the cumulative sum per attribute set at each collection, as a monotonic counter', async () => {
    const reader = new OnDemandReader();
    const counter = new SummedCounter(new MeterProvider({ readers: [reader] }).getMeter('t'), 'genops.cost', {
      unit: 'USD',
      description: 'Cost.',
    });
    const a = { team: 'a' };
    const b = { team: 'b' };
    counter.add(0.25, a);
    counter.add(0.5, a);
    counter.add(1, b);
    const first = await collect(reader);
    expect(first.descriptor).toMatchObject({ name: 'genops.cost', unit: 'USD', description: 'Cost.' });
    expect(first.monotonic).toBe(true);
    expect(first.points).toEqual([
      [{ team: 'a' }, 0.75],
      [{ team: 'b' }, 1],
    ]);
    counter.add(0.25, a);
    expect((await collect(reader)).points).toEqual([
      [{ team: 'a' }, 1],
      [{ team: 'b' }, 1],
    ]);
  });

  it('merges two attribute objects with the same content (a cache rebuilt the set) into one sum', async () => {
    const reader = new OnDemandReader();
    const counter = new SummedCounter(new MeterProvider({ readers: [reader] }).getMeter('t'), 'n', {});
    counter.add(1, { team: 'a', project: 'p' });
    counter.add(2, { project: 'p', team: 'a' });
    expect((await collect(reader)).points).toEqual([[{ team: 'a', project: 'p' }, 3]]);
    counter.add(4, { team: 'a', project: 'p' });
    expect((await collect(reader)).points).toEqual([[{ team: 'a', project: 'p' }, 7]]);
  });

  it('ignores negative, NaN and infinite values, as the SDK counter drops them', async () => {
    const reader = new OnDemandReader();
    const counter = new SummedCounter(new MeterProvider({ readers: [reader] }).getMeter('t'), 'n', {});
    const set = { team: 'a' };
    counter.add(1, set);
    counter.add(-1, set);
    counter.add(Number.NaN, set);
    counter.add(Number.POSITIVE_INFINITY, set);
    expect((await collect(reader)).points).toEqual([[{ team: 'a' }, 1]]);
  });
});
