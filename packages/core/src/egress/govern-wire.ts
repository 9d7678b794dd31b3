// Governs one request given by its wire format (provider, endpoint, headers, body) and sends it through
// an undici dispatch function with its response observed: what the egress interceptor does for a
// `fetch` outside a governed unit, and what the gateway does for every request it receives. One
// governed unit per request; the response settles it (usage read from the body or the stream).
import type { Context } from '@opentelemetry/api';
import { beginGovernedCall, executeGovernedCall, type GovernedSend } from '../adapter/run-governed-call';
import type { Governor } from '../governor';
import { DONE, isPromise, type MaybePromise } from '../pipeline/maybe-promise';
import type { CallOutcome, GovernedCall } from '../pipeline/types';
import type { GovernedRequest, RequestEdits } from '../types';
import { describeWireRequest, type Endpoint, isObject } from './endpoints';
import { governAgentWrite } from './managed-agents-wire';
import { type ObserverLimits, ResponseObserver } from './response-observer';
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
   * `options` and `options.headers` (a plain object with lower-case names) are made for this request
   * alone: the body and headers are set in them rather than in copies (the gateway's case). Default
   * false: the caller's options and headers are never changed.
   */
  ownHeaders?: boolean;
  /** The largest response body read whole for its usage (larger: its tail is read). */
  maxBodyBytes: number;
  /**
   * Rewrites the JSON body before it is described and sent (e.g. asking a stream for its usage):
   * return the new body, or `undefined` to send it as it is. `bytes` is the body as read.
   */
  rewrite?(json: Record<string, unknown>, bytes: Buffer): WireRewrite | undefined;
  /**
   * Called once the unit's settlement is recorded (the response ended or failed): at once, within the
   * response's last callback, when the store settles synchronously (the memory store). The callback form
   * of {@link GovernedWire.settled}.
   */
  onSettled?(): void;
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
  /**
   * Resolves once the unit is settled (the response ended or failed, and the settlement was recorded).
   * Made when first read: a caller told through {@link WireRequest.onSettled} makes no promise.
   */
  readonly settled: Promise<void>;
}

/**
 * Read the body → describe → policy, reservation, approval → send with the response observed → settle.
 * A denial throws (or rejects with) the typed GenOps error before anything is sent (the caller answers
 * it in its own format); a failure to send fails the unit and rejects once that is recorded.
 *
 * The result is the governed request itself when no stage waited (the memory store, no approval wait:
 * the request has left when this returns), else a promise of it, as the adapter kit's
 * `beginGovernedCall` does: no promise and no microtask on the synchronous path.
 */
export function governWire(
  governor: Governor,
  request: WireRequest,
  handler: DispatchHandler,
  dispatch: Dispatch,
): MaybePromise<GovernedWire> {
  let body = request.body;
  let json = parseWireJson(body);
  // Anthropic Managed Agents: the body decides whether a session write runs an agent turn.
  if (request.endpoint.agentTurn) {
    const written = governAgentWrite(governor, request, json, body, handler, dispatch);
    if (!request.onSettled) return written;
    return written.then((governed) => {
      governed.settled.then(() => request.onSettled?.());
      return governed;
    });
  }
  const rewritten = request.rewrite && isObject(json) ? request.rewrite(json, body.buffer) : undefined;
  if (rewritten) {
    json = rewritten.json;
    const buffer = rewritten.bytes ?? Buffer.from(JSON.stringify(rewritten.json), 'utf8');
    body = { buffer, bytes: buffer.byteLength, complete: true, replay: buffer };
  }
  // A body read whole has its size; one read in part may declare the rest.
  const declared = body.complete ? undefined : contentLength(request.options.headers);
  const text = body.complete ? body.buffer : undefined;
  const described: GovernedRequest = describeWireRequest(
    request.endpoint,
    request.provider,
    json,
    Math.max(body.bytes, declared ?? 0),
    text ? () => text.toString('utf8') : undefined,
    request.server,
  );
  const unit = new WireUnit(request, json, body.replay, handler, dispatch);
  const begun = beginGovernedCall(governor, described, unit);
  return isPromise(begun) ? begun.then((call) => unit.send(call)) : unit.send(begun);
}

