import type { Usage } from '@genops/core';

// OpenAI usage quirks (https://platform.openai.com/docs/api-reference/chat/object#usage):
// - `prompt_tokens` / `input_tokens` INCLUDE cached tokens (`cached_tokens` is a subset), which is
//   exactly the core's normalized `inputTokens`; we must not add the cached count again.
// - `cache_write_tokens` (newer models) are also part of the prompt count.
// - `completion_tokens` / `output_tokens` INCLUDE reasoning tokens (`reasoning_tokens` is a subset).
// - Streams only report usage on a final chunk with `choices: []`, and only when
//   `stream_options.include_usage` is true (the adapter adds it).

interface ChatUsageWire {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

interface ResponsesUsageWire {
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
export function convertChatUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage) || typeof (usage as ChatUsageWire).prompt_tokens !== 'number') return undefined;
  const wire = usage as ChatUsageWire;
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
export function convertResponsesUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage) || typeof (usage as ResponsesUsageWire).input_tokens !== 'number') return undefined;
  const wire = usage as ResponsesUsageWire;
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

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
