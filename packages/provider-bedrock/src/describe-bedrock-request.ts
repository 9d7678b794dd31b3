import { estimateInputTokens, type GovernedRequest } from '@genops/core/adapter';
import { converseTexts, invokeTexts, parseBody } from './bedrock-request-text';
import type { BedrockClientLike, BedrockCommand, BedrockEndpoint } from './types';

type Input = Record<string, any>;

/** The Bedrock Runtime commands GenOps governs, by `context.commandName`. */
export const GOVERNED_COMMANDS: Readonly<Record<string, BedrockCommand>> = {
  ConverseCommand: { method: 'converse', stream: false, invoke: false },
  ConverseStreamCommand: { method: 'converseStream', stream: true, invoke: false },
  InvokeModelCommand: { method: 'invokeModel', stream: false, invoke: true },
  InvokeModelWithResponseStreamCommand: { method: 'invokeModelWithResponseStream', stream: true, invoke: true },
};

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
    // The readers are given a variable before they go on `base`: a function literal assigned to a
    // property is made in V8's old generation, and would keep `input` alive there (lint/no-property-function.grit).
    const text = () => converseTexts(input);
    const content = () => ({ input: input.messages, system: input.system });
    base.text = text;
    base.editable = { model: true, text: true };
    base.content = content;
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
  const text = () => (body ? invokeTexts(body) : []);
  base.text = text;
  // The body is model-native JSON: GenOps can send it to another model id, and rewrites the text
  // fields it reads for content rules (see `rewriteInvokeBody`). A body that is not JSON cannot be
  // rewritten, so a redact rule denies it instead (fail closed).
  base.editable = { model: true, text: body !== undefined };
  const content = () => ({
    input: body?.messages ?? body?.prompt ?? body?.inputText ?? body?.message,
    system: body?.system ?? body?.preamble,
  });
  base.content = content;
  return base;
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

/** The client's region (`await client.config.region()`) and endpoint, for region rules and `server.*`. */
export async function bedrockEndpointOf(client: BedrockClientLike): Promise<BedrockEndpoint> {
  const endpoint: BedrockEndpoint = {};
  try {
    const region = await resolve(client.config?.region);
    if (typeof region === 'string' && region) endpoint.region = region;
  } catch {
    // A region provider that fails here fails the SDK call too; governance goes on without it.
  }
  try {
    const configured = (await resolve(client.config?.endpoint)) as
      | { hostname?: string; port?: number; protocol?: string }
      | undefined;
    if (configured?.hostname) {
      endpoint.serverAddress = configured.hostname;
      endpoint.serverPort = configured.port ?? (configured.protocol === 'http:' ? 80 : 443);
    } else if (endpoint.region) {
      endpoint.serverAddress = `bedrock-runtime.${endpoint.region}.amazonaws.com`;
      endpoint.serverPort = 443;
    }
  } catch {
    // No endpoint attributes.
  }
  return endpoint;
}

async function resolve(value: unknown): Promise<unknown> {
  return typeof value === 'function' ? await (value as () => unknown)() : value;
}
