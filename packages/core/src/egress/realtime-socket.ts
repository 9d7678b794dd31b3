// Binds a session governor — OpenAI Realtime / Responses (realtime-governor.ts) or Gemini Live
// (gemini-live-governor.ts) — to the two WebSocket clients Node apps use: the `ws` package's WebSocket (an
// EventEmitter: `openai/realtime/ws`, `openai/resources/responses/ws`, `@google/genai`'s Live client) and
// undici's WebSocket, Node's global one or the `undici` package's (an EventTarget: `openai/realtime/websocket`).
// Only the instance is changed, never a prototype: its `send` goes through the governor, its `close` waits
// for frames held behind a decision, and the governor reads each server message before the app's listeners do.
import { diag } from '@opentelemetry/api';
import { safely } from '../adapter/safely';
import type { Governor } from '../governor';
import { GEMINI_LIVE_PROTOCOL, type GeminiLiveEndpoint, GeminiLiveGovernor } from './gemini-live-governor';
import { LYRIA_PROTOCOL, type LyriaEndpoint, LyriaGovernor } from './lyria-governor';
import { type RealtimeEndpoint, RealtimeGovernor } from './realtime-governor';

/** The governor of one session, by the protocol its endpoint speaks. */
type SessionGovernor = RealtimeGovernor | GeminiLiveGovernor | LyriaGovernor;

/** The endpoint of a session GenOps governs: OpenAI Realtime or Responses, Gemini Live, Lyria. */
export type SessionEndpoint = RealtimeEndpoint | GeminiLiveEndpoint | LyriaEndpoint;

