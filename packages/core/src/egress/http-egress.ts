// `node:http` / `node:https` requests to model providers, seen through diagnostics_channel. Node
// publishes `http.client.request.created` at the end of the ClientRequest constructor, before the
// caller can write a byte: in `deny` mode the request is destroyed there with the typed error (its
// `error` event), so nothing is sent. In `govern` and `warn` modes the request is let through and
// reported: one span flagged `genops.egress.ungoverned` (with the usage read from the response) and
// one stderr line per endpoint. Governing it (holding it for policy and a reservation) would mean
// patching the request object; use `fetch` or a GenOps adapter for that.
import { type Channel, channel } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { safely } from '../adapter/safely';
import { denialOf, type EgressState, insideGovernedUnit, warnUngoverned } from './egress-state';
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
