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
}

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
 * (`application/vnd.amazon.eventstream`). `/invoke*` answer in the Anthropic Messages format, with
 * `amazon-bedrock-invocationMetrics` in the final stream chunk.
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
    const content = reply.content ?? DEFAULT_CONTENT;
    const usage = reply.usage === undefined ? { input: 20, output: 10 } : reply.usage;
    const stopReason = reply.stopReason ?? 'end_turn';
    switch (operation) {
      case 'converse':
        sendJson(response, {
          output: { message: { role: 'assistant', content: [{ text: content }] } },
          stopReason,
          usage: usage ? converseUsage(usage) : undefined,
          metrics: { latencyMs: 12 },
        });
        return;
      case 'invoke':
        sendJson(response, anthropicMessage(modelId, content, stopReason, usage));
        return;
      case 'converse-stream':
        await sendEvents(response, reply, converseEvents(content, stopReason, usage));
        return;
      default:
        await sendEvents(response, reply, invokeStreamEvents(modelId, content, stopReason, usage));
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

function anthropicUsage(usage: FakeBedrockUsage) {
  return {
    input_tokens: usage.input,
    output_tokens: usage.output,
    cache_read_input_tokens: usage.cacheRead ?? 0,
    cache_creation_input_tokens: usage.cacheWrite ?? 0,
  };
}

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

function invokeStreamEvents(
  modelId: string,
  content: string,
  stopReason: string,
  usage: FakeBedrockUsage | null,
): WireEvent[] {
  const message = anthropicMessage(modelId, '', stopReason, usage);
  const chunks: unknown[] = [
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
  const stop: Record<string, unknown> = { type: 'message_stop' };
  if (usage) {
    stop['amazon-bedrock-invocationMetrics'] = {
      inputTokenCount: usage.input,
      outputTokenCount: usage.output,
      invocationLatency: 20,
      firstByteLatency: 5,
      cacheReadInputTokenCount: usage.cacheRead ?? 0,
      cacheWriteInputTokenCount: usage.cacheWrite ?? 0,
    };
  }
  chunks.push(stop);
  return chunks.map((chunk) => ({
    type: 'chunk',
    body: { bytes: Buffer.from(JSON.stringify(chunk)).toString('base64') },
  }));
}

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

function sendJson(response: Response, body: unknown): void {
  const text = JSON.stringify(body);
  (response as ServerResponse).writeHead(200, {
    'content-type': 'application/json',
    'x-amzn-requestid': 'fake-request-id',
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
