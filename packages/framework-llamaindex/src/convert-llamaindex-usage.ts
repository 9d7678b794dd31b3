import type { Usage } from '@genops/core';

// LlamaIndex.TS has no normalized usage: `ChatResponse.raw` is the provider's own response, and each
// streamed `ChatResponseChunk.raw` is the provider's own stream event. The extractors below are keyed on
// the SHAPE of `raw`, not on the LLM class, so an LLM class GenOps does not know (a subclass, a proxy
// provider speaking a known wire format) is still read.
//
// OpenAI Chat Completions (`usage`, https://platform.openai.com/docs/api-reference/chat/object#usage):
// - `prompt_tokens` INCLUDES cached tokens (`prompt_tokens_details.cached_tokens` is a subset) and
//   `completion_tokens` INCLUDES reasoning (`completion_tokens_details.reasoning_tokens`): both are the
//   normalized counts as they are.
// - Streams report usage once, on a final chunk with `choices: []`, and only with
//   `stream_options.include_usage` (governLLM asks for it, see govern-llm.ts).
// OpenAI Responses (`usage`, @llamaindex/openai's `OpenAIResponses`): `input_tokens` INCLUDES
//   `input_tokens_details.cached_tokens`, `output_tokens` INCLUDES reasoning; told apart from Anthropic's
//   `input_tokens` (which excludes the cache) by `total_tokens` / the `*_details` objects. Streams carry
//   it on the `response.completed` event.
// Anthropic Messages (`usage`, https://docs.anthropic.com/en/api/messages):
// - `input_tokens` EXCLUDES cache reads and writes, so the normalized input is the sum of the three.
// - Streams: `message_start.message.usage` has the input counts; every `message_delta.usage` is
//   CUMULATIVE, so later values overwrite earlier ones (never added).
// Gemini (`usageMetadata`, https://ai.google.dev/api/generate-content#UsageMetadata):
// - `promptTokenCount` INCLUDES `cachedContentTokenCount`; `candidatesTokenCount` EXCLUDES
//   `thoughtsTokenCount`, so the normalized output is the sum of the two.
// - Streams: each chunk may carry running totals; the last one wins.

interface OpenAIUsageWire {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

interface ResponsesUsageWire {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  input_tokens_details?: { cached_tokens?: number | null } | null;
  output_tokens_details?: { reasoning_tokens?: number | null } | null;
}

interface AnthropicUsageWire {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_1h_input_tokens?: number | null } | null;
}

interface GeminiUsageWire {
  promptTokenCount?: number | null;
  cachedContentTokenCount?: number | null;
  candidatesTokenCount?: number | null;
  thoughtsTokenCount?: number | null;
  toolUsePromptTokenCount?: number | null;
}

/** OpenAI Chat Completions `usage` to the core's normalized usage (raw kept), or `undefined`. */
export function convertOpenAIChatUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage)) return undefined;
  const wire = usage as OpenAIUsageWire;
  const prompt = count(wire.prompt_tokens);
  if (prompt === undefined) return undefined;
  const converted: Usage = { inputTokens: prompt, outputTokens: count(wire.completion_tokens) ?? 0, raw: usage };
  const cached = count(wire.prompt_tokens_details?.cached_tokens);
  if (cached !== undefined) converted.cacheReadInputTokens = cached;
  const written = count(wire.prompt_tokens_details?.cache_write_tokens);
  if (written !== undefined) converted.cacheWriteInputTokens = written;
  const reasoning = count(wire.completion_tokens_details?.reasoning_tokens);
  if (reasoning !== undefined) converted.reasoningOutputTokens = reasoning;
  return converted;
}

/** OpenAI Responses `usage` to the core's normalized usage (raw kept), or `undefined`. */
export function convertOpenAIResponsesUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage)) return undefined;
  const wire = usage as ResponsesUsageWire;
  const input = count(wire.input_tokens);
  if (input === undefined) return undefined;
  if (wire.total_tokens === undefined && !isObject(wire.input_tokens_details) && !isObject(wire.output_tokens_details))
    return undefined;
  const converted: Usage = { inputTokens: input, outputTokens: count(wire.output_tokens) ?? 0, raw: usage };
  const cached = count(wire.input_tokens_details?.cached_tokens);
  if (cached !== undefined) converted.cacheReadInputTokens = cached;
  const reasoning = count(wire.output_tokens_details?.reasoning_tokens);
  if (reasoning !== undefined) converted.reasoningOutputTokens = reasoning;
  return converted;
}

