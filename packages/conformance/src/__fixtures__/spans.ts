import type { ConformanceEvent, ConformanceSpan } from '../types';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

const attribution = {
  'genops.team': 'platform',
  'genops.project': 'support-bot',
  'genops.environment': 'production',
  'genops.spec.version': '0.1.0',
};

let nextId = 1;
function ids(): { traceId: string; spanId: string } {
  const id = nextId++;
  return { traceId: id.toString(16).padStart(32, '0'), spanId: id.toString(16).padStart(16, '0') };
}

function event(name: string, offsetMs: number, attributes: Record<string, unknown>): ConformanceEvent {
  return { name, time: T0 + offsetMs, attributes };
}

/** An executed, streamed chat call: evaluated → reserved → first chunk → reconciled. */
export function allowedSpan(): ConformanceSpan {
  return {
    name: 'chat gpt-4o',
    ...ids(),
    kind: 3,
    startTime: T0,
    endTime: T0 + 900,
    attributes: {
      ...attribution,
      'genops.operation.name': 'chat gpt-4o',
      'genops.operation.type': 'inference',
      'genops.policy.result': 'ALLOWED',
      'genops.accounting.reserved': 0.0123,
      'genops.accounting.actual': 0.0031,
      'genops.accounting.unit': 'USD',
      'gen_ai.operation.name': 'chat',
    },
    events: [
      event('genops.policy.evaluated', 1, { 'genops.policy.result': 'ALLOWED' }),
      event('genops.budget.reservation', 2, { 'genops.accounting.reserved': 0.0123, 'genops.accounting.unit': 'USD' }),
      event('gen_ai.first_chunk', 300, {}),
      event('genops.budget.reconciliation', 899, {
        'genops.accounting.actual': 0.0031,
        'genops.accounting.reserved': 0.0123,
        'genops.accounting.unit': 'USD',
      }),
    ],
    status: { code: 0 },
  };
}

/** Executed with a warning (an `x_` extension reason code), accounting in tokens. */
export function warningSpan(): ConformanceSpan {
  return {
    name: 'embeddings text-embedding-3-small',
    ...ids(),
    attributes: {
      ...attribution,
      'genops.operation.name': 'embeddings text-embedding-3-small',
      'genops.operation.type': 'embedding',
      'genops.policy.result': 'WARNING',
      'genops.policy.reason_code': 'x_max_cost_exceeded',
      'genops.accounting.reserved': 500,
      'genops.accounting.actual': 420,
      'genops.accounting.unit': 'tokens',
    },
    events: [
      event('genops.policy.evaluated', 1, {
        'genops.policy.result': 'WARNING',
        'genops.policy.reason_code': 'x_max_cost_exceeded',
      }),
      event('genops.budget.reservation', 2, { 'genops.accounting.reserved': 500, 'genops.accounting.unit': 'tokens' }),
      event('genops.budget.reconciliation', 50, {
        'genops.accounting.actual': 420,
        'genops.accounting.reserved': 500,
        'genops.accounting.unit': 'tokens',
      }),
    ],
  };
}

/** Denied before any reservation: no accounting attributes, no budget events. */
export function blockedSpan(): ConformanceSpan {
  return {
    name: 'chat gpt-4o',
    ...ids(),
    attributes: {
      ...attribution,
      'genops.operation.name': 'chat gpt-4o',
      'genops.operation.type': 'inference',
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'BUDGET_EXCEEDED',
    },
    events: [
      event('genops.policy.evaluated', 1, {
        'genops.policy.result': 'BLOCKED',
        'genops.policy.reason_code': 'BUDGET_EXCEEDED',
      }),
    ],
  };
}

/** Rate limited after a reservation was recorded (and released): reserved but never reconciled. */
export function rateLimitedSpan(): ConformanceSpan {
  return {
    name: 'responses gpt-4o-mini',
    ...ids(),
    attributes: {
      ...attribution,
      'genops.operation.name': 'responses gpt-4o-mini',
      'genops.operation.type': 'inference',
      'genops.policy.result': 'RATE_LIMITED',
      'genops.policy.reason_code': 'RATE_LIMITED',
      'genops.accounting.reserved': 0.002,
      'genops.accounting.unit': 'USD',
    },
    events: [
      event('genops.budget.reservation', 1, { 'genops.accounting.reserved': 0.002, 'genops.accounting.unit': 'USD' }),
      event('genops.policy.evaluated', 2, {
        'genops.policy.result': 'RATE_LIMITED',
        'genops.policy.reason_code': 'RATE_LIMITED',
      }),
    ],
  };
}

/** Not an AWU: an HTTP client span with no genops.* attribute. */
export function httpSpan(): ConformanceSpan {
  return {
    name: 'POST',
    ...ids(),
    attributes: { 'http.request.method': 'POST', 'url.full': 'https://api.openai.com/v1/chat/completions' },
    events: [],
  };
}

export function compliantSet(): ConformanceSpan[] {
  return [allowedSpan(), warningSpan(), blockedSpan(), rateLimitedSpan(), httpSpan()];
}

/** Builds an OTLP/JSON export document from spans, as an OTLP/HTTP JSON exporter or the collector would. */
export function toOtlpDocument(spans: ConformanceSpan[]): unknown {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fixture' } }] },
        scopeSpans: [
          {
            scope: { name: '@genops/core', version: '0.1.0' },
            spans: spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              name: span.name,
              kind: span.kind ?? 3,
              startTimeUnixNano: span.startTime === undefined ? undefined : millisToNanos(span.startTime),
              endTimeUnixNano: span.endTime === undefined ? undefined : millisToNanos(span.endTime),
              attributes: toKeyValues(span.attributes),
              events: span.events.map((event) => ({
                name: event.name,
                timeUnixNano: event.time === undefined ? undefined : millisToNanos(event.time),
                attributes: toKeyValues(event.attributes),
              })),
              status: span.status ?? { code: 0 },
            })),
          },
        ],
      },
    ],
  };
}

function millisToNanos(millis: number): string {
  return (BigInt(Math.round(millis * 1000)) * 1000n).toString();
}

function toKeyValues(attributes: Record<string, unknown>): unknown[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: toAnyValue(value) }));
}

function toAnyValue(value: unknown): unknown {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  // 64-bit ints are strings in OTLP/JSON.
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(toAnyValue) } };
  return {};
}
