// `node:http` / `node:https` requests and `node:http2` client streams to model providers, seen through
// diagnostics_channel. Node publishes `http.client.request.created` at the end of the ClientRequest
// constructor, before the caller can write a byte (headers go out with the first `write` or `end`);
// `http2.client.stream.created` once the stream's HEADERS frame is queued, before any of its body:
// - `deny`: the request is destroyed there with the typed error (its `error` event); nothing is sent.
// - `govern`: the request is held: its own `write`, `end` and `flushHeaders` (on the instance, not the
//   prototype) buffer the body until `end`; then policy and the reservation decide, and the buffered
//   body is sent (or the request destroyed with the typed error). The response is read as it passes.
// - `warn`: the request is let through; one span flagged `genops.egress.ungoverned` (with the usage
//   read from the response) and one stderr line per endpoint.
// Anthropic Managed Agents answers (agents, sessions, a session's events: the list page and the SSE stream)
// are read as they pass, as for fetch (managed-agents-wire.ts), so a turn sent through node:http settles from
// its session's events when the app reads them.
import { type Channel, channel } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { startGovernedCall } from '../adapter/run-governed-call';
import { safely } from '../adapter/safely';
import type { Governor } from '../governor';
import { denialOf, type EgressState, type EgressTarget, warnUngoverned } from './egress-state';
import { describeWireRequest } from './endpoints';
import type { TurnOptions } from './managed-agents';
import { httpSideRequest, isAppRequest } from './managed-agents-http';
import {
  agentsObserver,
  agentTurnExchange,
  agentWriteIsFree,
  describeWireTurn,
  learnAgent,
  NO_UNIT,
} from './managed-agents-wire';
import { ResponseObserver } from './response-observer';
import { isWebSocketHandshake, onHttpWebSocket } from './websocket-egress';
import type { UnitSink } from './wire-handler';
import { ProviderHttpError } from './wire-handler';

interface Tracked {
  sink: UnitSink;
  observer: ResponseObserver;
  responded: boolean;
}

