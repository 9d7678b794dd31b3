// The undici interceptor on the global dispatcher: what Node's `fetch` (and undici's own `request`,
// `fetch`) send to a model provider outside a governed unit is governed from the wire, refused, or
// reported, by egress mode. A request inside a governed unit costs one context lookup.
import { GovernanceError } from '../errors/governance-error';
import type { Governor } from '../governor';
import { denialOf, type EgressState, type EgressTarget, warnUngoverned } from './egress-state';
import { agentsPathOf, endpointFor } from './endpoints';
import {
  type Dispatch,
  type DispatchOptions,
  governWire,
  parseWireJson,
  type WireBody,
  wireObserver,
} from './govern-wire';
import { agentWriteIsFree, watchAgents } from './managed-agents-wire';
import { reportWebSocketSession, WebSocketHandler, websocketDenial, websocketTarget } from './websocket-egress';
import { type DispatchController, type DispatchHandler, WireHandler } from './wire-handler';

/** The interceptor `Dispatcher.compose` takes. */
export function egressInterceptor(state: EgressState): (dispatch: Dispatch) => Dispatch {
  return (dispatch) =>
    function egressDispatch(options, handler) {
      // What this interceptor passes on is not reported again when undici creates it (dispatcher-bypass.ts).
      const forward: Dispatch = (next, nextHandler) => state.passOn(next, nextHandler, dispatch);
      if (options.upgrade === 'websocket') return websocketDispatch(state, options, handler, forward);
      const target = state.target(options.origin, options.method, options.path);
      // Not a provider, a governed call's own request, or a read that bills nothing: untouched (a
      // Managed Agents answer is read as it passes: managed-agents-wire.ts).
      if (target === undefined) return forward(options, watchAgents(state, options, handler));
      const governor = state.governor();
      if (!governor) return forward(options, handler);
      if (target.endpoint.agentTurn && state.mode !== 'govern') {
        void agentWriteByBody(state, governor, target, options, handler, forward);
        return true;
      }
      if (state.mode === 'deny') {
        respondWithDenial(handler, denialOf(target));
        return true;
      }
      if (state.mode === 'warn') {
        const sink = warnUngoverned(state, governor, target);
        return forward(options, new WireHandler(handler, sink, wireObserver(target.endpoint, state.maxBodyBytes)));
      }
      void governFromWire(state, governor, target, options, handler, forward);
      return true;
    };
}

/**
 * Whether the interceptor passes this request on with the caller's own handler (pass-through.ts sends
 * such a request past it): not to a provider host (one cached lookup), or a governed call's own request
 * or one that bills nothing (one context lookup), and not a Managed Agents answer to read. Errs towards
 * `false`: the interceptor decides such a request again.
 */
export function leavesUntouched(state: EgressState, options: DispatchOptions): boolean {
  const origin = options.origin;
  if (origin === undefined || !state.host(typeof origin === 'string' ? origin : origin.origin)) return true;
  if (options.upgrade === 'websocket') return false;
  if (state.target(origin, options.method, options.path) !== undefined) return state.governor() === undefined;
  return agentsPathOf(options.path) === undefined;
}

/** A WebSocket handshake (undici's `WebSocket`): refused under `deny`, else reported (websocket-egress.ts). */
function websocketDispatch(
  state: EgressState,
  options: DispatchOptions,
  handler: DispatchHandler,
  forward: Dispatch,
): boolean {
  const target = websocketTarget(state, options.origin, options.path);
  const governor = target && state.governor();
  if (!target || !governor) return forward(options, handler);
  if (state.mode === 'deny') {
    respondWithDenial(handler, websocketDenial(target));
    return true;
  }
  return forward(options, new WebSocketHandler(handler, reportWebSocketSession(state, governor, target)));
}

/** Read the body → describe → policy and reservation → send with the response observed → settle. */
async function governFromWire(
  state: EgressState,
  governor: Governor,
  target: EgressTarget,
  options: DispatchOptions,
  handler: DispatchHandler,
  dispatch: Dispatch,
): Promise<void> {
  const body = await bodyOrError(options, state, handler);
  if (!body) return;
  try {
    await governWire(
      governor,
      {
        endpoint: target.endpoint,
        provider: target.provider,
        server: target.server,
        body,
        options,
        maxBodyBytes: state.maxBodyBytes,
      },
      handler,
      dispatch,
    );
  } catch (error) {
    // A denial: the typed GenOps error, delivered as the HTTP response a gateway would send, so that
    // SDK and framework retry layers see a final 402/403/429 instead of a connection error to retry.
    if (GovernanceError.isInstance(error)) respondWithDenial(handler, error);
    else handler.onResponseError?.(inertController(), error as Error);
  }
}

