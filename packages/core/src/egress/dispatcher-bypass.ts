// Requests that do not go through the global dispatcher: `fetch(url, { dispatcher })`, an undici
// `Agent`/`Pool`/`Client` used directly, the npm `undici` package's `request`. They never meet the
// interceptor on the global dispatcher, so:
// - `fetch(url, { dispatcher })` (the global `fetch`): GenOps.init() wraps the global `fetch` so that the
//   dispatcher the caller passes gets the same egress interceptor (`dispatcher.compose(...)`, once per
//   dispatcher): governed, refused or reported exactly like a request through the global dispatcher.
// - anything else, seen on undici's `undici:request:create` diagnostics channel (it fires for every
//   undici dispatcher, Node's bundled copy and the npm package alike), before a byte is written:
//   `deny` refuses it there (the request is errored with the typed error; undici never writes an errored
//   request); `govern` and `warn` cannot hold it from a diagnostics channel, so it is reported loudly: one
//   stderr line per endpoint and a span flagged `genops.egress.ungoverned`, with the usage read from the
//   response as it passes (`undici:request:headers`, `bodyChunkReceived`, `trailers`).
// The interceptor counts the provider requests it passes on, so a request it already handled is not
// reported again when undici creates it.
import { type Channel, channel } from 'node:diagnostics_channel';
import { safely } from '../adapter/safely';
import { denialOf, type EgressState, type EgressTarget, endpointKey, warnUngoverned } from './egress-state';
import { ResponseObserver } from './response-observer';
import { ProviderHttpError, type UnitSink } from './wire-handler';

/** A dispatcher `compose` can extend (undici ≥ 6.? and 7). */
interface Composable {
  compose(...interceptors: unknown[]): unknown;
}

/** The undici Request object the request channels publish (the fields read here). */
interface UndiciRequest {
  origin?: string | URL;
  method?: string;
  path?: string;
  onError?(error: Error): unknown;
}

interface Observed {
  sink: UnitSink;
  observer: ResponseObserver;
  status: number;
  first: boolean;
}

/** The bypass message: what the request went through and how to bring it under governance. */
function bypassNote(state: EgressState, target: EgressTarget): string {
  const endpoint = endpointKey(target);
  return state.mode === 'deny'
    ? `GenOps egress is 'deny': a ${target.provider} request to ${endpoint} sent through its own undici dispatcher ` +
        `(not the global one) outside a governed call was refused before it was sent. Call the provider through a ` +
        `GenOps adapter, or use the global fetch (GenOps governs fetch(url, { dispatcher }) there).`
    : `genops: egress: a ${target.provider} request to ${endpoint} went through its own undici dispatcher (an Agent, ` +
        `Pool or Client used directly, not the global dispatcher), which egress cannot hold: it ran without policy, ` +
        `budget or reservation (reported with a span flagged genops.egress.ungoverned). Use the global fetch ` +
        `(GenOps governs fetch(url, { dispatcher }) there) or a GenOps adapter.\n`;
}

/**
 * Watches undici requests made through other dispatchers (see the file comment); returns the function
 * that stops watching.
 */