/** A `node:http` ClientRequest or a `node:http2` client stream: what egress holds, sends or destroys. */
interface Outgoing {
  write(...args: unknown[]): unknown;
  end(...args: unknown[]): unknown;
  destroy(error?: Error): unknown;
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/** A response body the HTTP parser pushes into: an IncomingMessage, or an http2 client stream. */
interface Pushed {
  push(chunk: unknown, encoding?: BufferEncoding): boolean;
  once(event: 'close', listener: () => void): unknown;
}

type Headers = Record<string, string | string[] | undefined>;

/** Subscribes to the request channels of `node:http` and `node:http2`; returns the unsubscribe function. */
export function subscribeHttpEgress(state: EgressState): () => void {
  const tracked = new WeakMap<object, Tracked>();

  /** Reads a Managed Agents answer to a provider host as it passes (agents, sessions, a session's events). */
  const watchAgents = (outgoing: Outgoing, origin: string, method: string, path: string) => {
    if (!state.host(origin)) return;
    const observer = agentsObserver(method, path, state.maxBodyBytes);
    if (observer) tracked.set(outgoing, { sink: NO_UNIT, observer, responded: false });
  };

  const onOutgoing = (outgoing: Outgoing, origin: string, method: string, path: string) => {
    const target = state.target(origin, method, path);
    // Not a provider, a governed call's own request, or a read that bills nothing: untouched (a Managed
    // Agents answer is read as it passes).
    if (target === undefined) return watchAgents(outgoing, origin, method, path);
    const governor = state.governor();
    if (!governor) return;
    if (state.mode === 'deny') {
      outgoing.destroy(denialOf(target));
      return;
    }
    const observer = new ResponseObserver(target.endpoint.wire, target.endpoint.operation === 'embeddings', {
      maxBodyBytes: state.maxBodyBytes,
      maxLineBytes: 1024 * 1024,
    });
    const track = (sink: UnitSink, read: ResponseObserver = observer) => {
      const entry: Tracked = { sink, observer: read, responded: false };
      tracked.set(outgoing, entry);
      // A request that ends without a response after it was sent may have been billed.
      outgoing.once('close', () => {
        if (!entry.responded) void sink.fail(new Error('the request ended without a response'), {});
      });
    };
    if (state.mode === 'govern') holdForGovernance(outgoing, state, governor, target, track);
    else track(warnUngoverned(state, governor, target));
  };

  const respond = (outgoing: object | undefined, body: Pushed | undefined, status: number, headers: Headers) => {
    const entry = outgoing ? tracked.get(outgoing) : undefined;
    if (!entry || !body || entry.responded) return;
    entry.responded = true;
    safely(() => observeResponse(body, status, headers, entry), 'egress node:http response');
  };

  const subscriptions: [Channel, (message: unknown) => void][] = [
    [
      channel('http.client.request.created'),
      (message) => {
        const request = (message as { request?: ClientRequest }).request;
        if (request && isWebSocketHandshake(request))
          safely(() => onHttpWebSocket(state, request, originOf(request), request.path), 'egress WebSocket');
        else if (request)
          safely(() => onOutgoing(request, originOf(request), request.method, request.path), 'egress node:http');
      },
    ],
    [
      channel('http.client.response.finish'),
      (message) => {
        const { request, response } = message as { request?: ClientRequest; response?: IncomingMessage };
        respond(request, response, response?.statusCode ?? 0, response?.headers ?? {});
      },
    ],
    [
      channel('http2.client.stream.created'),
      (message) => {
        const { stream, headers } = message as { stream?: Outgoing; headers?: Headers };
        const scheme = first(headers?.[':scheme']) ?? 'https';
        const authority = first(headers?.[':authority']);
        if (stream && authority)
          safely(
            () =>
              onOutgoing(
                stream,
                `${scheme}://${authority}`,
                first(headers?.[':method']) ?? 'GET',
                first(headers?.[':path']) ?? '/',
              ),
            'egress node:http2',
          );
      },
    ],
    [
      channel('http2.client.stream.finish'),
      (message) => {
        const { stream, headers } = message as { stream?: Outgoing & Pushed; headers?: Headers };
        const status = Number(first(headers?.[':status']) ?? 0);
        respond(stream, stream, status, headers ?? {});
      },
    ],
  ];
  for (const [source, listener] of subscriptions) source.subscribe(listener);
  return () => {
    for (const [source, listener] of subscriptions) source.unsubscribe(listener);
  };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The response's bytes as the parser pushes them: read without a `data` listener (no change of flow mode). */
function observeResponse(body: Pushed, status: number, headers: Headers, { sink, observer }: Tracked): void {
  observer.start(status, headers);
  let done = false;
  const settle = () => {
    if (done) return;
    done = true;
    if (status < 200 || status >= 300) {
      sink.fail(new ProviderHttpError(status));
      return;
    }
    const outcome = observer.end();
    if (outcome instanceof Promise) outcome.then((read) => sink.end(read));
    else sink.end(outcome);
  };
  const push = body.push;
  // A variable first: a function literal assigned to a property is made in V8's old generation, and would
  // keep the response and its unit alive there (lint/no-property-function.grit).
  const observedPush = function observedPush(this: Pushed, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk === null) safely(settle, 'egress node:http settlement');
    else if (chunk instanceof Uint8Array) safely(() => observer.data(chunk), 'egress node:http response');
    return push.call(this, chunk, encoding);
  };
  body.push = observedPush;
  body.once('close', () => {
    if (done) return;
    done = true;
    sink.fail(new Error('the response was aborted'), observer.partial());
  });
}

/** `protocol//host:port` of a ClientRequest (its Host header carries a non-default port). */
function originOf(request: ClientRequest): string {
  const protocol = (request as { protocol?: string }).protocol ?? 'http:';
  const header = request.getHeader('host');
  const host = typeof header === 'string' && header.length > 0 ? header : request.host;
  return `${protocol}//${host}`;
}

type Callback = (error?: Error | null) => void;

/** `flushHeaders` of a held request: nothing is sent before governance has decided. */
const NOTHING = (): void => {};

/** How a held request is tracked once sent: its unit, and what reads its answer (default: its wire's reader). */
type Track = (sink: UnitSink, read?: ResponseObserver) => void;

/**
 * Holds a request until its body is complete, governs it, then sends it. The caller's `write` returns
 * `true` (no backpressure while held: the body is in the caller's memory already) and its callbacks run
 * when the request is sent.
 */
function holdForGovernance(
  request: Outgoing,
  state: EgressState,
  governor: Governor,
  target: EgressTarget,
  track: Track,
): void {
  const chunks: Buffer[] = [];
  const callbacks: Callback[] = [];
  let bytes = 0;
  const held = request as unknown as Record<string, unknown>;
  const take = (chunk: unknown, encoding: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const buffer =
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : Buffer.from(chunk as Uint8Array);
    chunks.push(buffer);
    bytes += buffer.byteLength;
  };
  const callbackOf = (...args: unknown[]) => args.find((arg) => typeof arg === 'function') as Callback | undefined;
  // Variables first: a function literal assigned to a property is made in V8's old generation, and would
  // keep the held request and its body alive there (lint/no-property-function.grit).
  const write = (chunk: unknown, encoding?: unknown, callback?: unknown) => {
    take(chunk, encoding);
    const done = callbackOf(encoding, callback);
    if (done) callbacks.push(done);
    return true;
  };
  const end = (chunk?: unknown, encoding?: unknown, callback?: unknown) => {
    take(chunk, encoding);
    const done = callbackOf(chunk, encoding, callback);
    // Sent (or refused) once governance has decided.
    void govern(done);
    return request;
  };
  held.write = write;
  held.flushHeaders = NOTHING;
  held.end = end;

  async function govern(endCallback: Callback | undefined): Promise<void> {
    const body = Buffer.concat(chunks, bytes);
    let json: unknown;
    if (bytes > 0 && bytes <= state.maxBodyBytes) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
    }
    if (bytes <= state.maxBodyBytes && agentWriteIsFree(target.endpoint, json)) {
      // A Managed Agents write that starts no turn bills nothing: sent as written, its answer read for
      // what it teaches (a session's agent).
      const read = agentsObserver('POST', target.path, state.maxBodyBytes);
      if (read) track(NO_UNIT, read);
      delete held.write;
      delete held.end;
      delete held.flushHeaders;
      request.end(body, () => {
        for (const callback of callbacks) callback();
        endCallback?.();
      });
      return;
    }
    // A Managed Agents turn: settled from the session's events, which egress reads as they pass (as for
    // fetch). Its agent's model, when this process has not seen it, is read from the API first.
    const agentTurn = target.endpoint.agentTurn !== undefined;
    const side = (method: 'GET' | 'POST', resource: string, maxBytes: number, sideJson?: unknown) =>
      isAppRequest(request)
        ? httpSideRequest(request, target.origin, method, resource, maxBytes, sideJson)
        : Promise.reject(new Error('no side request beside an http2 stream'));
    if (agentTurn && bytes <= state.maxBodyBytes)
      await learnAgent((resource) => side('GET', resource, state.maxBodyBytes), target.endpoint, json);
    const described = agentTurn
      ? describeWireTurn(governor, target.endpoint, json, target.server)
      : describeWireRequest(
          target.endpoint,
          target.provider,
          json,
          bytes,
          bytes <= state.maxBodyBytes ? () => body.toString('utf8') : undefined,
          target.server,
        );
    // Headers may be stored already: the body is sent as written (no downgrade edit).
    described.editable = {};
    try {
      await startGovernedCall(governor, described, {
        input: body,
        execute: (sent, call) => {
          if (request.destroyed) throw new Error('the request was destroyed before it was sent');
          if (agentTurn) {
            const turn = (sessionId: string): TurnOptions => ({
              governor,
              request: described,
              interrupt: () =>
                side('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/events`, 64 * 1024, {
                  events: [{ type: 'user.interrupt' }],
                }),
            });
            const exchange = agentTurnExchange(call, target.endpoint, json, turn, state.maxBodyBytes);
            track(exchange.sink, exchange.observer);
          } else track(call);
          delete held.write;
          delete held.end;
          delete held.flushHeaders;
          // The caller's write callbacks run when the whole body is sent.
          const finished = () => {
            for (const callback of callbacks) callback();
            endCallback?.();
          };
          if (sent.byteLength > 0) request.end(sent, finished);
          else request.end(finished);
        },
      });
    } catch (error) {
      if (!request.destroyed) request.destroy(error as Error);
    }
  }
}
