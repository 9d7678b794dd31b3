import { estimateInputTokens, type GovernedRequest, type RequestEdits } from '@genops/core/adapter';

type Input = Record<string, any>;

/** The Bedrock Runtime commands GenOps governs, by `context.commandName`. */
export const GOVERNED_COMMANDS: Readonly<Record<string, { method: string; stream: boolean; invoke: boolean }>> = {
  ConverseCommand: { method: 'converse', stream: false, invoke: false },
  ConverseStreamCommand: { method: 'converseStream', stream: true, invoke: false },
  InvokeModelCommand: { method: 'invokeModel', stream: false, invoke: true },
  InvokeModelWithResponseStreamCommand: { method: 'invokeModelWithResponseStream', stream: true, invoke: true },
};

export interface BedrockEndpoint {
  region?: string;
  serverAddress?: string;
  serverPort?: number;
}

/**
 * Reads what governance needs from a Bedrock Runtime command's input. `modelId` may be a cross-region
 * inference profile (`us.anthropic.claude-...`, `eu.`, `apac.`, `global.`): it is kept as sent, and
 * the price table prices it by its own entry or, without one, as the underlying model.
 */
export function describeBedrockRequest(
  commandName: string,
  input: Input,
  endpoint: BedrockEndpoint = {},
): GovernedRequest | undefined {
  const command = GOVERNED_COMMANDS[commandName];
  if (!command || input === null || typeof input !== 'object') return undefined;
  const model = typeof input.modelId === 'string' ? input.modelId : 'unknown-model';
  const base: GovernedRequest = {
    provider: 'aws.bedrock',
    operation: 'chat',
    model,
    method: command.method,
    stream: command.stream,
    estimatedInputTokens: 0,
    ...endpoint,
  };
  if (!command.invoke) {
    base.estimatedInputTokens =
      estimateInputTokens(input.messages) + estimateInputTokens(input.system) + estimateInputTokens(input.toolConfig);
    const inference = input.inferenceConfig ?? {};
    const attributes: NonNullable<GovernedRequest['requestAttributes']> = {};
    if (typeof inference.maxTokens === 'number') {
      base.maxOutputTokens = inference.maxTokens;
      attributes['gen_ai.request.max_tokens'] = inference.maxTokens;
    }
    if (typeof inference.temperature === 'number') attributes['gen_ai.request.temperature'] = inference.temperature;
    if (typeof inference.topP === 'number') attributes['gen_ai.request.top_p'] = inference.topP;
    if (Array.isArray(inference.stopSequences)) attributes['gen_ai.request.stop_sequences'] = inference.stopSequences;
    base.requestAttributes = attributes;
    base.text = () => converseTexts(input);
    base.editable = { model: true, text: true };
    base.content = () => ({ input: input.messages, system: input.system });
    const tools = (input.toolConfig?.tools ?? [])
      .map((tool: any) => tool?.toolSpec?.name)
      .filter((name: unknown): name is string => typeof name === 'string');
    if (tools.length > 0) base.tools = tools;
    return base;
  }
  const body = parseBody(input.body);
  base.estimatedInputTokens = body
    ? estimateInputTokens(invokeTexts(body)) + estimateInputTokens(body.tools) + estimateInputTokens(body.documents)
    : estimateInputTokens(typeof input.body === 'string' ? input.body : '');
  if (body) base.requestAttributes = invokeAttributes(body);
  const maxTokens = body ? maxTokensOf(body) : undefined;
  if (maxTokens !== undefined) base.maxOutputTokens = maxTokens;
  base.text = () => (body ? invokeTexts(body) : []);
  // The body is model-native JSON: GenOps can send it to another model id, and rewrites the text
  // fields it reads for content rules (see `rewriteInvokeBody`). A body that is not JSON cannot be
  // rewritten, so a redact rule denies it instead (fail closed).
  base.editable = { model: true, text: body !== undefined };
  base.content = () => ({
    input: body?.messages ?? body?.prompt ?? body?.inputText ?? body?.message,
    system: body?.system ?? body?.preamble,
  });
  return base;
}

/** Applies a downgrade (`modelId`) and, for Converse, a text rewrite to a copy of the input. */
export function applyBedrockEdits(commandName: string, input: Input, edits: RequestEdits): Input {
  const edited: Input = { ...input };
  if (edits.model) edited.modelId = edits.model;
  const rewrite = edits.text;
  if (rewrite && GOVERNED_COMMANDS[commandName]?.invoke) {
    const body = parseBody(input.body);
    if (body) {
      const text = JSON.stringify(rewriteInvokeBody(body, rewrite));
      // Keep the type the caller sent: a string stays a string, bytes stay bytes.
      edited.body = typeof input.body === 'string' ? text : new TextEncoder().encode(text);
    }
  } else if (rewrite) {
    const blocks = (content: unknown) =>
      Array.isArray(content)
        ? content.map((block) => (typeof block?.text === 'string' ? { ...block, text: rewrite(block.text) } : block))
        : content;
    if (Array.isArray(input.messages)) {
      edited.messages = input.messages.map((message: any) => ({ ...message, content: blocks(message?.content) }));
    }
    if (Array.isArray(input.system)) edited.system = blocks(input.system);
  }
  return edited;
}

