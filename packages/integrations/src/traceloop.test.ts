import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type ReadableSpan, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GovernedCalls, runGovernedCalls } from './__fixtures__/governed-calls';
import { withTraceloop } from './traceloop';

// GenOps and OpenLLMetry's own OpenAI instrumentation both on, on one tracer provider: each call is one
// OpenLLMetry span with the GenOps unit as its child (never two unrelated LLM spans), and
// the spans exported to Traceloop carry the GenOps attribution as association properties.
const exported: ReadableSpan[] = [];
/** Keeps what it is given (the SDK's in-memory exporter forgets its spans at shutdown). */
const exporter: SpanExporter = {
  export: (spans, done) => {
    exported.push(...spans);
    done({ code: 0 });
  },
  shutdown: async () => {},
};
const contextManager = new AsyncLocalStorageContextManager();
let calls: GovernedCalls;
let instrumentation: OpenAIInstrumentation;

beforeAll(async () => {
  // As in an app with the OpenTelemetry Node SDK: a context manager, so instrumentations see the active span.
  context.setGlobalContextManager(contextManager.enable());
  calls = await runGovernedCalls([withTraceloop(new SimpleSpanProcessor({ exporter }))], (provider, openai) => {
    instrumentation = new OpenAIInstrumentation({ traceContent: false });
    instrumentation.setTracerProvider(provider);
    instrumentation.manuallyInstrument(openai);
  });
});
afterAll(() => {
  instrumentation?.disable();
  context.disable();
});

describe('GenOps beside @traceloop/instrumentation-openai', () => {
  it('records the allowed call as one OpenLLMetry span with the GenOps unit as its child', () => {
    const unit = calls.allowed;
    const others = calls.spans.filter((span) => span.attributes['genops.spec.version'] === undefined);
    expect(others).toHaveLength(1);
    const openllmetry = others[0]!;
    // OpenLLMetry wraps the SDK method; GenOps governs the request that method sends, inside it.
    expect(unit.parentSpanContext?.spanId).toBe(openllmetry.spanContext().spanId);
    expect(unit.spanContext().traceId).toBe(openllmetry.spanContext().traceId);
    // Both report the same usage; only the GenOps unit has the cost and the decision.
    expect(openllmetry.attributes['gen_ai.usage.input_tokens']).toBe(unit.attributes['gen_ai.usage.input_tokens']);
    expect(openllmetry.attributes['genops.accounting.actual']).toBeUndefined();
  });

  it('a blocked call never reaches the SDK: no OpenLLMetry span for it', () => {
    const sameTrace = calls.spans.filter(
      (span) => span.spanContext().traceId === calls.blocked.spanContext().traceId && span !== calls.blocked,
    );
    expect(sameTrace.filter((span) => span.attributes['gen_ai.request.model'] === 'o1-preview')).toHaveLength(0);
  });

  it('exports the GenOps attribution as Traceloop association properties', () => {
    const unit = exported.find((span) => span.spanContext().spanId === calls.allowed.spanContext().spanId);
    expect(unit?.attributes).toMatchObject({
      'traceloop.association.properties.team': 'support',
      'traceloop.association.properties.project': 'helpdesk-bot',
      'traceloop.association.properties.customer': 'acme-corp',
      'traceloop.association.properties.userId': 'user-42',
      'traceloop.association.properties.sessionId': 'session-7',
    });
  });
});
