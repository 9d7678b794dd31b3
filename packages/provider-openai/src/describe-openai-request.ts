import { endpointOf, estimateInputTokens, type GovernedRequest } from '@genops/core/adapter';
import { isHeliconeBaseURL } from './compatible-gateways';
import { compatibleEndpointOf, routedVendorOf } from './compatible-providers';
import { openAIRequestTexts } from './openai-request-text';
import type { OpenAIMethod } from './types';

type Body = Record<string, unknown>;

/** Every described request's `editable` (read only, so one object serves all). */
const EDITABLE: NonNullable<GovernedRequest['editable']> = Object.freeze({ model: true, text: true });

/**
 * Reads what governance needs from a request body. Never reads content unless asked (lazy accessor).
 * `provider`, when given, is the caller's choice of `gen_ai.provider.name` and wins over the base URL.
 */
export function describeOpenAIRequest(
  method: OpenAIMethod,
  body: Body,
  baseURL: string | undefined,
  provider?: string,
): GovernedRequest {
  return describeOpenAIRequestAt(method, body, openAIEndpointOf(baseURL), provider);
}

/** {@link describeOpenAIRequest} for a client whose endpoint ({@link openAIEndpointOf}) is known already. */
export function describeOpenAIRequestAt(
  method: OpenAIMethod,
  body: Body,
  endpoint: OpenAIClientEndpoint,
  provider?: string,
): GovernedRequest {
  const model = typeof body.model === 'string' ? body.model : 'unknown-model';
  // A router (OpenRouter) runs `deepseek/deepseek-chat` at DeepSeek: report and price it as such.
  provider ||= (endpoint.routesByModelPrefix && routedVendorOf(model)) || endpoint.provider;
  const stream = body.stream === true;
  const choices = typeof body.n === 'number' && body.n > 1 ? body.n : 1;
  const request: GovernedRequest = {
    provider,
    operation: 'chat',
    model,
    method,
    stream,
    estimatedInputTokens: 0,
  };
  // The endpoint's `server.*` (no copy of the cached endpoint per call).
  if (endpoint.serverAddress !== undefined) request.serverAddress = endpoint.serverAddress;
  if (endpoint.serverPort !== undefined) request.serverPort = endpoint.serverPort;
  // The readers are given a variable before they go on `request`: a function literal assigned to a
  // property is made in V8's old generation, and would keep `body` alive there (lint/no-property-function.grit).
  const text = () => openAIRequestTexts(method, body);
  request.text = text;
  request.editable = EDITABLE;
  switch (method) {
    case 'chat.completions.create': {
      const cap = numberOr(body.max_completion_tokens, body.max_tokens);
      // Every one of the `n` choices may use the whole cap.
      if (cap !== undefined) request.maxOutputTokens = cap * choices;
      request.estimatedInputTokens =
        estimateInputTokens(body.messages) +
        estimateInputTokens(body.tools) +
        estimateInputTokens(body.response_format);
      request.requestAttributes = samplingAttributes(body, cap);
      request.tools = toolNames(body.tools);
      const content = () => ({ input: body.messages });
      request.content = content;
      break;
    }
    case 'responses.create': {
      const cap = numberOr(body.max_output_tokens);
      if (cap !== undefined) request.maxOutputTokens = cap;
      request.estimatedInputTokens =
        estimateInputTokens(body.input) + estimateInputTokens(body.instructions) + estimateInputTokens(body.tools);
      request.requestAttributes = samplingAttributes(body, cap);
      request.tools = toolNames(body.tools);
      const content = () => ({ input: body.input, system: body.instructions });
      request.content = content;
      break;
    }
    case 'completions.create': {
      request.operation = 'text_completion';
      // The legacy Completions API defaults max_tokens to 16.
      request.maxOutputTokens =
        (numberOr(body.max_tokens) ?? 16) *
        choices *
        (typeof body.best_of === 'number' && body.best_of > choices ? body.best_of / choices : 1);
      request.estimatedInputTokens = estimateInputTokens(body.prompt);
      request.requestAttributes = samplingAttributes(body, numberOr(body.max_tokens));
      const content = () => ({ input: body.prompt });
      request.content = content;
      break;
    }
    case 'embeddings.create': {
      request.operation = 'embeddings';
      request.maxOutputTokens = 0;
      request.estimatedInputTokens = estimateInputTokens(body.input);
      const format = typeof body.encoding_format === 'string' ? body.encoding_format : undefined;
      request.requestAttributes = format ? { 'gen_ai.request.encoding_formats': [format] } : {};
      if (typeof body.dimensions === 'number')
        request.requestAttributes['gen_ai.embeddings.dimension.count'] = body.dimensions;
      const content = () => ({ input: body.input });
      request.content = content;
      break;
    }
  }
  return request;
}

