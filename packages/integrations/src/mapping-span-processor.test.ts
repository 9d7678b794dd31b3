import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { MappingSpanProcessor } from './mapping-span-processor';

function setup(map: ConstructorParameters<typeof MappingSpanProcessor>[1]) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    spanProcessors: [new MappingSpanProcessor(new SimpleSpanProcessor({ exporter }), map) as never],
  });
  return { exporter, tracer: provider.getTracer('test') };
}

const UNIT = { 'genops.spec.version': '0.1.0', 'genops.policy.result': 'ALLOWED', 'genops.team': 'support' };

describe('MappingSpanProcessor', () => {
  it('adds the mapped attributes to GenOps units, keeping the span and its own attributes', () => {
    const { exporter, tracer } = setup((call) => ({ 'tool.team': call.team!, 'genops.team': 'overwritten?' }));
    const span = tracer.startSpan('chat gpt-4o', { attributes: UNIT });
    span.end();
    const [exported] = exporter.getFinishedSpans();
    expect(exported!.attributes).toEqual({ ...UNIT, 'tool.team': 'support' });
    expect(exported!.spanContext().spanId).toBe(span.spanContext().spanId);
    expect(exported!.name).toBe('chat gpt-4o');
  });

  it('passes other spans through unchanged', () => {
    const { exporter, tracer } = setup(() => ({ 'tool.mapped': true }));
    tracer.startSpan('GET /', { attributes: { 'http.method': 'GET' } }).end();
    expect(exporter.getFinishedSpans()[0]!.attributes).toEqual({ 'http.method': 'GET' });
  });

  it('never loses a span when the mapping throws: it is passed on unmapped', () => {
    const { exporter, tracer } = setup(() => {
      throw new Error('boom');
    });
    tracer.startSpan('chat gpt-4o', { attributes: UNIT }).end();
    expect(exporter.getFinishedSpans()[0]!.attributes).toEqual(UNIT);
  });
});