/**
 * One governed wire request once admitted: it is the send step's description (input, edit, parent), it
 * sends the request with its response observed, and it is the unit's sink that records when the unit
 * settled. One object per request instead of a closure per step.
 */
class WireUnit implements GovernedSend<unknown, void>, UnitSink, GovernedWire {
  call: GovernedCall | undefined;
  readonly parent: Context | undefined;
  private done = false;
  private waiting: Promise<void> | undefined;
  private resolveWaiting: (() => void) | undefined;

  constructor(
    private readonly request: WireRequest,
    private readonly json: unknown,
    readonly input: unknown,
    private readonly handler: DispatchHandler,
    private readonly dispatch: Dispatch,
  ) {
    this.parent = request.parent;
  }

  get settled(): Promise<void> {
    if (this.done) return DONE;
    this.waiting ??= new Promise<void>((resolve) => {
      this.resolveWaiting = resolve;
    });
    return this.waiting;
  }

  /**
   * Applies governance's edits, marks the request sent and dispatches it in the call's context. A
   * failure to send fails the unit (nothing billable) and rejects once that is recorded.
   */
  send(call: GovernedCall): MaybePromise<GovernedWire> {
    this.call = call;
    try {
      // The kit's send step: this unit's edits, marked sent (never free again), `execute` in the call's context.
      executeGovernedCall(call, this);
    } catch (error) {
      return call.fail(error).then(() => {
        throw error;
      });
    }
    return this;
  }

  /** A budget's downgrade changes the model that is sent, never the caller's bytes. */
  edit(input: unknown, edits: RequestEdits): unknown {
    return edits.model !== undefined && isObject(this.json) ? withModel(this.json, edits.model) : input;
  }

  execute(sent: unknown, call: GovernedCall): void {
    const { request } = this;
    const { options } = request;
    const length = sent !== request.body.replay ? String((sent as Buffer).byteLength) : undefined;
    const traceparent = request.propagate ? traceparentOf(call) : undefined;
    const handler = new WireHandler(this.handler, this, wireObserver(request.endpoint, request.maxBodyBytes));
    if (request.ownHeaders) {
      const own = options.headers as Record<string, string | string[]>;
      if (length !== undefined) own['content-length'] = length;
      if (traceparent !== undefined) own.traceparent = traceparent;
      options.body = sent;
      this.dispatch(options, handler);
      return;
    }
    let headers = options.headers;
    if (length !== undefined) headers = withHeader(headers, 'content-length', length);
    if (traceparent !== undefined) headers = withHeader(headers, 'traceparent', traceparent);
    this.dispatch({ ...options, body: sent, headers }, handler);
  }

  firstChunk(): void {
    this.call?.firstChunk();
  }

  end(outcome: CallOutcome): Promise<void> {
    return this.after((this.call as GovernedCall).end(outcome));
  }

  fail(error: unknown, partial?: CallOutcome): Promise<void> {
    return this.after((this.call as GovernedCall).fail(error, partial));
  }

  /** Tells whoever waits once the settlement is recorded (at once when it already is: the memory store). */
  private after(result: Promise<void>): Promise<void> {
    if (result === DONE) this.settle();
    else {
      const settle = () => this.settle();
      result.then(settle, settle);
    }
    return result;
  }

  private settle(): void {
    if (this.done) return;
    this.done = true;
    this.resolveWaiting?.();
    this.request.onSettled?.();
  }
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
  if (lastLimits?.maxBodyBytes !== maxBodyBytes) lastLimits = { maxBodyBytes, maxLineBytes: MAX_LINE_BYTES };
  return new ResponseObserver(endpoint.wire, endpoint.operation === 'embeddings', lastLimits);
}

/** The largest stream line read for usage. */
const MAX_LINE_BYTES = 1024 * 1024;
/** The limits of the last observer made (one body limit per gateway or process): shared, never changed. */
let lastLimits: ObserverLimits | undefined;

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
