import type { CallOutcome } from '@genops/core/adapter';
import { convertAnthropicUsage } from './convert-anthropic-usage';

/** Usage and response info of a parsed (non-streamed) `messages.create` response. */
export function readAnthropicResponse(message: any): CallOutcome {
  return {
    usage: convertAnthropicUsage(message?.usage),
    response: {
      id: typeof message?.id === 'string' ? message.id : undefined,
      model: typeof message?.model === 'string' ? message.model : undefined,
      finishReasons: typeof message?.stop_reason === 'string' ? [message.stop_reason] : [],
      output: () => message?.content,
    },
  };
}
