// Reads the spans of an OTLP/HTTP protobuf body (`ExportTraceServiceRequest`), so a test can assert what a
// tool's ingestion endpoint received from an exporter that speaks protobuf (Weave's endpoint takes only
// protobuf; Raindrop's processor sends it). Only the fields the tests look at are decoded: resource
// attributes, scope name, ids, name, attributes and status. Field numbers from opentelemetry-proto
// (`trace/v1/trace.proto`, `common/v1/common.proto`).
import type { ConformanceSpan } from '@genops/conformance';

/** A span as decoded, with the scope and resource it was sent under. */
export interface DecodedSpan extends ConformanceSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  scope: string;
  resource: Record<string, unknown>;
  status: { code: number; message?: string };
}

type Field = { number: number; wireType: number; value: bigint | Buffer };

function* fields(buffer: Buffer): Generator<Field> {
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (offset >= buffer.length) throw new Error('truncated protobuf varint');
      const byte = buffer[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('protobuf varint longer than 64 bits');
    }
  };
  while (offset < buffer.length) {
    const tag = Number(varint());
    const number = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === 0) {
      yield { number, wireType, value: varint() };
    } else if (wireType === 1) {
      yield { number, wireType, value: buffer.subarray(offset, offset + 8) };
      offset += 8;
    } else if (wireType === 2) {
      const length = Number(varint());
      if (offset + length > buffer.length) throw new Error('truncated protobuf field');
      yield { number, wireType, value: buffer.subarray(offset, offset + length) };
      offset += length;
    } else if (wireType === 5) {
      yield { number, wireType, value: buffer.subarray(offset, offset + 4) };
      offset += 4;
    } else {
      throw new Error(`unsupported protobuf wire type ${wireType}`);
    }
  }
}

const bytes = (field: Field): Buffer => field.value as Buffer;

function anyValue(buffer: Buffer): unknown {
  for (const field of fields(buffer)) {
    switch (field.number) {
      case 1:
        return bytes(field).toString('utf8');
      case 2:
        return field.value === 1n;
      case 3:
        return Number(BigInt.asIntN(64, field.value as bigint));
      case 4:
        return bytes(field).readDoubleLE(0);
      case 5:
        return [...fields(bytes(field))].filter((item) => item.number === 1).map((item) => anyValue(bytes(item)));
      case 6:
        return keyValues([...fields(bytes(field))].filter((item) => item.number === 1).map(bytes));
      case 7:
        return bytes(field).toString('hex');
    }
  }
  return undefined;
}

function keyValues(buffers: Buffer[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const buffer of buffers) {
    let key = '';
    let value: unknown;
    for (const field of fields(buffer)) {
      if (field.number === 1) key = bytes(field).toString('utf8');
      if (field.number === 2) value = anyValue(bytes(field));
    }
    result[key] = value;
  }
  return result;
}

function span(buffer: Buffer, scope: string, resource: Record<string, unknown>): DecodedSpan {
  const decoded: DecodedSpan = {
    name: '',
    traceId: '',
    spanId: '',
    parentSpanId: undefined,
    attributes: {},
    events: [],
    scope,
    resource,
    status: { code: 0 },
  };
  const attributes: Buffer[] = [];
  for (const field of fields(buffer)) {
    if (field.number === 1) decoded.traceId = bytes(field).toString('hex');
    else if (field.number === 2) decoded.spanId = bytes(field).toString('hex');
    else if (field.number === 4 && bytes(field).length > 0) decoded.parentSpanId = bytes(field).toString('hex');
    else if (field.number === 5) decoded.name = bytes(field).toString('utf8');
    else if (field.number === 9) attributes.push(bytes(field));
    else if (field.number === 15) {
      for (const status of fields(bytes(field))) {
        if (status.number === 2) decoded.status.message = bytes(status).toString('utf8');
        if (status.number === 3) decoded.status.code = Number(status.value);
      }
    }
  }
  decoded.attributes = keyValues(attributes);
  return decoded;
}

/** The spans of one `ExportTraceServiceRequest` protobuf body. */
export function decodeOtlpTraces(body: Buffer): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  for (const resourceSpans of fields(body)) {
    if (resourceSpans.number !== 1) continue;
    let resource: Record<string, unknown> = {};
    const scopeSpansList: Buffer[] = [];
    for (const field of fields(bytes(resourceSpans))) {
      if (field.number === 1) {
        resource = keyValues([...fields(bytes(field))].filter((item) => item.number === 1).map(bytes));
      }
      if (field.number === 2) scopeSpansList.push(bytes(field));
    }
    for (const scopeSpans of scopeSpansList) {
      let scope = '';
      const spanBuffers: Buffer[] = [];
      for (const field of fields(scopeSpans)) {
        if (field.number === 1) {
          for (const scopeField of fields(bytes(field))) {
            if (scopeField.number === 1) scope = bytes(scopeField).toString('utf8');
          }
        }
        if (field.number === 2) spanBuffers.push(bytes(field));
      }
      for (const buffer of spanBuffers) spans.push(span(buffer, scope, resource));
    }
  }
  return spans;
}

/** The spans of every OTLP/HTTP protobuf request the server received on `path`. */
export function receivedProtobufSpans(
  requests: ReadonlyArray<{ path: string; raw: Buffer }>,
  path: string,
): DecodedSpan[] {
  return requests.filter((request) => request.path === path).flatMap((request) => decodeOtlpTraces(request.raw));
}
