import type { CallOutcome, StreamObserver } from '@genops/core/adapter';
import { type AnthropicUsageWire, convertAnthropicUsage, mergeAnthropicUsage } from './convert-anthropic-usage';

type StreamEvent = Record<string, any>;

/**
 * Reads a Messages stream's events as they pass: `message_start` has the id, model and input usage;
 * each `message_delta` has the stop reason and the cumulative output usage.
 */
export function createAnthropicStreamObserver(): StreamObserver<StreamEvent> {
  let id: string | undefined;
  let model: string | undefined;
  let usage: AnthropicUsageWire | undefined;
  let stopReason: string | undefined;
  return {
    onChunk(event) {
      switch (event?.type) {
        case 'message_start': {
          const message = event.message;
          if (typeof message?.id === 'string') id = message.id;
          if (typeof message?.model === 'string') model = message.model;
          usage = mergeAnthropicUsage(usage, message?.usage);
          break;
        }
        case 'message_delta':
          usage = mergeAnthropicUsage(usage, event.usage);
          if (typeof event.delta?.stop_reason === 'string') stopReason = event.delta.stop_reason;
          break;
      }
    },
    text: (event) =>
      event?.type === 'content_block_delta' &&
      event.delta?.type === 'text_delta' &&
      typeof event.delta.text === 'string'
        ? event.delta.text
        : undefined,
    outcome(): CallOutcome {
      // Until a `message_delta` arrives, `output_tokens` is only `message_start`'s placeholder and the
      // provider may still bill up to `max_tokens`: report no usage, so the call settles from its
      // reservation (flagged incomplete) instead of under-counting.
      const final = stopReason !== undefined;
      return {
        usage: final ? convertAnthropicUsage(usage) : undefined,
        incomplete: !final,
        response: { id, model, finishReasons: stopReason ? [stopReason] : [] },
      };
    },
  };
}
