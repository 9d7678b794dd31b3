import { endpointOf, estimateInputTokens, type GovernedRequest } from '@genops/core/adapter';
import type { BaseMessage } from '@langchain/core/messages';

/** What LangChain hands a callback at the start of a model run, in the shape the mappers read. */
export interface LangChainModelRun {
  /** The serialized model (`llm` argument): `id` is the class path, e.g. `['langchain', 'chat_models', 'openai', 'ChatOpenAI']`. */
  llm: { id?: readonly string[]; kwargs?: Record<string, unknown> } | undefined;
  /** `extraParams.invocation_params`: what the integration sends (model, max_tokens, tools, ...). */
  invocationParams: Record<string, unknown> | undefined;
  /** Run metadata; LangChain puts `ls_provider` and `ls_model_name` there. */
  metadata: Record<string, unknown> | undefined;
}

/**
 * `gen_ai.provider.name` for LangChain chat model classes.
 * @see https://opentelemetry.io/docs/specs/semconv/registry/attributes/gen-ai/ (gen_ai.provider.name values)
 */
const PROVIDER_BY_CLASS: Readonly<Record<string, string>> = {
  ChatOpenAI: 'openai',
  OpenAI: 'openai',
  OpenAIEmbeddings: 'openai',
  AzureChatOpenAI: 'azure.ai.openai',
  AzureOpenAI: 'azure.ai.openai',
  ChatAnthropic: 'anthropic',
  ChatAnthropicMessages: 'anthropic',
  ChatGoogleGenerativeAI: 'gcp.gemini',
  ChatGoogle: 'gcp.gemini',
  ChatVertexAI: 'gcp.vertex_ai',
  ChatBedrockConverse: 'aws.bedrock',
  BedrockChat: 'aws.bedrock',
  ChatGroq: 'groq',
  ChatMistralAI: 'mistral_ai',
  ChatDeepSeek: 'deepseek',
  ChatXAI: 'x_ai',
  ChatCohere: 'cohere',
  ChatPerplexity: 'perplexity',
  ChatWatsonx: 'ibm.watsonx.ai',
};

/** `ls_provider` values LangChain integrations report, for classes not in {@link PROVIDER_BY_CLASS}. */
const PROVIDER_BY_LS_PROVIDER: Readonly<Record<string, string>> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  anthropic: 'anthropic',
  google_genai: 'gcp.gemini',
  google_vertexai: 'gcp.vertex_ai',
  amazon_bedrock: 'aws.bedrock',
  bedrock: 'aws.bedrock',
  groq: 'groq',
  mistral: 'mistral_ai',
  mistralai: 'mistral_ai',
  deepseek: 'deepseek',
  xai: 'x_ai',
  cohere: 'cohere',
  perplexity: 'perplexity',
};

/**
 * The `gen_ai.provider.name` of a model run: from the model's class (`ChatOpenAI` → `openai`), else
 * the integration's `ls_provider`, else `invocation_params._type`, else the class name lowercased
 * (a fake or custom model: `fakebuiltmodel`).
 */
export function providerOf(run: LangChainModelRun): string {
  const className = run.llm?.id?.at(-1);
  if (className && PROVIDER_BY_CLASS[className]) return PROVIDER_BY_CLASS[className];
  const lsProvider = stringOf(run.metadata?.ls_provider)?.toLowerCase();
  if (lsProvider && PROVIDER_BY_LS_PROVIDER[lsProvider]) return PROVIDER_BY_LS_PROVIDER[lsProvider];
  const type = stringOf(run.invocationParams?._type);
  if (type) return type.toLowerCase();
  return (className ?? lsProvider ?? 'langchain').toLowerCase();
}

/**
 * The model id a run asks for: `invocation_params.model` / `model_name` / `modelName` / `model_id`,
 * else the model's constructor fields (`kwargs`), else the `ls_model_name` metadata. `undefined` when
 * the run names none (fake models).
 */
export function modelOf(run: LangChainModelRun): string | undefined {
  const params = run.invocationParams;
  const kwargs = run.llm?.kwargs;
  return (
    stringOf(params?.model) ??
    stringOf(params?.model_name) ??
    stringOf(params?.modelName) ??
    stringOf(params?.model_id) ??
    stringOf(params?.modelId) ??
    stringOf(kwargs?.model) ??
    stringOf(kwargs?.model_name) ??
    stringOf(kwargs?.modelName) ??
    stringOf(run.metadata?.ls_model_name)
  );
}

/** The output cap a run sets, under the names LangChain integrations use. */
export function maxOutputTokensOf(params: Record<string, unknown> | undefined): number | undefined {
  if (!params) return undefined;
  for (const key of ['max_tokens', 'max_completion_tokens', 'maxTokens', 'max_output_tokens', 'maxOutputTokens']) {
    const value = params[key];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  }
  const config = params.generationConfig as Record<string, unknown> | undefined;
  if (typeof config?.maxOutputTokens === 'number') return config.maxOutputTokens;
  return undefined;
}

/** Tool names offered to the model (`invocation_params.tools` in OpenAI, Anthropic or plain `{ name }` form). */
export function toolNamesOf(params: Record<string, unknown> | undefined): string[] | undefined {
  const tools = params?.tools;
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  const names: string[] = [];
  for (const tool of tools) {
    if (!tool || typeof tool !== 'object') continue;
    const record = tool as Record<string, unknown>;
    const name =
      stringOf((record.function as Record<string, unknown> | undefined)?.name) ??
      stringOf(record.name) ??
      stringOf(record.type);
    if (name) names.push(name);
  }
  return names.length > 0 ? names : undefined;
}

