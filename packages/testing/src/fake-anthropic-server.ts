import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFakeManagedAgents } from './fake-anthropic-agents';
import { minimalValueOf } from './schema-value';

/** Token counts a fake Anthropic reply reports, as the wire carries them. */
export interface FakeAnthropicUsage {
  /** `input_tokens`: uncached input only (Anthropic's count EXCLUDES cache reads and writes). */
  input: number;
  /** `output_tokens` (thinking included). */
  output: number;
  /** `cache_read_input_tokens`. Default 0. */
  cacheRead?: number;
  /** `cache_creation_input_tokens`. Default 0. */
  cacheWrite?: number;
  /** Of `cacheWrite`, `cache_creation.ephemeral_1h_input_tokens`; the rest is 5-minute. Default 0. */
  cacheWrite1h?: number;
}

/** How the fake server answers one request. Every field is optional; unset fields use the defaults. */
export interface FakeAnthropicReply {
  /** HTTP status. ≥ 400 sends an Anthropic error body. Default 200, or 500 when `error` is set. */
  status?: number;
  /** The error body's fields (`{type:'error', error:{type, message}}`). `type` defaults from the status. */
  error?: { message: string; type?: string };
  /** The assistant text. Default "Hello from the fake Anthropic server." */
  content?: string;
  /** The response's model. Default: the request's `model`. */
  model?: string;
  /** Token counts. Default `{ input: 20, output: 10 }`; `null` leaves usage out entirely. */
  usage?: FakeAnthropicUsage | null;
  /** `stop_reason`. Default `end_turn`. */
  stopReason?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Streams: wait this long between events. */
  chunkDelayMs?: number;
  /** Streams: send this many SSE events, then end the connection mid-stream. */
  breakAfterChunks?: number;
  /** Streams: how many `text_delta` events to split the content into. Default 3. */
  chunks?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Non-streamed replies: answer 200 with a body that is not JSON. */
  malformed?: boolean;
  /**
   * Non-streamed replies: answer with this `tool_use` block after the text, and `stop_reason: 'tool_use'`
   * (unless `stopReason` says otherwise), for tool loops such as `beta.messages.toolRunner()`.
   */
  toolUse?: { name: string; input: Record<string, unknown> };
  /** Managed-agents turns: further model requests after the first (`usage`), see `FakeAgentTurn.requests`. */
  agentRequests?: FakeAnthropicUsage[];
  /** Managed-agents turns: how long each further request runs (`FakeAgentTurn.requestMs`). Default 0. */
  agentRequestMs?: number;
}

/** One request the fake Anthropic server received. */
export interface FakeAnthropicRequest {
  method: string;
  /** The path without the query string, e.g. `/v1/messages`. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body, or `undefined` when empty or not JSON. */
  body: any;
  rawBody: string;
}

export interface StartFakeAnthropicOptions {
  /** Port on 127.0.0.1. Default 0: a free port. */
  port?: number;
  /** The reply used when the queue is empty, and the base every queued reply is merged over. */
  defaults?: FakeAnthropicReply;
  /**
   * Answer like a model that calls its tools: a non-streamed request with custom tools (`input_schema`),
   * `tool_choice` not `none`, whose last message is the user's and carries no `tool_result`, is answered
   * with a `tool_use` of the tool `tool_choice` names (else the first), its input a minimal value of the
   * tool's schema, unless the queued reply sets `toolUse` itself. Managed-agents turns likewise call a
   * custom tool the user's message names (see `fake-anthropic-agents.ts`). Default `false` (text only).
   */
  answerTools?: boolean;
}

