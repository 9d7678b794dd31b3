// The undici handler egress wraps around the caller's: every callback passes through unchanged and in
// order; the response's status, headers and bytes are also shown to a ResponseObserver, and the unit
// (a governed call, or the span of an ungoverned one) is settled when the response ends or fails.
import { diag } from '@opentelemetry/api';
import type { CallOutcome } from '../pipeline/types';
import type { ResponseObserver } from './response-observer';

/** undici's handler interface (v7, the one `Dispatcher.compose` interceptors receive). */
export interface DispatchController {
  abort(reason: Error): void;
  pause(): void;
  resume(): void;
  readonly aborted: boolean;
  readonly paused: boolean;
  readonly reason: Error | null;
}

export interface DispatchHandler {
  onRequestStart?(controller: DispatchController, context: unknown): void;
  onRequestUpgrade?(controller: DispatchController, statusCode: number, headers: unknown, socket: unknown): void;
  onResponseStart?(
    controller: DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void;
  onResponseData?(controller: DispatchController, chunk: Uint8Array): void;
  onResponseEnd?(controller: DispatchController, trailers: Record<string, string | string[] | undefined>): void;
  onResponseError?(controller: DispatchController, error: Error): void;
}

/** What a response settles: a governed call, or the span of an ungoverned request (warn mode). */
export interface UnitSink {
  firstChunk(): void;
  end(outcome: CallOutcome): unknown;
  fail(error: unknown, partial?: CallOutcome): unknown;
}

/** A provider answered with an error status: nothing billable (the call fails with actual 0). */
export class ProviderHttpError extends Error {
  constructor(readonly status: number) {
    super(`the provider answered HTTP ${status}`);
    this.name = 'ProviderHttpError';
  }
}

/** Errors of a connection that never carried the request: nothing can have been billed. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ENETUNREACH']);

/** Whether `error` (a dispatch's) means the request never left: its connection could not be made. */
export function neverSent(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NOT_SENT.has(code);
}

/** A handler that passes every callback on to the caller's handler, unchanged and in order. */
export class ForwardingHandler implements DispatchHandler {
  constructor(protected readonly inner: DispatchHandler) {}

  onRequestStart(controller: DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: DispatchController, statusCode: number, headers: unknown, socket: unknown): void {
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: DispatchController, chunk: Uint8Array): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: DispatchController, error: Error): void {
    this.inner.onResponseError?.(controller, error);
  }
}

export class WireHandler extends ForwardingHandler {
  private started = false;
  private first = true;
  private done = false;

  constructor(
    inner: DispatchHandler,
    private readonly sink: UnitSink,
    private readonly observer: ResponseObserver,
  ) {
    super(inner);
  }

  // Each step below runs in its own try/catch (what `safely` does, without a closure per callback): an
  // error inside GenOps never breaks the caller's response.

  override onResponseStart(
    controller: DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (statusCode >= 200) {
      this.started = true;
      try {
        this.observer.start(statusCode, headers);
      } catch (error) {
        ignored('egress response reader', error);
      }
    }
    super.onResponseStart(controller, statusCode, headers, statusMessage);
  }

  override onResponseData(controller: DispatchController, chunk: Uint8Array): void {
    if (this.first) {
      this.first = false;
      try {
        this.sink.firstChunk();
      } catch (error) {
        ignored('egress first chunk', error);
      }
    }
    try {
      this.observer.data(chunk);
    } catch (error) {
      ignored('egress response reader', error);
    }
    super.onResponseData(controller, chunk);
  }

  override onResponseEnd(
    controller: DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    // Settled before the caller sees the end, so that a caller who read the whole response finds its
    // unit on the record (asynchronously only for a compressed body).
    this.settle();
    super.onResponseEnd(controller, trailers);
  }

  override onResponseError(controller: DispatchController, error: Error): void {
    if (!this.done) {
      this.done = true;
      // Once the provider answered (or may have received the request), the call may be billed: it
      // settles from what was read, else at its reservation, flagged incomplete.
      const maybeBilled = this.started || !neverSent(error);
      try {
        this.sink.fail(error, maybeBilled ? this.observer.partial() : undefined);
      } catch (failure) {
        ignored('egress settlement', failure);
      }
    }
    super.onResponseError(controller, error);
  }

  private settle(): void {
    if (this.done) return;
    this.done = true;
    const status = this.observer.status;
    if (status < 200 || status >= 300) {
      try {
        this.sink.fail(new ProviderHttpError(status));
      } catch (error) {
        ignored('egress settlement', error);
      }
      return;
    }
    let outcome: CallOutcome | Promise<CallOutcome>;
    try {
      outcome = this.observer.end();
    } catch (error) {
      ignored('egress response reader', error);
      outcome = { incomplete: true };
    }
    if (outcome instanceof Promise)
      outcome.then(
        (read) => this.sink.end(read),
        () => this.sink.end({ incomplete: true }),
      );
    else
      try {
        this.sink.end(outcome);
      } catch (error) {
        ignored('egress settlement', error);
      }
  }
}

/** An error inside GenOps' reading or settling of a response: logged, never the caller's. */
function ignored(what: string, error: unknown): void {
  diag.warn(`genops: ${what} error (ignored)`, error);
}
