import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Token counts a fake Gemini reply reports in `usageMetadata`, as the wire carries them. */
export interface FakeGeminiUsage {
  /** `promptTokenCount`: all input, cached content INCLUDED. */
  prompt: number;
  /** `candidatesTokenCount`: visible output only (thoughts EXCLUDED). */
  candidates: number;
  /** `cachedContentTokenCount` (part of `prompt`). */
  cached?: number;
  /** `thoughtsTokenCount` (reported apart from `candidates`). */
  thoughts?: number;
  /** `toolUsePromptTokenCount`. */
  toolUsePrompt?: number;
}

/** How the fake server answers one request. Every field is optional; unset fields use the defaults. */
export interface FakeGeminiReply {
  /** HTTP status. ≥ 400 sends `{error:{code, message, status}}`. Default 200, or 500 when `error` is set. */
  status?: number;
  /** The error body's fields. `status` defaults from the HTTP status (`RESOURCE_EXHAUSTED`, ...). */
  error?: { message: string; status?: string };
  /** The model's text. Default "Hello from the fake Gemini server." */
  content?: string;
  /** `modelVersion`. Default: the model in the request path. */
  modelVersion?: string;
  /** Token counts. Default `{ prompt: 20, candidates: 10 }`; `null` leaves `usageMetadata` out. */
  usage?: FakeGeminiUsage | null;
  /** Function calls the model makes (`functionCall` parts, after the text when there is text). */
  functionCalls?: Array<{ name: string; args?: Record<string, unknown> }>;
  /** `candidates[0].finishReason` (on the last chunk of a stream). Default `STOP`. */
  finishReason?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Streams: wait this long between chunks. */
  chunkDelayMs?: number;
  /** Streams: send this many SSE chunks, then end the connection mid-stream. */
  breakAfterChunks?: number;
  /** Streams: how many chunks to split the content into. Default 3. */
  chunks?: number;
  /** Embeddings: the vector length. Default 4. */
  dimensions?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Non-streamed `generateContent`: answer 200 with a body that is not JSON. */
  malformed?: boolean;
}

/** One request the fake Gemini server received. */
export interface FakeGeminiRequest {
  method: string;
  /** The path without the query string, e.g. `/v1beta/models/gemini-2.5-flash:generateContent`. */
  path: string;
  /** The query string's parameters, e.g. `{ alt: 'sse' }`. */
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body, or `undefined` when empty or not JSON. */
  body: any;
  rawBody: string;
}

export interface StartFakeGeminiOptions {
  /** Port on 127.0.0.1. Default 0: a free port. */
  port?: number;
  /** The reply used when the queue is empty, and the base every queued reply is merged over. */
  defaults?: FakeGeminiReply;
}

/** A running fake Gemini API server. */
export interface FakeGeminiServer {
  /** The base URL to give the SDK (`httpOptions.baseUrl`), e.g. `http://127.0.0.1:53817`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: FakeGeminiRequest[];
  /** Queues replies, first in first out, one per model request. */
  enqueue(...replies: FakeGeminiReply[]): void;
  /** Clears the reply queue and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_CONTENT = 'Hello from the fake Gemini server.';
const DEFAULT_USAGE: FakeGeminiUsage = { prompt: 20, candidates: 10 };

const ERROR_STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

// `/{version}/models/{model}:{method}`; Vertex paths (`/.../publishers/google/models/...`) also match.
const MODEL_PATH =
  /^\/[^/]+\/(?:.*\/)?models\/([^/:]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)$/;

/**
 * Starts a fake Gemini API (`generativelanguage.googleapis.com`) on 127.0.0.1:
 * `POST /v1beta/models/{model}:generateContent` (JSON), `:streamGenerateContent?alt=sse` (SSE, one
 * `data: <GenerateContentResponse>` per chunk, usage on every chunk and final on the last one),
 * `:embedContent` and `:batchEmbedContents`. Errors are `{error:{code, message, status}}`. It accepts
 * `x-goog-api-key`, `?key=` or `Authorization: Bearer` and answers 401 without any.
 *
 * @example
 * const server = await startFakeGemini();
 * const ai = new GoogleGenAI({ apiKey: 'test', httpOptions: { baseUrl: server.url } });
 */
export async function startFakeGemini(options: StartFakeGeminiOptions = {}): Promise<FakeGeminiServer> {
  const queue: FakeGeminiReply[] = [];
  const requests: FakeGeminiRequest[] = [];
  const defaults = options.defaults ?? {};

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) {
        sendError(response, 500, { message: `fake Gemini server error: ${String(error)}` }, {});
      } else {
        response.destroy();
      }
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const rawBody = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
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
    requests.push({ method: request.method ?? 'GET', path, query, headers, body, rawBody });

