import {
  type AnthropicUsageWire,
  mergeAnthropicUsage,
  type Usage,
  usageFromAnthropic,
  usageFromGemini,
  usageFromOpenAIChat,
  usageFromOpenAIResponses,
} from '@genops/core/adapter';

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

/** OpenAI Chat Completions `usage` (core's reader). */
export const convertOpenAIChatUsage = usageFromOpenAIChat;
/** Anthropic Messages `usage` (core's reader). */
export const convertAnthropicUsage = usageFromAnthropic;
/** Gemini `usageMetadata` (core's reader). */
export const convertGeminiUsage = usageFromGemini;

/**
 * OpenAI Responses `usage`, told apart from Anthropic's (both have `input_tokens`, but Anthropic's
 * excludes the cache) by `total_tokens` or the `*_details` objects only Responses has.
 */
export function convertOpenAIResponsesUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage)) return undefined;
  if (
    usage.total_tokens === undefined &&
    !isObject(usage.input_tokens_details) &&
    !isObject(usage.output_tokens_details)
  )
    return undefined;
  return usageFromOpenAIResponses(usage);
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
      this.anthropic = mergeAnthropicUsage(this.anthropic, next);
      const merged = this.anthropic;
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
