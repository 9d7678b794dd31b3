import type { CallOutcome } from '@genops/core/adapter';
import { liteLLMReportedCostUsd } from './compatible-gateways';
import { convertChatUsage, convertResponsesUsage } from './convert-openai-usage';
import type { OpenAIMethod } from './types';

/**
 * Usage and response info of a parsed (non-streamed) response. A LiteLLM proxy says what the call cost
 * (a response header); that wins over the price table.
 */
export function readOpenAIResponse(method: OpenAIMethod, result: any, response: Response | undefined): CallOutcome {
  const usage = method === 'responses.create' ? convertResponsesUsage(result?.usage) : convertChatUsage(result?.usage);
  const finishReasons: string[] =
    method === 'responses.create'
      ? typeof result?.status === 'string'
        ? [result.status]
        : []
      : Array.isArray(result?.choices)
        ? result.choices
            .map((choice: { finish_reason?: string }) => choice?.finish_reason)
            .filter((reason: unknown): reason is string => typeof reason === 'string')
        : [];
  const reportedCostUsd = liteLLMReportedCostUsd(response?.headers);
  return {
    usage,
    response: {
      id: typeof result?.id === 'string' ? result.id : undefined,
      model: typeof result?.model === 'string' ? result.model : undefined,
      finishReasons,
      output: () =>
        method === 'responses.create'
          ? result?.output
          : result?.choices?.map((choice: { message?: unknown; text?: unknown }) => choice?.message ?? choice?.text),
    },
    ...(reportedCostUsd !== undefined ? { reportedCostUsd } : {}),
  };
}
