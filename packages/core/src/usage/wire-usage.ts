import type { Usage } from '../types';

// Provider wire formats of token usage, mapped to the core's normalized `Usage` once, for every adapter
// that reads them: the provider adapters, and framework adapters that see a provider's raw response
// (LlamaIndex). Each converter returns `undefined` when its input is not that format, and keeps the
// provider's object as `raw`.

// ---- OpenAI (Chat Completions, legacy Completions, embeddings, Responses) ----------------------------

// OpenAI usage quirks (https://platform.openai.com/docs/api-reference/chat/object#usage):
// - `prompt_tokens` / `input_tokens` INCLUDE cached tokens (`cached_tokens` is a subset), which is
//   exactly the core's normalized `inputTokens`; we must not add the cached count again.
// - `cache_write_tokens` (newer models) are also part of the prompt count.
// - `completion_tokens` / `output_tokens` INCLUDE reasoning tokens (`reasoning_tokens` is a subset).
// - Streams only report usage on a final chunk with `choices: []`, and only when
//   `stream_options.include_usage` is true (the adapter adds it).

export interface OpenAIChatUsageWire {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

export interface OpenAIResponsesUsageWire {
  input_tokens?: number;
  output_tokens?: number;
  input_tokens_details?: {
    cached_tokens?: number | null;
    cache_write_tokens?: number | null;
    cache_write_tokens_details?: { ttl_12h_tokens?: number | null; ttl_30m_tokens?: number | null } | null;
  } | null;
  output_tokens_details?: { reasoning_tokens?: number | null } | null;
}

/** Chat Completions and legacy Completions usage (also embeddings, which only have prompt tokens). */
export function usageFromOpenAIChat(usage: unknown): Usage | undefined {
  if (!isObject(usage) || typeof (usage as OpenAIChatUsageWire).prompt_tokens !== 'number') return undefined;
  const wire = usage as OpenAIChatUsageWire;
  const converted: Usage = {
    inputTokens: wire.prompt_tokens ?? 0,
    outputTokens: count(wire.completion_tokens) ?? 0,
    raw: usage,
  };
  const cached = count(wire.prompt_tokens_details?.cached_tokens);
  if (cached !== undefined) converted.cacheReadInputTokens = cached;
  const written = count(wire.prompt_tokens_details?.cache_write_tokens);
  if (written !== undefined) converted.cacheWriteInputTokens = written;
  const reasoning = count(wire.completion_tokens_details?.reasoning_tokens);
  if (reasoning !== undefined) converted.reasoningOutputTokens = reasoning;
  return converted;
}

/** Responses API usage. */
export function usageFromOpenAIResponses(usage: unknown): Usage | undefined {
  if (!isObject(usage) || typeof (usage as OpenAIResponsesUsageWire).input_tokens !== 'number') return undefined;
  const wire = usage as OpenAIResponsesUsageWire;
  const converted: Usage = {
    inputTokens: wire.input_tokens ?? 0,
    outputTokens: count(wire.output_tokens) ?? 0,
    raw: usage,
  };
  const details = wire.input_tokens_details;
  const cached = count(details?.cached_tokens);
  if (cached !== undefined) converted.cacheReadInputTokens = cached;
  const written = count(details?.cache_write_tokens);
  if (written !== undefined) {
    converted.cacheWriteInputTokens = written;
    // Extended (12-hour) cache retention is the long-TTL class.
    const longTtl = count(details?.cache_write_tokens_details?.ttl_12h_tokens);
    if (longTtl !== undefined) converted.cacheWrite1hInputTokens = longTtl;
  }
  const reasoning = count(wire.output_tokens_details?.reasoning_tokens);
  if (reasoning !== undefined) converted.reasoningOutputTokens = reasoning;
  return converted;
}

// ---- Anthropic Messages --------------------------------------------------------------------------

// Anthropic usage quirks (https://docs.anthropic.com/en/api/messages, `usage`):
// - `input_tokens` EXCLUDES cache tokens: the prompt is split into `input_tokens` (uncached),
//   `cache_creation_input_tokens` (written) and `cache_read_input_tokens` (read). The core's
//   normalized `inputTokens` counts all input, so it is the sum of the three.
// - `cache_creation.ephemeral_1h_input_tokens` is the part of the cache write with the 1-hour TTL
//   (billed at 2× input instead of 1.25×); `ephemeral_5m_input_tokens` is the rest.
// - `output_tokens` INCLUDES extended-thinking tokens (`output_tokens_details.thinking_tokens` is
//   a subset, when the API reports it).
// - Streams: `message_start.message.usage` carries the input and cache counts (and an early
//   `output_tokens`); each `message_delta.usage` is CUMULATIVE, so later values overwrite earlier
//   ones and are never added. `input_tokens` may be null on a delta: keep the start's value.

/** The `usage` fields GenOps reads. */
export interface AnthropicUsageWire {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/** Anthropic `usage` (a `Message`'s, or start and delta usage merged) to the core's normalized usage. */
export function usageFromAnthropic(usage: unknown): Usage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const wire = usage as AnthropicUsageWire;
  const uncached = count(wire.input_tokens);
  if (uncached === undefined) return undefined;
  const written = count(wire.cache_creation_input_tokens);
  const read = count(wire.cache_read_input_tokens);
  const converted: Usage = {
    inputTokens: uncached + (written ?? 0) + (read ?? 0),
    outputTokens: count(wire.output_tokens) ?? 0,
    raw: usage,
  };
  if (read !== undefined) converted.cacheReadInputTokens = read;
  if (written !== undefined) {
    converted.cacheWriteInputTokens = written;
    const longTtl = count(wire.cache_creation?.ephemeral_1h_input_tokens);
    if (longTtl !== undefined) converted.cacheWrite1hInputTokens = longTtl;
  }
  const thinking = count(wire.output_tokens_details?.thinking_tokens);
  if (thinking !== undefined) converted.reasoningOutputTokens = thinking;
  return converted;
}

/**
 * Merges stream usage: `message_start`'s usage, then each `message_delta`'s. Delta counters are
 * cumulative (overwrite, never add), and a null or missing field keeps the earlier value.
 */
export function mergeAnthropicUsage(current: AnthropicUsageWire | undefined, next: unknown): AnthropicUsageWire {
  const merged: AnthropicUsageWire = { ...current };
  if (typeof next !== 'object' || next === null) return merged;
  for (const [key, value] of Object.entries(next)) {
    if (value !== null && value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

// ---- Gemini (Gemini API and Vertex AI) -----------------------------------------------------------

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
export interface GeminiUsageWire {
  promptTokenCount?: number | null;
  cachedContentTokenCount?: number | null;
  candidatesTokenCount?: number | null;
  thoughtsTokenCount?: number | null;
  toolUsePromptTokenCount?: number | null;
  totalTokenCount?: number | null;
}

/** Gemini `usageMetadata` to the core's normalized usage (raw kept). */
export function usageFromGemini(usageMetadata: unknown): Usage | undefined {
  if (typeof usageMetadata !== 'object' || usageMetadata === null) return undefined;
  const wire = usageMetadata as GeminiUsageWire;
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
export function usageFromGeminiEmbedding(response: any): Usage | undefined {
  const fromMetadata = usageFromGemini(response?.usageMetadata);
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
