import { context, createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  StackContextManager,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callContext } from './call-context';

const CALL = createContextKey('test.call');
const OTHER = createContextKey('test.other');
const exporter = new InMemorySpanExporter();
const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('t');
const manager = new StackContextManager();

beforeAll(() => {
  context.setGlobalContextManager(manager.enable());
});
afterAll(() => {
  context.disable();
});

describe('callContext', () => {
  const parentSpan = tracer.startSpan('parent');
  const parent = trace.setSpan(ROOT_CONTEXT, parentSpan).setValue(OTHER, 'inherited');
  const span = tracer.startSpan('awu', {}, parent);
  const call = { id: 'call-1' };
  const built = callContext(parent, span, CALL, call);

  it("reads like trace.setSpan(parent, span).setValue(key, value): the span, the value, the parent's values", () => {
    const reference = trace.setSpan(parent, span).setValue(CALL, call);
    for (const key of [CALL, OTHER, createContextKey('OpenTelemetry Context Key SPAN'), createContextKey('absent')])
      expect(built.getValue(key)).toBe(reference.getValue(key));
    expect(trace.getSpan(built)).toBe(span);
    expect(built.getValue(CALL)).toBe(call);
    expect(built.getValue(OTHER)).toBe('inherited');
  });

  it('is the active context inside context.with: the active span, and spans started there are its children', () => {
    context.with(built, () => {
      expect(trace.getActiveSpan()).toBe(span);
      expect(context.active().getValue(CALL)).toBe(call);
      const child = tracer.startSpan('http');
      expect(child.spanContext().traceId).toBe(span.spanContext().traceId);
      child.end();
    });
    const [child] = exporter.getFinishedSpans().filter((finished) => finished.name === 'http');
    expect(child?.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
  });

  it('derives contexts with every value it holds, and stays unchanged itself', () => {
    const childSpan = tracer.startSpan('child', {}, built);
    const derived = trace.setSpan(built, childSpan).setValue(OTHER, 'replaced');
    expect(trace.getSpan(derived)).toBe(childSpan);
    expect(derived.getValue(CALL)).toBe(call);
    expect(derived.getValue(OTHER)).toBe('replaced');
    expect(trace.getSpan(built)).toBe(span);
    expect(built.getValue(OTHER)).toBe('inherited');
    const withoutCall = built.deleteValue(CALL);
    expect(withoutCall.getValue(CALL)).toBeUndefined();
    expect(trace.getSpan(withoutCall)).toBe(span);
    expect(trace.getSpan(trace.deleteSpan(built))).toBeUndefined();
    expect(trace.deleteSpan(built).getValue(CALL)).toBe(call);
    childSpan.end();
  });

  it("carries the SDK's suppressTracing flag as an API context does (the SDK's exporters set it)", () => {
    expect(tracer.startSpan('recorded', {}, built).isRecording()).toBe(true);
    const suppressed = built.setValue(createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING'), true);
    expect(tracer.startSpan('suppressed', {}, suppressed).isRecording()).toBe(false);
    expect(suppressed.getValue(CALL)).toBe(call);
  });
});
