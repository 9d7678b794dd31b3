import { endpointOf, estimateInputTokens, type GovernedRequest } from '@genops/core/adapter';
import { googleRequestTexts } from './google-request-text';
import type { GoogleClientInfo, GoogleRequestKind, LegacyKind } from './types';

type Params = Record<string, any>;

/**
 * Reads what governance needs from `models.generateContent` / `generateContentStream` /
 * `embedContent` parameters. Content is read lazily, only when asked.
 */
export function describeGoogleRequest(
  params: Params,
  kind: GoogleRequestKind,
  client: GoogleClientInfo = {},
): GovernedRequest {
  const config: Params = params.config && typeof params.config === 'object' ? params.config : {};
  const embed = kind === 'embed';
  const request: GovernedRequest = {
    provider: client.vertexai ? 'gcp.vertex_ai' : 'gcp.gemini',
    operation: embed ? 'embeddings' : 'generate_content',
    model: modelId(params.model),
    method: embed
      ? 'models.embedContent'
      : kind === 'stream'
        ? 'models.generateContentStream'
        : 'models.generateContent',
    stream: kind === 'stream',
    // The system instruction and tool declarations are sent with every request and count as input.
    estimatedInputTokens:
      estimateInputTokens(params.contents ?? params.content) +
      estimateInputTokens(config.systemInstruction) +
      estimateInputTokens(config.tools),
    ...endpointOf(client.baseUrl),
    requestAttributes: embed ? embeddingAttributes(config) : samplingAttributes(config),
    text: () => googleRequestTexts(params),
    editable: { model: true, text: true },
    content: () => ({ input: params.contents ?? params.content, system: config.systemInstruction }),
  };
  if (client.vertexai && client.location) request.region = client.location;
  // `maxOutputTokens` bounds output, thinking included (Gemini counts thoughts against it).
  if (!embed && typeof config.maxOutputTokens === 'number' && Number.isFinite(config.maxOutputTokens))
    request.maxOutputTokens = config.maxOutputTokens;
  if (embed) request.maxOutputTokens = 0;
  const tools = toolNames(config.tools);
  if (tools) request.tools = tools;
  return request;
}

/** `models/gemini-2.5-pro`, `publishers/google/models/gemini-2.5-pro` and `gemini-2.5-pro` are one model. */
function modelId(model: unknown): string {
  if (typeof model !== 'string' || model === '') return 'unknown-model';
  const index = model.lastIndexOf('models/');
  return index >= 0 ? model.slice(index + 'models/'.length) : model;
}

function samplingAttributes(config: Params): NonNullable<GovernedRequest['requestAttributes']> {
  const attributes: NonNullable<GovernedRequest['requestAttributes']> = {};
  if (typeof config.maxOutputTokens === 'number') attributes['gen_ai.request.max_tokens'] = config.maxOutputTokens;
  if (typeof config.temperature === 'number') attributes['gen_ai.request.temperature'] = config.temperature;
  if (typeof config.topP === 'number') attributes['gen_ai.request.top_p'] = config.topP;
  if (typeof config.topK === 'number') attributes['gen_ai.request.top_k'] = config.topK;
  if (typeof config.seed === 'number') attributes['gen_ai.request.seed'] = config.seed;
  if (typeof config.candidateCount === 'number') attributes['gen_ai.request.choice.count'] = config.candidateCount;
  if (typeof config.presencePenalty === 'number')
    attributes['gen_ai.request.presence_penalty'] = config.presencePenalty;
  if (typeof config.frequencyPenalty === 'number')
    attributes['gen_ai.request.frequency_penalty'] = config.frequencyPenalty;
  if (Array.isArray(config.stopSequences))
    attributes['gen_ai.request.stop_sequences'] = config.stopSequences.filter(
      (sequence: unknown): sequence is string => typeof sequence === 'string',
    );
  return attributes;
}

function embeddingAttributes(config: Params): NonNullable<GovernedRequest['requestAttributes']> {
  const attributes: NonNullable<GovernedRequest['requestAttributes']> = {};
  if (typeof config.outputDimensionality === 'number')
    attributes['gen_ai.embeddings.dimension.count'] = config.outputDimensionality;
  return attributes;
}

/** Function names a request declares (`tools[].functionDeclarations[].name`). */
function toolNames(tools: unknown): string[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  const names: string[] = [];
  for (const tool of tools) {
    const declarations = (tool as { functionDeclarations?: unknown })?.functionDeclarations;
    if (!Array.isArray(declarations)) continue;
    for (const declaration of declarations) {
      const name = (declaration as { name?: unknown })?.name;
      if (typeof name === 'string') names.push(name);
    }
  }
  return names.length > 0 ? names : undefined;
}

/** The mode and endpoint of a `@google/genai` API client (`models.apiClient`). */
export function googleClientInfo(apiClient: any): GoogleClientInfo {
  const info: GoogleClientInfo = {};
  try {
    info.vertexai = apiClient?.isVertexAI?.() === true;
    const baseUrl = apiClient?.getBaseUrl?.();
    if (typeof baseUrl === 'string') info.baseUrl = baseUrl;
    if (info.vertexai) {
      const location = apiClient?.getLocation?.();
      if (typeof location === 'string') info.location = location;
    }
  } catch {
    // An API client this adapter cannot read: the call is still governed, without the endpoint.
  }
  return info;
}

/**
 * Describes a call of the legacy `@google/generative-ai`. The model, system instruction and generation
 * config live on the `GenerativeModel` / `ChatSession` (`target`), not in the request, so they are read
 * from there; a chat turn sends its history too. Text and model are not editable here: a redact rule
 * denies the call (fail closed) and a budget downgrade does not apply.
 */
export function describeGenerativeAIRequest(
  target: any,
  kind: LegacyKind,
  stream: boolean,
  request: unknown,
  requestOptions: any,
): GovernedRequest {
  const settings = kind === 'chat' ? (target?.params ?? {}) : target;
  const contents = kind === 'chat' ? [...(target?._history ?? []), request] : request;
  const options = { ...(target?._requestOptions ?? {}), ...(requestOptions ?? {}) };
  const described = describeGoogleRequest(
    {
      model: target?.model,
      contents: isRequestObject(request) ? request.contents : contents,
      config: {
        ...(settings?.generationConfig ?? {}),
        ...(isRequestObject(request) ? request.generationConfig : {}),
        systemInstruction: settings?.systemInstruction,
        tools: settings?.tools,
      },
    },
    stream ? 'stream' : 'generate',
    { baseUrl: typeof options.baseUrl === 'string' ? options.baseUrl : 'https://generativelanguage.googleapis.com' },
  );
  described.method =
    kind === 'chat'
      ? `ChatSession.${stream ? 'sendMessageStream' : 'sendMessage'}`
      : `GenerativeModel.${stream ? 'generateContentStream' : 'generateContent'}`;
  described.editable = { model: false, text: false };
  return described;
}

function isRequestObject(request: unknown): request is { contents: unknown; generationConfig?: object } {
  return typeof request === 'object' && request !== null && !Array.isArray(request) && 'contents' in request;
}
