import { semconv } from '@genops/core';
import { safely } from '@genops/core/adapter';
import type { LangChainModelCall } from './govern-langchain-call';

/**
 * Reads one streamed token of a governed model run (`handleLLMNewToken`): the first one marks the
 * first chunk and the run as streamed; each text is checked by output content rules. A blocked text
 * throws the governance error, which LangChain (`raiseError`) throws out of the integration's stream
 * loop, ending the stream; the run then fails with it.
 */
export function observeLangChainToken(run: LangChainModelCall, token: string, chunk: unknown): void {
  if (!run.streamed) {
    run.streamed = true;
    run.call.firstChunk();
    safely(() => run.call.span.setAttribute(semconv.ATTR_GEN_AI_REQUEST_STREAM, true));
  }
  const text = token || textOfChunk(chunk);
  if (!text || run.stopped) return;
  const error = run.call.checkOutput(text);
  if (error) {
    run.stopped = error;
    throw error;
  }
}

function textOfChunk(chunk: unknown): string | undefined {
  const text = (chunk as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' ? text : undefined;
}
