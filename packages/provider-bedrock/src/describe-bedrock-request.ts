import { estimateInputTokens, type GovernedRequest, type RequestEdits } from '@genops/core';

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
    ? estimateInputTokens(body.messages) +
      estimateInputTokens(body.system) +
      estimateInputTokens(body.prompt) +
      estimateInputTokens(body.inputText) +
      estimateInputTokens(body.tools)
    : estimateInputTokens(typeof input.body === 'string' ? input.body : '');
  const maxTokens = body ? maxTokensOf(body) : undefined;
  if (maxTokens !== undefined) {
    base.maxOutputTokens = maxTokens;
    base.requestAttributes = { 'gen_ai.request.max_tokens': maxTokens };
  }
  // The body is model-native bytes: GenOps can send it to another model id, but does not rewrite it.
  base.text = () => (body ? invokeTexts(body) : []);
  base.editable = { model: true, text: false };
  base.content = () => ({ input: body?.messages ?? body?.prompt ?? body?.inputText, system: body?.system });
  return base;
}

/** Applies a downgrade (`modelId`) and, for Converse, a text rewrite to a copy of the input. */
export function applyBedrockEdits(commandName: string, input: Input, edits: RequestEdits): Input {
  const edited: Input = { ...input };
  if (edits.model) edited.modelId = edits.model;
  const rewrite = edits.text;
  if (rewrite && !GOVERNED_COMMANDS[commandName]?.invoke) {
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
    body.max_tokens, // Anthropic, Mistral, OpenAI-style
    body.max_gen_len, // Meta Llama
    body.max_completion_tokens,
    body.inferenceConfig?.max_new_tokens, // Amazon Nova
    body.inferenceConfig?.maxTokens,
    body.textGenerationConfig?.maxTokenCount, // Amazon Titan
  ];
  return candidates.find((value): value is number => typeof value === 'number' && Number.isFinite(value));
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

function invokeTexts(body: Record<string, any>): string[] {
  const texts: string[] = [];
  const collect = (content: unknown) => {
    if (typeof content === 'string') texts.push(content);
    else if (Array.isArray(content)) for (const block of content) collect(block?.text ?? block?.content);
  };
  for (const message of Array.isArray(body.messages) ? body.messages : []) collect(message?.content);
  collect(body.system);
  collect(body.prompt);
  collect(body.inputText);
  return texts;
}