export function watchDispatcherBypass(state: EgressState): () => void {
  const observed = new WeakMap<object, Observed>();

  const onCreate = (message: unknown) => {
    const request = (message as { request?: UndiciRequest }).request;
    if (!request || typeof request.path !== 'string' || request.origin === undefined) return;
    const origin = typeof request.origin === 'string' ? request.origin : request.origin.origin;
    const method = String(request.method ?? 'GET');
    // Went through the interceptor (global dispatcher, or a fetch dispatcher GenOps composed).
    if (!state.host(origin) || state.passed.take(origin, method, request.path)) return;
    const target = state.target(origin, method, request.path);
    if (target === undefined) return;
    const governor = state.governor();
    if (!governor) return;
    if (state.mode === 'deny') {
      // An errored request is never written (undici skips aborted requests when it resumes its queue).
      request.onError?.(denialOf(target, bypassNote(state, target)));
      return;
    }
    if (state.firstTime(`bypass ${endpointKey(target)}`)) process.stderr.write(bypassNote(state, target));
    const observer = new ResponseObserver(target.endpoint.wire, target.endpoint.operation === 'embeddings', {
      maxBodyBytes: state.maxBodyBytes,
      maxLineBytes: 1024 * 1024,
    });
    observed.set(request, { sink: warnUngoverned(state, governor, target), observer, status: 0, first: true });
  };

  const onHeaders = (message: unknown) => {
    const { request, response } = message as {
      request?: object;
      response?: { statusCode?: number; headers?: unknown[] };
    };
    const entry = request ? observed.get(request) : undefined;
    if (!entry || !response) return;
    entry.status = response.statusCode ?? 0;
    entry.observer.start(entry.status, headerRecord(response.headers));
  };

  const onChunk = (message: unknown) => {
    const { request, chunk } = message as { request?: object; chunk?: Uint8Array };
    const entry = request ? observed.get(request) : undefined;
    if (!entry || !(chunk instanceof Uint8Array)) return;
    if (entry.first) {
      entry.first = false;
      entry.sink.firstChunk();
    }
    entry.observer.data(chunk);
  };

  const onTrailers = (message: unknown) => {
    const request = (message as { request?: object }).request;
    const entry = request ? observed.get(request) : undefined;
    if (!entry || !request) return;
    observed.delete(request);
    if (entry.status < 200 || entry.status >= 300) {
      entry.sink.fail(new ProviderHttpError(entry.status));
      return;
    }
    const outcome = entry.observer.end();
    if (outcome instanceof Promise) outcome.then((read) => entry.sink.end(read));
    else entry.sink.end(outcome);
  };

  const onError = (message: unknown) => {
    const { request, error } = message as { request?: object; error?: unknown };
    const entry = request ? observed.get(request) : undefined;
    if (!entry || !request) return;
    observed.delete(request);
    entry.sink.fail(error ?? new Error('the request failed'), entry.observer.partial());
  };

  const subscriptions: [Channel, (message: unknown) => void][] = [
    [channel('undici:request:create'), (message) => safely(() => onCreate(message), 'egress dispatcher bypass')],
    [channel('undici:request:headers'), (message) => safely(() => onHeaders(message), 'egress dispatcher bypass')],
    [
      channel('undici:request:bodyChunkReceived'),
      (message) => safely(() => onChunk(message), 'egress dispatcher bypass'),
    ],
    [channel('undici:request:trailers'), (message) => safely(() => onTrailers(message), 'egress dispatcher bypass')],
    [channel('undici:request:error'), (message) => safely(() => onError(message), 'egress dispatcher bypass')],
  ];
  for (const [source, listener] of subscriptions) source.subscribe(listener);
  return () => {
    for (const [source, listener] of subscriptions) source.unsubscribe(listener);
  };
}

/** undici's raw response headers (`[name, value, ...]` as Buffers) as a record of lower-case names. */
function headerRecord(raw: unknown[] | undefined): Record<string, string | string[] | undefined> {
  const headers: Record<string, string | string[] | undefined> = {};
  if (!Array.isArray(raw)) return headers;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = String(raw[index]).toLowerCase();
    const value = String(raw[index + 1]);
    const existing = headers[name];
    headers[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return headers;
}

type Fetch = typeof globalThis.fetch;

/**
 * Wraps the global `fetch` so that a `dispatcher` passed in its init gets the egress interceptor too
 * (composed once per dispatcher, kept in a WeakMap). Returns the function that puts the original back
 * (when the wrapper is still in place).
 */
export function wrapFetchDispatcher(interceptor: unknown): () => void {
  const original = globalThis.fetch;
  if (typeof original !== 'function') return () => {};
  const composed = new WeakMap<object, unknown>();
  const withInterceptor = (dispatcher: unknown): unknown => {
    if (!dispatcher || typeof (dispatcher as Composable).compose !== 'function') return dispatcher;
    let found = composed.get(dispatcher as object);
    if (found === undefined) {
      found = (dispatcher as Composable).compose(interceptor);
      composed.set(dispatcher as object, found);
    }
    return found;
  };
  const wrapped = function fetch(this: unknown, input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) {
    const dispatcher = (init as { dispatcher?: unknown } | undefined)?.dispatcher;
    if (dispatcher === undefined) return original.call(this, input, init);
    const replaced = safely(() => withInterceptor(dispatcher), 'egress fetch dispatcher') ?? dispatcher;
    return original.call(this, input, { ...init, dispatcher: replaced } as Parameters<Fetch>[1]);
  } as Fetch;
  globalThis.fetch = wrapped;
  return () => {
    if (globalThis.fetch === wrapped) globalThis.fetch = original;
  };
}
