// What a request to a provider host is, read from the wire: the operation and wire format from the URL
// path, the model, output cap and stream flag from the JSON body (or the path, where the API puts the
// model there). Plain string checks only (linear, no regular expressions over the URL).
import { estimateInputTokens } from '../estimate';
import { ATTR_GEN_AI_REQUEST_MAX_TOKENS, type GenAIOperationName } from '../semconv';
import type { GovernedRequest } from '../types';

/** The response shapes egress reads usage from. */
export type Wire =
  | 'openai-chat'
  | 'openai-responses'
  | 'anthropic'
  | 'gemini'
  | 'ollama'
  | 'cohere-v2'
  | 'cohere-v1'
  | 'bedrock-converse'
  | 'bedrock-invoke'
  /** Anthropic Managed Agents: session objects and session events (managed-agents-wire.ts). */
  | 'anthropic-agents'
  /** A POST GenOps cannot read (an image, audio, file or batch endpoint): governed at the reservation. */
  | 'unknown';

export interface Endpoint {
  wire: Wire;
  operation: GenAIOperationName;
  /** The provider the wire format implies, for a user host configured without one. */
  provider: string;
  /** The model, when the API puts it in the path (Gemini, Vertex, Bedrock, an Azure deployment). */
  pathModel?: string | undefined;
  /** The stream flag, when the API puts it in the path (`:streamGenerateContent`, `converse-stream`). */
  pathStream?: boolean;
  /**
   * An Anthropic Managed Agents write whose body decides whether it runs an agent turn: a session
   * created with `initial_events` (no `sessionId`), or events sent to session `sessionId`. A body that
   * starts no turn bills nothing and passes untouched (see managed-agents-wire.ts).
   */
  agentTurn?: { sessionId?: string };
}

/** POST endpoints that bill nothing themselves: counting tokens, uploads, moderation, cancelling. */
const FREE_SUFFIXES = [
  '/count_tokens',
  ':counttokens',
  '/tokenize',
  '/files',
  '/uploads',
  '/moderations',
  '/cancel',
  '/assistants',
  '/vector_stores',
];

/**
 * A write that bills nothing: the endpoints above, upload parts, and Assistants thread and message
 * edits (a thread's `/runs` bill, and are governed as requests GenOps cannot read).
 */
function isFreeWrite(path: string): boolean {
  for (const suffix of FREE_SUFFIXES) if (path.endsWith(suffix)) return true;
  if (isManagedAgentsSetup(path)) return true;
  if (path.includes('/uploads/')) return true;
  return path.includes('/threads') && !path.includes('/runs');
}

/** Anthropic Managed Agents resources whose writes configure, not run (see isManagedAgentsSetup). */
const MANAGED_AGENTS_RESOURCES = [
  '/v1/agents',
  '/v1/environments',
  '/v1/vaults',
  '/v1/skills',
  '/v1/sessions',
  '/v1/memory_stores',
];

/**
 * The writes of a self-hosted environment's work queue, under `/v1/environments/{id}/work/`, which the
 * SDK's `EnvironmentWorker` (`client.beta.environments.work.worker()`) and `ant worker poll` make: `ack`
 * (claim an item), `heartbeat` (keep its lease), `stop`, and `{work_id}` itself (its metadata). They lease
 * a session's tool runs to a worker and bill nothing: what bills is the tool result the worker then posts
 * to the session (`POST /v1/sessions/{id}/events` with a `user.tool_result` or `user.custom_tool_result`),
 * which resumes the agent's turn: an agent turn like any other send. (`poll`, `stats` and the list are reads.)
 */
const ENVIRONMENT_WORK_ACTIONS: ReadonlySet<string> = new Set(['', 'ack', 'heartbeat', 'stop']);

/** Whether `path` (lower case, no query) is a write of a self-hosted environment's work queue. */
export function isEnvironmentWorkWrite(path: string): boolean {
  const at = path.indexOf('/v1/environments/');
  if (at < 0) return false;
  // environment id, 'work', work id, action?
  const parts = path.slice(at + '/v1/environments/'.length).split('/', 5);
  if (parts.length < 3 || parts.length > 4 || parts[0] === '' || parts[1] !== 'work' || parts[2] === '') return false;
  return ENVIRONMENT_WORK_ACTIONS.has(parts[3] ?? '');
}

