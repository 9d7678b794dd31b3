import type { Usage } from '@genops/core';

// Bedrock usage quirks:
// - Converse `TokenUsage` (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html):
//   the API reference only says `inputTokens` is "the number of tokens sent in the request", but with
//   prompt caching `inputTokens` is the UNCACHED input; `cacheReadInputTokens` and
//   `cacheWriteInputTokens` are reported beside it, not inside it (AWS prompt-caching guide, and
//   `totalTokens` = input + output + cache read + cache write). The core's normalized `inputTokens`
//   counts all input, so it is the sum of the three.
// - `cacheDetails: [{ttl: '1h' | '5m', inputTokens}]` splits the cache write by TTL; the 1-hour part
//   is billed at the higher write rate.
// - `TokenUsage` has no reasoning-token field: `outputTokens` includes any reasoning.
// - InvokeModel bodies are model-native: Anthropic's `usage` has the same exclusive split
//   (`input_tokens` + `cache_read_input_tokens` + `cache_creation_input_tokens`). The
//   `amazon-bedrock-invocationMetrics` of a stream's final chunk carries `inputTokenCount` (uncached)
//   and, for models with caching, `cacheReadInputTokenCount` / `cacheWriteInputTokenCount`.

/** Converse / ConverseStream `TokenUsage` to the core's normalized usage (keeps `raw`). */
export function convertBedrockUsage(usage: unknown): Usage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const wire = usage as Record<string, any>;
  const uncached = count(wire.inputTokens);
  if (uncached === undefined) return undefined;
  const read = count(wire.cacheReadInputTokens);
  const written = count(wire.cacheWriteInputTokens);
  const converted: Usage = {
    inputTokens: uncached + (read ?? 0) + (written ?? 0),
    outputTokens: count(wire.outputTokens) ?? 0,
    raw: usage,
  };
  if (read !== undefined) converted.cacheReadInputTokens = read;
  if (written !== undefined) {
    converted.cacheWriteInputTokens = written;
    if (Array.isArray(wire.cacheDetails)) {
      let longTtl = 0;
      for (const detail of wire.cacheDetails) {
        if (detail?.ttl === '1h') longTtl += count(detail.inputTokens) ?? 0;
      }
      if (longTtl > 0) converted.cacheWrite1hInputTokens = longTtl;
    }
  }
  return converted;
}

/** The `usage` of an Anthropic-format InvokeModel body (input_tokens EXCLUDES cache tokens). */
export function convertAnthropicBodyUsage(usage: unknown): Usage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const wire = usage as Record<string, any>;
  const uncached = count(wire.input_tokens);
  if (uncached === undefined) return undefined;
  const read = count(wire.cache_read_input_tokens);
  const written = count(wire.cache_creation_input_tokens);
  const converted: Usage = {
    inputTokens: uncached + (read ?? 0) + (written ?? 0),
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

/** `amazon-bedrock-invocationMetrics` of an InvokeModelWithResponseStream final chunk. */
export function convertInvocationMetrics(metrics: unknown): Usage | undefined {
  if (typeof metrics !== 'object' || metrics === null) return undefined;
  const wire = metrics as Record<string, any>;
  const uncached = count(wire.inputTokenCount);
  if (uncached === undefined) return undefined;
  const read = count(wire.cacheReadInputTokenCount);
  const written = count(wire.cacheWriteInputTokenCount);
  const converted: Usage = {
    inputTokens: uncached + (read ?? 0) + (written ?? 0),
    outputTokens: count(wire.outputTokenCount) ?? 0,
    raw: metrics,
  };
  if (read !== undefined) converted.cacheReadInputTokens = read;
  if (written !== undefined) converted.cacheWriteInputTokens = written;
  return converted;
}

/**
 * Usage of a model-native InvokeModel response body: Anthropic `usage.input_tokens`, Converse-style
 * `usage.inputTokens` (Amazon Nova), OpenAI-style `usage.prompt_tokens` (gpt-oss) or Meta Llama's
 * `prompt_token_count` / `generation_token_count`.
 */
export function convertInvokeBodyUsage(body: unknown): Usage | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const wire = body as Record<string, any>;
  const usage = wire.usage;
  if (usage && typeof usage === 'object') {
    if ('input_tokens' in usage) return convertAnthropicBodyUsage(usage);
    if ('inputTokens' in usage) return convertBedrockUsage(usage);
    const prompt = count(usage.prompt_tokens);
    if (prompt !== undefined)
      return { inputTokens: prompt, outputTokens: count(usage.completion_tokens) ?? 0, raw: usage };
  }
  const prompt = count(wire.prompt_token_count);
  if (prompt !== undefined) {
    return { inputTokens: prompt, outputTokens: count(wire.generation_token_count) ?? 0, raw: body };
  }
  return undefined;
}

/**
 * Best effort: the `x-amzn-bedrock-input-token-count` / `-output-token-count` response headers, which
 * the SDK does not map. Used only when the body carries no usage.
 */
export function convertTokenCountHeaders(headers: Record<string, string | undefined> | undefined): Usage | undefined {
  const input = Number(headers?.['x-amzn-bedrock-input-token-count']);
  const output = Number(headers?.['x-amzn-bedrock-output-token-count']);
  if (!Number.isFinite(input) || headers?.['x-amzn-bedrock-input-token-count'] === undefined) return undefined;
  return { inputTokens: input, outputTokens: Number.isFinite(output) ? output : 0, raw: { ...headers } };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
