// The incoming W3C trace context: the unit's span is a child of the caller's `traceparent`, whether or
// not the app registered a propagator (a gateway always honours it). Parsed by position, no regex.
import { type Context, ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';

const HEX = '0123456789abcdef';

function isLowerHex(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (!HEX.includes(text[index] as string)) return false;
  return true;
}

/** The remote span context of a `traceparent` header (version 00 layout), or `undefined` when invalid. */
export function parseTraceparent(header: string | undefined): SpanContext | undefined {
  if (header === undefined || header.length < 55 || header.length > 512) return undefined;
  const value = header.trim();
  // version-traceid-parentid-flags: 2-32-16-2 hex digits; later versions may append fields.
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined;
  if (value.length > 55 && value[55] !== '-') return undefined;
  const version = value.slice(0, 2);
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  const flags = value.slice(53, 55);
  if (!isLowerHex(version) || !isLowerHex(traceId) || !isLowerHex(spanId) || !isLowerHex(flags)) return undefined;
  if (version === 'ff' || (version === '00' && value.length !== 55)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
}

/** The context the unit's span starts in: the caller's trace, else a new trace. */
export function parentContextOf(header: string | string[] | undefined): Context {
  const spanContext = parseTraceparent(Array.isArray(header) ? header[0] : header);
  return spanContext ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}
