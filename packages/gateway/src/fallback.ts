// Upstream fallback: a provider's upstreams are tried in order, inside one governed unit. The next one
// is tried when an upstream could not be reached (the request was never sent) or answered a 5xx; the
// unit, and the client, see only the attempt that counts: the first that answered otherwise, or the
// last one. Nothing of a failed attempt reaches the client, so a retry is safe; a request that may have
// reached a provider (a connection that broke after sending) is never sent again.
import {
  type DispatchController,
  type DispatchHandler,
  type DispatchOptions,
  ForwardingHandler,
  neverSent,
} from '@genops/core/internal';

/** The most of a 5xx body held while deciding whether to try the next upstream. */
const MAX_HELD_BYTES = 64 * 1024;

/** How one attempt is sent: its dispatch options, and the dispatcher. */
export type SendAttempt = (options: DispatchOptions, handler: DispatchHandler) => boolean;

/**
 * Sends `attempts[0]`, then the next one while an attempt fails in a way another upstream may fix and
 * `mayRetry()` (e.g. the client is still there). `handler` sees one attempt: the one that counts.
 */
export function dispatchWithFallback(
  send: SendAttempt,
  attempts: readonly DispatchOptions[],
  handler: DispatchHandler,
  mayRetry: () => boolean,
): boolean {
  const attempt = (index: number): boolean => {
    const last = index === attempts.length - 1;
    const next = last ? undefined : () => mayRetry() && attempt(index + 1);
    return send(attempts[index] as DispatchOptions, next ? new Attempt(handler, next) : handler);
  };
  return attempt(0);
}

/** One attempt that a later upstream may replace: a 5xx is held until its end, then retried or passed on. */
class Attempt extends ForwardingHandler {
  private held:
    | { statusCode: number; headers: Record<string, string | string[] | undefined>; message?: string }
    | undefined;
  private heldChunks: Uint8Array[] = [];
  private heldBytes = 0;

  constructor(
    inner: DispatchHandler,
    /** Sends the next attempt; false when it may not (then this one is passed on). */
    private readonly next: () => boolean,
  ) {
    super(inner);
  }

  override onResponseStart(
    controller: DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (statusCode >= 500) {
      this.held = { statusCode, headers, ...(statusMessage !== undefined ? { message: statusMessage } : {}) };
      return;
    }
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  override onResponseData(controller: DispatchController, chunk: Uint8Array): void {
    if (!this.held) {
      this.inner.onResponseData?.(controller, chunk);
      return;
    }
    // Held for the client in case no other upstream takes the request; bounded.
    if (this.heldBytes + chunk.byteLength <= MAX_HELD_BYTES) {
      this.heldChunks.push(Buffer.from(chunk));
      this.heldBytes += chunk.byteLength;
    }
  }

  override onResponseEnd(
    controller: DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    const held = this.held;
    if (held && this.retried()) return;
    if (held) {
      this.inner.onResponseStart?.(controller, held.statusCode, held.headers, held.message);
      for (const chunk of this.heldChunks) this.inner.onResponseData?.(controller, chunk);
    }
    this.inner.onResponseEnd?.(controller, trailers);
  }

  override onResponseError(controller: DispatchController, error: Error): void {
    // A request that never left (another upstream may take it), or a 5xx whose body broke.
    if ((this.held || neverSent(error)) && this.retried()) return;
    if (this.held) this.inner.onResponseStart?.(controller, this.held.statusCode, this.held.headers, this.held.message);
    this.inner.onResponseError?.(controller, error);
  }

  /** Sends the next attempt; false when it could not (this attempt's outcome then stands). */
  private retried(): boolean {
    try {
      return this.next();
    } catch {
      return false;
    }
  }
}