/**
 * Anthropic Managed Agents set-up: creating and editing agents, environments (and a self-hosted
 * environment's work items: {@link isEnvironmentWorkWrite}), vaults, skills, memory stores (a worker
 * syncs a session's memories to them) and sessions bills nothing. Creating a session
 * (`POST /v1/sessions`) and sending a session events (`POST /v1/sessions/{id}/events`) run an agent
 * turn when the body carries a user event: the path cannot tell, so they are not set-up here but
 * endpoints whose body decides ({@link agentsPathOf}). `/completions` under `/v1/agents` (Mistral's
 * agents API) is a model call, not set-up.
 */
function isManagedAgentsSetup(path: string): boolean {
  if (isEnvironmentWorkWrite(path)) return true;
  if (path.endsWith('/events') || path.endsWith('/completions')) return false;
  if (path.endsWith(SESSIONS)) return false;
  for (const resource of MANAGED_AGENTS_RESOURCES) {
    const at = path.indexOf(resource);
    if (at < 0) continue;
    const next = path.charCodeAt(at + resource.length);
    if (Number.isNaN(next) || next === 47 /* '/' */) return true;
  }
  return false;
}

const SESSIONS = '/v1/sessions';
const AGENTS = '/v1/agents';

/** A Managed Agents resource path, as egress reads it. */
export type AgentsPath =
  /** `/v1/agents` or `/v1/agents/{id}`: an agent object answers. */
  | { kind: 'agent' }
  /** `/v1/sessions` or `/v1/sessions/{id}`: a session object answers. */
  | { kind: 'session'; sessionId: string | undefined }
  /** `/v1/sessions/{id}/events` (send, list) or `/v1/sessions/{id}/events/stream`. */
  | { kind: 'events'; sessionId: string };

/**
 * The Managed Agents resource of `rawPath` (with its query; any base path before `/v1`), or `undefined`.
 * Plain string checks: ids are the segments after the resource.
 */
export function agentsPathOf(rawPath: string): AgentsPath | undefined {
  const query = rawPath.indexOf('?');
  const path = query >= 0 ? rawPath.slice(0, query) : rawPath;
  const sessions = path.indexOf(SESSIONS);
  if (sessions >= 0) {
    const rest = path.slice(sessions + SESSIONS.length);
    if (rest === '' || rest === '/') return { kind: 'session', sessionId: undefined };
    if (rest.charCodeAt(0) !== 47 /* '/' */) return undefined;
    const parts = rest.slice(1).split('/', 4);
    const sessionId = parts[0]!;
    if (sessionId === '') return undefined;
    if (parts.length === 1) return { kind: 'session', sessionId };
    if (parts[1] === 'events' && (parts.length === 2 || (parts.length === 3 && parts[2] === 'stream')))
      return { kind: 'events', sessionId };
    return undefined;
  }
  const agents = path.indexOf(AGENTS);
  if (agents < 0) return undefined;
  const rest = path.slice(agents + AGENTS.length);
  if (rest === '' || rest === '/') return { kind: 'agent' };
  // Mistral's `/v1/agents/completions` is a model call, not an agent.
  if (rest === '/completions') return undefined;
  return rest.charCodeAt(0) === 47 && rest.indexOf('/', 1) < 0 ? { kind: 'agent' } : undefined;
}

/** Gemini API / Vertex AI methods (`...:{method}`, lower case) that bill. */
const GEMINI_METHODS: ReadonlyMap<string, { operation: GenAIOperationName; pathStream?: boolean }> = new Map([
  ['generatecontent', { operation: 'generate_content', pathStream: false }],
  ['streamgeneratecontent', { operation: 'generate_content', pathStream: true }],
  ['embedcontent', { operation: 'embeddings' }],
  ['batchembedcontents', { operation: 'embeddings' }],
  ['predict', { operation: 'embeddings' }],
]);

/** Bedrock runtime actions (`/model/{id}/{action}`). */
const BEDROCK_ACTIONS: ReadonlyMap<string, { wire: Wire; pathStream: boolean }> = new Map([
  ['converse', { wire: 'bedrock-converse', pathStream: false }],
  ['converse-stream', { wire: 'bedrock-converse', pathStream: true }],
  ['invoke', { wire: 'bedrock-invoke', pathStream: false }],
  ['invoke-with-response-stream', { wire: 'bedrock-invoke', pathStream: true }],
]);

