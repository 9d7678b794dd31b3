import {
  type Attributes,
  type Exception,
  type Link,
  type Span,
  type SpanContext,
  type SpanStatus,
  type TimeInput,
  TraceFlags,
  type Tracer,
} from '@opentelemetry/api';
import {
  type HistogramMetricData,
  MeterProvider,
  type MetricData,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { withAttribution } from '../attribution';
import { RateLimitedError } from '../errors/rate-limited-error';
import { drainPending } from '../pipeline/deferred';
import { MemoryStore } from '../store/memory-store';
import type { ApprovalRecord, ApprovalStatus, LineState } from '../store/types';
import { chatRequest, useCoreTestSetup } from '../test-support/core-test-setup';

// The control-plane metrics of docs/metrics.md, read the way an exporter reads them: a real
// MeterProvider collected on demand, GenOps driven through GenOps.init() and the governor.

class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function meter(): {
  meterProvider: MeterProvider;
  collect(): Promise<ResourceMetrics>;
  find(name: string): Promise<MetricData | undefined>;
} {
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const collect = async () => {
    // Metrics GenOps records right after each call returned: record them now, as @genops/testing's reader does.
    drainPending();
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'collection errors');
    return resourceMetrics;
  };
  return {
    meterProvider,
    collect,
    async find(name) {
      const metrics = await collect();
      for (const scope of metrics.scopeMetrics) {
        const found = scope.metrics.find((metric) => metric.descriptor.name === name);
        if (found) return found;
      }
      return undefined;
    },
  };
}

function points(metric: MetricData | undefined): Array<{ attributes: Record<string, unknown>; value: unknown }> {
  return (metric?.dataPoints ?? []).map((point) => ({ attributes: { ...point.attributes }, value: point.value }));
}

/** A real MemoryStore whose reads can be switched off, as an unreachable server would fail them. */
class FlakyStore extends MemoryStore {
  down = false;
  constructor() {
    super();
    // Not the in-process store as far as GenOps can tell, so it is measured like SQLite or Redis.
    Object.defineProperty(this, 'kind', { value: 'flaky' });
  }
  override lines(prefix?: string): Promise<LineState[]> {
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6390')) : super.lines(prefix);
  }
  override listApprovals(filter?: { status?: ApprovalStatus }): Promise<ApprovalRecord[]> {
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6390')) : super.listApprovals(filter);
  }
}

const setup = useCoreTestSetup();

describe('decision metrics', () => {
  it('count decisions by result, reason code, rule, team and project; a rate-limit refusal also counts as a rejection', async () => {
    const metrics = meter();
    const genops = setup.init({
      meterProvider: metrics.meterProvider,
      policy: { version: 1, rules: [{ name: 'rpm', type: 'rate_limit', limit: 1, window: 'minute' }] },
    });
    const call = await genops.governor.begin(chatRequest());
    await call.end({ usage: { inputTokens: 10, outputTokens: 5 } });
    await expect(genops.governor.begin(chatRequest())).rejects.toBeInstanceOf(RateLimitedError);

    expect(points(await metrics.find('genops.policy.decisions'))).toEqual(
      expect.arrayContaining([
        {
          attributes: { 'genops.policy.result': 'ALLOWED', 'genops.team': 'eng', 'genops.project': 'tests' },
          value: 1,
        },
        {
          attributes: {
            'genops.policy.result': 'RATE_LIMITED',
            'genops.policy.reason_code': 'RATE_LIMITED',
            'genops.policy.name': 'rpm',
            'genops.team': 'eng',
            'genops.project': 'tests',
          },
          value: 1,
        },
      ]),
    );
    expect(points(await metrics.find('genops.rate_limit.rejections'))).toEqual([
      { attributes: { 'genops.policy.name': 'rpm', 'genops.team': 'eng', 'genops.project': 'tests' }, value: 1 },
    ]);
  });

  it('put customer ids on cost and decisions only with metrics.customers', async () => {
    for (const customers of [false, true]) {
      const metrics = meter();
      const genops = setup.init({ meterProvider: metrics.meterProvider, metrics: { customers } });
      await withAttribution({ customer: 'acme' }, async () => {
        const call = await genops.governor.begin(chatRequest());
        await call.end({ usage: { inputTokens: 10, outputTokens: 5 } });
      });
      for (const name of ['genops.cost', 'genops.policy.decisions']) {
        const [point] = points(await metrics.find(name));
        expect(point?.attributes['genops.customer_id']).toBe(customers ? 'acme' : undefined);
      }
      await genops.shutdown();
    }
    setup.forget();
  });
});

