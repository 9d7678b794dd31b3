// Governs one request given by its wire format (provider, endpoint, headers, body) and sends it through
// an undici dispatch function with its response observed: what the egress interceptor does for a
// `fetch` outside a governed unit, and what the gateway does for every request it receives. One
// governed unit per request; the response settles it (usage read from the body or the stream).
import type { Context } from '@opentelemetry/api';
import { startGovernedCall } from '../adapter/run-governed-call';
import type { Governor } from '../governor';
import type { CallOutcome, GovernedCall } from '../pipeline/types';
import type { GovernedRequest } from '../types';
import { describeWireRequest, type Endpoint, isObject } from './endpoints';
import { governAgentWrite } from './managed-agents-wire';
import { ResponseObserver } from './response-observer';
import { type DispatchHandler, type UnitSink, WireHandler } from './wire-handler';

/** undici's dispatch options, as far as egress reads them. */
export interface DispatchOptions {
  origin?: string | URL;
  path: string;
  method: string;
  body?: unknown;
  headers?: unknown;
  [key: string]: unknown;
}

export type Dispatch = (options: DispatchOptions, handler: DispatchHandler) => boolean;

/** A request body as read: its bytes when read whole (`complete`), and what to send. */
export interface WireBody {
  /** What was read (all of it when `complete`). */
  buffer: Buffer;
  bytes: number;
  complete: boolean;
  /** The body to send: the caller's, or the bytes read followed by the rest of its stream. */
  replay: unknown;
}

/** One request to govern, read from the wire. */
export interface WireRequest {
  endpoint: Endpoint;
  /** `gen_ai.provider.name`. */
  provider: string;
  server: { serverAddress: string; serverPort: number };
  body: WireBody;
  /** What to dispatch (origin, path, method, headers); the body is set from `body`. */
  options: DispatchOptions;
  /** The context the unit's span starts in (an incoming `traceparent`); default: the active context. */
  parent?: Context;
  /** Send the unit's W3C `traceparent` upstream (replacing one in `options.headers`). Default false. */
  propagate?: boolean;
  /**
   * `options.headers` is a plain object with lower-case names made for this request alone: headers are
   * set in it rather than in a copy (the gateway's case). Default false: the caller's headers are
   * never changed.
   */
  ownHeaders?: boolean;
  /** The largest response body read whole for its usage (larger: its tail is read). */
  maxBodyBytes: number;
  /**
   * Rewrites the JSON body before it is described and sent (e.g. asking a stream for its usage):
   * return the new body, or `undefined` to send it as it is. `bytes` is the body as read.
   */
  rewrite?(json: Record<string, unknown>, bytes: Buffer): WireRewrite | undefined;
}

/** A rewritten request body. */
export interface WireRewrite {
  /** The new body, as governance describes it. */
  json: Record<string, unknown>;
  /** The bytes to send, when the caller made them (e.g. a field inserted into the original bytes); default `JSON.stringify(json)`. */
  bytes?: Buffer;
}

/** A request that governance let through and that was dispatched. */
export interface GovernedWire {
  /** `undefined` for a request that bills nothing after all (a Managed Agents write that starts no turn). */
  call: GovernedCall | undefined;
  /** Resolves once the unit is settled (the response ended or failed, and the settlement was recorded). */
  settled: Promise<void>;
}

/**
 * Read the body → describe → policy, reservation, approval → send with the response observed → settle.
 * A denial rejects with the typed GenOps error before anything is sent (the caller answers it in its
 * own format); a failure to send fails the unit and rejects.
 */