    const match = MODEL_PATH.exec(decodeURIComponent(path));
    if (request.method !== 'POST' || !match) {
      sendError(response, 404, { message: `Not found: ${request.method} ${path}` }, {});
      return;
    }
    const [, model, method] = match as unknown as [string, string, string];
    const reply: FakeGeminiReply = { ...defaults, ...queue.shift() };
    const hasKey = Boolean(headers['x-goog-api-key'] || query.key) || /^Bearer \S+/.test(headers.authorization ?? '');
    if (!hasKey) {
      sendError(response, 401, { message: 'API key not valid. Please pass a valid API key.' }, {});
      return;
    }
    if (bodyError !== undefined || typeof body !== 'object' || body === null) {
      sendError(response, 400, { message: `Invalid JSON payload received. ${bodyError ?? 'not an object'}` }, {});
      return;
    }
    if (reply.delayMs) await sleep(reply.delayMs);
    if (isClosed(response)) return;

    const responseHeaders = { ...reply.headers };
    const status = reply.status ?? (reply.error ? 500 : 200);
    if (status >= 400) {
      sendError(response, status, reply.error ?? { message: 'error' }, responseHeaders);
      return;
    }
    const usage = reply.usage === null ? null : (reply.usage ?? DEFAULT_USAGE);
    const modelVersion = reply.modelVersion ?? model;

    if (method === 'embedContent' || method === 'batchEmbedContents') {
      const values = Array.from({ length: reply.dimensions ?? 4 }, (_, index) => (index + 1) / 10);
      const count = method === 'batchEmbedContents' && Array.isArray(body.requests) ? body.requests.length : 1;
      const usageMetadata = usage ? { promptTokenCount: usage.prompt, totalTokenCount: usage.prompt } : undefined;
      const payload =
        method === 'embedContent'
          ? { embedding: { values }, ...(usageMetadata ? { usageMetadata } : {}) }
          : {
              embeddings: Array.from({ length: count }, () => ({ values })),
              ...(usageMetadata ? { usageMetadata } : {}),
            };
      sendJson(response, 200, payload, responseHeaders);
      return;
    }

    if (reply.malformed && method === 'generateContent') {
      response.writeHead(200, { 'content-type': 'application/json', ...responseHeaders });
      response.end('{"candidates": <not json>');
      return;
    }
    const content = reply.content ?? DEFAULT_CONTENT;
    const finishReason = reply.finishReason ?? 'STOP';
    const responseId = randomId();
    if (method === 'streamGenerateContent') {
      const parts = splitContent(content, reply.chunks ?? 3);
      const chunks = parts.map((text, index) => {
        const last = index === parts.length - 1;
        return {
          candidates: [
            {
              content: { role: 'model', parts: [{ text }] },
              index: 0,
              ...(last ? { finishReason } : {}),
            },
          ],
          // As the real API does: usage on every chunk, with the running output count; the last is final.
          ...(usage
            ? {
                usageMetadata: wireUsage(
                  last
                    ? usage
                    : { ...usage, candidates: Math.min(usage.candidates, index + 1), thoughts: usage.thoughts },
                ),
              }
            : {}),
          modelVersion,
          responseId,
        };
      });
      await sendSse(response, chunks, reply, responseHeaders);
      return;
    }
    const parts: Array<Record<string, unknown>> = content ? [{ text: content }] : [];
    for (const call of reply.functionCalls ?? [])
      parts.push({ functionCall: { name: call.name, args: call.args ?? {} } });
    sendJson(
      response,
      200,
      {
        candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }],
        ...(usage ? { usageMetadata: wireUsage(usage) } : {}),
        modelVersion,
        responseId,
      },
      responseHeaders,
    );
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
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** Gemini's `usageMetadata`: `promptTokenCount` includes the cached tokens; thoughts are apart from candidates. */
function wireUsage(usage: FakeGeminiUsage) {
  const thoughts = usage.thoughts ?? 0;
  const toolUse = usage.toolUsePrompt ?? 0;
  return {
    promptTokenCount: usage.prompt,
    candidatesTokenCount: usage.candidates,
    ...(usage.cached ? { cachedContentTokenCount: usage.cached } : {}),
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
    ...(toolUse ? { toolUsePromptTokenCount: toolUse } : {}),
    totalTokenCount: usage.prompt + usage.candidates + thoughts + toolUse,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.prompt }],
  };
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
  chunks: Array<Record<string, unknown>>,
  reply: FakeGeminiReply,
  headers: Record<string, string>,
): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  response.flushHeaders();
  let sent = 0;
  for (const chunk of chunks) {
    if (reply.breakAfterChunks !== undefined && sent >= reply.breakAfterChunks) {
      const socket = response.socket;
      if (socket) socket.end(() => socket.destroy());
      else response.destroy();
      return;
    }
    if (sent > 0 && reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    if (isClosed(response)) return;
    // The Gemini API separates SSE events with CRLF pairs.
    await write(response, `data: ${JSON.stringify(chunk)}\r\n\r\n`);
    sent++;
  }
  response.end();
}

function sendError(
  response: ServerResponse,
  status: number,
  error: { message: string; status?: string },
  headers: Record<string, string>,
): void {
  sendJson(
    response,
    status,
    { error: { code: status, message: error.message, status: error.status ?? ERROR_STATUSES[status] ?? 'UNKNOWN' } },
    headers,
  );
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
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

function randomId(): string {
  return Math.random().toString(36).slice(2, 14);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