describe('reservation accuracy, alerts and approvals', () => {
  it('record actual / reserved per settled call, budget alerts, and approvals requested and decided', async () => {
    const metrics = meter();
    const genops = setup.init({
      meterProvider: metrics.meterProvider,
      budgets: [{ name: 'tiny', limit: 0.005, window: 'day', warnAt: [0.5] }],
      requireApprovalOver: 0.001,
      approver: () => true,
    });
    // Worst case 3500 µ$ (1000 in + 100 out of gpt-4o); actual 1000 in + 50 out = 3000 µ$.
    const call = await genops.governor.begin(chatRequest());
    await call.end({ usage: { inputTokens: 1000, outputTokens: 50 } });

    const accuracy = await metrics.find('genops.reservation.accuracy');
    const [point] = accuracy?.dataPoints ?? [];
    expect(point?.attributes).toEqual({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' });
    const histogram = point!.value as { sum: number; count: number };
    expect(histogram.count).toBe(1);
    expect(histogram.sum).toBeCloseTo(3000 / 3500, 6);
    expect(points(await metrics.find('genops.budget.alerts'))).toEqual([
      { attributes: { 'genops.budget.name': 'tiny', 'genops.budget.threshold': 0.5 }, value: 1 },
    ]);
    expect(points(await metrics.find('genops.approvals.requested'))).toEqual([
      {
        attributes: { 'genops.policy.name': 'requireApprovalOver', 'genops.team': 'eng', 'genops.project': 'tests' },
        value: 1,
      },
    ]);
    expect(points(await metrics.find('genops.approvals.decided'))[0]?.attributes['genops.approval.status']).toBe(
      'approved',
    );
  });
});

/**
 * What a sampler's drop gives GenOps (`isRecording()` false), counting what it is handed: a real
 * SDK's non-recording span ignores attributes and events, so only counting shows they were not built.
 */
class UnrecordedSpan implements Span {
  given = 0;
  private readonly context: SpanContext = {
    traceId: crypto.randomUUID().replaceAll('-', ''),
    spanId: crypto.randomUUID().replaceAll('-', '').slice(0, 16),
    traceFlags: TraceFlags.NONE,
  };
  spanContext(): SpanContext {
    return this.context;
  }
  setAttribute(_key: string, _value: unknown): this {
    this.given++;
    return this;
  }
  setAttributes(_attributes: Attributes): this {
    this.given++;
    return this;
  }
  addEvent(_name: string, _attributes?: Attributes | TimeInput, _time?: TimeInput): this {
    this.given++;
    return this;
  }
  addLink(_link: Link): this {
    return this;
  }
  addLinks(_links: Link[]): this {
    return this;
  }
  setStatus(_status: SpanStatus): this {
    return this;
  }
  updateName(_name: string): this {
    return this;
  }
  end(_endTime?: TimeInput): void {}
  isRecording(): boolean {
    return false;
  }
  recordException(_exception: Exception, _time?: TimeInput): void {}
}

/** Every metric's points: sums and gauges by value, histograms by count and sum (durations by count only). */
async function allPoints(collect: () => Promise<ResourceMetrics>): Promise<Record<string, unknown>> {
  const found: Record<string, unknown> = {};
  for (const scope of (await collect()).scopeMetrics)
    for (const metric of scope.metrics)
      found[metric.descriptor.name] = (metric as MetricData).dataPoints.map((point) => {
        const value = point.value;
        if (typeof value === 'number') return { attributes: point.attributes, value };
        const { count, sum } = value as HistogramMetricData['dataPoints'][number]['value'];
        return { attributes: point.attributes, count, sum: metric.descriptor.unit === 's' ? undefined : sum };
      });
  return found;
}

describe('a call whose span does not record (a sampler dropped it)', () => {
  it('builds no span attributes or events, and records the same metrics and decisions as a recorded call', async () => {
    const run = async (tracer: Tracer | undefined) => {
      const metrics = meter();
      const decisions: unknown[] = [];
      const genops = setup.init({
        meterProvider: metrics.meterProvider,
        ...(tracer ? { tracerProvider: { getTracer: () => tracer } } : {}),
        budgets: [{ name: 'tiny', limit: 0.005, window: 'day', warnAt: [0.5] }],
        requireApprovalOver: 0.001,
        approver: () => true,
        policies: { denyModels: ['gpt-3.5*'] },
        onDecision: ({ id: _id, traceId: _traceId, spanId: _spanId, ...decision }) => decisions.push(decision),
      });
      const call = await genops.governor.begin(chatRequest());
      await call.end({ usage: { inputTokens: 1000, outputTokens: 50 } });
      await expect(genops.governor.begin(chatRequest({ model: 'gpt-3.5-turbo' }))).rejects.toThrow();
      const found = await allPoints(metrics.collect);
      await genops.shutdown();
      return { found, decisions };
    };
    const spans: UnrecordedSpan[] = [];
    const unrecorded = await run({
      startSpan: () => {
        const span = new UnrecordedSpan();
        spans.push(span);
        return span;
      },
      startActiveSpan: () => {
        throw new Error('GenOps starts its spans with startSpan');
      },
    });
    const recorded = await run(undefined);
    setup.forget();

    expect(spans.map((span) => span.given)).toEqual([0, 0]);
    expect(unrecorded.decisions).toEqual(recorded.decisions);
    expect(unrecorded.decisions).toHaveLength(3); // admitted, settled, blocked
    expect(unrecorded.found).toEqual(recorded.found);
    expect(Object.keys(recorded.found)).toEqual(
      expect.arrayContaining([
        'gen_ai.client.operation.duration',
        'gen_ai.client.token.usage',
        'genops.cost',
        'genops.policy.decisions',
        'genops.reservation.accuracy',
        'genops.budget.alerts',
        'genops.approvals.requested',
        'genops.approvals.decided',
      ]),
    );
  });
});

describe('budget gauges (read from the store at each collection)', () => {
  it('report limit, used, reserved, remaining and utilisation per budget instance, as GenOps.status() does', async () => {
    const metrics = meter();
    const genops = setup.init({
      meterProvider: metrics.meterProvider,
      budgets: [{ name: 'team-daily', limit: 1, window: 'day', per: 'team' }],
    });
    const settled = await genops.governor.begin(chatRequest());
    await settled.end({ usage: { inputTokens: 1000, outputTokens: 100 } }); // 3500 µ$
    const open = await genops.governor.begin(chatRequest()); // holds 3500 µ$

    const [row] = (await genops.status()).budgets;
    const attributes = {
      'genops.budget.name': 'team-daily',
      'genops.budget.period': row!.period,
      'genops.budget.unit': 'USD',
      'genops.team': 'eng',
    };
    expect(points(await metrics.find('genops.budget.limit'))).toEqual([{ attributes, value: 1 }]);
    expect(points(await metrics.find('genops.budget.used'))).toEqual([{ attributes, value: 0.0035 }]);
    expect(points(await metrics.find('genops.budget.reserved'))).toEqual([{ attributes, value: 0.0035 }]);
    expect(points(await metrics.find('genops.budget.remaining'))).toEqual([{ attributes, value: 0.993 }]);
    expect(points(await metrics.find('genops.budget.utilization'))).toEqual([{ attributes, value: 0.0035 }]);
    expect(points(await metrics.find('genops.reservations.open'))).toEqual([{ attributes: {}, value: 1 }]);
    expect(points(await metrics.find('genops.approvals.pending'))).toEqual([{ attributes: {}, value: 0 }]);
    await open.end({ usage: { inputTokens: 1, outputTokens: 1 } });
  });

  it('fold per-customer instances into the most used one unless metrics.customers is on', async () => {
    for (const customers of [false, true]) {
      const metrics = meter();
      const genops = setup.init({
        meterProvider: metrics.meterProvider,
        metrics: { customers },
        budgets: [{ name: 'per-customer', limit: 1, window: 'day', per: 'customer' }],
      });
      for (const [customer, output] of [
        ['acme', 100],
        ['globex', 1000],
      ] as const)
        await withAttribution({ customer }, async () => {
          const call = await genops.governor.begin(chatRequest({ maxOutputTokens: output }));
          await call.end({ usage: { inputTokens: 1000, outputTokens: output } });
        });
      const used = points(await metrics.find('genops.budget.used'));
      if (customers)
        expect(used.map((point) => [point.attributes['genops.customer_id'], point.value])).toEqual([
          ['acme', 0.0035],
          ['globex', 0.0125],
        ]);
      else {
        expect(used).toHaveLength(1);
        expect(used[0]!.attributes['genops.customer_id']).toBeUndefined();
        expect(used[0]!.value).toBe(0.0125); // globex: the most used instance
      }
      await genops.shutdown();
    }
    setup.forget();
  });

  it('count a store failure and read nothing when the store cannot be read, without failing the collection', async () => {
    const metrics = meter();
    const store = new FlakyStore();
    const genops = setup.init({
      meterProvider: metrics.meterProvider,
      store,
      budgets: [{ name: 'daily', limit: 1, window: 'day' }],
    });
    expect(points(await metrics.find('genops.budget.limit'))).toHaveLength(1);
    store.down = true;
    // The collection itself succeeds (no exception, no collection error); nothing new is read.
    await expect(metrics.collect()).resolves.toBeDefined();
    await metrics.collect();
    // Three collections while down (two above, one by find): three failed reads, each counted once.
    const failures = points(await metrics.find('genops.store.failures'));
    expect(failures).toEqual(
      expect.arrayContaining([
        { attributes: { 'genops.store.kind': 'flaky', 'genops.store.operation': 'collect' }, value: 3 },
        { attributes: { 'genops.store.kind': 'flaky', 'genops.store.operation': 'lines' }, value: 3 },
      ]),
    );
    store.down = false;
    expect(points(await metrics.find('genops.budget.limit'))).toHaveLength(1);
    await genops.shutdown();
    setup.forget();
    // shutdown() removes the callback: a later collection no longer reads the store.
    store.down = true;
    await metrics.collect();
    expect(points(await metrics.find('genops.store.failures'))).toEqual(failures);
  });

  it('measure store operations of a store other than the in-process one', async () => {
    const metrics = meter();
    const genops = setup.init({ meterProvider: metrics.meterProvider, store: new FlakyStore(), dailyBudgetLimit: 10 });
    const call = await genops.governor.begin(chatRequest());
    await call.end({ usage: { inputTokens: 10, outputTokens: 5 } });
    const operations = (await metrics.find('genops.store.operation.duration'))?.dataPoints.map(
      (point) => point.attributes['genops.store.operation'],
    );
    expect(operations).toEqual(expect.arrayContaining(['reserve', 'settle']));
  });
});

describe('egress', () => {
  it('counts requests egress governance governed, refused or reported (governor.egress)', async () => {
    const metrics = meter();
    const genops = setup.init({ meterProvider: metrics.meterProvider });
    genops.governor.egress('refused', 'openai', 'api.openai.com');
    genops.governor.egress('refused', 'openai', 'api.openai.com');
    genops.governor.egress('governed', 'anthropic');
    expect(points(await metrics.find('genops.egress.requests'))).toEqual([
      {
        attributes: {
          'genops.egress.action': 'refused',
          'gen_ai.provider.name': 'openai',
          'server.address': 'api.openai.com',
        },
        value: 2,
      },
      { attributes: { 'genops.egress.action': 'governed', 'gen_ai.provider.name': 'anthropic' }, value: 1 },
    ]);
  });
});
