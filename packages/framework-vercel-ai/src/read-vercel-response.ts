import type { LanguageModelV4GenerateResult } from '@ai-sdk/provider';
import type { CallOutcome } from '@genops/core/adapter';
import { convertVercelEmbeddingUsage, convertVercelUsage } from './convert-vercel-usage';

/** A tool call the model asked for (a V4 `tool-call` content or stream part). */
export interface ModelToolCall {
  toolCallId: string;
  toolName: string;
  /** JSON-encoded input, as the V4 spec sends it. */
  input: string;
  providerExecuted?: boolean;
}

/** Usage, response id, model, finish reasons and output of a `doGenerate` result. */
export function readVercelResponse(result: LanguageModelV4GenerateResult): CallOutcome {
  return {
    usage: convertVercelUsage(result.usage),
    response: {
      ...(result.response?.id ? { id: result.response.id } : {}),
      ...(result.response?.modelId ? { model: result.response.modelId } : {}),
      finishReasons: finishReasonsOf(result.finishReason),
      output: () => result.content,
    },
  };
}

/** Usage of a `doEmbed` result. */
export function readVercelEmbeddingResponse(result: { usage?: unknown }): CallOutcome {
  return { usage: convertVercelEmbeddingUsage(result.usage) };
}

/** `finishReason` of V4 (`{ unified, raw }`), the raw provider value preferred. */
export function finishReasonsOf(finishReason: unknown): string[] {
  if (typeof finishReason === 'string') return [finishReason];
  if (!finishReason || typeof finishReason !== 'object') return [];
  const { raw, unified } = finishReason as { raw?: unknown; unified?: unknown };
  if (typeof raw === 'string' && raw !== '') return [raw];
  return typeof unified === 'string' ? [unified] : [];
}

/** The tool calls in a `doGenerate` result's content. */
export function toolCallsOf(content: LanguageModelV4GenerateResult['content']): ModelToolCall[] {
  return (content ?? []).filter(
    (part): part is Extract<typeof part, { type: 'tool-call' }> => part.type === 'tool-call',
  );
}

/**
 * What a failed `doGenerate` / `doStream` / `doEmbed` leaves to settle. The provider packages throw an
 * `APICallError` carrying the HTTP status; one with a 2xx status is a response whose body could not be
 * parsed (or did not match the schema): the provider answered and may have billed the call, so it
 * settles from its reservation, flagged incomplete (`{}`), as every other route does.
 */
export function partialOfVercelError(error: unknown): CallOutcome | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' && status >= 200 && status < 300 ? {} : undefined;
}