/**
 * The endpoint of `method path` (path with its query), or `undefined` for a request that bills nothing
 * and passes untouched: reads (`GET`, `HEAD`, `OPTIONS`, `DELETE`) and the free counting endpoints.
 */
export function endpointFor(method: string, rawPath: string): Endpoint | undefined {
  const verb = method.toUpperCase();
  if (verb !== 'POST' && verb !== 'PUT' && verb !== 'PATCH') return undefined;
  const query = rawPath.indexOf('?');
  const path = (query >= 0 ? rawPath.slice(0, query) : rawPath).toLowerCase();
  const original = query >= 0 ? rawPath.slice(0, query) : rawPath;
  if (isFreeWrite(path)) return undefined;
  if (path.endsWith(SESSIONS) || path.endsWith('/events')) {
    const agents = agentsPathOf(original);
    if (agents?.kind === 'session' && agents.sessionId === undefined)
      return { wire: 'anthropic-agents', operation: 'chat', provider: 'anthropic', agentTurn: {} };
    if (agents?.kind === 'events')
      return {
        wire: 'anthropic-agents',
        operation: 'chat',
        provider: 'anthropic',
        agentTurn: { sessionId: agents.sessionId },
      };
  }

  // Gemini API and Vertex AI: .../models/{model}:{method}
  const colon = path.lastIndexOf(':');
  const gemini = colon > path.lastIndexOf('/') ? GEMINI_METHODS.get(path.slice(colon + 1)) : undefined;
  if (gemini) return { wire: 'gemini', provider: 'gcp.gemini', ...gemini, pathModel: modelBefore(original, colon) };
  // Bedrock runtime: /model/{modelId}/{converse|converse-stream|invoke|invoke-with-response-stream}
  const modelAt = path.indexOf('/model/');
  const last = path.lastIndexOf('/');
  const bedrock = modelAt >= 0 ? BEDROCK_ACTIONS.get(path.slice(last + 1)) : undefined;
  if (bedrock)
    return {
      operation: 'chat',
      provider: 'aws.bedrock',
      ...bedrock,
      pathModel: decodeSafely(original.slice(modelAt + 7, last)),
    };
  const deployment = azureDeployment(original);
  if (path.endsWith('/chat/completions'))
    return { wire: 'openai-chat', operation: 'chat', provider: 'openai', pathModel: deployment };
  if (path.endsWith('/embeddings'))
    return { wire: 'openai-chat', operation: 'embeddings', provider: 'openai', pathModel: deployment };
  if (path.endsWith('/completions'))
    return { wire: 'openai-chat', operation: 'text_completion', provider: 'openai', pathModel: deployment };
  if (path.endsWith('/responses'))
    return { wire: 'openai-responses', operation: 'chat', provider: 'openai', pathModel: deployment };
  if (path.endsWith('/messages')) return { wire: 'anthropic', operation: 'chat', provider: 'anthropic' };
  if (path.endsWith('/api/chat')) return { wire: 'ollama', operation: 'chat', provider: 'ollama' };
  if (path.endsWith('/api/generate')) return { wire: 'ollama', operation: 'text_completion', provider: 'ollama' };
  if (path.endsWith('/api/embed') || path.endsWith('/api/embeddings'))
    return { wire: 'ollama', operation: 'embeddings', provider: 'ollama' };
  if (path.endsWith('/v2/chat')) return { wire: 'cohere-v2', operation: 'chat', provider: 'cohere' };
  if (path.endsWith('/v2/embed')) return { wire: 'cohere-v2', operation: 'embeddings', provider: 'cohere' };
  if (path.endsWith('/v1/chat')) return { wire: 'cohere-v1', operation: 'chat', provider: 'cohere' };
  return { wire: 'unknown', operation: 'chat', provider: 'unknown', pathModel: deployment };
}

/** The model id before `:method` in `.../models/{model}:method`. */
function modelBefore(path: string, colon: number): string | undefined {
  const slash = path.lastIndexOf('/', colon);
  return slash < 0 ? undefined : decodeSafely(path.slice(slash + 1, colon));
}