export async function governWire(
  governor: Governor,
  request: WireRequest,
  handler: DispatchHandler,
  dispatch: Dispatch,
): Promise<GovernedWire> {
  const { options } = request;
  let body = request.body;
  let json = parseWireJson(body);
  // Anthropic Managed Agents: the body decides whether a session write runs an agent turn.
  if (request.endpoint.agentTurn) return governAgentWrite(governor, request, json, body, handler, dispatch);
  const rewritten = request.rewrite && isObject(json) ? request.rewrite(json, body.buffer) : undefined;
  if (rewritten) {
    json = rewritten.json;
    const buffer = rewritten.bytes ?? Buffer.from(JSON.stringify(rewritten.json), 'utf8');
    body = { buffer, bytes: buffer.byteLength, complete: true, replay: buffer };
  }
  // A body read whole has its size; one read in part may declare the rest.
  const declared = body.complete ? undefined : contentLength(options.headers);
  const described: GovernedRequest = describeWireRequest(
    request.endpoint,
    request.provider,
    json,
    Math.max(body.bytes, declared ?? 0),
    body.complete ? () => body.buffer.toString('utf8') : undefined,
    request.server,
  );
  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const { call } = await startGovernedCall(governor, described, {
    input: body.replay,
    edit: (input, edits) => (edits.model !== undefined && isObject(json) ? withModel(json, edits.model) : input),
    ...(request.parent ? { parent: request.parent } : {}),
    execute: (sent, governed) => {
      let headers = options.headers;
      const set = request.ownHeaders
        ? (name: string, value: string) => {
            (headers as Record<string, string | string[]>)[name] = value;
          }
        : (name: string, value: string) => {
            headers = withHeader(headers, name, value);
          };
      if (sent !== request.body.replay) set('content-length', String((sent as Buffer).byteLength));
      if (request.propagate) set('traceparent', traceparentOf(governed));
      const sink = settlingSink(governed, settle);
      const observer = wireObserver(request.endpoint, request.maxBodyBytes);
      dispatch({ ...options, body: sent, headers }, new WireHandler(handler, sink, observer));
    },
  });
  return { call, settled };
}

/** The JSON body of a request read whole, or `undefined` (not JSON, read in part, empty). */
export function parseWireJson(body: WireBody): unknown {
  if (!body.complete || body.buffer.byteLength === 0) return undefined;
  try {
    return JSON.parse(body.buffer.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The reader of a response to `endpoint`: usage from the JSON body or the stream's events. */
export function wireObserver(endpoint: Endpoint, maxBodyBytes: number): ResponseObserver {
  return new ResponseObserver(endpoint.wire, endpoint.operation === 'embeddings', {
    maxBodyBytes,
    maxLineBytes: 1024 * 1024,
  });
}

/** The unit as the response handler's sink, resolving `settled` once its settlement is recorded. */
function settlingSink(call: GovernedCall, settled: () => void): UnitSink {
  const after = (result: Promise<void>) => {
    result.then(settled, settled);
    return result;
  };
  return {
    firstChunk: () => call.firstChunk(),
    end: (outcome: CallOutcome) => after(call.end(outcome)),
    fail: (error: unknown, partial?: CallOutcome) => after(call.fail(error, partial)),
  };
}

/** The W3C `traceparent` of the unit's span. */
export function traceparentOf(call: GovernedCall): string {
  const context = call.span.spanContext();
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

function withModel(json: Record<string, unknown>, model: string): Buffer {
  return Buffer.from(JSON.stringify({ ...json, model }), 'utf8');
}

function contentLength(headers: unknown): number | undefined {
  const value = headerValue(headers, 'content-length');
  const parsed = value === undefined ? Number.NaN : Number(value);
  return Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : undefined;
}

/** undici headers come as an object, a flat `[name, value, ...]` array, or an iterable of pairs. */
function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (Array.isArray(headers)) {
    for (let index = 0; index + 1 < headers.length; index += 2)
      if (String(headers[index]).toLowerCase() === name) return String(headers[index + 1]);
    return undefined;
  }
  for (const [key, value] of Object.entries(headers as Record<string, unknown>))
    if (key.toLowerCase() === name) return Array.isArray(value) ? String(value[0]) : String(value);
  return undefined;
}

/** A copy of `headers` with `name` set to `value` (replacing any casing of it). */
function withHeader(headers: unknown, name: string, value: string): unknown {
  if (Array.isArray(headers)) {
    const copy: unknown[] = [];
    for (let index = 0; index + 1 < headers.length; index += 2)
      if (String(headers[index]).toLowerCase() !== name) copy.push(headers[index], headers[index + 1]);
    copy.push(name, value);
    return copy;
  }
  const copy: Record<string, unknown> = {};
  if (headers && typeof headers === 'object')
    for (const [key, existing] of Object.entries(headers as Record<string, unknown>))
      if (key.toLowerCase() !== name) copy[key] = existing;
  copy[name] = value;
  return copy;
}
