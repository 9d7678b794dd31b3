import type { CallOutcome, GovernedCall } from './pipeline/types';

/** What an adapter supplies to read a stream: a per-chunk reader and the outcome so far. */
export interface StreamObserver<T> {
  onChunk(chunk: T): void;
  /** Chunks to keep from the caller (e.g. a usage-only chunk GenOps asked for and the caller did not). */
  skip?(chunk: T): boolean;
  /** Usage and response info gathered so far (usage arrives on the final event for most providers). */
  outcome(): CallOutcome;
  /**
   * The output text a chunk adds, for output content rules. A chunk whose text an enforcing rule
   * denies is not delivered: the stream is stopped and the caller gets a PolicyViolationError.
   */
  text?(chunk: T): string | undefined;
  /**
   * The stream stopped before its usage arrived (the caller left it, or aborted it) while the provider
   * keeps working and billing (a background response the app can resume): return `true` to keep the call
   * open. The adapter then owns it and must end it (e.g. when the resumed stream ends). Default: the call
   * settles now, at its reservation, flagged incomplete.
   */
  keepOpen?(call: GovernedCall): boolean;
}

/**
 * Wraps a stream's iterator factory so the governed call settles exactly once, however the caller
 * leaves the stream: the last chunk, an early `break` (`return()`), an abort or a broken connection
 * (`throw`) — or never iterates it: the factory and every iterator it makes are tethered to the call
 * (`GovernedCall.tether`), so once the caller holds none of them the call settles as abandoned, at its
 * reservation. Chunks pass through unchanged and unbuffered.
 */
export function governIterator<T>(
  call: GovernedCall,
  source: () => AsyncIterator<T>,
  observer: StreamObserver<T>,
): () => AsyncIterator<T> {
  const factory = () => {
    const iterator = source();
    let first = true;
    let finished = false;
    const settle = (incomplete: boolean) => {
      if (finished) return Promise.resolve();
      finished = true;
      const outcome = safeOutcome(observer);
      if ((incomplete || outcome.usage === undefined) && keptOpen(observer, call)) {
        call.untether();
        return Promise.resolve();
      }
      return call.end({
        ...outcome,
        incomplete: incomplete || outcome.incomplete === true || outcome.usage === undefined,
      });
    };
    const wrapped: AsyncIterator<T> = {
      async next(...args: [] | [unknown]) {
        for (;;) {
          let result: IteratorResult<T>;
          try {
            result = await iterator.next(...args);
          } catch (error) {
            if (!finished) {
              finished = true;
              await call.fail(error, safeOutcome(observer));
            }
            throw error;
          }
          if (result.done) {
            await settle(false);
            return result;
          }
          if (first) {
            first = false;
            call.firstChunk();
          }
          let skip = false;
          let denied: unknown;
          try {
            observer.onChunk(result.value);
            skip = observer.skip?.(result.value) === true;
            const delta = observer.text?.(result.value);
            if (delta) denied = call.checkOutput(delta);
          } catch {
            // A chunk the adapter cannot read must not break the caller's stream.
          }
          if (denied) {
            finished = true;
            try {
              await iterator.return?.();
            } catch {
              // The upstream stream is being abandoned; its own errors no longer matter.
            }
            await call.fail(denied, safeOutcome(observer));
            throw denied;
          }
          if (!skip) return result;
        }
      },
      async return(value?: unknown) {
        try {
          return iterator.return ? await iterator.return(value) : { done: true, value: value as T };
        } finally {
          await settle(true);
        }
      },
    };
    if (iterator.throw) {
      // A variable first: a function literal assigned to a property is made in V8's old generation, and
      // would keep the stream's state alive there (lint/no-property-function.grit).
      const throwInto = async (error?: unknown) => {
        try {
          return await iterator.throw!(error);
        } finally {
          if (!finished) {
            finished = true;
            await call.fail(error, safeOutcome(observer));
          }
        }
      };
      wrapped.throw = throwInto;
    }
    call.tether(wrapped);
    return wrapped;
  };
  call.tether(factory);
  return factory;
}

function keptOpen<T>(observer: StreamObserver<T>, call: GovernedCall): boolean {
  try {
    return observer.keepOpen?.(call) === true;
  } catch {
    return false;
  }
}

function safeOutcome<T>(observer: StreamObserver<T>): CallOutcome {
  try {
    return observer.outcome();
  } catch {
    return {};
  }
}
