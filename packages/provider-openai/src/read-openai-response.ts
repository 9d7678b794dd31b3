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
  const finishReasons: string[] = [];
  if (method === 'responses.create') {
    if (typeof result?.status === 'string') finishReasons.push(result.status);
  } else if (Array.isArray(result?.choices)) {
    for (const choice of result.choices as { finish_reason?: unknown }[]) {
      const reason = choice?.finish_reason;
      if (typeof reason === 'string') finishReasons.push(reason);
    }
  }
  const reportedCostUsd = liteLLMReportedCostUsd(response?.headers);
  const outcome: CallOutcome = {
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
  };
  if (reportedCostUsd !== undefined) outcome.reportedCostUsd = reportedCostUsd;
  return outcome;
}
