import type { ConformanceSpan } from './types';

/** `[seconds, nanoseconds]`, as OpenTelemetry JS keeps times. */
export type HrTimeLike = readonly [number, number];

/**
 * The parts of an OpenTelemetry JS SDK `ReadableSpan` the checker reads. Structural, so this package
 * needs no `@opentelemetry/*` dependency; any SDK 1.x–3.x `ReadableSpan` fits.
 */
export interface ReadableSpanLike {
  readonly name: string;
  readonly kind?: number;
  spanContext(): { traceId: string; spanId: string };
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly events: ReadonlyArray<{
    readonly name: string;
    readonly time: HrTimeLike | number;
    readonly attributes?: Readonly<Record<string, unknown>>;
  }>;
  readonly startTime?: HrTimeLike | number;
  readonly endTime?: HrTimeLike | number;
  readonly status?: { readonly code: number; readonly message?: string };
}

/** Converts OpenTelemetry SDK spans (e.g. from an `InMemorySpanExporter`) for `checkCompliance()`. */
export function fromReadableSpans(spans: ReadonlyArray<ReadableSpanLike>): ConformanceSpan[] {
  return spans.map(fromReadableSpan);
}

/** Converts one OpenTelemetry SDK span. */
export function fromReadableSpan(span: ReadableSpanLike): ConformanceSpan {
  const context = span.spanContext();
  const converted: ConformanceSpan = {
    name: span.name,
    traceId: context.traceId,
    spanId: context.spanId,
    attributes: { ...span.attributes },
    events: span.events.map((event) => {
      const time = toMillis(event.time);
      return { name: event.name, ...(time === undefined ? {} : { time }), attributes: { ...event.attributes } };
    }),
  };
  if (span.kind !== undefined) converted.kind = span.kind;
  const startTime = toMillis(span.startTime);
  if (startTime !== undefined) converted.startTime = startTime;
  const endTime = toMillis(span.endTime);
  if (endTime !== undefined) converted.endTime = endTime;
  if (span.status) {
    converted.status = {
      code: span.status.code,
      ...(span.status.message === undefined ? {} : { message: span.status.message }),
    };
  }
  return converted;
}

/** HrTime `[s, ns]` → epoch ms; a plain number is taken as ms already. */
function toMillis(time: HrTimeLike | number | undefined): number | undefined {
  if (typeof time === 'number') return Number.isFinite(time) ? time : undefined;
  if (Array.isArray(time) && time.length === 2) return time[0] * 1000 + time[1] / 1e6;
  return undefined;
}