/** Anthropic Messages `usage` to the core's normalized usage (raw kept), or `undefined`. */
export function convertAnthropicUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage)) return undefined;
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
  return converted;
}

/** Gemini `usageMetadata` to the core's normalized usage (raw kept), or `undefined`. */
export function convertGeminiUsage(usageMetadata: unknown): Usage | undefined {
  if (!isObject(usageMetadata)) return undefined;
  const wire = usageMetadata as GeminiUsageWire;
  const prompt = count(wire.promptTokenCount);
  if (prompt === undefined) return undefined;
  const thoughts = count(wire.thoughtsTokenCount);
  const cached = count(wire.cachedContentTokenCount);
  const converted: Usage = {
    inputTokens: prompt + (count(wire.toolUsePromptTokenCount) ?? 0),
    outputTokens: (count(wire.candidatesTokenCount) ?? 0) + (thoughts ?? 0),
    raw: usageMetadata,
  };
  if (cached !== undefined && cached > 0) converted.cacheReadInputTokens = Math.min(cached, prompt);
  if (thoughts !== undefined && thoughts > 0) converted.reasoningOutputTokens = thoughts;
  return converted;
}

/**
 * The usage in a LlamaIndex `ChatResponse.raw` (a provider's whole response), whatever the provider:
 * OpenAI `usage.prompt_tokens`, OpenAI Responses `usage.input_tokens` with details, Anthropic `usage.input_tokens`, Gemini `usageMetadata`. `undefined` when
 * `raw` carries none (MockLLM, a provider GenOps cannot read): the call then settles from its reservation.
 */
export function usageFromRaw(raw: unknown): Usage | undefined {
  if (!isObject(raw)) return undefined;
  const usage = (raw as { usage?: unknown }).usage;
  return (
    convertOpenAIChatUsage(usage) ??
    convertOpenAIResponsesUsage(usage) ??
    convertAnthropicUsage(usage) ??
    convertGeminiUsage((raw as { usageMetadata?: unknown }).usageMetadata)
  );
}

/**
 * Reads usage from streamed chunks' `raw` events, one at a time. OpenAI's final usage chunk and
 * Gemini's running totals replace what was seen before; Anthropic's `message_start` and cumulative
 * `message_delta` counters are merged field by field (a later non-null value wins).
 */
export class StreamUsageReader {
  private latest: Usage | undefined;
  private anthropic: AnthropicUsageWire | undefined;

  /** Reads one chunk's `raw`. */
  push(raw: unknown): void {
    if (!isObject(raw)) return;
    const event = raw as {
      type?: unknown;
      message?: { usage?: unknown };
      response?: { usage?: unknown };
      usage?: unknown;
      usageMetadata?: unknown;
    };
    if (event.type === 'response.completed') {
      this.latest = convertOpenAIResponsesUsage(event.response?.usage) ?? this.latest;
      return;
    }
    if (event.type === 'message_start' || event.type === 'message_delta') {
      const next = event.type === 'message_start' ? event.message?.usage : event.usage;
      if (!isObject(next)) return;
      const merged: AnthropicUsageWire = { ...this.anthropic };
      for (const [key, value] of Object.entries(next))
        if (value !== null && value !== undefined) (merged as Record<string, unknown>)[key] = value;
      this.anthropic = merged;
      this.latest = convertAnthropicUsage(merged) ?? this.latest;
      return;
    }
    const found = convertOpenAIChatUsage(event.usage) ?? convertGeminiUsage(event.usageMetadata);
    if (found) this.latest = found;
  }

  /** The usage so far, or `undefined` when no chunk carried any. */
  get usage(): Usage | undefined {
    return this.latest;
  }
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
