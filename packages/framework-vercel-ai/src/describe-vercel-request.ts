import type { EmbeddingModelV4, LanguageModelV4, LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { estimateInputTokens, type GovernedRequest } from '@genops/core/adapter';
import { mapVercelProvider } from './map-vercel-provider';
import { vercelPromptTexts } from './vercel-request-text';

/**
 * Reads what governance needs from a language-model call of the AI SDK (`doGenerate` / `doStream`
 * params, after every `transformParams` before this middleware). Content is read lazily, only when
 * a content rule or opt-in capture asks for it.
 */
export function describeVercelRequest(
  model: Pick<LanguageModelV4, 'provider' | 'modelId'>,
  params: LanguageModelV4CallOptions,
  options: { stream: boolean; provider?: string | undefined; editableModel: boolean },
): GovernedRequest {
  const prompt = Array.isArray(params.prompt) ? params.prompt : [];
  const request: GovernedRequest = {
    provider: options.provider ?? mapVercelProvider(model.provider),
    operation: model.provider.endsWith('.completion') ? 'text_completion' : 'chat',
    model: model.modelId,
    method: options.stream ? 'doStream' : 'doGenerate',
    stream: options.stream,
    // Tool definitions and the response schema are sent with every request and count as input.
    estimatedInputTokens:
      estimateInputTokens(prompt) + estimateInputTokens(params.tools) + estimateInputTokens(params.responseFormat),
    requestAttributes: requestAttributesOf(params),
    text: () => vercelPromptTexts(prompt),
    editable: { model: options.editableModel, text: true },
    content: () => ({
      input: prompt.filter((message) => message.role !== 'system'),
      system: prompt.filter((message) => message.role === 'system').map((message) => message.content),
    }),
  };
  if (typeof params.maxOutputTokens === 'number' && Number.isFinite(params.maxOutputTokens))
    request.maxOutputTokens = params.maxOutputTokens;
  if (Array.isArray(params.tools)) request.tools = params.tools.map((tool) => tool.name);
  return request;
}

function requestAttributesOf(params: LanguageModelV4CallOptions): NonNullable<GovernedRequest['requestAttributes']> {
  const attributes: NonNullable<GovernedRequest['requestAttributes']> = {};
  const numbers = {
    'gen_ai.request.max_tokens': params.maxOutputTokens,
    'gen_ai.request.temperature': params.temperature,
    'gen_ai.request.top_p': params.topP,
    'gen_ai.request.top_k': params.topK,
    'gen_ai.request.seed': params.seed,
    'gen_ai.request.frequency_penalty': params.frequencyPenalty,
    'gen_ai.request.presence_penalty': params.presencePenalty,
  };
  for (const [key, value] of Object.entries(numbers))
    if (typeof value === 'number' && Number.isFinite(value)) attributes[key] = value;
  if (Array.isArray(params.stopSequences) && params.stopSequences.length > 0)
    attributes['gen_ai.request.stop_sequences'] = params.stopSequences.filter((s) => typeof s === 'string');
  attributes['gen_ai.output.type'] = params.responseFormat?.type === 'json' ? 'json' : 'text';
  return attributes;
}

/**
 * The governed request of one `doEmbed` call (`embed`, `embedMany`: one call per chunk the AI SDK
 * sends): its values are read by content rules and can be redacted; the model is not editable.
 */
export function describeVercelEmbeddingRequest(
  model: Pick<EmbeddingModelV4, 'provider' | 'modelId'>,
  params: Parameters<EmbeddingModelV4['doEmbed']>[0],
  options: { provider?: string | undefined },
): GovernedRequest {
  const values = Array.isArray(params.values) ? params.values : [];
  return {
    provider: options.provider ?? mapVercelProvider(model.provider),
    operation: 'embeddings',
    model: model.modelId,
    method: 'doEmbed',
    stream: false,
    maxOutputTokens: 0,
    estimatedInputTokens: estimateInputTokens(values),
    requestAttributes: {
      ...(typeof params.dimensions === 'number' ? { 'gen_ai.embeddings.dimension.count': params.dimensions } : {}),
    },
    text: () => values,
    editable: { model: false, text: true },
    content: () => ({ input: values }),
  };
}