function samplingAttributes(body: Body, maxTokens: number | undefined): GovernedRequest['requestAttributes'] {
  const attributes: NonNullable<GovernedRequest['requestAttributes']> = {};
  if (maxTokens !== undefined) attributes['gen_ai.request.max_tokens'] = maxTokens;
  if (typeof body.temperature === 'number') attributes['gen_ai.request.temperature'] = body.temperature;
  if (typeof body.top_p === 'number') attributes['gen_ai.request.top_p'] = body.top_p;
  if (typeof body.seed === 'number') attributes['gen_ai.request.seed'] = body.seed;
  if (typeof body.frequency_penalty === 'number')
    attributes['gen_ai.request.frequency_penalty'] = body.frequency_penalty;
  if (typeof body.presence_penalty === 'number') attributes['gen_ai.request.presence_penalty'] = body.presence_penalty;
  if (typeof body.stop === 'string') attributes['gen_ai.request.stop_sequences'] = [body.stop];
  else if (Array.isArray(body.stop)) attributes['gen_ai.request.stop_sequences'] = body.stop.map(String);
  if (typeof body.n === 'number' && body.n !== 1) attributes['gen_ai.request.choice.count'] = body.n;
  const format =
    (body.response_format as { type?: unknown } | undefined)?.type ??
    (body.text as { format?: { type?: unknown } } | undefined)?.format?.type;
  if (format === 'json_object' || format === 'json_schema') attributes['gen_ai.output.type'] = 'json';
  else if (format === 'text') attributes['gen_ai.output.type'] = 'text';
  if (typeof body.conversation === 'string') attributes['gen_ai.conversation.id'] = body.conversation;
  return attributes;
}

function toolNames(tools: unknown): string[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  const names: string[] = [];
  for (const tool of tools) {
    const name =
      (tool as { function?: { name?: unknown }; name?: unknown })?.function?.name ?? (tool as { name?: unknown })?.name;
    if (typeof name === 'string') names.push(name);
  }
  return names;
}

/** The first of (up to two) values that is a finite number (no rest array per call). */
function numberOr(first: unknown, second?: unknown): number | undefined {
  if (typeof first === 'number' && Number.isFinite(first)) return first;
  if (typeof second === 'number' && Number.isFinite(second)) return second;
  return undefined;
}

/**
 * `gen_ai.provider.name` from the client's base URL: the OpenAI-compatible service behind the host
 * (`api.deepseek.com` → `deepseek`, see `compatible-providers.ts`). Anything unrecognised is reported
 * as `openai`, the wire protocol in use.
 */
export function providerFromBaseURL(baseURL: string | undefined): string {
  return openAIEndpointOf(baseURL).provider;
}

/** Provider and `server.*` of a client, for endpoints without a model-routed provider (images, audio). */
export function clientEndpointOf(
  baseURL: string | undefined,
  provider: string | undefined,
): { provider: string; serverAddress?: string; serverPort?: number } {
  const { provider: fromURL, routesByModelPrefix: _, helicone: __, ...server } = openAIEndpointOf(baseURL);
  return { provider: provider || fromURL, ...server };
}

/** What a client's base URL says, parsed once per base URL (read only: shared by every call). */
export interface OpenAIClientEndpoint {
  provider: string;
  routesByModelPrefix?: boolean;
  serverAddress?: string;
  serverPort?: number;
  /** A Helicone gateway (see `compatible-gateways.ts`). */
  helicone?: true;
}

// A client's base URL never changes and apps use few of them: parse each once, not once per call.
const endpoints = new Map<string, OpenAIClientEndpoint>();
const DEFAULT_ENDPOINT: OpenAIClientEndpoint = Object.freeze({ provider: 'openai' });

/** Provider, `server.*` and gateway of a client's base URL (cached per base URL). */
export function openAIEndpointOf(baseURL: string | undefined): OpenAIClientEndpoint {
  if (!baseURL) return DEFAULT_ENDPOINT;
  let endpoint = endpoints.get(baseURL);
  if (!endpoint) {
    endpoint = parseEndpoint(baseURL);
    if (endpoints.size < 100) endpoints.set(baseURL, endpoint);
  }
  return endpoint;
}

/** `server.address`/`server.port` (core's `endpointOf`) plus the compatible service the URL belongs to. */
function parseEndpoint(baseURL: string): OpenAIClientEndpoint {
  const server = endpointOf(baseURL);
  if (server.serverAddress === undefined) return DEFAULT_ENDPOINT;
  const endpoint: OpenAIClientEndpoint = {
    ...compatibleEndpointOf(server.serverAddress, new URL(baseURL).pathname),
    ...server,
  };
  if (isHeliconeBaseURL(baseURL)) endpoint.helicone = true;
  return endpoint;
}