/** Decodes an InvokeModel body (string or bytes) as JSON, or `undefined`. */
export function parseBody(body: unknown): Record<string, any> | undefined {
  try {
    const text =
      typeof body === 'string'
        ? body
        : body instanceof Uint8Array
          ? new TextDecoder().decode(body)
          : typeof (body as { transformToString?: unknown })?.transformToString === 'function'
            ? (body as { transformToString(): string }).transformToString()
            : undefined;
    if (text === undefined) return undefined;
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, any>) : undefined;
  } catch {
    return undefined;
  }
}

function maxTokensOf(body: Record<string, any>): number | undefined {
  const candidates = [
    body.max_tokens, // Anthropic, Mistral, Cohere Command R, OpenAI-style
    body.max_gen_len, // Meta Llama
    body.max_completion_tokens,
    body.inferenceConfig?.max_new_tokens, // Amazon Nova
    body.inferenceConfig?.maxTokens, // Amazon Nova 2
    body.textGenerationConfig?.maxTokenCount, // Amazon Titan
  ];
  return candidates.find((value): value is number => typeof value === 'number' && Number.isFinite(value));
}

/** `gen_ai.request.*` attributes from the sampling fields of each family's body. */
function invokeAttributes(body: Record<string, any>): NonNullable<GovernedRequest['requestAttributes']> {
  const attributes: NonNullable<GovernedRequest['requestAttributes']> = {};
  const inference = body.inferenceConfig ?? body.textGenerationConfig ?? {};
  const first = (...values: unknown[]) => values.find((value): value is number => typeof value === 'number');
  const maxTokens = maxTokensOf(body);
  if (maxTokens !== undefined) attributes['gen_ai.request.max_tokens'] = maxTokens;
  const temperature = first(body.temperature, inference.temperature);
  if (temperature !== undefined) attributes['gen_ai.request.temperature'] = temperature;
  // `p` is Cohere's name for top-p.
  const topP = first(body.top_p, body.p, inference.top_p, inference.topP);
  if (topP !== undefined) attributes['gen_ai.request.top_p'] = topP;
  const stop = [body.stop_sequences, body.stop, inference.stopSequences].find(Array.isArray);
  if (stop) attributes['gen_ai.request.stop_sequences'] = stop;
  return attributes;
}

function converseTexts(input: Input): string[] {
  const texts: string[] = [];
  const collect = (content: unknown) => {
    if (!Array.isArray(content)) return;
    for (const block of content) if (typeof block?.text === 'string') texts.push(block.text);
  };
  for (const message of Array.isArray(input.messages) ? input.messages : []) collect(message?.content);
  collect(input.system);
  return texts;
}

/**
 * The request text of an InvokeModel body, for content rules: `messages` (string content or `text`
 * blocks: Anthropic, Nova, Mistral chat, OpenAI-style), `system` (string or blocks), `prompt` (Llama,
 * Mistral, Cohere Command), `inputText` (Titan), Cohere Command R `message`, `chat_history[].message`
 * and `preamble`.
 */
function invokeTexts(body: Record<string, any>): string[] {
  const texts: string[] = [];
  rewriteInvokeBody(body, (text) => {
    texts.push(text);
    return text;
  });
  return texts;
}

/**
 * A copy of an InvokeModel body with every text field `invokeTexts` reads passed through `rewrite`
 * (redaction). Fields GenOps does not read (tool schemas, documents, images) are kept as they are.
 */
export function rewriteInvokeBody(body: Record<string, any>, rewrite: (text: string) => string): Record<string, any> {
  const content = (value: unknown): unknown => {
    if (typeof value === 'string') return rewrite(value);
    if (!Array.isArray(value)) return value;
    return value.map((block) => {
      if (typeof block?.text === 'string') return { ...block, text: rewrite(block.text) };
      if (typeof block?.content === 'string' || Array.isArray(block?.content)) {
        return { ...block, content: content(block.content) };
      }
      return block;
    });
  };
  const edited: Record<string, any> = { ...body };
  if (Array.isArray(body.messages)) {
    edited.messages = body.messages.map((message: any) =>
      message && typeof message === 'object' ? { ...message, content: content(message.content) } : message,
    );
  }
  for (const key of ['system', 'prompt', 'inputText', 'message', 'preamble'] as const) {
    if (body[key] !== undefined) edited[key] = content(body[key]);
  }
  if (Array.isArray(body.chat_history)) {
    edited.chat_history = body.chat_history.map((turn: any) =>
      typeof turn?.message === 'string' ? { ...turn, message: rewrite(turn.message) } : turn,
    );
  }
  return edited;
}
