import {
  type CallOutcome,
  type GovernedCall,
  governIterator,
  type StreamObserver,
  type Usage,
} from '@genops/core/adapter';
import { convertAnthropicBodyUsage, convertBedrockUsage, convertInvocationMetrics } from './convert-bedrock-usage';
import { invokeChunkText, invokeFinishReason } from './read-bedrock-response';
import type { BedrockCommand } from './types';

/**
 * Passes a ConverseStream (`output.stream`) or InvokeModelWithResponseStream (`output.body`) result's
 * events through the call's observer, in place, and returns the result. The call settles however the
 * caller leaves the stream; a result without a stream settles from the reservation, flagged incomplete.
 */
export function governBedrockStream<Result extends { output?: any }>(
  result: Result,
  call: GovernedCall,
  command: BedrockCommand,
  model: string,
): Result {
  const output = result?.output;
  const key = command.invoke ? 'body' : 'stream';
  const stream = output?.[key];
  if (!stream || typeof stream[Symbol.asyncIterator] !== 'function') {
    void call.end({ incomplete: true });
    return result;
  }
  const observer = command.invoke ? createInvokeStreamObserver(model) : createConverseStreamObserver(model);
  output[key] = { [Symbol.asyncIterator]: governIterator(call, () => stream[Symbol.asyncIterator](), observer) };
  return result;
}

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
 * Reads an InvokeModelWithResponseStream's `chunk.bytes` (model-native JSON), for every family:
 * - Anthropic: `message_start` (input and cache usage), `message_delta` (cumulative output usage,
 *   stop reason).
 * - Amazon Nova: `messageStop.stopReason`, then `metadata.usage` (Nova's InvokeModel usage shape).
 * - Meta Llama: `prompt_token_count` in the first chunk, cumulative `generation_token_count`,
 *   `stop_reason` in the last chunk.
 * - Mistral (`outputs[].stop_reason`) and Cohere Command R (`stream-end` event, `finish_reason`): no
 *   usage in the chunks.
 * Bedrock adds `amazon-bedrock-invocationMetrics` to the final chunk of every family; it is the usage
 * of Mistral and Cohere, and of any stream whose model-native counters are not final. A stream that
 * ends before its final chunk settles from its reservation, flagged incomplete.
 */
export function createInvokeStreamObserver(model: string): StreamObserver<StreamEvent> {
  let anthropicUsage: Record<string, unknown> | undefined;
  let anthropicStopped = false;
  let novaUsage: Usage | undefined;
  let llamaPrompt: number | undefined;
  let llamaGenerated: number | undefined;
  let metrics: unknown;
  let stopReason: string | undefined;
  let id: string | undefined;
  let responseModel: string | undefined;
  const decoder = new TextDecoder();
  // `text()` and `onChunk()` see the same event: decode its bytes once.
  let lastEvent: unknown;
  let lastChunk: Record<string, any> | undefined;
  const decode = (event: StreamEvent): Record<string, any> | undefined => {
    if (event === lastEvent) return lastChunk;
    lastEvent = event;
    lastChunk = undefined;
    const bytes = event?.chunk?.bytes;
    if (!(bytes instanceof Uint8Array)) return undefined;
    try {
      const parsed: unknown = JSON.parse(decoder.decode(bytes));
      if (parsed && typeof parsed === 'object') lastChunk = parsed as Record<string, any>;
    } catch {
      // Not JSON: nothing to read.
    }
    return lastChunk;
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
        if (typeof chunk.delta?.stop_reason === 'string') {
          stopReason = chunk.delta.stop_reason;
          anthropicStopped = true;
        }
      } else {
        stopReason = invokeFinishReason(chunk) ?? stopReason;
        if (chunk.metadata?.usage) novaUsage = convertBedrockUsage(chunk.metadata.usage) ?? novaUsage;
        if (typeof chunk.prompt_token_count === 'number') llamaPrompt = chunk.prompt_token_count;
        if (typeof chunk.generation_token_count === 'number') llamaGenerated = chunk.generation_token_count;
      }
      if (chunk['amazon-bedrock-invocationMetrics']) metrics = chunk['amazon-bedrock-invocationMetrics'];
    },
    text: (event) => invokeChunkText(decode(event)),
    outcome(): CallOutcome {
      // Model-native counters are final once the model said why it stopped (Anthropic
      // `message_delta`, Nova `metadata`, Llama's last chunk); otherwise only the invocation metrics
      // of the last chunk are.
      const llamaUsage =
        stopReason !== undefined && llamaPrompt !== undefined
          ? {
              inputTokens: llamaPrompt,
              outputTokens: llamaGenerated ?? 0,
              raw: { prompt_token_count: llamaPrompt, generation_token_count: llamaGenerated },
            }
          : undefined;
      const usage =
        (anthropicStopped ? convertAnthropicBodyUsage(anthropicUsage) : undefined) ??
        novaUsage ??
        convertInvocationMetrics(metrics) ??
        llamaUsage;
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
