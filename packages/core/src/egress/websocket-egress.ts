// WebSocket connections to model providers: OpenAI Realtime (`/v1/realtime`), Responses over a WebSocket
// (`/v1/responses`), Gemini Live, Lyria RealTime music, Azure realtime deployments. A session bills for every response it
// asks for; its usage travels in WebSocket frames. Egress sees the upgrade request itself — undici's
// `WebSocket` (the global one in Node) through the global dispatcher (an `upgrade: 'websocket'` dispatch),
// the `ws` package through `node:http` (a ClientRequest with an `Upgrade: websocket` header) — and, outside a
// governed unit:
// - `deny`: refuses it before the handshake is sent (the typed error: a 403 answer for undici, the
//   request destroyed for node:http; the WebSocket reports an error and closes);
// - `govern`: an OpenAI Realtime or Responses session (realtime-governor.ts), a Gemini Live session
//   (gemini-live-governor.ts) or a Lyria music session (lyria-governor.ts) is governed frame by frame: the
//   global WebSocket and the `undici` package's through their constructor (installGovernedWebSocket), a `ws`
//   WebSocket (`@google/genai`'s Live clients, `openai/realtime/ws`) from its handshake, before its `open`. Any
//   other session (another path of a provider host), or a client whose socket cannot be found (an undici WebSocket class captured before GenOps.init()), is reported as
//   under `warn`;
// - `warn`: lets it through, loudly: one stderr line per endpoint, and one span per session
//   flagged `genops.egress.ungoverned` (and `genops.egress.websocket`), from the handshake to the close.
import { tracingChannel } from 'node:diagnostics_channel';
import { sep } from 'node:path';
import { safely } from '../adapter/safely';
import type { Governor } from '../governor';
import { requireFrom } from '../require-from';
import {
  denialOf,
  type EgressState,
  type EgressTarget,
  endpointKey,
  insideGovernedUnit,
  warnUngoverned,
} from './egress-state';
import { GEMINI_LIVE_PROTOCOL } from './gemini-live-governor';
import { LYRIA_PROTOCOL } from './lyria-governor';
import { asGovernedHandshake, insideGovernedHandshake } from './realtime-governor';
import { governRealtimeSocket, type SessionEndpoint } from './realtime-socket';
import {
  type DispatchController,
  type DispatchHandler,
  ForwardingHandler,
  ProviderHttpError,
  type UnitSink,
} from './wire-handler';

/** The span attribute that marks a WebSocket session (an upgrade to a provider host). */
export const WEBSOCKET_ATTRIBUTE = 'genops.egress.websocket';

/** A WebSocket handshake to a provider host, outside a governed unit: the session as an egress target. */
export function websocketTarget(
  state: EgressState,
  origin: string | URL | undefined,
  rawPath: string,
): (EgressTarget & { model: string | undefined }) | undefined {
  if (origin === undefined) return undefined;
  const key = typeof origin === 'string' ? origin : origin.origin;
  const found = state.host(key);
  if (!found || insideGovernedUnit() || insideGovernedHandshake()) return undefined;
  const query = rawPath.indexOf('?');
  const path = (query >= 0 ? rawPath.slice(0, query) : rawPath).toLowerCase();
  const provider = found.host.provider ?? providerOfPath(path);
  return {
    origin: key,
    path: rawPath,
    provider,
    endpoint: { wire: 'unknown', operation: 'chat', provider },
    server: { serverAddress: found.hostname, serverPort: found.port },
    model: query >= 0 ? modelOf(rawPath.slice(query + 1)) : undefined,
  };
}

/**
 * The session a handshake opens, when GenOps governs its frames (OpenAI Realtime, Responses over a
 * WebSocket, Gemini Live's `BidiGenerateContent` on the Gemini API and Vertex AI).
 */
export function realtimeEndpointOf(target: EgressTarget & { model: string | undefined }): SessionEndpoint | undefined {
  const query = target.path.indexOf('?');
  const path = (query >= 0 ? target.path.slice(0, query) : target.path).toLowerCase();
  if (isGeminiLivePath(path))
    return { provider: target.provider, protocol: GEMINI_LIVE_PROTOCOL, server: target.server };
  if (isLyriaPath(path)) return { provider: target.provider, protocol: LYRIA_PROTOCOL, server: target.server };
  const protocol = path.endsWith('/realtime') ? 'realtime' : path.endsWith('/responses') ? 'responses' : undefined;
  if (protocol === undefined) return undefined;
  return { provider: target.provider, protocol, model: target.model, server: target.server };
}

