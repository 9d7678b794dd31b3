// OpenAI REST wire shapes, checked against the openai 7.57.0 SDK types
// (resources/chat/completions/completions.d.ts, resources/completions.d.ts, resources/embeddings.d.ts,
// resources/responses/responses.d.ts).
import { randomBytes } from 'node:crypto';
import type { FakeUsage } from './types';

export const DEFAULT_CONTENT = 'Hello from the fake OpenAI server.';
export const DEFAULT_USAGE: FakeUsage = { input: 20, output: 10 };
export const DEFAULT_MODEL = 'gpt-4o';
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;

/** What one reply is built from, after the reply options and the request are merged. */
export interface WireContext {
  model: string;
  content: string;
  /** Content split into the deltas a stream sends. */
  deltas: string[];
  usage: FakeUsage | null;
  finishReason: string;
  created: number;
  /** The Responses API answers with this function call instead of text (see `forcedFunctionCallOf`). */
  functionCall?: FakeFunctionCall;
}

/** A function call the fake model makes: a tool's name and arguments that satisfy its parameters schema. */
export interface FakeFunctionCall {
  id: string;
  callId: string;
  name: string;
  arguments: string;
}

export function randomId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

/** Splits `content` into `count` contiguous pieces (fewer when the content is shorter). */
export function splitContent(content: string, count: number): string[] {
  const pieces = Math.max(0, Math.min(Math.floor(count), content.length));
  if (pieces === 0) return [];
  const size = Math.ceil(content.length / pieces);
  const deltas: string[] = [];
  for (let start = 0; start < content.length; start += size) deltas.push(content.slice(start, start + size));
  return deltas;
}

// ---- usage ------------------------------------------------------------------------------------------

/** `CompletionUsage`, shared by chat and legacy completions. */
export function completionUsage(usage: FakeUsage) {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: {
      cached_tokens: usage.cachedInput ?? 0,
      audio_tokens: 0,
      ...(usage.cacheWriteInput === undefined ? {} : { cache_write_tokens: usage.cacheWriteInput }),
    },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoning ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** `ResponseUsage` (Responses API). */
export function responseUsage(usage: FakeUsage) {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cachedInput ?? 0, cache_write_tokens: usage.cacheWriteInput ?? 0 },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
    total_tokens: usage.input + usage.output,
  };
}

// ---- chat completions -------------------------------------------------------------------------------

export function chatCompletion(context: WireContext, id: string) {
  return {
    id,
    object: 'chat.completion',
    created: context.created,
    model: context.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: context.content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: context.finishReason,
      },
    ],
    ...(context.usage ? { usage: completionUsage(context.usage) } : {}),
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

/**
 * The chunks of a streamed chat completion: a role delta, the content deltas, a chunk with the finish
 * reason, and, only when the request asked with `stream_options.include_usage`, a chunk with
 * `choices: []` and the usage (every other chunk then carries `usage: null`, as OpenAI does).
 */
export function chatCompletionChunks(context: WireContext, id: string, includeUsage: boolean): unknown[] {
  const base = {
    id,
    object: 'chat.completion.chunk',
    created: context.created,
    model: context.model,
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
  const withUsage = includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...withUsage,
  });
  const chunks: unknown[] = [
    chunk({ role: 'assistant', content: '', refusal: null }, null),
    ...context.deltas.map((delta) => chunk({ content: delta }, null)),
    chunk({}, context.finishReason),
  ];
  if (includeUsage) {
    chunks.push({ ...base, choices: [], usage: context.usage ? completionUsage(context.usage) : null });
  }
  return chunks;
}

// ---- legacy completions -----------------------------------------------------------------------------

export function textCompletion(context: WireContext, id: string) {
  return {
    id,
    object: 'text_completion',
    created: context.created,
    model: context.model,
    system_fingerprint: 'fp_fake',
    choices: [{ text: context.content, index: 0, logprobs: null, finish_reason: context.finishReason }],
    ...(context.usage ? { usage: completionUsage(context.usage) } : {}),
  };
}

