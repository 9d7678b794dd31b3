import { endpointOf, estimateInputTokens, type GovernedRequest } from '@genops/core/adapter';
import type { LLMMetadata } from '@llamaindex/core/llms';

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