/** Gemini Live: `…GenerativeService.BidiGenerateContent[Constrained]`, Vertex `…LlmBidiService/BidiGenerateContent`. */
function isGeminiLivePath(path: string): boolean {
  return path.includes('bidigeneratecontent');
}

/** Lyria RealTime music: `…GenerativeService.BidiGenerateMusic`. */
function isLyriaPath(path: string): boolean {
  return path.includes('bidigeneratemusic');
}

/** What a session is called in messages. */
function sessionKind(target: EgressTarget): string {
  const path = target.path.toLowerCase();
  return isGeminiLivePath(path) ? 'Gemini Live' : isLyriaPath(path) ? 'Lyria' : 'Realtime';
}

/** The provider a WebSocket path implies, for a user host configured without one. */
function providerOfPath(path: string): string {
  if (isGeminiLivePath(path)) return path.includes('llmbidiservice') ? 'gcp.vertex_ai' : 'gcp.gemini';
  if (isLyriaPath(path)) return 'gcp.gemini';
  if (path.endsWith('/realtime') || path.endsWith('/responses')) return 'openai';
  return 'unknown';
}

/** The `model` query parameter (OpenAI Realtime), without a regular expression. */
function modelOf(query: string): string | undefined {
  for (const pair of query.split('&')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && pair.slice(0, equals) === 'model') {
      try {
        return decodeURIComponent(pair.slice(equals + 1).replaceAll('+', ' ')) || undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The error a `deny`-mode WebSocket handshake is refused with. */
export function websocketDenial(target: EgressTarget): ReturnType<typeof denialOf> {
  return denialOf(
    target,
    `GenOps egress is 'deny': a ${target.provider} WebSocket session (${sessionKind(target)}) to ${endpointKey(target)} ` +
      'was refused before its handshake was sent. ' +
      "Set egress: 'govern' to govern OpenAI Realtime, Responses, Gemini Live and Lyria sessions per response (policy " +
      "and a reservation before each response is asked for), or egress: 'warn' to allow such sessions, reported.",
  );
}

/**
 * `govern` / `warn`: the session runs, reported. One stderr line per endpoint; the span (flagged
 * ungoverned) is the sink the caller ends when the session closes.
 */
export function reportWebSocketSession(
  state: EgressState,
  governor: Governor,
  target: EgressTarget & { model: string | undefined },
): UnitSink {
  const endpoint = endpointKey(target);
  // Marks the endpoint as warned, so warnUngoverned does not print its (HTTP) line as well.
  if (state.firstTime(endpoint))
    process.stderr.write(
      `genops: egress: a ${target.provider} WebSocket session (${sessionKind(target)}) to ${endpoint} is not governed: ` +
        `no policy, budget or reservation, and its usage is not read (egress: 'govern' governs OpenAI Realtime, ` +
        `Responses, Gemini Live and Lyria sessions opened with the global WebSocket, the undici package's WebSocket loaded ` +
        `after GenOps.init(), or the ws package). Each session is recorded as a span flagged ` +
        `genops.egress.ungoverned. Refuse such sessions with egress: 'deny'.\n`,
    );
  return warnUngoverned(state, governor, target, target.model, { [WEBSOCKET_ATTRIBUTE]: true });
}

/**
 * Wraps the handler of an undici WebSocket handshake: the session's span ends when its socket closes
 * (or fails when the server answers anything but 101, or the handshake errors).
 */
export class WebSocketHandler extends ForwardingHandler {
  private upgraded = false;
  private status = 0;

  constructor(
    inner: DispatchHandler,
    private readonly sink: UnitSink,
  ) {
    super(inner);
  }

  override onRequestUpgrade(
    controller: DispatchController,
    statusCode: number,
    headers: unknown,
    socket: unknown,
  ): void {
    this.upgraded = true;
    this.sink.firstChunk();
    const closable = socket as { once?(event: 'close', listener: () => void): unknown } | undefined;
    if (typeof closable?.once === 'function') closable.once('close', () => void this.sink.end({}));
    else void this.sink.end({});
    super.onRequestUpgrade(controller, statusCode, headers, socket);
  }

  override onResponseStart(
    controller: DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    this.status = statusCode;
    super.onResponseStart(controller, statusCode, headers, statusMessage);
  }

  override onResponseEnd(
    controller: DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    // A handshake answered with a plain response: no session.
    if (!this.upgraded) void this.sink.fail(new ProviderHttpError(this.status));
    super.onResponseEnd(controller, trailers);
  }

  override onResponseError(controller: DispatchController, error: Error): void {
    if (!this.upgraded) void this.sink.fail(error);
    super.onResponseError(controller, error);
  }
}

/** A `node:http` ClientRequest, as far as a WebSocket handshake through it is followed. */
interface HandshakeRequest {
  getHeader(name: string): unknown;
  destroy(error?: Error): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
}

/** True when a ClientRequest is a WebSocket handshake (`Upgrade: websocket`, as the `ws` package sends). */
export function isWebSocketHandshake(request: HandshakeRequest): boolean {
  const upgrade = request.getHeader('upgrade');
  return typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket';
}

/** The `node:http` side: refuse the handshake (deny) or report the session until its socket closes. */
export function onHttpWebSocket(state: EgressState, request: HandshakeRequest, origin: string, path: string): void {
  const target = websocketTarget(state, origin, path);
  if (target === undefined) return;
  const governor = state.governor();
  if (!governor) return;
  if (state.mode === 'deny') {
    request.destroy(websocketDenial(target));
    return;
  }
  const endpoint = state.mode === 'govern' ? realtimeEndpointOf(target) : undefined;
  if (endpoint !== undefined) {
    governWsHandshake(state, governor, request, target, endpoint);
    return;
  }
  reportHttpWebSocket(state, governor, request, target);
}

/**
 * A `ws` WebSocket is bound to its socket in its `upgrade` handler (`setSocket`), which emits `open`
 * synchronously at its end: the binding must be in place before. `setSocket` stores the WebSocket on the
 * socket under a private symbol and then calls `socket.setTimeout(0)`, then `setNoDelay()`; a one-shot hook on
 * those (own properties of this socket, restored at once) finds it there. A client that never calls them, or
 * keeps no such reference, is reported instead.
 */
function governWsHandshake(
  state: EgressState,
  governor: Governor,
  request: HandshakeRequest,
  target: EgressTarget & { model: string | undefined },
  endpoint: SessionEndpoint,
): void {
  request.once('upgrade', (_response: unknown, socket: Record<string | symbol, unknown>) => {
    let found = false;
    const hooks = ['setTimeout', 'setNoDelay'] as const;
    const originals = hooks.map((name) => [name, Object.getOwnPropertyDescriptor(socket, name)] as const);
    const restore = () => {
      for (const [name, descriptor] of originals) {
        if (descriptor) Object.defineProperty(socket, name, descriptor);
        else delete socket[name];
      }
    };
    const find = () => {
      if (found) return;
      restore();
      for (const symbol of Object.getOwnPropertySymbols(socket)) {
        const candidate = socket[symbol];
        if (symbol.description === 'websocket' && candidate && typeof candidate === 'object') {
          found = governRealtimeSocket(governor, candidate, endpoint) !== undefined;
          if (found) return;
        }
      }
    };
    for (const name of hooks) {
      const original = socket[name];
      if (typeof original !== 'function') continue;
      // A variable first: a function literal assigned to a property is made in V8's old generation, with
      // the socket it captures (lint/no-property-function.grit).
      const hooked = function hooked(this: unknown, ...args: unknown[]) {
        safely(find, 'egress WebSocket binding');
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
      socket[name] = hooked;
    }
    queueMicrotask(() => {
      if (found) return;
      restore();
      const sink = reportWebSocketSession(state, governor, target);
      sink.firstChunk();
      (socket as { once?(event: 'close', listener: () => void): unknown }).once?.('close', () => void sink.end({}));
    });
  });
}

/** The session runs ungoverned (warn mode, or a session GenOps cannot govern), reported until its socket closes. */
function reportHttpWebSocket(
  state: EgressState,
  governor: Governor,
  request: HandshakeRequest,
  target: EgressTarget & { model: string | undefined },
): void {
  const sink = reportWebSocketSession(state, governor, target);
  let ended = false;
  const end = (error?: unknown) => {
    if (ended) return;
    ended = true;
    void (error === undefined ? sink.end({}) : sink.fail(error));
  };
  // Listens to 'upgrade' (the `ws` package always does too) and 'close' only: no 'error' or 'response'
  // listener, which would change what Node does with an error or a refused handshake.
  let upgraded = false;
  request.once('upgrade', (_response: unknown, socket: { once(event: 'close', listener: () => void): unknown }) => {
    upgraded = true;
    sink.firstChunk();
    socket.once('close', () => end());
  });
  request.once('close', () => {
    if (!upgraded) end(new Error('the WebSocket handshake ended without a session'));
  });
}

/**
 * `govern` mode: replaces the global `WebSocket` (Node's bundled undici) and the `WebSocket` export of each
 * copy of the `undici` package the app loads (its own class: `import { WebSocket } from 'undici'`) with a
 * Proxy of it whose constructor binds a session governor to each socket opened to an OpenAI Realtime or
 * Responses endpoint or a Gemini Live endpoint of a provider host, before the caller gets the socket (and so
 * before any listener or `send` of the app). Every other socket is constructed untouched. `instanceof`, the
 * static constants and the prototype are the original's. The `undici` package is never loaded here: a copy
 * already loaded is found in the module cache, and one loaded later (by `require`, or by `import`, which
 * loads CommonJS through the same loader) is caught on Node's `module.require` tracing channel as it finishes
 * loading, before the importer reads its exports. An ES module that imported `undici` before
 * `GenOps.init()` holds the original class: its sessions are reported (stderr and an ungoverned span) from
 * their handshake. Returns the function that puts the originals back (unless something replaced a Proxy since).
 */
export function installGovernedWebSocket(state: EgressState): () => void {
  if (state.mode !== 'govern') return () => {};
  governing = state;
  const restores: Array<() => void> = [];
  const govern = (holder: WebSocketHolder) => {
    const restore = governWebSocketExport(holder);
    if (restore) restores.push(restore);
  };
  govern(globalThis as WebSocketHolder);
  for (const [id, loaded] of Object.entries(requireFrom(import.meta.url).cache))
    if (isUndiciEntry(id) && loaded?.exports) govern(loaded.exports as WebSocketHolder);
  const loads = tracingChannel<string, ModuleLoad>('module.require');
  // Every `require()` passes here (cached ones too): a string comparison for all but `undici`.
  const subscriber = {
    end(load: ModuleLoad) {
      if ((load.id === 'undici' || isUndiciEntry(load.id)) && load.result && typeof load.result === 'object')
        safely(() => govern(load.result as WebSocketHolder), 'egress WebSocket');
    },
  };
  loads.subscribe(subscriber as Parameters<typeof loads.subscribe>[0]);
  return () => {
    loads.unsubscribe(subscriber as Parameters<typeof loads.unsubscribe>[0]);
    if (governing === state) governing = undefined;
    for (const restore of restores) restore();
  };
}

/** What the `module.require` tracing channel publishes: the request (or resolved file) and, at `end`, the exports. */
interface ModuleLoad {
  id: string;
  result?: unknown;
}

/** An object with a `WebSocket` class: `globalThis`, the `undici` package's exports. */
type WebSocketHolder = { WebSocket?: new (...args: any[]) => object };

/** The egress state of the running GenOps in `govern` mode: a Proxy an app kept from an earlier init uses it too. */
let governing: EgressState | undefined;
/** One Proxy per original class (re-initialising reuses it); the Proxies themselves, never wrapped again. */
const proxies = new WeakMap<object, new (...args: any[]) => object>();
const governedClasses = new WeakSet<object>();

/** The entry point of an `undici` package copy, by its resolved file name. */
function isUndiciEntry(id: unknown): boolean {
  return typeof id === 'string' && id.endsWith(`${sep}node_modules${sep}undici${sep}index.js`);
}

/** Puts the Proxy of `holder.WebSocket` in its place; returns what puts the original back, or `undefined`. */
function governWebSocketExport(holder: WebSocketHolder): (() => void) | undefined {
  const original = holder.WebSocket;
  if (typeof original !== 'function' || governedClasses.has(original)) return undefined;
  let proxy = proxies.get(original);
  if (proxy === undefined) {
    proxy = new Proxy(original, {
      construct(target, args: unknown[], newTarget) {
        const state = governing;
        const session = state && realtimeSessionOf(state, args[0]);
        const governor = session && state?.governor();
        if (!session || !governor) return Reflect.construct(target, args, newTarget);
        const socket = asGovernedHandshake(() => Reflect.construct(target, args, newTarget)) as object;
        safely(() => governRealtimeSocket(governor, socket, session), 'egress WebSocket binding');
        return socket;
      },
    });
    proxies.set(original, proxy);
    governedClasses.add(proxy);
  }
  try {
    holder.WebSocket = proxy;
  } catch {
    // A frozen or getter-only export: its sessions stay reported from their handshake.
    return undefined;
  }
  const installed = proxy;
  return () => {
    if (holder.WebSocket === installed) holder.WebSocket = original;
  };
}

/** The realtime session a WebSocket URL opens to a provider host, if GenOps governs it. */
function realtimeSessionOf(state: EgressState, url: unknown): SessionEndpoint | undefined {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return undefined;
  }
  // undici dispatches ws: and wss: handshakes as http: and https: requests.
  const scheme = parsed.protocol === 'wss:' ? 'https:' : parsed.protocol === 'ws:' ? 'http:' : parsed.protocol;
  const target = websocketTarget(state, `${scheme}//${parsed.host}`, `${parsed.pathname}${parsed.search}`);
  return target && realtimeEndpointOf(target);
}
