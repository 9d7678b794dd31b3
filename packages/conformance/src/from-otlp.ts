import { ConformanceInputError } from './conformance-input-error';
import type { ConformanceEvent, ConformanceSpan } from './types';

/** What `fromOtlpJson()` accepts, in words (also used in error messages). */
export const OTLP_JSON_FORMAT_HINT =
  'an OTLP/JSON trace export ({"resourceSpans":[{"scopeSpans":[{"spans":[...]}]}]}), a JSON array of such documents, ' +
  'or JSON lines with one such document per line (as the OpenTelemetry Collector file exporter writes)';

/**
 * Reads spans from OTLP/JSON trace exports.
 *
 * `document` may be a parsed export object, an array of them, or the text of a file: one JSON document,
 * a JSON array of documents, or JSON lines (one document per line). Documents without `resourceSpans`
 * (e.g. metrics lines in the same file) contribute no spans.
 *
 * @throws ConformanceInputError when the text is not JSON or JSON lines, or the value is not an object.
 */
export function fromOtlpJson(document: unknown): ConformanceSpan[] {
  const spans: ConformanceSpan[] = [];
  for (const item of toDocuments(document)) {
    for (const resourceSpans of arrayOf(item.resourceSpans)) {
      if (!isRecord(resourceSpans)) continue;
      // `instrumentationLibrarySpans` is the pre-1.0 OTLP name of `scopeSpans`.
      const scopes = resourceSpans.scopeSpans ?? resourceSpans.instrumentationLibrarySpans;
      for (const scopeSpans of arrayOf(scopes)) {
        if (!isRecord(scopeSpans)) continue;
        for (const span of arrayOf(scopeSpans.spans)) {
          if (isRecord(span)) spans.push(convertSpan(span));
        }
      }
    }
  }
  return spans;
}

function toDocuments(document: unknown): Record<string, unknown>[] {
  if (document instanceof Uint8Array) return toDocuments(new TextDecoder().decode(document));
  if (typeof document === 'string') return toDocuments(parseText(document));
  if (Array.isArray(document)) return document.flatMap((item) => toDocuments(item));
  if (isRecord(document)) return [document];
  throw new ConformanceInputError(
    `expected ${OTLP_JSON_FORMAT_HINT}; got ${document === null ? 'null' : typeof document}`,
  );
}

function parseText(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') throw new ConformanceInputError(`the input is empty; expected ${OTLP_JSON_FORMAT_HINT}`);
  try {
    return JSON.parse(trimmed);
  } catch (error) {
    const lines = trimmed.split(/\r?\n/);
    if (lines.length === 1) {
      throw new ConformanceInputError(
        `the input is not JSON (${(error as Error).message}); expected ${OTLP_JSON_FORMAT_HINT}`,
        {
          cause: error,
        },
      );
    }
    return lines.flatMap((line, index) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line)];
      } catch (lineError) {
        throw new ConformanceInputError(
          `line ${index + 1} is not JSON (${(lineError as Error).message}); expected ${OTLP_JSON_FORMAT_HINT}`,
          { cause: lineError },
        );
      }
    });
  }
}

function convertSpan(span: Record<string, unknown>): ConformanceSpan {
  const converted: ConformanceSpan = {
    name: typeof span.name === 'string' ? span.name : '',
    attributes: convertAttributes(span.attributes),
    events: arrayOf(span.events)
      .filter(isRecord)
      .map((event): ConformanceEvent => {
        const time = nanosToMillis(event.timeUnixNano);
        return {
          name: typeof event.name === 'string' ? event.name : '',
          ...(time === undefined ? {} : { time }),
          attributes: convertAttributes(event.attributes),
        };
      }),
  };
  if (typeof span.traceId === 'string' && span.traceId !== '') converted.traceId = span.traceId;
  if (typeof span.spanId === 'string' && span.spanId !== '') converted.spanId = span.spanId;
  if (typeof span.kind === 'number' || typeof span.kind === 'string') converted.kind = span.kind;
  const startTime = nanosToMillis(span.startTimeUnixNano);
  if (startTime !== undefined) converted.startTime = startTime;
  const endTime = nanosToMillis(span.endTimeUnixNano);
  if (endTime !== undefined) converted.endTime = endTime;
  if (isRecord(span.status)) {
    const { code, message } = span.status;
    converted.status = {
      code: typeof code === 'number' || typeof code === 'string' ? code : 0,
      ...(typeof message === 'string' ? { message } : {}),
    };
  }
  return converted;
}

function convertAttributes(keyValues: unknown): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const keyValue of arrayOf(keyValues)) {
    if (isRecord(keyValue) && typeof keyValue.key === 'string') {
      attributes[keyValue.key] = convertAnyValue(keyValue.value);
    }
  }
  return attributes;
}

/** OTLP `AnyValue` → plain JS value. 64-bit ints arrive as JSON strings or numbers. */
function convertAnyValue(value: unknown): unknown {
  if (!isRecord(value)) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return toNumber(value.intValue);
  if ('doubleValue' in value) return toNumber(value.doubleValue);
  if ('arrayValue' in value) {
    return arrayOf(isRecord(value.arrayValue) ? value.arrayValue.values : undefined).map(convertAnyValue);
  }
  if ('kvlistValue' in value) {
    return convertAttributes(isRecord(value.kvlistValue) ? value.kvlistValue.values : undefined);
  }
  if ('bytesValue' in value) return value.bytesValue;
  return undefined;
}

function toNumber(value: unknown): unknown {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  if (isLongBits(value)) return value.high * 2 ** 32 + (value.low >>> 0);
  return value;
}

/** `startTimeUnixNano` and friends: a decimal string, a number, or `{low, high}` long bits. 0 means unset. */
function nanosToMillis(value: unknown): number | undefined {
  let millis: number | undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) {
    // Whole microseconds through BigInt keep sub-millisecond precision that a double of nanoseconds loses.
    millis = Number(BigInt(value) / 1000n) / 1000;
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    millis = value / 1e6;
  } else if (isLongBits(value)) {
    millis = (value.high * 2 ** 32 + (value.low >>> 0)) / 1e6;
  }
  return millis === undefined || millis === 0 ? undefined : millis;
}

function isLongBits(value: unknown): value is { low: number; high: number } {
  return isRecord(value) && typeof value.low === 'number' && typeof value.high === 'number';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
