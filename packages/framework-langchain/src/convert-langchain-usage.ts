import type { Usage } from '@genops/core/adapter';
import type { LLMResult } from '@langchain/core/outputs';

/** LangChain's normalized usage (`AIMessage.usage_metadata`), as far as the mapping reads it. */
export interface LangChainUsageMetadata {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  input_token_details?: { cache_read?: number; cache_creation?: number; [key: string]: number | undefined };
  output_token_details?: { reasoning?: number; [key: string]: number | undefined };
}

/**
 * Maps LangChain's `usage_metadata` onto the core's {@link Usage}. LangChain's counts are already
 * inclusive, as the core's are: `input_tokens` is the sum of every input token type (each integration
 * adds cache reads and cache writes in; `@langchain/anthropic` sums Anthropic's three exclusive
 * counters), `input_token_details.cache_read` / `cache_creation` are parts of it, and `output_tokens`
 * includes `output_token_details.reasoning`. The original object is kept as `raw`.
 * @see `UsageMetadata` in `@langchain/core/messages` (`dist/messages/metadata.d.ts`)
 */
export function convertLangChainUsage(usage: LangChainUsageMetadata): Usage {
  const cacheRead = usage.input_token_details?.cache_read;
  const cacheWrite = usage.input_token_details?.cache_creation;
  const reasoning = usage.output_token_details?.reasoning;
  return {
    inputTokens: usage.input_tokens ?? 0,
    outputTokens: usage.output_tokens ?? 0,
    ...(cacheRead ? { cacheReadInputTokens: cacheRead } : {}),
    ...(cacheWrite ? { cacheWriteInputTokens: cacheWrite } : {}),
    ...(reasoning ? { reasoningOutputTokens: reasoning } : {}),
    raw: usage,
  };
}

interface TokenUsage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
}

/**
 * The usage of a finished model run (`handleLLMEnd`): the `usage_metadata` of each generation's message
 * (the aggregated message for a stream), added up over generations; else the integration's
 * `llmOutput.tokenUsage` / `estimatedTokenUsage`, which has no cache or reasoning split. `undefined`
 * when the run reported none.
 *
 * Two Anthropic quirks `usage_metadata` hides:
 * - one `cache_creation` count, while Anthropic bills 1-hour writes above 5-minute ones: the 1-hour
 *   part is read from the provider's usage, `response_metadata.usage.cache_creation`;
 * - a stream's aggregated `output_tokens` is `message_start`'s placeholder plus `message_delta`'s
 *   final cumulative count: `anthropicStartOutput` (the placeholder the stream observer saw) is taken off.
 */
export function usageOfResult(result: LLMResult, anthropicStartOutput?: number): Usage | undefined {
  let total: Usage | undefined;
  for (const generations of result.generations ?? []) {
    const message = (
      generations?.[0] as
        | { message?: { usage_metadata?: LangChainUsageMetadata; response_metadata?: Record<string, unknown> } }
        | undefined
    )?.message;
    const metadata = message?.usage_metadata;
    if (!metadata) continue;
    const usage = withLongTtlCacheWrite(convertLangChainUsage(metadata), message?.response_metadata);
    total = total ? addUsage(total, usage) : usage;
  }
  if (total && anthropicStartOutput) total.outputTokens = Math.max(0, total.outputTokens - anthropicStartOutput);
  if (total) return total;
  const llmOutput = result.llmOutput as { tokenUsage?: TokenUsage; estimatedTokenUsage?: TokenUsage } | undefined;
  const tokenUsage = llmOutput?.tokenUsage ?? llmOutput?.estimatedTokenUsage;
  if (!tokenUsage || (tokenUsage.promptTokens === undefined && tokenUsage.completionTokens === undefined))
    return undefined;
  return { inputTokens: tokenUsage.promptTokens ?? 0, outputTokens: tokenUsage.completionTokens ?? 0, raw: tokenUsage };
}

function withLongTtlCacheWrite(usage: Usage, responseMetadata: Record<string, unknown> | undefined): Usage {
  const raw = responseMetadata?.usage as { cache_creation?: { ephemeral_1h_input_tokens?: unknown } } | undefined;
  const longTtl = raw?.cache_creation?.ephemeral_1h_input_tokens;
  if (!usage.cacheWriteInputTokens || typeof longTtl !== 'number' || !(longTtl > 0)) return usage;
  return { ...usage, cacheWrite1hInputTokens: Math.min(longTtl, usage.cacheWriteInputTokens) };
}

function addUsage(a: Usage, b: Usage): Usage {
  const sum = (x: number | undefined, y: number | undefined) =>
    x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0);
  const cacheRead = sum(a.cacheReadInputTokens, b.cacheReadInputTokens);
  const cacheWrite = sum(a.cacheWriteInputTokens, b.cacheWriteInputTokens);
  const reasoning = sum(a.reasoningOutputTokens, b.reasoningOutputTokens);
  const longTtl = sum(a.cacheWrite1hInputTokens, b.cacheWrite1hInputTokens);
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    ...(cacheRead !== undefined ? { cacheReadInputTokens: cacheRead } : {}),
    ...(cacheWrite !== undefined ? { cacheWriteInputTokens: cacheWrite } : {}),
    ...(longTtl !== undefined ? { cacheWrite1hInputTokens: longTtl } : {}),
    ...(reasoning !== undefined ? { reasoningOutputTokens: reasoning } : {}),
    raw: [a.raw, b.raw],
  };
}
