import type { RequestEdits } from '@genops/core/adapter';
import type {
  ChatMessage,
  LLMChatParamsNonStreaming,
  LLMChatParamsStreaming,
  LLMCompletionParamsNonStreaming,
  LLMCompletionParamsStreaming,
  MessageContent,
} from '@llamaindex/core/llms';
import type { LLMFacts } from './describe-llamaindex-request';

export type ChatParams = LLMChatParamsStreaming | LLMChatParamsNonStreaming;
export type CompleteParams = LLMCompletionParamsStreaming | LLMCompletionParamsNonStreaming;

/** The text parts of a message's content (a string, or the `text` parts of a multi-modal one). */
export function textsOf(content: MessageContent | undefined): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  const texts: string[] = [];
  for (const part of content) if (part?.type === 'text' && typeof part.text === 'string') texts.push(part.text);
  return texts;
}

/** Applies a text rewrite (redaction) to a content value, returning a copy; other parts are kept. */
export function rewriteContent(content: MessageContent, rewrite: (text: string) => string): MessageContent {
  if (typeof content === 'string') return rewrite(content);
  if (!Array.isArray(content)) return content;
  return content.map((part) => (part?.type === 'text' ? { ...part, text: rewrite(part.text) } : part));
}

/** Copies of `messages` with every text part rewritten; the caller's messages are not changed. */
export function rewriteMessages<M extends ChatMessage>(messages: readonly M[], rewrite: (text: string) => string): M[] {
  return messages.map((message) => ({ ...message, content: rewriteContent(message.content, rewrite) }));
}

/**
 * The chat params the LLM is called with when governance changed the request: a copy carrying the
 * redacted messages and, for LLMs that take one per call, the downgraded model.
 */
export function applyLlamaIndexChatEdits(params: ChatParams, edits: RequestEdits, facts: LLMFacts): ChatParams {
  const rewrite = edits.text;
  const model = facts.modelEditable ? edits.model : undefined;
  if (!rewrite && !model) return params;
  const sent = { ...params };
  if (rewrite && Array.isArray(params.messages)) sent.messages = rewriteMessages(params.messages, rewrite);
  // @llamaindex/openai spreads `additionalChatOptions` over its request body, after `model`.
  if (model) sent.additionalChatOptions = { ...asRecord(params.additionalChatOptions), model };
  return sent;
}

/** The completion params with the redacted prompt (`complete()` has no per-call model to downgrade). */
export function applyLlamaIndexCompleteEdits(params: CompleteParams, edits: RequestEdits): CompleteParams {
  const rewrite = edits.text;
  return rewrite ? { ...params, prompt: rewriteContent(params.prompt, rewrite) } : params;
}

/** A copy of the chat params asking an OpenAI Chat LLM for a stream's usage (`stream_options.include_usage`). */
export function withStreamUsage(params: ChatParams, facts: LLMFacts): ChatParams {
  const extra = asRecord(params.additionalChatOptions);
  return {
    ...params,
    additionalChatOptions: {
      ...extra,
      stream_options: {
        ...asRecord(facts.additionalChatOptions?.stream_options),
        ...asRecord(extra?.stream_options),
        include_usage: true,
      },
    },
  };
}

/** `stream_options.include_usage` as the last of `sources` that sets it says, if any does. */
export function includeUsageOf(...sources: unknown[]): boolean | undefined {
  let value: boolean | undefined;
  for (const source of sources) {
    const streamOptions = asRecord(asRecord(source)?.stream_options);
    if (typeof streamOptions?.include_usage === 'boolean') value = streamOptions.include_usage;
  }
  return value;
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}