/** A running fake Anthropic server. */
export interface FakeAnthropicServer {
  /** The base URL to give the SDK (it appends `/v1/messages`), e.g. `http://127.0.0.1:53817`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: FakeAnthropicRequest[];
  /** Queues replies, first in first out, one per `POST /v1/messages`. */
  enqueue(...replies: FakeAnthropicReply[]): void;
  /** Clears the reply queue and the recorded requests. */
  reset(): void;
  /** Managed Agents: a new self-hosted environment and its key (see `fake-anthropic-agents.ts`). */
  selfHostedEnvironment(): { environmentId: string; environmentKey: string };
  /**
   * Managed Agents: a work item claimed elsewhere, for a worker started with it (`ANTHROPIC_WORK_ID`, …):
   * a session of an agent with `tools` in a new self-hosted environment, `prompt` sent (see
   * `fake-anthropic-agents.ts`). Its requests are not recorded: they are not the worker's.
   */
  claimedWorkItem(
    prompt: string,
    tools: Array<Record<string, unknown>>,
  ): { environmentId: string; environmentKey: string; sessionId: string; workId: string };
  close(): Promise<void>;
}

const DEFAULT_CONTENT = 'Hello from the fake Anthropic server.';

/** A message batch every fake Anthropic server has from the start (`ended`, two requests), made elsewhere. */
export const FAKE_ANTHROPIC_EXAMPLE_BATCH_ID = 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d';
const DEFAULT_MODEL = 'claude-sonnet-4-5';
const DEFAULT_USAGE: FakeAnthropicUsage = { input: 20, output: 10 };

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/**
 * Starts a fake Anthropic Messages API on 127.0.0.1: `POST /v1/messages` in JSON and in SSE
 * (`message_start`, `content_block_start`, `ping`, `content_block_delta`, `content_block_stop`,
 * `message_delta`, `message_stop`), with errors as `{type:'error', error:{type, message}}`. It accepts
 * `x-api-key` or `Authorization: Bearer` and answers 401 without either. Message batches and the Managed
 * Agents routes (environments, agents, vaults, skills, files, sessions and their events; see
 * `fake-anthropic-agents.ts`) are served too.
 *
 * @example
 * const server = await startFakeAnthropic();
 * const client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
 */
