// The undici handler that passes the upstream's response to the client as it arrives: status and
// headers (hop-by-hop ones dropped), then each chunk unbuffered, with backpressure both ways. A client
// that goes away aborts the upstream request (the unit settles from what was read, or at its
// reservation). The response ends first (its last bytes flushed to the client), then the unit settles
// (ReplyFirst): the settlement is off the reply's latency path, and the request counts as in flight
// until both happened (the reply ended or failed, and governance said the unit's settlement is
// recorded), so a graceful close still settles every unit.
import type { ServerResponse } from 'node:http';
import { type DispatchController, type DispatchHandler, ForwardingHandler } from '@genops/core/internal';
import { type ErrorWire, gatewayRefusal, sendRefusal } from './refusal';
import { UsageChunkFilter } from './stream-usage';

/** Response headers that describe the upstream connection, not the response. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'set-cookie',
]);

/** Where a response keeps its ReplyHandler, for the shared `close` listener. */
const REPLY_HANDLER = Symbol('genops.gateway.replyHandler');

function onClientClose(this: ServerResponse & { [REPLY_HANDLER]?: ReplyHandler }): void {
  this[REPLY_HANDLER]?.clientClosed();
}

export class ClientClosedError extends Error {
  constructor() {
    super('the client closed the connection before the response ended');
    this.name = 'ClientClosedError';
  }
}

export class ReplyHandler implements DispatchHandler {
  private controller: DispatchController | undefined;
  private finished = false;
  /** The reply ended or failed (its last callback ran). */
  private replied = false;
  /** The unit's settlement is recorded. */
  private unitSettled = false;
  /** The unit's W3C traceparent, returned to the client. */
  traceparent: string | undefined;
  /** The gateway asked the stream for usage the client did not ask for: its usage chunk is dropped. */
  hideUsageChunk = false;
  private filter: UsageChunkFilter | undefined;
  /** Bytes of the body still to come, when the upstream declared its length (else -1). */
  private remaining = -1;

  constructor(
    private readonly response: ServerResponse,
    private readonly wire: ErrorWire,
    /** Called once with this handler when its request is done (its unit settled, or never sent). */
    private readonly onDone: (handler: ReplyHandler) => void,
  ) {
    // One listener shared by every response (a response closes once): no closure per request.
    (response as ServerResponse & { [REPLY_HANDLER]?: ReplyHandler })[REPLY_HANDLER] = this;
    response.on('close', onClientClose);
  }

  /** The client's connection closed: the upstream request is aborted unless the response ended. */
  clientClosed(): void {
    if (!this.finished) this.abort(new ClientClosedError());
  }

  /** True once the client is gone: nothing more is sent upstream. */
  get clientGone(): boolean {
    return this.response.destroyed || (this.response.writableEnded && !this.finished);
  }

  /** Aborts the upstream request (client gone, or a drain that timed out). */
  abort(reason: Error): void {
    if (this.controller && !this.controller.aborted) this.controller.abort(reason);
  }

  onRequestStart(controller: DispatchController): void {
    this.controller = controller;
    if (this.response.destroyed) controller.abort(new ClientClosedError());
  }

  onResponseStart(
    controller: DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.controller = controller;
    if (statusCode < 200 || this.response.destroyed) return;
    // undici gives the names in lower case.
    const out: Record<string, string | string[]> = {};
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
    }
    if (this.traceparent) out.traceparent = this.traceparent;
    if (this.hideUsageChunk && statusCode < 300 && isEventStream(headers['content-type'])) {
      // The body's length changes: sent chunked.
      this.filter = new UsageChunkFilter();
      delete out['content-length'];
    } else this.remaining = declaredLength(headers['content-length']);
    this.response.writeHead(statusCode, out);
  }

  onResponseData(controller: DispatchController, chunk: Uint8Array): void {
    if (this.response.destroyed) return;
    if (this.remaining >= 0) {
      this.remaining -= chunk.byteLength;
      // The body's last bytes (a whole JSON answer usually comes in one chunk): the response ends with
      // them, the headers and body in one write, as `endReply()` would do right after.
      if (this.remaining <= 0 && !this.finished) {
        this.finished = true;
        this.response.end(chunk);
        return;
      }
    }
    const data = this.filter ? this.filter.push(chunk) : chunk;
    if (data.byteLength > 0 && !this.response.write(data)) {
      controller.pause();
      this.response.once('drain', () => controller.resume());
    }
  }

  /** Ends the client's response (once): node:http writes its last bytes to the socket now. */
  endReply(): void {
    if (this.finished) return;
    this.finished = true;
    const rest = this.filter?.end();
    if (!this.response.destroyed) this.response.end(rest && rest.byteLength > 0 ? rest : undefined);
  }

  /** Governance recorded the unit's settlement (before or after the reply's last callback). */
  settledUnit(): void {
    this.unitSettled = true;
    if (this.replied) this.onDone(this);
  }

  /** The reply's last callback (the unit's settlement started before it): done once both happened. */
  private repliedNow(): void {
    this.replied = true;
    if (this.unitSettled) this.onDone(this);
  }

  onResponseEnd(): void {
    this.endReply();
    this.repliedNow();
  }

  onResponseError(_controller: DispatchController, error: Error): void {
    this.finished = true;
    if (!this.response.headersSent && !this.response.destroyed)
      sendRefusal(
        this.response,
        this.wire,
        gatewayRefusal(
          502,
          'upstream_unreachable',
          `the gateway could not reach the upstream provider (${codeOf(error)})`,
        ),
      );
    else this.response.destroy();
    this.repliedNow();
  }
}

/**
 * Around the unit's handler (governance's, which settles the unit when the response ends, then tells
 * the ReplyHandler inside it): ends the client's response before that, so the client has its whole
 * answer while the settlement is recorded. node:http holds a response's writes until the end of the
 * tick and flushes them on `end()`: without this, the settlement (span, metrics, audit, the store's
 * write) would run before the client's last bytes leave.
 */
export class ReplyFirst extends ForwardingHandler {
  constructor(
    inner: DispatchHandler,
    private readonly reply: ReplyHandler,
  ) {
    super(inner);
  }

  override onResponseEnd(
    controller: DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    this.reply.endReply();
    super.onResponseEnd(controller, trailers);
  }
}

/** A `content-length` header's value, or -1 when there is none (or it is not a length). */
function declaredLength(value: string | string[] | undefined): number {
  const length = typeof value === 'string' && value !== '' ? Number(value) : Number.NaN;
  return Number.isSafeInteger(length) && length >= 0 ? length : -1;
}

function isEventStream(type: string | string[] | undefined): boolean {
  const value = Array.isArray(type) ? type[0] : type;
  return typeof value === 'string' && value.toLowerCase().startsWith('text/event-stream');
}

/** The error's code, never its message (which may carry a URL or provider text). */
function codeOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}
