import type { CallOutcome, ResponseInfo } from '@genops/core/adapter';
import type { LLMResult } from '@langchain/core/outputs';
import { usageOfResult } from './convert-langchain-usage';

/** Usage, response id, model and finish reasons of a finished model run (`handleLLMEnd`). */
export function readLangChainResponse(result: LLMResult): CallOutcome {
  return { usage: usageOfResult(result), response: responseOfResult(result) };
}

/** Response id, model and finish reasons of a finished model run. */
function responseOfResult(result: LLMResult): ResponseInfo {
  const response: ResponseInfo = {};
  const finishReasons: string[] = [];
  for (const generations of result.generations ?? []) {
    const generation = generations?.[0] as
      | {
          generationInfo?: Record<string, unknown>;
          message?: { id?: unknown; response_metadata?: Record<string, unknown> };
        }
      | undefined;
    if (!generation) continue;
    const metadata = generation.message?.response_metadata ?? {};
    const info = generation.generationInfo ?? {};
    const id = generation.message?.id;
    // LangChain fills in `run-<runId>` when the provider gave no id: that is not a response id.
    if (response.id === undefined && typeof id === 'string' && !id.startsWith('run-')) response.id = id;
    const model = metadata.model_name ?? metadata.model ?? info.model_name;
    if (response.model === undefined && typeof model === 'string') response.model = model;
    const reason = metadata.finish_reason ?? metadata.stop_reason ?? info.finish_reason;
    if (typeof reason === 'string') finishReasons.push(reason);
  }
  const llmOutput = result.llmOutput as Record<string, unknown> | undefined;
  if (response.model === undefined && typeof llmOutput?.model_name === 'string') response.model = llmOutput.model_name;
  if (finishReasons.length > 0) response.finishReasons = finishReasons;
  return response;
}