/** Azure OpenAI: `/openai/deployments/{deployment}/...` names the deployment, not the model. */
function azureDeployment(path: string): string | undefined {
  const marker = '/deployments/';
  const at = path.indexOf(marker);
  if (at < 0) return undefined;
  const start = at + marker.length;
  const end = path.indexOf('/', start);
  return decodeSafely(end < 0 ? path.slice(start) : path.slice(start, end));
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Model id used when neither the body nor the path names one: never priced, so unknown-model handling decides. */
export const UNKNOWN_MODEL = 'unknown';

/**
 * The governed request of a wire request. `body` is the parsed JSON body (`undefined` when it was not
 * JSON or too large to read), `bodyBytes` its size (an upper bound of the input tokens, like
 * `estimateInputTokens`).
 */
export function describeWireRequest(
  endpoint: Endpoint,
  provider: string,
  body: unknown,
  bodyBytes: number,
  bodyText: (() => string) | undefined,
  server: { serverAddress: string; serverPort: number },
): GovernedRequest {
  const json = isObject(body) ? body : undefined;
  const model =
    (typeof json?.model === 'string' && json.model.length > 0 ? json.model : undefined) ??
    endpoint.pathModel ??
    UNKNOWN_MODEL;
  const stream =
    endpoint.pathStream ??
    (typeof json?.stream === 'boolean'
      ? json.stream
      : endpoint.wire === 'ollama' && endpoint.operation !== 'embeddings');
  const maxOutputTokens = json ? maxTokensOf(endpoint.wire, json) : undefined;
  const request: GovernedRequest = {
    provider,
    operation: endpoint.operation,
    model,
    method: methodOf(endpoint.wire),
    stream,
    // The body's UTF-8 size bounds its tokens from above (see estimateInputTokens).
    estimatedInputTokens: bodyBytes > 0 ? bodyBytes + 8 : estimateInputTokens(json),
    serverAddress: server.serverAddress,
    serverPort: server.serverPort,
    editable: json !== undefined && typeof json.model === 'string' ? MODEL_EDITABLE : NOTHING_EDITABLE,
  };
  if (maxOutputTokens !== undefined) {
    request.maxOutputTokens = maxOutputTokens;
    request.requestAttributes = { [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: maxOutputTokens };
  }
  // Content rules see the request's JSON text (keys included): an over-approximation of its text parts.
  if (bodyText) request.text = textPartsOf(bodyText);
  return request;
}

/**
 * The request's text parts, read by `bodyText`. Made here rather than as `request.text = () => ...`: V8
 * allocates a function literal assigned to a property straight in the old generation (it takes it for a
 * method set up once), so a closure made that way per request outlives it there until the next full
 * collection, and keeps whatever it captured (the request's body, and through it the gateway's whole
 * request) alive through every young-generation collection in between: promoted, call after call.
 */
function textPartsOf(bodyText: () => string): () => string[] {
  return () => [bodyText()];
}

/** What a wire request may have changed by governance (read only: one object for every request). */
const MODEL_EDITABLE = Object.freeze({ model: true });
const NOTHING_EDITABLE = Object.freeze({ model: false });

/** `egress <wire>`, made once per wire. */
const methods = new Map<Wire, string>();
function methodOf(wire: Wire): string {
  let method = methods.get(wire);
  if (method === undefined) {
    method = `egress ${wire}`;
    methods.set(wire, method);
  }
  return method;
}

function maxTokensOf(wire: Wire, body: Record<string, unknown>): number | undefined {
  switch (wire) {
    case 'gemini':
      return (
        positiveInteger(nested(body.generationConfig, 'maxOutputTokens')) ??
        positiveInteger(nested(body.generation_config, 'max_output_tokens'))
      );
    case 'ollama':
      return positiveInteger(nested(body.options, 'num_predict'));
    case 'bedrock-converse':
      return positiveInteger(nested(body.inferenceConfig, 'maxTokens'));
    default:
      return (
        positiveInteger(body.max_completion_tokens) ??
        positiveInteger(body.max_output_tokens) ??
        positiveInteger(body.max_tokens) ??
        positiveInteger(body.max_tokens_to_sample)
      );
  }
}

function nested(object: unknown, key: string): unknown {
  return isObject(object) ? object[key] : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
