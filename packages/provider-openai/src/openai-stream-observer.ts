import type { CallOutcome, StreamObserver } from '@genops/core/adapter';
import { convertChatUsage, convertResponsesUsage } from './convert-openai-usage';
import type { OpenAIMethod } from './types';

type Chunk = Record<string, any>;

/** Reads usage and response info from a stream's chunks as they pass. */
export function createOpenAIStreamObserver(
  method: OpenAIMethod,
  hideUsageChunk: boolean,
): StreamObserver<Chunk> & { skip(chunk: Chunk): boolean } {
  return method === 'responses.create' ? responsesObserver() : chatObserver(hideUsageChunk);
}

/** Chat Completions and legacy Completions chunks: usage on a final chunk with `choices: []`. */
function chatObserver(hideUsageChunk: boolean): StreamObserver<Chunk> & { skip(chunk: Chunk): boolean } {
  let id: string | undefined;
  let model: string | undefined;
  let usage: unknown;
  const finishReasons: string[] = [];
  return {
    onChunk(chunk) {
      if (typeof chunk?.id === 'string') id = chunk.id;
      if (typeof chunk?.model === 'string') model = chunk.model;
      if (chunk?.usage) usage = chunk.usage;
      // With `include_usage`, OpenAI adds `usage: null` to every other chunk. The caller did not ask
      // for it: drop it before the chunk reaches them (and the `.stream()` helper's snapshot, which
      // would carry it into `finalChatCompletion()`). The chunk is the SDK's freshly parsed object.
      if (hideUsageChunk && chunk?.usage === null) delete chunk.usage;
      if (Array.isArray(chunk?.choices)) {
        for (const choice of chunk.choices) {
          if (typeof choice?.finish_reason === 'string') finishReasons[choice.index ?? 0] = choice.finish_reason;
        }
      }
    },
    text(chunk) {
      if (!Array.isArray(chunk?.choices)) return undefined;
      let text = '';
      for (const choice of chunk.choices) {
        const delta = choice?.delta?.content ?? choice?.text;
        if (typeof delta === 'string') text += delta;
      }
      return text || undefined;
    },
    // The usage-only chunk exists because GenOps asked for it; the caller did not, so it never sees it.
    skip: (chunk) =>
      hideUsageChunk && Array.isArray(chunk?.choices) && chunk.choices.length === 0 && chunk.usage != null,
    outcome(): CallOutcome {
      return {
        usage: convertChatUsage(usage),
        response: { id, model, finishReasons: finishReasons.filter(Boolean) },
      };
    },
  };
}

/** Responses API events: the terminal `response.completed` (or `.incomplete` / `.failed`) carries usage. */
function responsesObserver(): StreamObserver<Chunk> & { skip(chunk: Chunk): boolean } {
  let response: Chunk | undefined;
  return {
    onChunk(event) {
      if (event?.response && typeof event.response === 'object') response = event.response;
    },
    skip: () => false,
    text: (event) =>
      event?.type === 'response.output_text.delta' && typeof event.delta === 'string' ? event.delta : undefined,
    outcome(): CallOutcome {
      const status = typeof response?.status === 'string' ? response.status : undefined;
      return {
        usage: convertResponsesUsage(response?.usage),
        response: { id: response?.id, model: response?.model, finishReasons: status ? [status] : [] },
      };
    },
  };
}
