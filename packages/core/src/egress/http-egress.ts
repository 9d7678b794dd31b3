// `node:http` / `node:https` requests to model providers, seen through diagnostics_channel. Node
// publishes `http.client.request.created` at the end of the ClientRequest constructor, before the
// caller can write a byte (headers go out with the first `write` or `end`):
// - `deny`: the request is destroyed there with the typed error (its `error` event); nothing is sent.
// - `govern`: the request is held: its own `write`, `end` and `flushHeaders` (on the instance, not the
//   prototype) buffer the body until `end`; then policy and the reservation decide, and the buffered
//   body is sent (or the request destroyed with the typed error). The response is read as it passes.
// - `warn`: the request is let through; one span flagged `genops.egress.ungoverned` (with the usage
//   read from the response) and one stderr line per endpoint.
import { type Channel, channel } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { startGovernedCall } from '../adapter/run-governed-call';
import { safely } from '../adapter/safely';
import type { Governor } from '../governor';
import { denialOf, type EgressState, type EgressTarget, insideGovernedUnit, warnUngoverned } from './egress-state';
import { describeWireRequest } from './endpoints';
import { ResponseObserver } from './response-observer';
import type { UnitSink } from './wire-handler';
import { ProviderHttpError } from './wire-handler';

interface Tracked {
  sink: UnitSink;
  observer: ResponseObserver;
}

/** Subscribes to the request channels; returns the unsubscribe function. */
export function subscribeHttpEgress(state: EgressState): () => void {
  const created: Channel = channel('http.client.request.created');
  const finished: Channel = channel('http.client.response.finish');
  const tracked = new WeakMap<ClientRequest, Tracked>();

  const onCreated = (message: unknown) => {
    const request = (message as { request?: ClientRequest }).request;
    if (!request) return;
    safely(() => {
      const target = state.target(originOf(request), request.method, request.path);
      if (target === undefined || insideGovernedUnit()) return;
      const governor = state.governor();
      if (!governor) return;
      if (state.mode === 'deny') {
        request.destroy(denialOf(target));
        return;
      }
      const observer = new ResponseObserver(target.endpoint.wire, target.endpoint.operation === 'embeddings', {
        maxBodyBytes: state.maxBodyBytes,
        maxLineBytes: 1024 * 1024,
      });
      if (state.mode === 'govern') {
        holdForGovernance(request, state, governor, target, (sink) => tracked.set(request, { sink, observer }));
        return;
      }
      const sink = warnUngoverned(state, governor, target);
      tracked.set(request, { sink, observer });
      // A request that fails before a response (or whose response never ends) still ends its span.
      request.once('close', () => {
        if (!(request as { res?: unknown }).res) sink.fail(new Error('the request ended without a response'));
      });
    }, 'egress node:http listener');
  };

  const onResponse = (message: unknown) => {
    const { request, response } = message as { request?: ClientRequest; response?: IncomingMessage };
    const entry = request ? tracked.get(request) : undefined;
    if (!entry || !response) return;
    tracked.delete(request!);
    safely(() => observeResponse(response, entry), 'egress node:http response');
  };

  created.subscribe(onCreated);
  finished.subscribe(onResponse);
  return () => {
    created.unsubscribe(onCreated);
    finished.unsubscribe(onResponse);
  };
}

/** The response's bytes as the HTTP parser pushes them: read without a `data` listener (no change of flow mode). */
function observeResponse(response: IncomingMessage, { sink, observer }: Tracked): void {
  const status = response.statusCode ?? 0;
  observer.start(status, response.headers);
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
  const push = response.push;
  response.push = function observedPush(this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk === null) safely(settle, 'egress node:http settlement');
    else if (chunk instanceof Uint8Array) safely(() => observer.data(chunk), 'egress node:http response');
    return push.call(this, chunk, encoding);
  };
  response.once('close', () => {
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

/**
 * Holds a request until its body is complete, governs it, then sends it. The caller's `write` returns
 * `true` (no backpressure while held: the body is in the caller's memory already) and its callbacks run
 * when the request is sent.
 */
function holdForGovernance(
  request: ClientRequest,
  state: EgressState,
  governor: Governor,
  target: EgressTarget,
  track: (sink: UnitSink) => void,
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
  held.write = (chunk: unknown, encoding?: unknown, callback?: unknown) => {
    take(chunk, encoding);
    const done = callbackOf(encoding, callback);
    if (done) callbacks.push(done);
    return true;
  };
  held.flushHeaders = () => {};
  held.end = (chunk?: unknown, encoding?: unknown, callback?: unknown) => {
    take(chunk, encoding);
    const done = callbackOf(chunk, encoding, callback);
    // Sent (or refused) once governance has decided.
    void govern(done);
    return request;
  };

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
    const described = describeWireRequest(
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
          track(call);
          // A request that ends without a response after it was sent may have been billed.
          request.once('close', () => {
            if (!(request as { res?: unknown }).res) void call.fail(new Error('no response'), {});
          });
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
