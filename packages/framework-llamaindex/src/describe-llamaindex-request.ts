import { endpointOf, estimateInputTokens, type GovernedRequest } from '@genops/core/adapter';
import type { ChatMessage, LLMMetadata, MessageContent } from '@llamaindex/core/llms';

/** What governLLM knows about the LLM it wraps. */
export interface LLMFacts {
  provider: string;
  metadata: Partial<LLMMetadata> | undefined;
  /** The LLM can be sent to another model per call (OpenAI: `additionalChatOptions.model`). */
  modelEditable: boolean;
  /** `baseURL` of LLMs that have one (OpenAI and compatible). */
  baseURL: string | undefined;
  /** The LLM's own `additionalChatOptions` (OpenAI), merged under each call's. */
  additionalChatOptions: Record<string, unknown> | undefined;
}

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
 * The GovernedRequest of one LlamaIndex `chat()` / `complete()` call: the model and output cap from the
 * LLM's `metadata` (and the call's own `max_tokens` / `max_completion_tokens`, when it sets them),
 * the texts of its messages for content rules and the input estimate.
 */
export function describeLlamaIndexRequest(input: {
  facts: LLMFacts;
  method: 'chat' | 'complete';
  texts: () => string[];
  stream: boolean;
  toolNames: string[] | undefined;
  additionalChatOptions: Record<string, unknown> | undefined;
  content: () => unknown;
}): GovernedRequest {
  const { facts } = input;
  const metadata = facts.metadata ?? {};
  const options = { ...facts.additionalChatOptions, ...input.additionalChatOptions };
  const maxOutputTokens =
    positive(options.max_completion_tokens) ?? positive(options.max_tokens) ?? positive(metadata.maxTokens);
  const model =
    typeof options.model === 'string' && facts.modelEditable
      ? options.model
      : typeof metadata.model === 'string' && metadata.model !== ''
        ? metadata.model
        : 'unknown';
  const texts = input.texts();
  const request: GovernedRequest = {
    provider: facts.provider,
    operation: 'chat',
    model,
    method: `llamaindex.${input.method}`,
    stream: input.stream,
    estimatedInputTokens: estimateInputTokens(texts),
    text: () => texts,
    editable: { model: facts.modelEditable, text: true },
    content: () => ({ input: input.content() }),
    requestAttributes: {
      'gen_ai.request.temperature': finite(options.temperature) ?? finite(metadata.temperature),
      'gen_ai.request.top_p': finite(options.top_p) ?? finite(metadata.topP),
    },
  };
  if (maxOutputTokens !== undefined) {
    request.maxOutputTokens = maxOutputTokens;
    request.requestAttributes!['gen_ai.request.max_tokens'] = maxOutputTokens;
  }
  if (input.toolNames && input.toolNames.length > 0) request.tools = input.toolNames;
  Object.assign(request, endpointOf(facts.baseURL));
  return request;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
