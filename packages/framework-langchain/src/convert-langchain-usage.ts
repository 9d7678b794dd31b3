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
 */
export function usageOfResult(result: LLMResult): Usage | undefined {
  let total: Usage | undefined;
  for (const generations of result.generations ?? []) {
    const message = (generations?.[0] as { message?: { usage_metadata?: LangChainUsageMetadata } } | undefined)
      ?.message;
    const metadata = message?.usage_metadata;
    if (!metadata) continue;
    total = total ? addUsage(total, convertLangChainUsage(metadata)) : convertLangChainUsage(metadata);
  }
  if (total) return total;
  const llmOutput = result.llmOutput as { tokenUsage?: TokenUsage; estimatedTokenUsage?: TokenUsage } | undefined;
  const tokenUsage = llmOutput?.tokenUsage ?? llmOutput?.estimatedTokenUsage;
  if (!tokenUsage || (tokenUsage.promptTokens === undefined && tokenUsage.completionTokens === undefined))
    return undefined;
  return { inputTokens: tokenUsage.promptTokens ?? 0, outputTokens: tokenUsage.completionTokens ?? 0, raw: tokenUsage };
}

function addUsage(a: Usage, b: Usage): Usage {
  const sum = (x: number | undefined, y: number | undefined) =>
    x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0);
  const cacheRead = sum(a.cacheReadInputTokens, b.cacheReadInputTokens);
  const cacheWrite = sum(a.cacheWriteInputTokens, b.cacheWriteInputTokens);
  const reasoning = sum(a.reasoningOutputTokens, b.reasoningOutputTokens);
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    ...(cacheRead !== undefined ? { cacheReadInputTokens: cacheRead } : {}),
    ...(cacheWrite !== undefined ? { cacheWriteInputTokens: cacheWrite } : {}),
    ...(reasoning !== undefined ? { reasoningOutputTokens: reasoning } : {}),
    raw: [a.raw, b.raw],
  };
}
