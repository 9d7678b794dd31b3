// A monotonic sum GenOps keeps itself and reports through an OpenTelemetry observable counter at each
// collection. A synchronous `Counter.add()` makes the SDK hash the attribute set on every call (sorted
// keys, a JSON string); the governed call's hot path instead adds to a running total held per attribute
// set object (the sets come from the cache in pipeline/metric-attributes.ts, so the same object comes
// back call after call). A reader sees the same metric: name, unit, description, monotonic sums per
// attribute set, cumulative (or converted to delta by the SDK), now as an observable counter.
import type { Attributes, Meter, MetricOptions, ObservableResult } from '@opentelemetry/api';

/** What the call recorder uses of a counter. */
export interface AddOnlyCounter {
  add(value: number, attributes: Attributes): void;
}

/** A running total (a mutable holder, so adding to it allocates nothing). */
interface Total {
  value: number;
}

export class SummedCounter implements AddOnlyCounter {
  private totals = new Map<Attributes, Total>();

  constructor(meter: Meter, name: string, options: MetricOptions) {
    const counter = meter.createObservableCounter(name, options);
    counter.addCallback((result) => this.observe(result));
  }

  /** Adds `value` (non-negative, finite; anything else is ignored, as the SDK's counter ignores it). */
  add(value: number, attributes: Attributes): void {
    if (!(value >= 0) || value === Number.POSITIVE_INFINITY) return;
    const total = this.totals.get(attributes);
    if (total) total.value += value;
    else this.totals.set(attributes, { value });
  }

  /**
   * Reports every total. Two attribute-set objects with the same content (the cache dropped a set and
   * built it again) are merged first: an observable reports one value per set, and the sum is theirs.
   */
  private observe(result: ObservableResult): void {
    const merged = new Map<string, { attributes: Attributes; total: Total }>();
    for (const [attributes, total] of this.totals) {
      const key = keyOf(attributes);
      const found = merged.get(key);
      if (found) found.total.value += total.value;
      else merged.set(key, { attributes, total: { value: total.value } });
    }
    if (merged.size < this.totals.size) {
      // Keep one object per set from now on (bounded by the distinct sets, as the SDK's own storage is).
      this.totals = new Map([...merged.values()].map(({ attributes, total }) => [attributes, total]));
    }
    for (const { attributes, total } of merged.values()) result.observe(total.value, attributes);
  }
}

function keyOf(attributes: Attributes): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((key) => [key, attributes[key]]),
  );
}
