import { endpointOf, estimateInputTokens, type GovernedRequest } from '@genops/core/adapter';
import { anthropicRequestTexts } from './anthropic-request-text';
import type { AnthropicMethod } from './types';

type Body = Record<string, unknown>;

/** Reads what governance needs from a `messages.create` body. Content is read lazily, only when asked. */
export function describeAnthropicRequest(
  body: Body,
  baseURL: string | undefined,
  method: AnthropicMethod = 'messages.create',
): GovernedRequest {
  const model = typeof body.model === 'string' ? body.model : 'unknown-model';
  const request: GovernedRequest = {
    provider: 'anthropic',
    operation: 'chat',
    model,
    method,
    stream: body.stream === true,
    // `system` and `tools` are sent with every request and count as input.
    estimatedInputTokens:
      estimateInputTokens(body.messages) + estimateInputTokens(body.system) + estimateInputTokens(body.tools),
    ...endpointOf(baseURL),
    requestAttributes: samplingAttributes(body),
    text: () => anthropicRequestTexts(body),
    editable: { model: true, text: true },
    content: () => ({ input: body.messages, system: body.system }),
  };
  // `max_tokens` is required by the Messages API: it is the worst case for output (thinking included).
  if (typeof body.max_tokens === 'number' && Number.isFinite(body.max_tokens))
    request.maxOutputTokens = body.max_tokens;
  const tools = toolNames(body.tools);
  if (tools) request.tools = tools;
  return request;
}

// SDK 1.x types no longer list `temperature`, `top_p` and `top_k`, but older models still accept them
// on the wire, so they are recorded when a request sends them.
function samplingAttributes(body: Body): NonNullable<GovernedRequest['requestAttributes']> {
  const attributes: NonNullable<GovernedRequest['requestAttributes']> = {};
  if (typeof body.max_tokens === 'number') attributes['gen_ai.request.max_tokens'] = body.max_tokens;
  if (typeof body.temperature === 'number') attributes['gen_ai.request.temperature'] = body.temperature;
  if (typeof body.top_p === 'number') attributes['gen_ai.request.top_p'] = body.top_p;
  if (typeof body.top_k === 'number') attributes['gen_ai.request.top_k'] = body.top_k;
  if (Array.isArray(body.stop_sequences))
    attributes['gen_ai.request.stop_sequences'] = body.stop_sequences.filter((s): s is string => typeof s === 'string');
  return attributes;
}

function toolNames(tools: unknown): string[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  const names: string[] = [];
  for (const tool of tools) {
    const name = (tool as { name?: unknown })?.name;
    if (typeof name === 'string') names.push(name);
  }
  return names;
}
