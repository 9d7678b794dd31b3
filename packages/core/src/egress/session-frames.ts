// The order of a governed WebSocket session's client frames: a frame that starts a governed unit waits for
// its decision, and every frame the app sends after it waits behind it, so frames reach the server in the
// order the app sent them. The session governors (realtime-governor.ts, gemini-live-governor.ts) hold
// their frames here; the socket binding (realtime-socket.ts) makes the app's `close()` wait for them.
import { diag } from '@opentelemetry/api';
import { GovernanceError } from '../errors/governance-error';
import { isObject } from './endpoints';

/** Frames larger than this are not parsed (audio chunks); their bytes still count toward the input bound. */
export const MAX_PARSED_BYTES = 4 * 1024 * 1024;

/** The client frames of one session that wait behind a decision. */
export class SessionFrames {
  private queue: Promise<void> = Promise.resolve();
  private held = 0;

  /** True while some frame waits (a decision pending, or frames queued behind one). */
  get holding(): boolean {
    return this.held > 0;
  }

  /**
   * Runs `step` once every frame queued before it has gone (or was refused). A step's failure (a socket
   * that throws on a deferred send) is logged, never left as an unhandled rejection: the app's `send`
   * returned long ago.
   */
  after(step: () => unknown): void {
    this.held++;
    this.queue = this.queue
      .then(step)
      .then(
        () => undefined,
        (error: unknown) => diag.warn('genops: a deferred WebSocket frame could not be sent', error),
      )
      .finally(() => {
        this.held--;
      });
  }

  /** Runs `fn` now when nothing waits, otherwise once every frame queued so far has gone (an app's `close()`). */
  afterPending(fn: () => void): void {
    if (this.held === 0) fn();
    else void this.queue.then(fn, fn);
  }

  /** Resolves once every frame queued so far has gone. */
  drained(): Promise<void> {
    return this.queue;
  }
}

/** Request text kept for content rules, per unit. */
const MAX_TEXT_BYTES = 1024 * 1024;

/**
 * What the client sent since the last unit opened: its bytes (the next unit's input bound, with media counted
 * by their encoded bytes, far above their tokens) and its text for content rules (media left out, 1 MiB kept).
 */
export class PendingInput {
  private bytes = 0;
  private texts: string[] = [];
  private textBytes = 0;

  /** Counts a frame; `text` is kept for content rules unless it is `undefined` (media, binary). */
  add(bytes: number, text: string | undefined): void {
    this.bytes += bytes;
    if (text === undefined || this.textBytes + text.length > MAX_TEXT_BYTES) return;
    this.texts.push(text);
    this.textBytes += text.length;
  }

  /** Bytes and texts so far, and starts over (the unit that opens takes them). */
  take(): { bytes: number; texts: string[] } {
    const taken = { bytes: this.bytes, texts: this.texts };
    this.bytes = 0;
    this.texts = [];
    this.textBytes = 0;
    return taken;
  }
}

/** Bytes of a frame as the app gave it (a string, a Buffer, an ArrayBuffer or a typed array). */
export function frameBytes(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data, 'utf8');
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/** The text of a frame (a string, a Buffer, an ArrayBuffer or a typed array), or undefined for anything else. */
export function frameText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.byteLength <= MAX_PARSED_BYTES ? data.toString('utf8') : undefined;
  if (data instanceof ArrayBuffer)
    return data.byteLength <= MAX_PARSED_BYTES ? Buffer.from(data).toString('utf8') : undefined;
  if (ArrayBuffer.isView(data))
    return data.byteLength <= MAX_PARSED_BYTES
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')
      : undefined;
  if (Array.isArray(data) && data.every((part) => Buffer.isBuffer(part))) return frameText(Buffer.concat(data));
  return undefined;
}

/** The bytes of a binary frame, without copying where possible. */
export function frameBuffer(data: unknown): Buffer | undefined {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((part) => Buffer.isBuffer(part))) return Buffer.concat(data);
  return undefined;
}

/** A frame's JSON object, or undefined (not JSON, not an object, or over {@link MAX_PARSED_BYTES}). */
export function parseFrameJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text.length > MAX_PARSED_BYTES) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** How a session governor closes its socket when governance refused it (see {@link refusalClose}). */
export interface SessionEnd {
  /** Closes the socket now with `code` and `reason` (frames still held are dropped, never sent). */
  end(code: number, reason: string): void;
}

/** Longest close reason a WebSocket allows, in UTF-8 bytes. */
const MAX_REASON_BYTES = 123;

/**
 * The close a session governor ends a session with when governance refused what it asked for (a Gemini Live
 * turn, a Lyria `play` or its next window of music), so that an app waiting for the server's answer sees the
 * session end instead of waiting forever: code 4000 + the error's HTTP-like status (4402 budget, 4403 policy
 * or approval, 4429 rate limit, 4503 an unreachable store; 4500 for an error that is not a governance
 * decision) — a private-use code, the only kind a WHATWG WebSocket may send besides 1000 — and a reason
 * naming the error and its reason code, never content.
 */
export function refusalClose(error: unknown, what: string): { code: number; reason: string } {
  const governance = GovernanceError.isInstance(error) ? error : undefined;
  const status = governance?.status;
  const code = status !== undefined && status >= 400 && status <= 599 ? 4000 + status : 4500;
  const name = error instanceof Error ? error.name : 'Error';
  const reason = `genops: ${name}${governance ? ` (${governance.reasonCode})` : ''}: ${what} refused`;
  // Error names, reason codes and `what` are ASCII: one byte a character.
  return { code, reason: reason.slice(0, MAX_REASON_BYTES) };
}
