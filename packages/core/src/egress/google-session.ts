// What the two Google WebSocket session governors share — Gemini Live (gemini-live-governor.ts, per model turn)
// and Lyria RealTime music (lyria-governor.ts, per window of generated audio): the session span, the model of the
// `setup` frame, client frames held in order behind a decision (session-frames.ts), JSON messages read from
// binary frames, and how a refused session ends: the typed error on the socket's `error` event, then a close
// naming it (refusalClose), so that an app waiting for the server's answer stops waiting.
import { type Context, context, type Span, trace } from '@opentelemetry/api';
import type { Governor } from '../governor';
import { ATTR_ERROR_TYPE, ATTR_GEN_AI_REQUEST_MODEL } from '../semconv';
import { type RealtimeTransport, startSessionSpan } from './realtime-governor';
import { frameBuffer, frameText, PendingInput, refusalClose, type SessionEnd, SessionFrames } from './session-frames';

/** How a Google session governor reaches its socket: the Realtime transport, an error event and a close. */
export interface GoogleSessionTransport extends RealtimeTransport, SessionEnd {
  /** Reports a refused frame to the app as the socket's `error` event. */
  fail(error: Error): void;
}

/** A Google WebSocket session as its handshake describes it. */
export interface GoogleSessionEndpoint {
  /** `gen_ai.provider.name` (`gcp.gemini`, `gcp.vertex_ai`). */
  provider: string;
  /** Known once the `setup` frame names it. */
  model?: string | undefined;
  server: { serverAddress: string; serverPort: number };
}

/** A server frame as something to search for a key: its text, or its bytes (Buffer, ArrayBuffer, typed array). */
export function searchable(data: unknown): string | Buffer | undefined {
  return typeof data === 'string' ? data : frameBuffer(data);
}

/** The model id of a `setup.model` resource name (`models/x`, `projects/p/locations/l/publishers/google/models/x`). */
export function modelId(name: string): string {
  const index = name.lastIndexOf('models/');
  return index >= 0 ? name.slice(index + 'models/'.length) : name;
}

/**
 * The first key of a JSON object's text (`{"realtimeInput":…` → `realtimeInput`; a client message has one),
 * read without parsing the message: audio chunks go by many times a second.
 */
export function firstKey(text: string): string | undefined {
  let index = 0;
  const skip = () => {
    while (index < 64 && (text[index] === ' ' || text[index] === '\n' || text[index] === '\r' || text[index] === '\t'))
      index++;
  };
  skip();
  if (text[index] !== '{') return undefined;
  index++;
  skip();
  if (text[index] !== '"') return undefined;
  const end = text.indexOf('"', index + 1);
  return end > index && end - index <= 64 ? text.slice(index + 1, end) : undefined;
}

/**
 * A Google WebSocket session: client frames pass through {@link send}, server messages through `receive`,
 * and `close` ends it. Subclasses read their protocol's frames ({@link sendFrame}).
 */
export abstract class GoogleSessionGovernor {
  /** The session's span: the parent of its units. */
  readonly span: Span;
  /** Google's servers send their JSON messages as binary frames: the binding hands those over too. */
  readonly readsBinaryFrames = true;
  protected readonly frames = new SessionFrames();
  /** Client frames since the last unit opened: the next unit's input. */
  protected readonly pending = new PendingInput();
  protected model: string | undefined;
  protected closed = false;
  /** Governance refused the session: GenOps closed it, and no frame is sent any more. */
  protected refused = false;

  constructor(
    protected readonly governor: Governor,
    protected readonly endpoint: GoogleSessionEndpoint,
    protected readonly transport: GoogleSessionTransport,
    private readonly protocol: string,
  ) {
    this.model = endpoint.model;
    this.span = startSessionSpan(governor, protocol, endpoint);
  }

  /** A client frame: forwarded at once, or held behind a decision ({@link sendFrame}). */
  send(data: unknown, extra: readonly unknown[] = []): void {
    // A socket that is not open sends nothing: the app gets the socket's own answer (a throw, a drop) at once.
    if (!this.frames.holding && !this.transport.isOpen()) {
      this.transport.forward(data, extra);
      return;
    }
    // Refused: the session is closing; nothing more goes out.
    if (this.refused) return;
    this.sendFrame(data, extra, frameText(data));
  }

  /** A client frame of an open session that governance has not refused. */
  protected abstract sendFrame(data: unknown, extra: readonly unknown[], text: string | undefined): void;

  /** Runs `fn` once every frame sent so far has been forwarded or refused (an app's `close()`). */
  afterPending(fn: () => void): void {
    this.frames.afterPending(fn);
  }

  /** Forwards a frame now, or behind the frames waiting for a decision. */
  protected forwardInOrder(data: unknown, extra: readonly unknown[]): void {
    if (!this.frames.holding) this.transport.forward(data, extra);
    else this.frames.after(() => this.forwardIfOpen(data, extra));
  }

  protected forwardIfOpen(data: unknown, extra: readonly unknown[]): void {
    if (!this.closed && !this.refused) this.transport.forward(data, extra);
  }

  /** The context a unit of this session begins in: a child of the session span. */
  protected sessionContext(): Context {
    return trace.setSpan(context.active(), this.span);
  }

  /** A `setup` frame: its model (`models/x`, Vertex's full resource name) names the session. */
  protected setup(setup: Record<string, unknown>): void {
    if (typeof setup.model !== 'string' || setup.model.length === 0) return;
    this.model = modelId(setup.model);
    this.span.updateName(`${this.protocol} ${this.model}`);
    this.span.setAttribute(ATTR_GEN_AI_REQUEST_MODEL, this.model);
  }

  /**
   * Governance refused `what`: the app's socket gets the typed error (its `error` event), then GenOps closes the
   * session (code 4000 + the error's status, a reason naming it: refusalClose) and nothing more is sent. The
   * session span records why (`error.type`).
   */
  protected endRefused(error: unknown, what: string): void {
    if (this.closed || this.refused) return;
    this.refused = true;
    const failure = error instanceof Error ? error : new Error(`GenOps could not govern ${what}; it was not sent.`);
    this.span.setAttribute(ATTR_ERROR_TYPE, failure.name);
    try {
      this.transport.fail(failure);
    } catch (thrown) {
      // A listener that throws throws as it would for a socket error: uncaught, not swallowed by the queue.
      process.nextTick(() => {
        throw thrown;
      });
    }
    const { code, reason } = refusalClose(failure, what);
    this.transport.end(code, reason);
  }
}
