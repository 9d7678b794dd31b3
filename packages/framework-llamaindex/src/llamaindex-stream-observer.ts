import type { StreamObserver } from '@genops/core/adapter';
import { StreamUsageReader } from './convert-llamaindex-usage';
import { isObject, type ResponseFacts, readResponseFacts, responseInfo } from './read-llamaindex-response';

/**
 * Reads a stream of LlamaIndex chunks (`ChatResponseChunk` `{ delta, raw }` or streamed
 * `CompletionResponse` `{ text, raw }`): usage and response facts from each `raw`, the text for output
 * rules. With `hideUsageChunk`, the usage-only chunk GenOps asked OpenAI for (`delta: ''`, `choices: []`)
 * is kept from the caller.
 */
export function createLlamaIndexStreamObserver(hideUsageChunk: boolean): StreamObserver<unknown> {
  const usage = new StreamUsageReader();
  const facts: ResponseFacts = { finishReasons: [] };
  let output = '';
  const deltaOf = (chunk: unknown): string | undefined => {
    if (!isObject(chunk)) return undefined;
    return typeof chunk.delta === 'string' ? chunk.delta : typeof chunk.text === 'string' ? chunk.text : undefined;
  };
  return {
    onChunk(chunk) {
      if (!isObject(chunk)) return;
      usage.push(chunk.raw);
      readResponseFacts(chunk.raw, facts);
      output += deltaOf(chunk) ?? '';
    },
    skip(chunk) {
      if (!hideUsageChunk || !isObject(chunk) || deltaOf(chunk) !== '' || !isObject(chunk.raw)) return false;
      const raw = chunk.raw;
      return raw.usage !== undefined && raw.usage !== null && Array.isArray(raw.choices) && raw.choices.length === 0;
    },
    text: deltaOf,
    outcome: () => ({ usage: usage.usage, response: responseInfo(facts, () => output) }),
  };
}
