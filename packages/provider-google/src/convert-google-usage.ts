import type { Usage } from '@genops/core';

// Gemini usage quirks (`usageMetadata`, https://ai.google.dev/api/generate-content#UsageMetadata):
// - `promptTokenCount` INCLUDES `cachedContentTokenCount` (cached content is part of the prompt), so
//   it is the normalized `inputTokens` as is, and the cached part is `cacheReadInputTokens`. Cache
//   storage is billed per hour by the Caches API, not per call, so it is not part of a call's cost.
// - `toolUsePromptTokenCount` (results of built-in tools such as code execution, fed back to the
//   model) is input billed at the input rate and is NOT in `promptTokenCount`: it is added.
// - `candidatesTokenCount` EXCLUDES thinking: `thoughtsTokenCount` is reported apart and billed at the
//   output rate, so the normalized `outputTokens` (reasoning included) is the sum of the two, and
//   `reasoningOutputTokens` is the thoughts count. The Gemini price data has no separate reasoning
//   rate, so the core prices them as output.
// - Long context: Gemini bills the whole request at the higher tier when the prompt exceeds 200k
//   tokens; the core picks the tier from `inputTokens`.
// - Streams: every chunk may carry `usageMetadata` with running counts; the last chunk (the one with a
//   `finishReason`) holds the final totals. Later values replace earlier ones, they are never added.
// - Embeddings: the Gemini API reports `usageMetadata.promptTokenCount` on `batchEmbedContents`;
//   Vertex reports `embeddings[].statistics.tokenCount` per input.

/** The `usageMetadata` fields GenOps reads. */
export interface GoogleUsageWire {
  promptTokenCount?: number | null;
  cachedContentTokenCount?: number | null;
  candidatesTokenCount?: number | null;
  thoughtsTokenCount?: number | null;
  toolUsePromptTokenCount?: number | null;
  totalTokenCount?: number | null;
}

/** Gemini `usageMetadata` to the core's normalized usage (raw kept). */
export function convertGoogleUsage(usageMetadata: unknown): Usage | undefined {
  if (typeof usageMetadata !== 'object' || usageMetadata === null) return undefined;
  const wire = usageMetadata as GoogleUsageWire;
  const prompt = count(wire.promptTokenCount);
  if (prompt === undefined) return undefined;
  const thoughts = count(wire.thoughtsTokenCount);
  const cached = count(wire.cachedContentTokenCount);
  const usage: Usage = {
    inputTokens: prompt + (count(wire.toolUsePromptTokenCount) ?? 0),
    outputTokens: (count(wire.candidatesTokenCount) ?? 0) + (thoughts ?? 0),
    raw: usageMetadata,
  };
  if (cached !== undefined && cached > 0) usage.cacheReadInputTokens = Math.min(cached, prompt);
  if (thoughts !== undefined && thoughts > 0) usage.reasoningOutputTokens = thoughts;
  return usage;
}

/** Usage of an `embedContent` response: `usageMetadata` (Gemini API) or per-embedding statistics (Vertex). */
export function convertGoogleEmbeddingUsage(response: any): Usage | undefined {
  const fromMetadata = convertGoogleUsage(response?.usageMetadata);
  if (fromMetadata) return { inputTokens: fromMetadata.inputTokens, outputTokens: 0, raw: fromMetadata.raw };
  const embeddings = response?.embeddings;
  if (!Array.isArray(embeddings) || embeddings.length === 0) return undefined;
  let total = 0;
  for (const embedding of embeddings) {
    const tokens = count(embedding?.statistics?.tokenCount);
    if (tokens === undefined) return undefined;
    total += tokens;
  }
  return { inputTokens: total, outputTokens: 0, raw: embeddings.map((embedding) => embedding?.statistics) };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