/**
 * `deny` and `warn` modes: a Managed Agents session write is refused or reported only when its body
 * starts an agent turn (or cannot be read); one that starts none passes untouched.
 */
async function agentWriteByBody(
  state: EgressState,
  governor: Governor,
  target: EgressTarget,
  options: DispatchOptions,
  handler: DispatchHandler,
  forward: Dispatch,
): Promise<void> {
  const body = await bodyOrError(options, state, handler);
  if (!body) return;
  const sent = { ...options, body: body.replay };
  if (agentWriteIsFree(target.endpoint, parseWireJson(body))) forward(sent, watchAgents(state, sent, handler));
  else if (state.mode === 'deny') respondWithDenial(handler, denialOf(target));
  else {
    const sink = warnUngoverned(state, governor, target);
    forward(sent, new WireHandler(handler, sink, wireObserver(target.endpoint, state.maxBodyBytes)));
  }
}

/** The request's body as read, or `undefined` once the caller's handler got the error reading it. */
async function bodyOrError(
  options: DispatchOptions,
  state: EgressState,
  handler: DispatchHandler,
): Promise<WireBody | undefined> {
  try {
    return await readRequestBody(options.body, state.maxBodyBytes);
  } catch (error) {
    handler.onResponseError?.(inertController(), error as Error);
    return undefined;
  }
}

/** Reads a request body up to `limit` bytes; a longer stream is replayed (read part, then the rest). */
async function readRequestBody(body: unknown, limit: number): Promise<WireBody> {
  if (body === undefined || body === null) return { buffer: Buffer.alloc(0), bytes: 0, complete: true, replay: body };
  if (typeof body === 'string') {
    const buffer = Buffer.from(body, 'utf8');
    return { buffer, bytes: buffer.byteLength, complete: buffer.byteLength <= limit, replay: body };
  }
  if (body instanceof Uint8Array) {
    const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return { buffer, bytes: buffer.byteLength, complete: buffer.byteLength <= limit, replay: body };
  }
  const iterable = body as AsyncIterable<unknown>;
  if (typeof iterable[Symbol.asyncIterator] !== 'function')
    // FormData, a Blob: sent as is, not read (governed as a request GenOps cannot read).
    return { buffer: Buffer.alloc(0), bytes: 0, complete: false, replay: body };
  const iterator = iterable[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let bytes = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) {
      const buffer = Buffer.concat(chunks, bytes);
      return { buffer, bytes, complete: true, replay: buffer };
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value as Uint8Array);
    chunks.push(chunk);
    bytes += chunk.byteLength;
    if (bytes > limit) {
      const read = chunks.slice();
      const rest = async function* () {
        yield* read;
        for (;;) {
          const more = await iterator.next();
          if (more.done) return;
          yield more.value;
        }
      };
      return { buffer: Buffer.alloc(0), bytes, complete: false, replay: rest() };
    }
  }
}

/** A controller for callbacks egress makes itself (nothing to abort: nothing was sent). */
function inertController(): DispatchController {
  let aborted = false;
  let reason: Error | null = null;
  return {
    abort(error) {
      aborted = true;
      reason = error;
    },
    pause() {},
    resume() {},
    get aborted() {
      return aborted;
    },
    get paused() {
      return false;
    },
    get reason() {
      return reason;
    },
  };
}

/**
 * Answers the caller with the denial as an HTTP response, without contacting the provider: the
 * error's status (402 budget, 403 policy, 429 rate limit with `retry-after`), `x-genops-error` naming
 * the error, and a JSON body `{ error: { type, code, message } }` (the shape OpenAI-compatible SDKs
 * read their error message from).
 */
function respondWithDenial(handler: DispatchHandler, error: GovernanceError): void {
  const reason = error.reasonCode;
  const body = Buffer.from(
    JSON.stringify({
      error: { type: 'genops_governance_error', name: error.name, code: reason, message: error.message },
    }),
    'utf8',
  );
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(body.byteLength),
    'x-genops-error': error.name,
    ...(reason ? { 'x-genops-reason-code': reason } : {}),
    ...error.headers,
  };
  const controller = inertController();
  queueMicrotask(() => {
    try {
      handler.onRequestStart?.(controller, {});
      if (controller.aborted) {
        handler.onResponseError?.(controller, controller.reason ?? error);
        return;
      }
      handler.onResponseStart?.(controller, error.status, headers, STATUS_TEXT[error.status] ?? 'Forbidden');
      handler.onResponseData?.(controller, body);
      handler.onResponseEnd?.(controller, {});
    } catch (failure) {
      handler.onResponseError?.(controller, failure as Error);
    }
  });
}

const STATUS_TEXT: Record<number, string> = {
  402: 'Payment Required',
  403: 'Forbidden',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

export { endpointFor };
