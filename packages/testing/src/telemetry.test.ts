import { afterEach, describe, expect, it } from 'vitest';
import { createTestTelemetry, type TestTelemetry } from './telemetry';

let telemetry: TestTelemetry | undefined;

afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
});

describe('createTestTelemetry', () => {
  it('captures finished spans in memory, with attributes and events', () => {
    telemetry = createTestTelemetry();
    const tracer = telemetry.tracerProvider.getTracer('test');
    const span = tracer.startSpan('chat gpt-4o', { attributes: { 'genops.team': 'platform' } });
    span.addEvent('genops.policy.evaluated', { 'genops.policy.result': 'ALLOWED' });
    expect(telemetry.spans()).toHaveLength(0);
    span.end();

    const [finished] = telemetry.spans();
    expect(finished?.name).toBe('chat gpt-4o');
    expect(finished?.attributes['genops.team']).toBe('platform');
    expect(finished?.events.map((event) => event.name)).toEqual(['genops.policy.evaluated']);
    expect(finished?.resource.attributes['service.name']).toBe('genops-test');

    telemetry.resetSpans();
    expect(telemetry.spans()).toEqual([]);
  });

  it('collects metrics on demand and finds one by name', async () => {
    telemetry = createTestTelemetry({ serviceName: 'metrics-test' });
    const meter = telemetry.meterProvider.getMeter('test');
    const histogram = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
    histogram.record(20, { 'gen_ai.token.type': 'input' });
    histogram.record(10, { 'gen_ai.token.type': 'output' });
    meter.createCounter('genops.cost').add(0.5);

    const metric = await telemetry.findMetric('gen_ai.client.token.usage');
    expect(metric?.descriptor.unit).toBe('{token}');
    const points = metric?.dataPoints.map((point) => ({
      type: point.attributes['gen_ai.token.type'],
      sum: (point.value as { sum: number }).sum,
    }));
    expect(points).toEqual([
      { type: 'input', sum: 20 },
      { type: 'output', sum: 10 },
    ]);
    expect(await telemetry.findMetric('does.not.exist')).toBeUndefined();

    const resourceMetrics = await telemetry.collectMetrics();
    expect(resourceMetrics.resource.attributes['service.name']).toBe('metrics-test');
    const names = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.map((m) => m.descriptor.name));
    expect(names.sort()).toEqual(['gen_ai.client.token.usage', 'genops.cost']);
  });

  it('registers nothing globally', async () => {
    const { trace, metrics } = await import('@opentelemetry/api');
    telemetry = createTestTelemetry();
    trace.getTracer('global').startSpan('not captured').end();
    metrics.getMeter('global').createCounter('not.captured').add(1);
    expect(telemetry.spans()).toEqual([]);
    expect(await telemetry.findMetric('not.captured')).toBeUndefined();
  });
});