/** The `ws` package's WebSocket, as far as the binding uses it. */
interface EmitterSocket {
  readonly readyState: number;
  send(data: unknown, ...rest: unknown[]): unknown;
  close(...args: unknown[]): unknown;
  prependListener(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  emit(event: string, ...args: unknown[]): boolean;
  listenerCount(event: string): number;
}

/** undici's (the WHATWG) WebSocket, as far as the binding uses it. */
interface TargetSocket {
  readonly readyState: number;
  send(data: unknown): unknown;
  close(...args: unknown[]): unknown;
  addEventListener(event: string, listener: (event: any) => void, options?: unknown): unknown;
  dispatchEvent(event: unknown): boolean;
}

const bound = new WeakMap<object, SessionGovernor>();
/** `readyState` of an open socket, in both APIs. */
const OPEN = 1;

function isEmitter(socket: object): socket is EmitterSocket {
  const candidate = socket as Partial<EmitterSocket>;
  return typeof candidate.prependListener === 'function' && typeof candidate.emit === 'function';
}

function isTarget(socket: object): socket is TargetSocket {
  const candidate = socket as Partial<TargetSocket>;
  return typeof candidate.addEventListener === 'function' && typeof candidate.dispatchEvent === 'function';
}

/** The governor of a socket already bound (by egress or an adapter), if any. */
export function realtimeGovernorOf(socket: object): SessionGovernor | undefined {
  return bound.get(socket);
}

/**
 * Governs a WebSocket session on `socket` (a `ws` WebSocket or a WHATWG WebSocket): returns its
 * governor, the one already bound when the socket is governed already, or `undefined` for an object
 * that is neither kind of socket. Call it before the app can send (right after construction, or from
 * the handshake, before `open`).
 */
export function governRealtimeSocket(
  governor: Governor,
  socket: object,
  endpoint: SessionEndpoint,
): SessionGovernor | undefined {
  const existing = bound.get(socket);
  if (existing) return existing;
  if (isEmitter(socket)) return bindEmitter(governor, socket, endpoint);
  if (isTarget(socket)) return bindTarget(governor, socket, endpoint);
  return undefined;
}

/** The session's governor, for the protocol of its endpoint. */
function sessionGovernor(
  governor: Governor,
  endpoint: SessionEndpoint,
  transport: ConstructorParameters<typeof GeminiLiveGovernor>[2],
): SessionGovernor {
  if (endpoint.protocol === GEMINI_LIVE_PROTOCOL) return new GeminiLiveGovernor(governor, endpoint, transport);
  if (endpoint.protocol === LYRIA_PROTOCOL) return new LyriaGovernor(governor, endpoint, transport);
  return new RealtimeGovernor(governor, endpoint, transport);
}

/** Whether the governor reads this server frame (Gemini Live and Lyria send their JSON messages as binary frames). */
function reads(session: SessionGovernor, isBinary: boolean): boolean {
  return !isBinary || ('readsBinaryFrames' in session && session.readsBinaryFrames);
}

function bindEmitter(governor: Governor, socket: EmitterSocket, endpoint: SessionEndpoint): SessionGovernor {
  const send = socket.send;
  const close = socket.close;
  const session = sessionGovernor(governor, endpoint, {
    forward: (data, extra) => send.call(socket, data, ...extra),
    isOpen: () => socket.readyState === OPEN,
    deliver: (text) => socket.emit('message', Buffer.from(text, 'utf8'), false),
    // An `error` event with no listener would throw from emit(): then the refusal goes to the log only.
    fail: (error) => {
      if (socket.listenerCount('error') > 0) socket.emit('error', error);
      else diag.warn(`genops: ${error.message}`);
    },
    end: (code, reason) => close.call(socket, code, reason),
  });
  bound.set(socket, session);
  // Own properties of this instance only; `ws` calls them as methods. Variables first: a function literal
  // assigned to a property is made in V8's old generation (lint/no-property-function.grit).
  const governedSend = function governedSend(this: unknown, data: unknown, ...extra: unknown[]) {
    session.send(data, extra);
  };
  const governedClose = function governedClose(this: unknown, ...args: unknown[]) {
    session.afterPending(() => close.apply(socket, args));
  };
  socket.send = governedSend;
  socket.close = governedClose;
  // First, so the governor reads the event even when an app listener throws.
  socket.prependListener('message', (data: unknown, isBinary: unknown) => {
    if (reads(session, isBinary === true)) safely(() => session.receive(data), 'realtime governor');
  });
  socket.once('close', () => session.close());
  return session;
}

function bindTarget(governor: Governor, socket: TargetSocket, endpoint: SessionEndpoint): SessionGovernor {
  const send = socket.send;
  const close = socket.close;
  const session = sessionGovernor(governor, endpoint, {
    forward: (data) => send.call(socket, data),
    isOpen: () => socket.readyState === OPEN,
    deliver: (text) => socket.dispatchEvent(new MessageEvent('message', { data: text })),
    // The WHATWG `error` event has no payload; the typed error rides on it as `error` (an ErrorEvent's field).
    fail: (error) => socket.dispatchEvent(Object.assign(new Event('error'), { error, message: error.message })),
    end: (code, reason) => close.call(socket, code, reason),
  });
  bound.set(socket, session);
  const governedSend = function governedSend(this: unknown, data: unknown) {
    session.send(data);
  };
  const governedClose = function governedClose(this: unknown, ...args: unknown[]) {
    session.afterPending(() => close.apply(socket, args));
  };
  socket.send = governedSend;
  socket.close = governedClose;
  // Registered before the constructor returns: before any listener of the app.
  // A binary frame with `binaryType` 'blob' (the default) is read asynchronously (Gemini Live's messages): in
  // order, and the close waits for the reads before it (a turn's usage arriving just before the close).
  let reading: Promise<void> = Promise.resolve();
  socket.addEventListener('message', (event: { data: unknown }) => {
    const data = event.data;
    if (data instanceof Blob) {
      if (reads(session, true))
        reading = reading
          .then(() => data.text())
          .then(
            (text) => safely(() => session.receive(text), 'realtime governor'),
            () => undefined,
          );
      return;
    }
    safely(() => session.receive(data), 'realtime governor');
  });
  socket.addEventListener('close', () => void reading.then(() => session.close()), { once: true });
  return session;
}
