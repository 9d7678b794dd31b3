import { type CallOutcome, type GovernedCall, governIterator, type StreamObserver } from '@genops/core/adapter';
import { convertGoogleUsage } from './convert-google-usage';
import { readGoogleResponse } from './read-google-response';

type Chunk = Record<string, any>;

/**
 * Reads a `generateContentStream` as its chunks pass: each chunk is a `GenerateContentResponse` with
 * `responseId`, `modelVersion`, running `usageMetadata`, and on the last one `candidates[].finishReason`.
 */
export function createGoogleStreamObserver(): StreamObserver<Chunk> {
  let id: string | undefined;
  let model: string | undefined;
  let usageMetadata: unknown;
  const finishReasons = new Map<number, string>();
  return {
    onChunk(chunk) {
      if (typeof chunk?.responseId === 'string') id = chunk.responseId;
      if (typeof chunk?.modelVersion === 'string') model = chunk.modelVersion;
      // Running counts: the latest replaces the earlier ones.
      if (chunk?.usageMetadata) usageMetadata = chunk.usageMetadata;
      for (const [position, candidate] of (Array.isArray(chunk?.candidates) ? chunk.candidates : []).entries()) {
        if (typeof candidate?.finishReason === 'string')
          finishReasons.set(typeof candidate.index === 'number' ? candidate.index : position, candidate.finishReason);
      }
    },
    text: (chunk) => textOf(chunk),
    outcome(): CallOutcome {
      // Until a chunk with a `finishReason` arrives, the usage is a running count and the provider may
      // still bill up to `maxOutputTokens`: report no usage, so the call settles from its reservation
      // (flagged incomplete) instead of under-counting.
      const final = finishReasons.size > 0;
      return {
        usage: final ? convertGoogleUsage(usageMetadata) : undefined,
        incomplete: !final,
        response: { id, model, finishReasons: [...finishReasons.values()] },
      };
    },
  };
}

/** The visible text a chunk adds (thought summaries excluded). */
export function textOf(response: Chunk | undefined): string | undefined {
  const parts = response?.candidates?.[0]?.content?.parts;
  if (!Array.isArray(parts)) return undefined;
  let text = '';
  for (const part of parts) if (typeof part?.text === 'string' && part.thought !== true) text += part.text;
  return text || undefined;
}

/**
 * `@google/genai`'s `generateContentStream` result with its chunks passed through the call's observer:
 * still an `AsyncGenerator` (`next`, `return`, `throw`), and the call settles however the caller leaves it.
 */
export function governGoogleStream(stream: AsyncGenerator<any>, call: GovernedCall): AsyncGenerator<any> {
  const iterator = governIterator(call, () => stream, createGoogleStreamObserver())();
  const generator = {
    next: (...args: [] | [unknown]) => iterator.next(...args),
    return: (value?: unknown) => iterator.return!(value),
    throw: (error?: unknown) => (iterator.throw ? iterator.throw(error) : stream.throw(error)),
    [Symbol.asyncIterator]() {
      return generator;
    },
  };
  return generator as AsyncGenerator<any>;
}

/**
 * The legacy `@google/generative-ai` stream result. The SDK tees the SSE body: `stream` yields chunks,
 * and `response` reads the other branch to the end and aggregates it (usage from the last chunk). The
 * body is read to the end whatever the caller does with `stream`, so the call settles from `response`;
 * `stream` is passed through for time to first chunk and output content rules. Both can settle the
 * call (an output rule fails it, then `response` ends): a call settles once, the first wins.
 */
export function governGenerativeAIStream(
  result: { stream: AsyncGenerator<any>; response: Promise<any> },
  call: GovernedCall,
): { stream: AsyncGenerator<any>; response: Promise<any> } {
  const response = result.response.then(
    async (aggregated) => {
      await call.end(readGoogleResponse(aggregated));
      return aggregated;
    },
    async (error: unknown) => {
      // A stream that broke after it started may have been billed: settle from the reservation.
      await call.fail(error, {});
      throw error;
    },
  );
  const source = result.stream;
  let first = true;
  const stream = (async function* () {
    for await (const chunk of source) {
      if (first) {
        first = false;
        call.firstChunk();
      }
      const text = textOf(chunk);
      const denied = text ? call.checkOutput(text) : undefined;
      if (denied) {
        await call.fail(denied, {});
        throw denied;
      }
      yield chunk;
    }
  })();
  // The caller may use only `stream`: keep a rejected `response` from being unhandled.
  response.catch(() => {});
  return { ...result, stream, response };
}
