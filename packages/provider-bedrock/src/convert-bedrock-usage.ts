import { type Usage, usageFromAnthropic } from '@genops/core/adapter';

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
// - InvokeModel bodies are model-native, per family:
//   - Anthropic: `usage` with the same exclusive split (`input_tokens` + `cache_read_input_tokens` +
//     `cache_creation_input_tokens`).
//   - Amazon Nova: `usage: {inputTokens, outputTokens, totalTokens, cacheReadInputTokenCount,
//     cacheWriteInputTokenCount}` — the Converse names, except that the cache counts end in `Count`
//     (https://docs.aws.amazon.com/nova/latest/userguide/complete-request-schema-response.html; recorded
//     Nova bodies in public tests). Same exclusive split as Converse.
//   - Meta Llama: `prompt_token_count` / `generation_token_count` at the top level of the body
//     (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html).
//   - Mistral (`outputs`/`choices`) and Cohere Command R (`text`, `finish_reason`): NO usage in the body.
//     Their counts come from the `x-amzn-bedrock-input-token-count` / `-output-token-count` response
//     headers, which real Bedrock sends on every InvokeModel (recorded real responses:
//     traceloop/openllmetry-js `packages/instrumentation-bedrock/recordings/Test-Meta-*` and
//     `Test-Cohere-*`; LiteLLM reads them for every non-Anthropic family). The SDK does not map them
//     into the typed output; the middleware reads them from the raw `HttpResponse`.
// - The `amazon-bedrock-invocationMetrics` of a stream's final chunk (every family) carries
//   `inputTokenCount` (uncached) and, for models with caching, `cacheReadInputTokenCount` /
//   `cacheWriteInputTokenCount`.

/** Converse / ConverseStream `TokenUsage` (and Amazon Nova's InvokeModel `usage`) to the core's normalized usage (keeps `raw`). */
export function convertBedrockUsage(usage: unknown): Usage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const wire = usage as Record<string, any>;
  const uncached = count(wire.inputTokens);
  if (uncached === undefined) return undefined;
  // Nova InvokeModel bodies name the cache counts `cache*InputTokenCount`; Converse never does.
  const read = count(wire.cacheReadInputTokens) ?? count(wire.cacheReadInputTokenCount);
  const written = count(wire.cacheWriteInputTokens) ?? count(wire.cacheWriteInputTokenCount);
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

/** The `usage` of an Anthropic-format InvokeModel body: the Anthropic Messages wire format, read in core. */
export const convertAnthropicBodyUsage = usageFromAnthropic;

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
 * The `x-amzn-bedrock-input-token-count` / `-output-token-count` InvokeModel response headers (names
 * matched case-insensitively), which the SDK does not map. The usage of the Mistral and Cohere
 * Command R families, whose bodies carry none; used for any family whose body has no usage.
 */
export function convertTokenCountHeaders(headers: Record<string, string | undefined> | undefined): Usage | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') lower[name.toLowerCase()] = value;
  const input = headerCount(lower['x-amzn-bedrock-input-token-count']);
  if (input === undefined) return undefined;
  const raw: Record<string, string> = {};
  for (const [name, value] of Object.entries(lower)) if (name.startsWith('x-amzn-bedrock-')) raw[name] = value;
  return { inputTokens: input, outputTokens: headerCount(lower['x-amzn-bedrock-output-token-count']) ?? 0, raw };
}

function headerCount(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
