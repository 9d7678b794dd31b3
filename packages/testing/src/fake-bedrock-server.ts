import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/** Token counts a fake Bedrock reply reports. */
export interface FakeBedrockUsage {
  /** Converse `inputTokens`: uncached input only (Bedrock's count EXCLUDES cache reads and writes). */
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** How the fake server answers one request. */
export interface FakeBedrockReply {
  /** HTTP status; ≥ 400 sends `{message}` with `x-amzn-errortype`. Default 200, or 500 when `error` is set. */
  status?: number;
  error?: { message: string; type?: string };
  content?: string;
  /** Token counts. Default `{ input: 20, output: 10 }`; `null` leaves usage out. */
  usage?: FakeBedrockUsage | null;
  stopReason?: string;
  /** Streams: send this many events, then end the connection mid-stream. */
  breakAfterChunks?: number;
  /** Streams: wait this long between events. */
  chunkDelayMs?: number;
  /**
   * InvokeModel: send the `x-amzn-bedrock-input-token-count` / `-output-token-count` response headers
   * (real Bedrock sends them for every model family). Default `true`; ignored when `usage` is `null`.
   */
  tokenCountHeaders?: boolean;
  /** Converse and InvokeModel: answer 200 with a body that is not JSON (and no token count headers). */
  malformed?: boolean;
}

/**
 * The InvokeModel body format the fake server answers in, chosen by the model id (a cross-region
 * profile prefix such as `us.` is ignored): `anthropic` (also the fallback for unknown ids), `meta`
 * (`meta.llama*`), `mistral` (`mistral.*`), `nova` (`amazon.nova-*`) or `cohere` (`cohere.command-r*`).
 */
export type FakeBedrockFamily = 'anthropic' | 'meta' | 'mistral' | 'nova' | 'cohere';

export interface FakeBedrockRequest {
  method: string;
  path: string;
  /** Decoded model id from the path. */
  modelId: string;
  /** `converse`, `converse-stream`, `invoke` or `invoke-with-response-stream`. */
  operation: string;
  headers: Record<string, string>;
  body: any;
}

export interface FakeBedrockServer {
  /** Give it to the SDK as `endpoint`. */
  readonly url: string;
  readonly port: number;
  readonly requests: FakeBedrockRequest[];
  enqueue(...replies: FakeBedrockReply[]): void;
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_CONTENT = 'Hello from the fake Bedrock server.';
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * Starts a fake Bedrock Runtime on 127.0.0.1: `POST /model/{modelId}/converse` and `/invoke` in JSON,
 * `/converse-stream` and `/invoke-with-response-stream` in AWS event-stream framing
 * (`application/vnd.amazon.eventstream`). `/invoke*` answer in the model family's native format
 * (see {@link bedrockFamilyOf}): Anthropic Messages, Meta Llama, Mistral text completion, Amazon Nova or
 * Cohere Command R, with `amazon-bedrock-invocationMetrics` in the final stream chunk and the
 * `x-amzn-bedrock-*-token-count` headers on InvokeModel.
 *
 * @example
 * const server = await startFakeBedrock();
 * const client = new BedrockRuntimeClient({ endpoint: server.url, region: 'us-east-1',
 *   credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } });
 */
export async function startFakeBedrock(): Promise<FakeBedrockServer> {
  const queue: FakeBedrockReply[] = [];
  const requests: FakeBedrockRequest[] = [];

  const onRequest = (request: Request, response: Response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, { message: String(error) });
      else breakConnection(response);
    });
  };
  // The SDK's default request handler for Bedrock Runtime is HTTP/2 (cleartext, prior knowledge, for
  // an `http:` endpoint); an HTTP/1.1 handler (`NodeHttpHandler`) works too. The first bytes of a
  // connection tell which: HTTP/2 starts with the `PRI * HTTP/2.0` preface.
  const http1 = createHttp1Server(onRequest as never);
  const http2 = createHttp2Server(onRequest as never);
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('readable', () => {
      const head = socket.read(3) as Buffer | null;
      if (head) socket.unshift(head);
      (head?.toString('latin1') === 'PRI' ? http2 : http1).emit('connection', socket);
    });
  });

  async function handle(request: Request, response: Response): Promise<void> {
    const raw = await readBody(request);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const match = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/.exec(path);
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && !name.startsWith(':')) headers[name] = value;
    }
    if (request.method !== 'POST' || !match) {
      sendError(response, 404, { message: `no route ${request.method} ${path}`, type: 'ResourceNotFoundException' });
      return;
    }
    const modelId = decodeURIComponent(match[1]!);
    const operation = match[2]!;
    requests.push({ method: request.method, path, modelId, operation, headers, body });
    const reply = queue.shift() ?? {};
    if (reply.error || (reply.status ?? 200) >= 400) {
      sendError(response, reply.status ?? 500, reply.error ?? { message: 'error' });
      return;
    }
    if (reply.malformed && (operation === 'converse' || operation === 'invoke')) {
      (response as ServerResponse).writeHead(200, { 'content-type': 'application/json' });
      (response as ServerResponse).end('{"output": <not json>');
      return;
    }
    const content = reply.content ?? DEFAULT_CONTENT;
    const usage = reply.usage === undefined ? { input: 20, output: 10 } : reply.usage;
    const family = bedrockFamilyOf(modelId);
    const stopReason = reply.stopReason ?? (operation.startsWith('converse') ? 'end_turn' : DEFAULT_STOP[family]);
    switch (operation) {
      case 'converse':
        sendJson(response, {
          output: { message: { role: 'assistant', content: [{ text: content }] } },
          stopReason,
          usage: usage ? converseUsage(usage) : undefined,
          metrics: { latencyMs: 12 },
        });
        return;
      case 'invoke': {
        // Real Bedrock answers every InvokeModel with the token counts in headers (recorded real
        // responses for Llama and Cohere: openllmetry-js `recordings/Test-Meta-*`, `Test-Cohere-*`).
        const headers: Record<string, string> = { 'x-amzn-bedrock-invocation-latency': '20' };
        if (usage && reply.tokenCountHeaders !== false) {
          headers['x-amzn-bedrock-input-token-count'] = String(usage.input);
          headers['x-amzn-bedrock-output-token-count'] = String(usage.output);
        }
        sendJson(response, INVOKE_BODIES[family](modelId, content, stopReason, usage), headers);
        return;
      }
      case 'converse-stream':
        await sendEvents(response, reply, converseEvents(content, stopReason, usage));
        return;
      default: {
        const chunks = INVOKE_STREAMS[family](modelId, content, stopReason, usage);
        if (usage) chunks.at(-1)!['amazon-bedrock-invocationMetrics'] = invocationMetrics(family, usage);
        await sendEvents(
          response,
          reply,
          chunks.map((chunk) => ({
            type: 'chunk',
            body: { bytes: Buffer.from(JSON.stringify(chunk)).toString('base64') },
          })),
        );
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;
type WireEvent = { type: string; body: unknown };

function breakConnection(response: Response): void {
  if ('stream' in response && response.stream) response.stream.close(2);
  else (response as ServerResponse).destroy();
}

function isClosed(response: Response): boolean {
  return 'stream' in response && response.stream ? response.stream.destroyed : (response as ServerResponse).destroyed;
}

function converseUsage(usage: FakeBedrockUsage) {
  const wire: Record<string, number> = {
    inputTokens: usage.input,
    outputTokens: usage.output,
    totalTokens: usage.input + usage.output + (usage.cacheRead ?? 0) + (usage.cacheWrite ?? 0),
  };
  if (usage.cacheRead !== undefined) wire.cacheReadInputTokens = usage.cacheRead;
  if (usage.cacheWrite !== undefined) wire.cacheWriteInputTokens = usage.cacheWrite;
  return wire;
}

function converseEvents(content: string, stopReason: string, usage: FakeBedrockUsage | null): WireEvent[] {
  const events: WireEvent[] = [{ type: 'messageStart', body: { role: 'assistant' } }];
  for (const part of split(content, 3)) {
    events.push({ type: 'contentBlockDelta', body: { contentBlockIndex: 0, delta: { text: part } } });
  }
  events.push({ type: 'contentBlockStop', body: { contentBlockIndex: 0 } });
  events.push({ type: 'messageStop', body: { stopReason } });
  if (usage) events.push({ type: 'metadata', body: { usage: converseUsage(usage), metrics: { latencyMs: 12 } } });
  return events;
}

type Chunk = Record<string, unknown>;
type InvokeBody = (modelId: string, content: string, stopReason: string, usage: FakeBedrockUsage | null) => Chunk;
type InvokeStream = (modelId: string, content: string, stopReason: string, usage: FakeBedrockUsage | null) => Chunk[];

/** The family whose native InvokeModel format the fake server answers in for a model id. */
export function bedrockFamilyOf(modelId: string): FakeBedrockFamily {
  // Cross-region inference profiles prefix the model id with a geography (`us.`, `eu.`, `apac.`, `global.`...).
  const base = modelId.replace(/^(?:us|eu|apac|jp|au|ca|us-gov|global)\./, '');
  if (base.startsWith('meta.')) return 'meta';
  if (base.startsWith('mistral.')) return 'mistral';
  if (base.startsWith('amazon.nova')) return 'nova';
  if (base.startsWith('cohere.command-r')) return 'cohere';
  return 'anthropic';
}

const DEFAULT_STOP: Record<FakeBedrockFamily, string> = {
  anthropic: 'end_turn',
  meta: 'stop',
  mistral: 'stop',
  nova: 'end_turn',
  cohere: 'COMPLETE',
};

/**
 * `amazon-bedrock-invocationMetrics`, added by Bedrock to the last chunk of every family's stream:
 * `{inputTokenCount, outputTokenCount, invocationLatency, firstByteLatency}` (recorded real streams:
 * traceloop/openllmetry-js `packages/instrumentation-bedrock/recordings/Test-Meta-*`; newrelic/node-newrelic
 * `test/lib/aws-server-stubs/ai-server/responses/*.js`), plus the cache counts for caching models.
 */
function invocationMetrics(family: FakeBedrockFamily, usage: FakeBedrockUsage): Chunk {
  const metrics: Chunk = {
    inputTokenCount: usage.input,
    outputTokenCount: usage.output,
    invocationLatency: 20,
    firstByteLatency: 5,
  };
  if (family === 'anthropic' || family === 'nova') {
    metrics.cacheReadInputTokenCount = usage.cacheRead ?? 0;
    metrics.cacheWriteInputTokenCount = usage.cacheWrite ?? 0;
  }
  return metrics;
}

function anthropicUsage(usage: FakeBedrockUsage) {
  return {
    input_tokens: usage.input,
    output_tokens: usage.output,
    cache_read_input_tokens: usage.cacheRead ?? 0,
    cache_creation_input_tokens: usage.cacheWrite ?? 0,
  };
}

// Anthropic Messages on Bedrock: the Messages API body without `model` mapping changes.
function anthropicMessage(modelId: string, content: string, stopReason: string, usage: FakeBedrockUsage | null) {
  return {
    id: 'msg_bdrk_fake',
    type: 'message',
    role: 'assistant',
    model: modelId.replace(/^[a-z-]+\.anthropic\./, '').replace(/^anthropic\./, ''),
    content: [{ type: 'text', text: content }],
    stop_reason: stopReason,
    usage: usage ? anthropicUsage(usage) : undefined,
  };
}

function anthropicStream(modelId: string, content: string, stopReason: string, usage: FakeBedrockUsage | null) {
  const message = anthropicMessage(modelId, '', stopReason, usage);
  const chunks: Chunk[] = [
    {
      type: 'message_start',
      message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  ];
  for (const part of split(content, 3)) {
    chunks.push({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: part } });
  }
  chunks.push({ type: 'content_block_stop', index: 0 });
  chunks.push({ type: 'message_delta', delta: { stop_reason: stopReason }, usage: { output_tokens: usage?.output } });
  chunks.push({ type: 'message_stop' });
  return chunks;
}

// Meta Llama (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html): the body
// carries its own counts. Streams (recorded: openllmetry-js `recordings/Test-Meta-*-streaming-result`)
// send `prompt_token_count` in the first chunk only, a cumulative `generation_token_count`, and
// `stop_reason` in the last chunk, which also has the invocation metrics.
function metaBody(_modelId: string, content: string, stopReason: string, usage: FakeBedrockUsage | null) {
  return {
    generation: content,
    prompt_token_count: usage ? usage.input : null,
    generation_token_count: usage ? usage.output : null,
    stop_reason: stopReason,
  };
}

function metaStream(_modelId: string, content: string, stopReason: string, usage: FakeBedrockUsage | null) {
  const parts = split(content, 3);
  const chunks: Chunk[] = parts.map((part, index) => ({
    generation: part,
    prompt_token_count: index === 0 && usage ? usage.input : null,
    generation_token_count: index + 1,
    stop_reason: null,
  }));
  chunks.push({
    generation: '',
    prompt_token_count: null,
    generation_token_count: usage ? usage.output : parts.length,
    stop_reason: stopReason,
  });
  return chunks;
}

// Mistral AI text completion
// (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-text-completion.html):
// `{outputs: [{text, stop_reason}]}`, no usage in the body (LiteLLM reads the token-count headers,
// `litellm/llms/bedrock/chat/invoke_transformations/base_invoke_transformation.py`). Stream chunks have
// the same shape, one text piece each.
function mistralBody(_modelId: string, content: string, stopReason: string) {
  return { outputs: [{ text: content, stop_reason: stopReason }] };
}

function mistralStream(_modelId: string, content: string, stopReason: string) {
  const chunks: Chunk[] = split(content, 3).map((part) => ({ outputs: [{ text: part, stop_reason: null }] }));
  chunks.push({ outputs: [{ text: '', stop_reason: stopReason }] });
  return chunks;
}

// Amazon Nova (https://docs.aws.amazon.com/nova/latest/userguide/complete-request-schema-response.html):
// the Converse shape, with the cache counts named `cacheReadInputTokenCount` /
// `cacheWriteInputTokenCount` in InvokeModel bodies. Streams send Converse-like events as chunk JSON:
// `messageStart`, `contentBlockDelta`, `contentBlockStop`, `messageStop`, then `metadata.usage`
// (LiteLLM `invoke_handler.py` "bedrock/invoke nova mappings"; AWS SDK examples "Nova ... response stream").
function novaUsage(usage: FakeBedrockUsage) {
  return {
    inputTokens: usage.input,
    outputTokens: usage.output,
    totalTokens: usage.input + usage.output + (usage.cacheRead ?? 0) + (usage.cacheWrite ?? 0),
    cacheReadInputTokenCount: usage.cacheRead ?? 0,
    cacheWriteInputTokenCount: usage.cacheWrite ?? 0,
  };
}

function novaBody(_modelId: string, content: string, stopReason: string, usage: FakeBedrockUsage | null) {
  return {
    output: { message: { role: 'assistant', content: [{ text: content }] } },
    stopReason,
    usage: usage ? novaUsage(usage) : undefined,
  };
}

function novaStream(_modelId: string, content: string, stopReason: string, usage: FakeBedrockUsage | null) {
  const chunks: Chunk[] = [{ messageStart: { role: 'assistant' } }];
  for (const part of split(content, 3))
    chunks.push({ contentBlockDelta: { delta: { text: part }, contentBlockIndex: 0 } });
  chunks.push({ contentBlockStop: { contentBlockIndex: 0 } });
  chunks.push({ messageStop: { stopReason } });
  if (usage) chunks.push({ metadata: { usage: novaUsage(usage), metrics: {}, trace: {} } });
  return chunks;
}

// Cohere Command R / R+ (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command-r-plus.html):
// `{response_id, text, generation_id, chat_history, finish_reason}`, no usage in the body. Streams are
// Cohere's chat events (`stream-start`, `text-generation` with `text`, `stream-end` with
// `finish_reason` and the full `response`); LiteLLM `invoke_handler.py` "cohere mapping".
function cohereBody(_modelId: string, content: string, stopReason: string) {
  return {
    response_id: 'fake-response-id',
    text: content,
    generation_id: 'fake-generation-id',
    chat_history: [{ role: 'CHATBOT', message: content }],
    finish_reason: stopReason,
  };
}

function cohereStream(modelId: string, content: string, stopReason: string) {
  const chunks: Chunk[] = [{ is_finished: false, event_type: 'stream-start', generation_id: 'fake-generation-id' }];
  for (const part of split(content, 3)) chunks.push({ is_finished: false, event_type: 'text-generation', text: part });
  chunks.push({
    is_finished: true,
    event_type: 'stream-end',
    finish_reason: stopReason,
    response: cohereBody(modelId, content, stopReason),
  });
  return chunks;
}

const INVOKE_BODIES: Record<FakeBedrockFamily, InvokeBody> = {
  anthropic: anthropicMessage,
  meta: metaBody,
  mistral: mistralBody,
  nova: novaBody,
  cohere: cohereBody,
};

const INVOKE_STREAMS: Record<FakeBedrockFamily, InvokeStream> = {
  anthropic: anthropicStream,
  meta: metaStream,
  mistral: mistralStream,
  nova: novaStream,
  cohere: cohereStream,
};

async function sendEvents(response: Response, reply: FakeBedrockReply, events: WireEvent[]): Promise<void> {
  (response as ServerResponse).writeHead(200, {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': 'fake-request-id',
  });
  for (const [index, event] of events.entries()) {
    if (reply.breakAfterChunks !== undefined && index >= reply.breakAfterChunks) {
      breakConnection(response);
      return;
    }
    if (reply.chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, reply.chunkDelayMs));
    if (isClosed(response)) return;
    (response as ServerResponse).write(
      codec.encode({
        headers: {
          ':event-type': { type: 'string', value: event.type },
          ':content-type': { type: 'string', value: 'application/json' },
          ':message-type': { type: 'string', value: 'event' },
        },
        body: fromUtf8(JSON.stringify(event.body)),
      }),
    );
  }
  (response as ServerResponse).end();
}

function sendJson(response: Response, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  (response as ServerResponse).writeHead(200, {
    'content-type': 'application/json',
    'x-amzn-requestid': 'fake-request-id',
    ...headers,
  });
  (response as ServerResponse).end(text);
}

function sendError(response: Response, status: number, error: { message: string; type?: string }): void {
  const type =
    error.type ??
    (status === 429 ? 'ThrottlingException' : status === 400 ? 'ValidationException' : 'InternalServerException');
  (response as ServerResponse).writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  (response as ServerResponse).end(JSON.stringify({ message: error.message }));
}

function split(text: string, parts: number): string[] {
  const size = Math.ceil(text.length / parts);
  const out: string[] = [];
  for (let index = 0; index < text.length; index += size) out.push(text.slice(index, index + size));
  return out;
}

async function readBody(request: Request): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
