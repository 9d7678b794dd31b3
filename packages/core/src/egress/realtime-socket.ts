// Binds the realtime governor (realtime-governor.ts) to the two WebSocket clients Node apps use: the `ws`
// package's WebSocket (an EventEmitter: `openai/realtime/ws`, `openai/resources/responses/ws`) and
// undici's WebSocket, Node's global one (an EventTarget: `openai/realtime/websocket`). Only the instance
// is changed, never a prototype: its `send` goes through the governor, its `close` waits for frames held
// behind a decision, and the governor reads each server message before the app's listeners do.
import { safely } from '../adapter/safely';
import type { Governor } from '../governor';
import { type RealtimeEndpoint, RealtimeGovernor } from './realtime-governor';

/** The `ws` package's WebSocket, as far as the binding uses it. */
interface EmitterSocket {
  readonly readyState: number;
  send(data: unknown, ...rest: unknown[]): unknown;
  close(...args: unknown[]): unknown;
  prependListener(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  emit(event: string, ...args: unknown[]): boolean;
}

/** undici's (the WHATWG) WebSocket, as far as the binding uses it. */
interface TargetSocket {
  readonly readyState: number;
  send(data: unknown): unknown;
  close(...args: unknown[]): unknown;
  addEventListener(event: string, listener: (event: any) => void, options?: unknown): unknown;
  dispatchEvent(event: unknown): boolean;
}

const bound = new WeakMap<object, RealtimeGovernor>();
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
export function realtimeGovernorOf(socket: object): RealtimeGovernor | undefined {
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
  endpoint: RealtimeEndpoint,
): RealtimeGovernor | undefined {
  const existing = bound.get(socket);
  if (existing) return existing;
  if (isEmitter(socket)) return bindEmitter(governor, socket, endpoint);
  if (isTarget(socket)) return bindTarget(governor, socket, endpoint);
  return undefined;
}

function bindEmitter(governor: Governor, socket: EmitterSocket, endpoint: RealtimeEndpoint): RealtimeGovernor {
  const send = socket.send;
  const close = socket.close;
  const session = new RealtimeGovernor(governor, endpoint, {
    forward: (data, extra) => send.call(socket, data, ...extra),
    isOpen: () => socket.readyState === OPEN,
    deliver: (text) => socket.emit('message', Buffer.from(text, 'utf8'), false),
  });
  bound.set(socket, session);
  // Own properties of this instance only; `ws` calls them as methods.
  socket.send = function governedSend(this: unknown, data: unknown, ...extra: unknown[]) {
    session.send(data, extra);
  };
  socket.close = function governedClose(this: unknown, ...args: unknown[]) {
    session.afterPending(() => close.apply(socket, args));
  };
  // First, so the governor reads the event even when an app listener throws.
  socket.prependListener('message', (data: unknown, isBinary: unknown) => {
    if (isBinary !== true) safely(() => session.receive(data), 'realtime governor');
  });
  socket.once('close', () => session.close());
  return session;
}

function bindTarget(governor: Governor, socket: TargetSocket, endpoint: RealtimeEndpoint): RealtimeGovernor {
  const send = socket.send;
  const close = socket.close;
  const session = new RealtimeGovernor(governor, endpoint, {
    forward: (data) => send.call(socket, data),
    isOpen: () => socket.readyState === OPEN,
    deliver: (text) => socket.dispatchEvent(new MessageEvent('message', { data: text })),
  });
  bound.set(socket, session);
  socket.send = function governedSend(this: unknown, data: unknown) {
    session.send(data);
  };
  socket.close = function governedClose(this: unknown, ...args: unknown[]) {
    session.afterPending(() => close.apply(socket, args));
  };
  // Registered before the constructor returns: before any listener of the app.
  socket.addEventListener('message', (event: { data: unknown }) =>
    safely(() => session.receive(event.data), 'realtime governor'),
  );
  socket.addEventListener('close', () => session.close(), { once: true });
  return session;
}
