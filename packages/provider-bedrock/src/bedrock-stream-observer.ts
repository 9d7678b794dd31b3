import type { CallOutcome, StreamObserver, Usage } from '@genops/core';
import { convertAnthropicBodyUsage, convertBedrockUsage, convertInvocationMetrics } from './convert-bedrock-usage';

type StreamEvent = Record<string, any>;

/**
 * Reads a ConverseStream's events as they pass: `messageStop` has the stop reason, the final
 * `metadata` event has the usage. Without `metadata` the call settles from its reservation.
 */
export function createConverseStreamObserver(model: string): StreamObserver<StreamEvent> {
  let usage: Usage | undefined;
  let stopReason: string | undefined;
  return {
    onChunk(event) {
      if (typeof event?.messageStop?.stopReason === 'string') stopReason = event.messageStop.stopReason;
      if (event?.metadata?.usage) usage = convertBedrockUsage(event.metadata.usage);
    },
    text: (event) =>
      typeof event?.contentBlockDelta?.delta?.text === 'string' ? event.contentBlockDelta.delta.text : undefined,
    outcome(): CallOutcome {
      return {
        usage,
        incomplete: usage === undefined,
        response: { model, finishReasons: stopReason ? [stopReason] : [] },
      };
    },
  };
}

/**
 * Reads an InvokeModelWithResponseStream's `chunk.bytes` (model-native JSON). For the Anthropic
 * family: `message_start` (input and cache usage), `message_delta` (cumulative output usage, stop
 * reason). Bedrock adds `amazon-bedrock-invocationMetrics` to the final chunk of every family; it is
 * used when the model-native events carry no usage.
 */
export function createInvokeStreamObserver(model: string): StreamObserver<StreamEvent> {
  let anthropicUsage: Record<string, unknown> | undefined;
  let metrics: unknown;
  let stopReason: string | undefined;
  let id: string | undefined;
  let responseModel: string | undefined;
  const decoder = new TextDecoder();
  const decode = (event: StreamEvent): Record<string, any> | undefined => {
    const bytes = event?.chunk?.bytes;
    if (!(bytes instanceof Uint8Array)) return undefined;
    try {
      return JSON.parse(decoder.decode(bytes));
    } catch {
      return undefined;
    }
  };
  return {
    onChunk(event) {
      const chunk = decode(event);
      if (!chunk) return;
      if (chunk.type === 'message_start') {
        if (typeof chunk.message?.id === 'string') id = chunk.message.id;
        if (typeof chunk.message?.model === 'string') responseModel = chunk.message.model;
        anthropicUsage = { ...anthropicUsage, ...definedFields(chunk.message?.usage) };
      } else if (chunk.type === 'message_delta') {
        anthropicUsage = { ...anthropicUsage, ...definedFields(chunk.usage) };
        if (typeof chunk.delta?.stop_reason === 'string') stopReason = chunk.delta.stop_reason;
      } else if (typeof chunk.stop_reason === 'string' || typeof chunk.stopReason === 'string') {
        stopReason = chunk.stop_reason ?? chunk.stopReason;
      }
      if (chunk['amazon-bedrock-invocationMetrics']) metrics = chunk['amazon-bedrock-invocationMetrics'];
    },
    text(event) {
      const chunk = decode(event);
      return chunk?.type === 'content_block_delta' && typeof chunk.delta?.text === 'string'
        ? chunk.delta.text
        : undefined;
    },
    outcome(): CallOutcome {
      // Anthropic's own counters are final once a `message_delta` (stop reason) arrived; otherwise
      // only the invocation metrics of the last chunk are.
      const usage =
        (stopReason !== undefined ? convertAnthropicBodyUsage(anthropicUsage) : undefined) ??
        convertInvocationMetrics(metrics);
      return {
        usage,
        incomplete: usage === undefined,
        response: { id, model: responseModel ?? model, finishReasons: stopReason ? [stopReason] : [] },
      };
    },
  };
}

function definedFields(value: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (typeof value !== 'object' || value === null) return fields;
  for (const [key, field] of Object.entries(value)) if (field !== null && field !== undefined) fields[key] = field;
  return fields;
}
