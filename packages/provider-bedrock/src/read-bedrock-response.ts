// What GenOps reads from a model-native InvokeModel response body, per family. Finish reasons are
// recorded as sent (`gen_ai.response.finish_reasons`), not mapped.
// - Anthropic: `stop_reason`, `content` blocks.
// - Meta Llama: `stop_reason`, `generation`
//   (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html).
// - Mistral text completion: `outputs[].{text, stop_reason}`
//   (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-text-completion.html);
//   Mistral chat completion: `choices[].{message.content, stop_reason | finish_reason}` (LiteLLM
//   `amazon_mistral_transformation.py` reads both shapes).
// - Amazon Nova: `stopReason`, `output.message.content`
//   (https://docs.aws.amazon.com/nova/latest/userguide/complete-request-schema-response.html).
// - Cohere Command R / R+: `finish_reason`, `text`
//   (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command-r-plus.html);
//   the older Cohere Command: `generations[].{text, finish_reason}`.

import type { CallOutcome } from '@genops/core/adapter';
import { parseBody } from './bedrock-request-text';
import { convertBedrockUsage, convertInvokeBodyUsage, convertTokenCountHeaders } from './convert-bedrock-usage';

type Body = Record<string, any>;

/**
 * Usage and response info of a non-streamed Converse or InvokeModel result (`{ output, response }` as
 * the `initialize` middleware step sees it: the typed output and the raw `HttpResponse`). `model` is the
 * model the request went to (a budget's downgrade included).
 */
export function readBedrockResponse(
  commandName: string,
  result: { output?: any; response?: any } | undefined,
  model: string,
): CallOutcome {
  const output = result?.output;
  const requestId = typeof output?.$metadata?.requestId === 'string' ? output.$metadata.requestId : undefined;
  if (commandName === 'ConverseCommand') {
    return {
      usage: convertBedrockUsage(output?.usage),
      response: {
        id: requestId,
        model,
        finishReasons: typeof output?.stopReason === 'string' ? [output.stopReason] : [],
        output: () => output?.output?.message?.content,
      },
    };
  }
  const body = parseBody(output?.body);
  // The body's own usage (Anthropic, Nova, Llama, OpenAI-style) first; Mistral and Cohere bodies have
  // none, so their usage is the `x-amzn-bedrock-*-token-count` headers of the raw response.
  const usage = convertInvokeBodyUsage(body) ?? convertTokenCountHeaders(result?.response?.headers);
  const stop = invokeFinishReason(body);
  return {
    usage,
    incomplete: usage === undefined,
    response: {
      id: typeof body?.id === 'string' ? body.id : typeof body?.response_id === 'string' ? body.response_id : requestId,
      model: typeof body?.model === 'string' ? body.model : model,
      finishReasons: stop ? [stop] : [],
      output: () => invokeOutput(body),
    },
  };
}

/** The finish reason of an InvokeModel body (or of one stream chunk that carries it), as sent. */
export function invokeFinishReason(body: Body | undefined): string | undefined {
  if (!body) return undefined;
  const candidates = [
    body.stop_reason, // Anthropic, Meta Llama
    body.stopReason, // Amazon Nova
    body.finish_reason, // Cohere Command R
    body.outputs?.[0]?.stop_reason, // Mistral text completion
    body.choices?.[0]?.stop_reason ?? body.choices?.[0]?.finish_reason, // Mistral chat completion
    body.generations?.[0]?.finish_reason, // Cohere Command
    body.messageStop?.stopReason, // Amazon Nova stream event
  ];
  return candidates.find((value): value is string => typeof value === 'string');
}

/** The completion content of an InvokeModel body, for opt-in content capture. */
export function invokeOutput(body: Body | undefined): unknown {
  if (!body) return undefined;
  if (body.content !== undefined) return body.content; // Anthropic
  if (body.output?.message?.content !== undefined) return body.output.message.content; // Nova
  if (typeof body.generation === 'string') return body.generation; // Meta Llama
  if (Array.isArray(body.outputs)) return body.outputs.map((output: any) => output?.text); // Mistral
  if (Array.isArray(body.choices)) return body.choices.map((choice: any) => choice?.message?.content); // Mistral chat
  if (typeof body.text === 'string') return body.text; // Cohere Command R
  if (Array.isArray(body.generations)) return body.generations.map((generation: any) => generation?.text);
  return body.output;
}

/**
 * The text one decoded InvokeModelWithResponseStream chunk adds, for output content rules: Anthropic
 * `content_block_delta`, Nova `contentBlockDelta`, Llama `generation`, Mistral `outputs[].text` /
 * `choices[].delta.content`, Cohere `text-generation` events.
 */
export function invokeChunkText(chunk: Body | undefined): string | undefined {
  if (!chunk) return undefined;
  if (chunk.type === 'content_block_delta') return stringOrUndefined(chunk.delta?.text);
  if (chunk.contentBlockDelta) return stringOrUndefined(chunk.contentBlockDelta.delta?.text);
  if (typeof chunk.generation === 'string') return chunk.generation || undefined;
  if (Array.isArray(chunk.outputs)) return joined(chunk.outputs.map((output: any) => output?.text));
  if (Array.isArray(chunk.choices)) {
    return joined(chunk.choices.map((choice: any) => choice?.delta?.content ?? choice?.message?.content));
  }
  if (chunk.event_type === 'text-generation') return stringOrUndefined(chunk.text);
  return undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function joined(values: unknown[]): string | undefined {
  return stringOrUndefined(values.filter((value): value is string => typeof value === 'string').join(''));
}