export function textCompletionChunks(context: WireContext, id: string, includeUsage: boolean): unknown[] {
  const base = { id, object: 'text_completion', created: context.created, model: context.model };
  const chunk = (text: string, finishReason: string | null) => ({
    ...base,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const chunks: unknown[] = [...context.deltas.map((delta) => chunk(delta, null)), chunk('', context.finishReason)];
  if (includeUsage) {
    chunks.push({ ...base, choices: [], usage: context.usage ? completionUsage(context.usage) : null });
  }
  return chunks;
}

// ---- responses --------------------------------------------------------------------------------------

interface ResponseIds {
  responseId: string;
  messageId: string;
}

/** A `Response` object. `finishReason: 'length'` gives `status: 'incomplete'` (max_output_tokens). */
export function responseObject(
  context: WireContext,
  ids: ResponseIds,
  request: Record<string, unknown>,
  state: 'in_progress' | 'final',
) {
  const incomplete = context.finishReason === 'length';
  const status = state === 'in_progress' ? 'in_progress' : incomplete ? 'incomplete' : 'completed';
  return {
    id: ids.responseId,
    object: 'response',
    created_at: context.created,
    status,
    background: false,
    completed_at: state === 'final' && !incomplete ? context.created : null,
    error: null,
    incomplete_details: state === 'final' && incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: null,
    model: context.model,
    output:
      state !== 'final'
        ? []
        : context.functionCall
          ? [functionCallItem(context.functionCall, 'completed')]
          : [responseMessage(context, ids.messageId, incomplete ? 'incomplete' : 'completed')],
    parallel_tool_calls: true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: true,
    temperature: request.temperature ?? 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_logprobs: 0,
    top_p: request.top_p ?? 1,
    truncation: 'disabled',
    usage: state === 'final' && context.usage ? responseUsage(context.usage) : null,
    user: null,
    metadata: {},
  };
}

function responseMessage(context: WireContext, id: string, status: 'in_progress' | 'completed' | 'incomplete') {
  return {
    type: 'message',
    id,
    status,
    role: 'assistant',
    content: status === 'in_progress' ? [] : [outputText(context.content)],
  };
}

function functionCallItem(call: FakeFunctionCall, status: 'in_progress' | 'completed') {
  return {
    type: 'function_call',
    id: call.id,
    call_id: call.callId,
    name: call.name,
    arguments: status === 'completed' ? call.arguments : '',
    status,
  };
}

function outputText(text: string) {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

/**
 * The events of a streamed response, in OpenAI's order. Usage arrives only on the terminal
 * `response.completed` (or `response.incomplete`) event.
 */
export function responseEvents(
  context: WireContext,
  ids: ResponseIds,
  request: Record<string, unknown>,
): { type: string; [key: string]: unknown }[] {
  const final = responseObject(context, ids, request, 'final');
  const item = { item_id: ids.messageId, output_index: 0, content_index: 0 };
  const started = [
    { type: 'response.created', response: responseObject(context, ids, request, 'in_progress') },
    { type: 'response.in_progress', response: responseObject(context, ids, request, 'in_progress') },
  ];
  const ended = { type: final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response: final };
  const call = context.functionCall;
  const events: { type: string; [key: string]: unknown }[] = call
    ? [
        ...started,
        { type: 'response.output_item.added', output_index: 0, item: functionCallItem(call, 'in_progress') },
        ...splitContent(call.arguments, context.deltas.length || 1).map((delta) => ({
          type: 'response.function_call_arguments.delta',
          item_id: call.id,
          output_index: 0,
          delta,
        })),
        { type: 'response.function_call_arguments.done', item_id: call.id, output_index: 0, arguments: call.arguments },
        { type: 'response.output_item.done', output_index: 0, item: final.output[0] },
        ended,
      ]
    : [
        ...started,
        {
          type: 'response.output_item.added',
          output_index: 0,
          item: responseMessage(context, ids.messageId, 'in_progress'),
        },
        { type: 'response.content_part.added', ...item, part: outputText('') },
        ...context.deltas.map((delta) => ({ type: 'response.output_text.delta', ...item, delta, logprobs: [] })),
        { type: 'response.output_text.done', ...item, text: context.content, logprobs: [] },
        { type: 'response.content_part.done', ...item, part: outputText(context.content) },
        { type: 'response.output_item.done', output_index: 0, item: final.output[0] },
        ended,
      ];
  return events.map((event, index) => ({ ...event, sequence_number: index }));
}

// ---- embeddings -------------------------------------------------------------------------------------

/** How many embeddings an `input` asks for: one per string or token array. */
export function embeddingInputCount(input: unknown): number {
  if (!Array.isArray(input)) return 1;
  if (input.length === 0) return 0;
  return input.every((item) => typeof item === 'number') ? 1 : input.length;
}

/** A deterministic vector whose values are exact in float32, so base64 round-trips compare equal. */
export function embeddingVector(index: number, dimensions: number): number[] {
  return Array.from({ length: dimensions }, (_, position) => (((index * 31 + position * 7) % 16) - 8) / 16);
}

/**
 * An embeddings list. `encoding_format: 'base64'` (which the SDK sends by default, then decodes) gives the
 * little-endian float32 bytes of each vector, base64-encoded.
 */
export function embeddingList(
  model: string,
  count: number,
  dimensions: number,
  base64: boolean,
  usage: FakeUsage | null,
) {
  return {
    object: 'list',
    data: Array.from({ length: count }, (_, index) => {
      const vector = embeddingVector(index, dimensions);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
      };
    }),
    model,
    ...(usage ? { usage: { prompt_tokens: usage.input, total_tokens: usage.input } } : {}),
  };
}

// ---- errors -----------------------------------------------------------------------------------------

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'invalid_request_error',
  404: 'invalid_request_error',
  409: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'requests',
  500: 'server_error',
  503: 'server_error',
};

export function errorBody(status: number, error: { message?: string; type?: string; code?: string } | undefined) {
  return {
    error: {
      message: error?.message ?? `Fake OpenAI error (HTTP ${status})`,
      type: error?.type ?? ERROR_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: null,
      code: error?.code ?? null,
    },
  };
}