export async function startFakeAnthropic(options: StartFakeAnthropicOptions = {}): Promise<FakeAnthropicServer> {
  const queue: FakeAnthropicReply[] = [];
  const requests: FakeAnthropicRequest[] = [];
  const defaults = options.defaults ?? {};

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) {
        sendError(response, 500, { message: `fake Anthropic server error: ${String(error)}` }, {});
      } else {
        response.destroy();
      }
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const rawBody = await readBody(request);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    let body: any;
    let bodyError: string | undefined;
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch (error) {
        bodyError = (error as Error).message;
      }
    }
    const headers = flattenHeaders(request);
    requests.push({ method: request.method ?? 'GET', path, headers, body, rawBody });

    if (request.method === 'POST' && path === '/v1/messages/count_tokens') {
      // Free and unqueued: a rough count, so a test can tell it reached the server.
      sendJson(response, 200, { input_tokens: Math.ceil(rawBody.length / 4) }, {});
      return;
    }
    const agents = managedAgents.handle(request.method ?? 'GET', path, queryOf(request.url), body, response, headers);
    if (agents) return;
    if (path.startsWith('/v1/messages/batches')) {
      handleBatches(request.method ?? 'GET', path, body, headers.host ?? `127.0.0.1:${port}`, response);
      return;
    }
    if (request.method !== 'POST' || path !== '/v1/messages') {
      sendError(response, 404, { message: `Not found: ${request.method} ${path}` }, {});
      return;
    }
    const reply: FakeAnthropicReply = { ...defaults, ...queue.shift() };
    const hasKey = Boolean(headers['x-api-key']) || /^Bearer \S+/.test(headers.authorization ?? '');
    if (!hasKey) {
      sendError(response, 401, { message: 'invalid x-api-key' }, {});
      return;
    }
    if (bodyError !== undefined || typeof body !== 'object' || body === null) {
      sendError(response, 400, { message: `There was an error parsing the body: ${bodyError ?? 'not an object'}` }, {});
      return;
    }
    if (reply.delayMs) await sleep(reply.delayMs);
    if (isClosed(response)) return;

    const responseHeaders = { 'request-id': randomId('req_'), ...reply.headers };
    const status = reply.status ?? (reply.error ? 500 : 200);
    if (status >= 400) {
      sendError(response, status, reply.error ?? { message: 'error' }, responseHeaders);
      return;
    }
    const model = reply.model ?? (typeof body.model === 'string' ? body.model : DEFAULT_MODEL);
    // A request for structured output (`output_config.format`, beta `output_format`) gets a minimal
    // JSON value of its schema, as a model in strict mode would send.
    const schema = requestedSchema(body);
    const content = reply.content ?? (schema === undefined ? DEFAULT_CONTENT : JSON.stringify(minimalValueOf(schema)));
    const usage = reply.usage === null ? null : (reply.usage ?? DEFAULT_USAGE);
    const toolUse = reply.toolUse ?? (options.answerTools && body.stream !== true ? toolCallFor(body) : undefined);
    const stopReason = reply.stopReason ?? (toolUse && body.stream !== true ? 'tool_use' : 'end_turn');
    const mcpBlocks = mcpBlocksFor(body);
    const id = randomId('msg_');

    if (reply.malformed && body.stream !== true) {
      response.writeHead(200, { 'content-type': 'application/json', ...responseHeaders });
      response.end(`{"id": "${id}", <not json>`);
      return;
    }
    if (body.stream === true) {
      const events = streamEvents(id, model, content, reply.chunks ?? 3, usage, stopReason, mcpBlocks);
      await sendSse(response, events, reply, responseHeaders);
      return;
    }
    const message = {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [
        ...mcpBlocks,
        { type: 'text', text: content },
        ...(toolUse ? [{ type: 'tool_use', id: randomId('toolu_'), ...toolUse }] : []),
      ],
      stop_reason: stopReason,
      stop_sequence: null,
      ...(usage ? { usage: wireUsage(usage) } : {}),
    };
    sendJson(response, 200, message, responseHeaders);
  }

  // Managed agents: each agent turn takes the next queued reply's content and usage, like a message.
  const managedAgents = createFakeManagedAgents(() => {
    const reply: FakeAnthropicReply = { ...defaults, ...queue.shift() };
    return {
      content: reply.content ?? DEFAULT_CONTENT,
      usage: reply.usage === null ? null : (reply.usage ?? DEFAULT_USAGE),
      ...(reply.status !== undefined ? { status: reply.status } : {}),
      ...(reply.agentRequests ? { requests: reply.agentRequests } : {}),
      ...(reply.agentRequestMs !== undefined ? { requestMs: reply.agentRequestMs } : {}),
    };
  }, options.answerTools === true);

  const batches = new Map<string, { requests: Array<{ custom_id: string; params: any }>; created: string }>();
  // A batch some other process created earlier, for programs that only read results (batch-results.ts).
  batches.set(FAKE_ANTHROPIC_EXAMPLE_BATCH_ID, {
    requests: ['first', 'second'].map((name) => ({
      custom_id: `${name}-request`,
      params: { model: DEFAULT_MODEL, max_tokens: 1024, messages: [{ role: 'user', content: 'Hello, world' }] },
    })),
    created: new Date().toISOString(),
  });

  /**
   * Message batches: `POST /v1/messages/batches` creates one (`in_progress`); `GET .../{id}` reads it
   * back `ended` with a `results_url`; `GET .../{id}/results` answers JSONL, one `succeeded` message per
   * request, each with the next queued reply's usage.
   */
  function handleBatches(method: string, path: string, body: any, host: string, response: ServerResponse): void {
    const headers = { 'request-id': randomId('req_') };
    const [, , , , id, results] = path.split('/');
    if (method === 'POST' && id === undefined) {
      const requests = Array.isArray(body?.requests) ? body.requests : [];
      const batchId = randomId('msgbatch_');
      batches.set(batchId, { requests, created: new Date().toISOString() });
      sendJson(response, 200, batchObject(batchId, batches.get(batchId)!, undefined), headers);
      return;
    }
    const batch = id ? batches.get(id) : undefined;
    if (method === 'GET' && batch && results === undefined) {
      sendJson(response, 200, batchObject(id!, batch, `http://${host}/v1/messages/batches/${id}/results`), headers);
      return;
    }
    if (method === 'GET' && batch && results === 'results') {
      const lines = batch.requests.map((entry) => {
        const reply: FakeAnthropicReply = { ...defaults, ...queue.shift() };
        const usage = reply.usage === null ? null : (reply.usage ?? DEFAULT_USAGE);
        return JSON.stringify({
          custom_id: entry.custom_id,
          result: {
            type: 'succeeded',
            message: {
              id: randomId('msg_'),
              type: 'message',
              role: 'assistant',
              model: entry.params?.model ?? DEFAULT_MODEL,
              content: [{ type: 'text', text: reply.content ?? DEFAULT_CONTENT }],
              stop_reason: 'end_turn',
              stop_sequence: null,
              ...(usage ? { usage: wireUsage(usage) } : {}),
            },
          },
        });
      });
      response.writeHead(200, { 'content-type': 'application/binary', ...headers });
      response.end(`${lines.join('\n')}\n`);
      return;
    }
    sendError(response, 404, { message: `Not found: ${method} ${path}` }, headers);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue(...replies) {
      queue.push(...replies);
    },
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    selfHostedEnvironment: managedAgents.selfHostedEnvironment,
    claimedWorkItem: (prompt, tools) => managedAgents.claimedWorkItem(prompt, tools),
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** A `MessageBatch`: `in_progress` until it has a `results_url`, then `ended`. */
function batchObject(id: string, batch: { requests: unknown[]; created: string }, resultsUrl: string | undefined) {
  const ended = resultsUrl !== undefined;
  return {
    id,
    type: 'message_batch',
    processing_status: ended ? 'ended' : 'in_progress',
    request_counts: {
      processing: ended ? 0 : batch.requests.length,
      succeeded: ended ? batch.requests.length : 0,
      errored: 0,
      canceled: 0,
      expired: 0,
    },
    created_at: batch.created,
    expires_at: batch.created,
    ended_at: ended ? new Date().toISOString() : null,
    archived_at: null,
    cancel_initiated_at: null,
    results_url: resultsUrl ?? null,
  };
}

/** Anthropic's `usage` object: `input_tokens` excludes the cache counts, which are reported apart. */
function wireUsage(usage: FakeAnthropicUsage) {
  const write = usage.cacheWrite ?? 0;
  const write1h = Math.min(write, usage.cacheWrite1h ?? 0);
  return {
    input_tokens: usage.input,
    cache_creation_input_tokens: write,
    cache_read_input_tokens: usage.cacheRead ?? 0,
    cache_creation: { ephemeral_5m_input_tokens: write - write1h, ephemeral_1h_input_tokens: write1h },
    output_tokens: usage.output,
    service_tier: 'standard',
  };
}

/** The JSON Schema a request asks its answer to follow, if any. */
function requestedSchema(body: any): unknown {
  const format = body?.output_config?.format ?? body?.output_format;
  return format?.type === 'json_schema' ? format.schema : undefined;
}

/** The tool call a model would make (see `answerTools`), or `undefined` when it would answer in text. */
function toolCallFor(body: any): { name: string; input: Record<string, unknown> } | undefined {
  const tools: any[] = Array.isArray(body.tools)
    ? body.tools.filter((tool: any) => typeof tool?.name === 'string' && tool.input_schema)
    : [];
  if (tools.length === 0 || body.tool_choice?.type === 'none') return undefined;
  const last = Array.isArray(body.messages) ? body.messages[body.messages.length - 1] : undefined;
  if (last?.role !== 'user') return undefined;
  if (Array.isArray(last.content) && last.content.some((block: any) => block?.type === 'tool_result')) return undefined;
  const named =
    body.tool_choice?.type === 'tool' ? tools.find((tool) => tool.name === body.tool_choice.name) : undefined;
  const tool = named ?? tools[0];
  const input = minimalValueOf(tool.input_schema);
  return { name: tool.name, input: input && typeof input === 'object' ? (input as Record<string, unknown>) : {} };
}

/**
 * Beta `mcp_servers`: Anthropic's servers call the MCP server themselves, and the answer carries that
 * call as an `mcp_tool_use` block and its `mcp_tool_result`, before the text. The fake pretends: one
 * call to the first server's first allowed tool (else `echo`), with an empty input and the result `ok`.
 */
function mcpBlocksFor(body: any): Array<Record<string, unknown>> {
  const server = Array.isArray(body?.mcp_servers) ? body.mcp_servers[0] : undefined;
  if (typeof server?.name !== 'string') return [];
  const allowed = server.tool_configuration?.allowed_tools;
  const name = Array.isArray(allowed) && typeof allowed[0] === 'string' ? allowed[0] : 'echo';
  const id = randomId('mcptoolu_');
  return [
    { type: 'mcp_tool_use', id, name, server_name: server.name, input: {} },
    { type: 'mcp_tool_result', tool_use_id: id, is_error: false, content: [{ type: 'text', text: 'ok' }] },
  ];
}

function streamEvents(
  id: string,
  model: string,
  content: string,
  chunks: number,
  usage: FakeAnthropicUsage | null,
  stopReason: string,
  leadingBlocks: Array<Record<string, unknown>> = [],
): Array<Record<string, unknown>> {
  // `message_start` carries the input counts and a placeholder output count; `message_delta` the
  // final, cumulative output count (and, as the real API does, the input counts again).
  const start = usage ? { ...wireUsage(usage), output_tokens: Math.min(1, usage.output) } : undefined;
  const events: Array<Record<string, unknown>> = [
    {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        ...(start ? { usage: start } : {}),
      },
    },
  ];
  // Blocks before the text (MCP calls) arrive whole in their `content_block_start`.
  leadingBlocks.forEach((block, index) => {
    events.push({ type: 'content_block_start', index, content_block: block }, { type: 'content_block_stop', index });
  });
  const text = leadingBlocks.length;
  events.push(
    { type: 'content_block_start', index: text, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
  );
  for (const part of splitContent(content, chunks)) {
    events.push({ type: 'content_block_delta', index: text, delta: { type: 'text_delta', text: part } });
  }
  events.push({ type: 'content_block_stop', index: text });
  const deltaUsage = usage
    ? {
        input_tokens: usage.input,
        cache_creation_input_tokens: usage.cacheWrite ?? 0,
        cache_read_input_tokens: usage.cacheRead ?? 0,
        output_tokens: usage.output,
      }
    : undefined;
  events.push({
    type: 'message_delta',
    delta: { stop_reason: stopReason, stop_sequence: null },
    ...(deltaUsage ? { usage: deltaUsage } : {}),
  });
  events.push({ type: 'message_stop' });
  return events;
}

function splitContent(content: string, parts: number): string[] {
  const count = Math.max(1, Math.min(parts, content.length || 1));
  const size = Math.ceil(content.length / count);
  const out: string[] = [];
  for (let index = 0; index < content.length; index += size) out.push(content.slice(index, index + size));
  return out.length > 0 ? out : [''];
}

async function sendSse(
  response: ServerResponse,
  events: Array<Record<string, unknown>>,
  reply: FakeAnthropicReply,
  headers: Record<string, string>,
): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  response.flushHeaders();
  let sent = 0;
  for (const event of events) {
    if (reply.breakAfterChunks !== undefined && sent >= reply.breakAfterChunks) {
      const socket = response.socket;
      if (socket) socket.end(() => socket.destroy());
      else response.destroy();
      return;
    }
    if (sent > 0 && reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    if (isClosed(response)) return;
    await write(response, `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
    sent++;
  }
  response.end();
}

function sendError(
  response: ServerResponse,
  status: number,
  error: { message: string; type?: string },
  headers: Record<string, string>,
): void {
  const requestId = headers['request-id'] ?? randomId('req_');
  sendJson(
    response,
    status,
    {
      type: 'error',
      error: { type: error.type ?? ERROR_TYPES[status] ?? 'api_error', message: error.message },
      request_id: requestId,
    },
    { ...headers, 'request-id': requestId },
  );
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function queryOf(url: string | undefined): URLSearchParams {
  const at = url?.indexOf('?') ?? -1;
  return new URLSearchParams(at >= 0 ? url!.slice(at + 1) : '');
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function flattenHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function write(response: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    response.write(data, () => resolve());
  });
}

function isClosed(response: ServerResponse): boolean {
  return response.destroyed || !response.socket || response.socket.destroyed;
}

function randomId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
