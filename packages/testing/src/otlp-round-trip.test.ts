import { checkCompliance, fromOtlpJson, fromReadableSpans } from '@genops/conformance';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestTelemetry, type TestTelemetry } from './telemetry';

// The conformance checker must read exactly what OpenTelemetry JS's OTLP/HTTP JSON exporter sends.
let telemetry: TestTelemetry;

afterEach(async () => {
  await telemetry.shutdown();
});

function emitSpans(): void {
  const tracer = telemetry.tracerProvider.getTracer('round-trip');
  const span = tracer.startSpan('chat gpt-4o', {
    attributes: {
      'genops.team': 'platform',
      'genops.project': 'support-bot',
      'genops.environment': 'test',
      'genops.operation.name': 'chat gpt-4o',
      'genops.operation.type': 'inference',
      'genops.policy.result': 'ALLOWED',
      'genops.spec.version': '0.1.0',
      'genops.accounting.reserved': 0.01,
      'genops.accounting.actual': 0.002,
      'genops.accounting.unit': 'USD',
      'gen_ai.usage.input_tokens': 20,
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['stop'],
    },
  });
  span.addEvent('genops.policy.evaluated', { 'genops.policy.result': 'ALLOWED' });
  span.addEvent('genops.budget.reservation', { 'genops.accounting.reserved': 0.01, 'genops.accounting.unit': 'USD' });
  span.addEvent('gen_ai.first_chunk');
  span.addEvent('genops.budget.reconciliation', {
    'genops.accounting.actual': 0.002,
    'genops.accounting.reserved': 0.01,
    'genops.accounting.unit': 'USD',
  });
  span.end();
  tracer.startSpan('POST').end();
}

describe('OTLP/JSON from the OpenTelemetry JS exporter', () => {
  it('reads the same spans as fromReadableSpans, and they stay compliant', () => {
    telemetry = createTestTelemetry();
    emitSpans();
    const payload = JsonTraceSerializer.serializeRequest(telemetry.spans());
    if (!payload) throw new Error('the serializer returned nothing');

    const fromWire = fromOtlpJson(payload);
    const fromSdk = fromReadableSpans(telemetry.spans());
    expect(fromWire).toHaveLength(2);
    fromWire.forEach((span, index) => {
      const expected = fromSdk[index]!;
      expect(span.name).toBe(expected.name);
      expect(span.traceId).toBe(expected.traceId);
      expect(span.spanId).toBe(expected.spanId);
      expect(span.attributes).toEqual(expected.attributes);
      expect(span.events.map((event) => event.name)).toEqual(expected.events.map((event) => event.name));
      span.events.forEach((event, eventIndex) => {
        expect(event.attributes).toEqual(expected.events[eventIndex]?.attributes);
        expect(event.time).toBeCloseTo(expected.events[eventIndex]?.time ?? 0, 2);
      });
      expect(span.startTime).toBeCloseTo(expected.startTime ?? 0, 2);
    });
    expect(checkCompliance(fromWire)).toEqual({ compliant: true, checked: 1, violations: [] });
  });

  it('reads several exports written as JSON lines', () => {
    telemetry = createTestTelemetry();
    emitSpans();
    const first = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(telemetry.spans()));
    telemetry.resetSpans();
    emitSpans();
    const second = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(telemetry.spans()));
    const report = checkCompliance(fromOtlpJson(`${first}\n${second}\n`));
    expect(report).toEqual({ compliant: true, checked: 2, violations: [] });
  });
});
