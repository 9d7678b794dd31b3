import type { CallOutcome } from '@genops/core/adapter';
import { convertGoogleEmbeddingUsage, convertGoogleUsage } from './convert-google-usage';

/**
 * Usage and response info of a `GenerateContentResponse` (`@google/genai`'s `generateContent`, and the
 * legacy SDK's `response`, which has the same wire shape).
 */
export function readGoogleResponse(response: any): CallOutcome {
  const usage = convertGoogleUsage(response?.usageMetadata);
  const candidates: any[] = Array.isArray(response?.candidates) ? response.candidates : [];
  return {
    usage,
    // A response without `usageMetadata` was still billed: settle from the reservation, flagged.
    incomplete: usage === undefined,
    response: {
      id: typeof response?.responseId === 'string' ? response.responseId : undefined,
      model: typeof response?.modelVersion === 'string' ? response.modelVersion : undefined,
      finishReasons: candidates
        .map((candidate) => candidate?.finishReason)
        .filter((reason): reason is string => typeof reason === 'string'),
      output: () => candidates.map((candidate) => candidate?.content),
    },
  };
}

/** Usage of an `embedContent` response (input tokens only). */
export function readGoogleEmbeddingResponse(response: any): CallOutcome {
  const usage = convertGoogleEmbeddingUsage(response);
  return { usage, incomplete: usage === undefined, response: {} };
}
