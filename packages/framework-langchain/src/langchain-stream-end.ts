import { AsyncLocalStorage } from 'node:async_hooks';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';

// LangChain reports no callback when the consumer of `model.stream()` stops reading: `_streamIterator`
// runs `handleLLMEnd` only after its last chunk and `handleLLMError` only on an error, so a `break` (or a
// stream dropped unread) leaves the model run's unit open. The one place that sees it is the iterator
// itself: `BaseChatModel.prototype._streamIterator` is wrapped once, and each model run started while
// one of its steps runs (the start callback is awaited inside it) learns how that stream ends.

/** One `_streamIterator` stream: what to do when its consumer leaves before the last chunk. */
export interface ChatModelStream {
  /** Run when the consumer stops reading early (`return()` before the end). */
  readonly onAbandon: Array<() => void>;
}

/**
 * The stream whose step is running, held weakly: an async context outlives the step in whatever was
 * started inside it (a keep-alive timer, a pooled socket), and must not keep a dropped stream alive.
 */
const activeStream = new AsyncLocalStorage<WeakRef<ChatModelStream>>();
const WRAPPED = Symbol.for('genops.langchain.streamIterator');

/** The chat-model stream whose step is running, when a model run starts inside one. */
export function currentChatModelStream(): ChatModelStream | undefined {
  return activeStream.getStore()?.deref();
}

type StreamIterator = (this: unknown, input: unknown, options?: unknown) => AsyncGenerator<unknown>;

/** Wraps `BaseChatModel.prototype._streamIterator` of this copy of `@langchain/core`, once. */
export function watchChatModelStreams(): void {
  const prototype = BaseChatModel.prototype as unknown as Record<PropertyKey, unknown> & {
    _streamIterator: StreamIterator;
  };
  if (prototype[WRAPPED]) return;
  const original = prototype._streamIterator;
  if (typeof original !== 'function') return;
  prototype._streamIterator = function (this: unknown, input: unknown, options?: unknown) {
    return watched(original.call(this, input, options));
  } as StreamIterator;
  prototype[WRAPPED] = true;
}

/**
 * The iterator as LangChain's stream consumes it: every step runs with the stream as the active one,
 * and a `return()` before the last chunk runs the stream's `onAbandon` handlers.
 */
function watched(iterator: AsyncGenerator<unknown>): AsyncGenerator<unknown> {
  const stream: ChatModelStream = { onAbandon: [] };
  const active = new WeakRef(stream);
  let finished = false;
  const step = async (advance: () => Promise<IteratorResult<unknown>>) => {
    try {
      const result = await activeStream.run(active, advance);
      if (result.done) finished = true;
      return result;
    } catch (error) {
      finished = true;
      throw error;
    }
  };
  const generator = {
    next: (...args: [] | [unknown]) => step(() => iterator.next(...args)),
    throw: (error?: unknown) => step(() => iterator.throw(error)),
    async return(value?: unknown) {
      try {
        return await iterator.return(value);
      } finally {
        if (!finished) {
          finished = true;
          for (const abandon of stream.onAbandon.splice(0)) abandon();
        }
      }
    },
    [Symbol.asyncIterator]() {
      return generator;
    },
    [Symbol.asyncDispose]: async () => {
      await generator.return(undefined);
    },
  };
  return generator as unknown as AsyncGenerator<unknown>;
}