/** The text blocks of a message: its string content, or the `text` of each text block. */
export function messageTexts(message: BaseMessage): string[] {
  const content = (message as { content?: unknown }).content;
  if (typeof content === 'string') return content.length > 0 ? [content] : [];
  if (!Array.isArray(content)) return [];
  const texts: string[] = [];
  for (const block of content) {
    if (typeof block === 'string') texts.push(block);
    else if (block && typeof block === 'object' && typeof (block as { text?: unknown }).text === 'string')
      texts.push((block as { text: string }).text);
  }
  return texts;
}

/** The role of a message in GenAI terms (`user`, `assistant`, `system`, `tool`). */
function roleOf(message: BaseMessage): string {
  const type = typeof message.getType === 'function' ? message.getType() : (message as { type?: string }).type;
  switch (type) {
    case 'human':
      return 'user';
    case 'ai':
      return 'assistant';
    case 'system':
    case 'developer':
      return 'system';
    case 'tool':
    case 'function':
      return 'tool';
    default:
      return String(type ?? 'user');
  }
}

const REQUEST_ATTRIBUTES: ReadonlyArray<[string, readonly string[]]> = [
  ['gen_ai.request.temperature', ['temperature']],
  ['gen_ai.request.top_p', ['top_p', 'topP']],
  ['gen_ai.request.top_k', ['top_k', 'topK']],
  ['gen_ai.request.frequency_penalty', ['frequency_penalty', 'frequencyPenalty']],
  ['gen_ai.request.presence_penalty', ['presence_penalty', 'presencePenalty']],
  ['gen_ai.request.seed', ['seed']],
];

function requestAttributesOf(params: Record<string, unknown> | undefined): GovernedRequest['requestAttributes'] {
  if (!params) return undefined;
  const attributes: NonNullable<GovernedRequest['requestAttributes']> = {};
  for (const [attribute, keys] of REQUEST_ATTRIBUTES) {
    for (const key of keys) {
      const value = params[key];
      if (typeof value === 'number' && Number.isFinite(value)) {
        attributes[attribute] = value;
        break;
      }
    }
  }
  const maxTokens = maxOutputTokensOf(params);
  if (maxTokens !== undefined) attributes['gen_ai.request.max_tokens'] = maxTokens;
  const stop = params.stop ?? params.stopSequences ?? params.stop_sequences;
  if (Array.isArray(stop) && stop.every((item) => typeof item === 'string'))
    attributes['gen_ai.request.stop_sequences'] = stop;
  return Object.keys(attributes).length > 0 ? attributes : undefined;
}

/** `server.address` / `server.port` from the model's configured base URL, when it has one. */
function serverOf(run: LangChainModelRun): { serverAddress?: string; serverPort?: number } {
  const kwargs = run.llm?.kwargs;
  const configuration = kwargs?.configuration as Record<string, unknown> | undefined;
  const base =
    stringOf(configuration?.baseURL) ??
    stringOf(kwargs?.baseURL) ??
    stringOf(kwargs?.baseUrl) ??
    stringOf(kwargs?.anthropicApiUrl);
  return endpointOf(base);
}

/** What the callback handler knows about a model run, plus the caller's overrides. */
export interface DescribeLangChainRequestInput extends LangChainModelRun {
  /** The chat messages (chat models) of the run. */
  messages?: readonly BaseMessage[];
  /** The prompts (string LLMs) of the run. */
  prompts?: readonly string[];
  /** Overrides the provider read from the run. */
  provider?: string | undefined;
  /** Model id when the run names none. */
  fallbackModel?: string | undefined;
}

/**
 * The {@link GovernedRequest} of a LangChain model run. A callback cannot change what the model is sent,
 * so nothing is `editable`: a budget's downgrade does not apply and a redact content rule denies the call.
 */
export function describeLangChainRequest(input: DescribeLangChainRequestInput): GovernedRequest {
  const params = input.invocationParams;
  const chat = input.messages !== undefined;
  const model = modelOf(input) ?? input.fallbackModel ?? 'unknown';
  const texts = (): string[] =>
    chat ? (input.messages ?? []).flatMap(messageTexts) : [...(input.prompts ?? [])].filter((text) => text.length > 0);
  const tools = toolNamesOf(params);
  const maxOutputTokens = maxOutputTokensOf(params);
  const requestAttributes = requestAttributesOf(params);
  const content = () =>
    chat
      ? {
          input: (input.messages ?? []).map((message) => ({
            role: roleOf(message),
            content: messageTexts(message).join(''),
          })),
        }
      : { input: input.prompts };
  return {
    provider: input.provider ?? providerOf(input),
    operation: chat ? 'chat' : 'text_completion',
    model,
    method: chat ? 'BaseChatModel.invoke' : 'BaseLLM.invoke',
    stream: params?.stream === true || params?.streaming === true,
    ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
    // Tool definitions are sent as input too, so they count toward the worst case.
    estimatedInputTokens: estimateInputTokens({
      input: chat
        ? (input.messages ?? []).map((message) => ({ role: roleOf(message), text: messageTexts(message) }))
        : input.prompts,
      tools: params?.tools,
    }),
    ...(requestAttributes ? { requestAttributes } : {}),
    ...serverOf(input),
    ...(tools ? { tools } : {}),
    text: texts,
    editable: { model: false, text: false },
    content,
  };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
