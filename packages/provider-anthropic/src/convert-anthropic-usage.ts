import type { Usage } from '@genops/core';

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
export function convertAnthropicUsage(usage: unknown): Usage | undefined {
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

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
