// Requests that do not go through the global dispatcher: `fetch(url, { dispatcher })`, an undici
// `Agent`/`Pool`/`Client` used directly, the npm `undici` package's `request`. They never meet the
// interceptor on the global dispatcher, so:
// - `fetch(url, { dispatcher })` (the global `fetch`): GenOps.init() wraps the global `fetch` so that the
//   dispatcher the caller passes gets egress in front of it too (pass-through.ts, once per dispatcher):
//   governed, refused or reported exactly like a request through the global dispatcher.
// - anything else, seen on undici's `undici:request:create` diagnostics channel (it fires for every
//   undici dispatcher, Node's bundled copy and the npm package alike), before a byte is written:
//   `deny` refuses it there (the request is errored with the typed error; undici never writes an errored
//   request); `govern` and `warn` cannot hold it from a diagnostics channel, so it is reported loudly: one
//   stderr line per endpoint and a span flagged `genops.egress.ungoverned`, with the usage read from the
//   response as it passes (`undici:request:headers`, `bodyChunkReceived`, `trailers`, `error`).
// Only `create` is subscribed all the time. undici publishes on the response channels (a message object
// per response and per body chunk) only while they have subscribers, so they are subscribed while a
// reported request is in flight and unsubscribed when the last one ends: requests GenOps leaves alone
// (an adapter's own, any non-provider request) cost one `create` message.
// Egress marks the provider requests it passes on (EgressState.passOn), so a request it already handled
// is not reported again when undici creates it.
import { type Channel, channel } from 'node:diagnostics_channel';
import { diag } from '@opentelemetry/api';
import { safely } from '../adapter/safely';
import { denialOf, type EgressState, type EgressTarget, endpointKey, warnUngoverned } from './egress-state';
import { type ComposableDispatcher, isComposable } from './pass-through';
import { ResponseObserver } from './response-observer';
import { ProviderHttpError, type UnitSink } from './wire-handler';

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
  /** Reported requests not ended yet: the response channels are subscribed while there is one. */
  let inFlight = 0;

  const onCreate = (message: unknown) => {
    const request = (message as { request?: UndiciRequest }).request;
    if (!request || typeof request.path !== 'string' || request.origin === undefined) return;
    const origin = typeof request.origin === 'string' ? request.origin : request.origin.origin;
    // Not a provider host: one cached lookup.
    if (!state.host(origin)) return;
    const method = String(request.method ?? 'GET');
    // Went through the interceptor (global dispatcher, or a fetch dispatcher GenOps wrapped).
    if (state.takePassed(origin, method, request.path)) return;
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
    if (inFlight++ === 0) subscribe(responses);
  };

  /** The request's entry, taken out when it ends (the response channels go when the last one has). */
  const ended = (request: object): Observed | undefined => {
    const entry = observed.get(request);
    if (!entry) return undefined;
    observed.delete(request);
    if (--inFlight === 0) unsubscribe(responses);
    return entry;
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
    const entry = request ? ended(request) : undefined;
    if (!entry) return;
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
    const entry = request ? ended(request) : undefined;
    if (!entry) return;
    entry.sink.fail(error ?? new Error('the request failed'), entry.observer.partial());
  };

  const creates: Subscriptions = [[channel('undici:request:create'), guarded(onCreate)]];
  const responses: Subscriptions = [
    [channel('undici:request:headers'), guarded(onHeaders)],
    [channel('undici:request:bodyChunkReceived'), guarded(onChunk)],
    [channel('undici:request:trailers'), guarded(onTrailers)],
    [channel('undici:request:error'), guarded(onError)],
  ];
  subscribe(creates);
  return () => {
    unsubscribe(creates);
    if (inFlight > 0) unsubscribe(responses);
    inFlight = 0;
  };
}

type Subscriptions = [Channel, (message: unknown) => void][];

function subscribe(subscriptions: Subscriptions): void {
  for (const [source, listener] of subscriptions) source.subscribe(listener);
}

function unsubscribe(subscriptions: Subscriptions): void {
  for (const [source, listener] of subscriptions) source.unsubscribe(listener);
}

/** A channel listener that never throws into undici (an error is logged, as `safely` does). */
function guarded(listener: (message: unknown) => void): (message: unknown) => void {
  return (message) => {
    try {
      listener(message);
    } catch (error) {
      diag.warn('genops: egress dispatcher bypass error (ignored)', error);
    }
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
 * Wraps the global `fetch` so that a `dispatcher` passed in its init gets egress in front of it too
 * (`withEgress`, pass-through.ts: once per dispatcher, kept in a WeakMap). Returns the function that
 * puts the original back (when the wrapper is still in place).
 */
export function wrapFetchDispatcher(withEgress: (dispatcher: ComposableDispatcher) => unknown): () => void {
  const original = globalThis.fetch;
  if (typeof original !== 'function') return () => {};
  const composed = new WeakMap<object, unknown>();
  const withInterceptor = (dispatcher: unknown): unknown => {
    if (!isComposable(dispatcher)) return dispatcher;
    let found = composed.get(dispatcher);
    if (found === undefined) {
      found = withEgress(dispatcher);
      composed.set(dispatcher, found);
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
