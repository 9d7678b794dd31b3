import type { CallOutcome, StreamObserver } from '@genops/core/adapter';
import { convertGoogleUsage } from './convert-google-usage';

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
