import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assistantsRoutes } from './fake-openai-assistants';
import {
  batchObject,
  DEFAULT_AUDIO_SECONDS,
  type FakeFile,
  fileObject,
  fineTuningEvents,
  fineTuningJob,
  imageStreamEvents,
  imagesResponse,
  parseMultipart,
  speechAudio,
  transcriptionBody,
  transcriptionStreamEvents,
  videoJob,
} from './fake-openai-media';
import {
  chatCompletion,
  chatCompletionChunks,
  DEFAULT_CONTENT,
  DEFAULT_EMBEDDING_DIMENSIONS,
  DEFAULT_MODEL,
  DEFAULT_USAGE,
  embeddingInputCount,
  embeddingList,
  errorBody,
  randomId,
  responseEvents,
  responseObject,
  responseUsage,
  splitContent,
  textCompletion,
  textCompletionChunks,
  type WireContext,
} from './fake-openai-wire';
import { forcedFunctionOf, minimalValueOf, requestedSchemaOf } from './schema-value';
import type { FakeOpenAIServer, FakeReply, RecordedRequest, StartFakeOpenAIOptions } from './types';

type Endpoint =
  | 'chat'
  | 'responses'
  | 'embeddings'
  | 'completions'
  | 'images'
  | 'image-edits'
  | 'speech'
  | 'transcriptions'
  | 'translations'
  | 'videos'
  | 'compact';

const ENDPOINTS: Record<string, Endpoint> = {
  '/v1/chat/completions': 'chat',
  '/v1/responses': 'responses',
  '/v1/embeddings': 'embeddings',
  '/v1/completions': 'completions',
  '/v1/images/generations': 'images',
  '/v1/images/edits': 'image-edits',
  '/v1/images/variations': 'images',
  '/v1/audio/speech': 'speech',
  '/v1/audio/transcriptions': 'transcriptions',
  '/v1/audio/translations': 'translations',
  '/v1/videos': 'videos',
  '/v1/videos/edits': 'videos',
  '/v1/videos/extensions': 'videos',
  '/v1/responses/compact': 'compact',
};

const DEFAULT_CHUNKS = 3;

/** One SSE event: `data` is JSON-encoded unless it is a string (e.g. `[DONE]` or a malformed line). */
interface SseEvent {
  event?: string;
  data: unknown;
}

/**
 * Starts a fake OpenAI REST server on 127.0.0.1 for `POST /v1/chat/completions`, `/v1/responses`,
 * `/v1/embeddings` and `/v1/completions`, in JSON and SSE, the Assistants API (`/v1/assistants`, `/v1/threads`:
 * messages, runs that complete when read back or streamed; fake-openai-assistants.ts), and for images (`/v1/images/*`), audio
 * (`/v1/audio/speech|transcriptions|translations`, multipart uploads) and videos (`/v1/videos`), speaking the wire format the real `openai`
 * SDK reads. Replies come from `enqueue()` (first in, first out) or the defaults.
 *
 * @example
 * const server = await startFakeOpenAI();
 * const client = new OpenAI({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
 */
export async function startFakeOpenAI(options: StartFakeOpenAIOptions = {}): Promise<FakeOpenAIServer> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const defaults = options.defaults ?? {};
  const missingModels = new Set(options.missingModels ?? ['unknown-model']);
  const listedModels = options.listedModels;

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A bug in the fake must not hang the client: answer 500 if nothing was sent yet.
      if (!response.headersSent && !response.destroyed) {
        sendJson(response, 500, errorBody(500, { message: `fake OpenAI server error: ${String(error)}` }), {});
      } else {
        response.destroy();
      }
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const bytes = await readBody(request);
    const rawBody = bytes.toString('utf8');
    // Azure OpenAI's URLs serve the same API: `/openai/deployments/{deployment}/…` and `/openai/v1/…`.
    const path = azurePathOf((request.url ?? '/').split('?')[0] ?? '/');
    let body: any;
    let bodyError: string | undefined;
    const contentType = request.headers['content-type'] ?? '';
    if (contentType.startsWith('multipart/form-data')) {
      body = parseMultipart(bytes, contentType);
    } else if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch (error) {
        bodyError = (error as Error).message;
      }
    }
    requests.push({
      method: request.method ?? 'GET',
      path,
      headers: flattenHeaders(request),
      body,
      rawBody,
      ...(path === (request.url ?? '/').split('?')[0] ? {} : { url: request.url ?? '/' }),
    });

    const assistantsAnswer = assistants.handle(
      request.method ?? 'GET',
      path,
      isRecord(body) ? body : {},
      new URL(request.url ?? '/', 'http://fake').searchParams,
    );
    if (assistantsAnswer) {
      const headers = { 'x-request-id': randomId('req_'), 'openai-processing-ms': '1' };
      if ('events' in assistantsAnswer) await sendSse(response, 200, assistantsAnswer.events, {}, headers);
      else sendJson(response, assistantsAnswer.status ?? 200, assistantsAnswer.json, headers);
      return;
    }
    if (
      path === '/v1/files' ||
      path.startsWith('/v1/files/') ||
      path.startsWith('/v1/batches') ||
      path.startsWith('/v1/fine_tuning/jobs')
    ) {
      handleFilesAndBatches(request.method ?? 'GET', path, isRecord(body) ? body : {}, response);
      return;
    }
    if (request.method === 'GET' && path === '/v1/models' && listedModels) {
      // `models.list()`: free, the mTLS examples' only call.
      const data = listedModels.map((id) => ({ id, object: 'model', created: 1715367049, owned_by: 'system' }));
      sendJson(response, 200, { object: 'list', data }, { 'x-request-id': randomId('req_') });
      return;
    }
    const stored = /^\/v1\/responses\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && stored && background.has(stored[1]!)) {
      await sendBackgroundResponse(stored[1]!, new URL(request.url ?? '/', 'http://fake').searchParams, response);
      return;
    }
    const video = /^\/v1\/videos\/([^/]+)(\/remix)?$/.exec(path);
    if (request.method === 'GET' && video && !video[2] && videos.has(video[1]!)) {
      // A video job read back: finished.
      sendJson(response, 200, { ...videos.get(video[1]!), status: 'completed', progress: 100 }, {});
      return;
    }
    const endpoint = video?.[2] ? 'videos' : ENDPOINTS[path];
    if (request.method !== 'POST' || endpoint === undefined) {
      sendJson(response, 404, errorBody(404, { message: `Invalid URL (${request.method} ${path})` }), {});
      return;
    }
    // Taken synchronously with recording, so that requests[i] got the i-th queued reply.
    const reply: FakeReply = { ...defaults, ...queue.shift() };
    if (bodyError !== undefined) {
      sendJson(response, 400, errorBody(400, { message: `We could not parse the JSON body: ${bodyError}` }), {});
      return;
    }
    let params: Record<string, unknown> = isRecord(body) ? body : {};
    if (typeof params.model === 'string' && missingModels.has(params.model)) {
      const message = `The model \`${params.model}\` does not exist or you do not have access to it.`;
      sendJson(response, 404, errorBody(404, { message, code: 'model_not_found' }), {});
      return;
    }
    // An edit, extension or remix of a video: the job keeps the source's model, size and (but for an
    // extension, which asks for its own) length.
    if (endpoint === 'videos' && path !== '/v1/videos')
      params = videoSourceParams(params, videos.get(video?.[2] ? video[1]! : String(params['video[id]'] ?? '')));

    if (reply.delayMs) await sleep(reply.delayMs);
    if (isClosed(response)) return;

    const headers = { 'x-request-id': randomId('req_'), 'openai-processing-ms': '1', ...reply.headers };
    const status = reply.status ?? (reply.error ? 500 : 200);
    if (status >= 400) {
      sendJson(response, status, errorBody(status, reply.error), headers);
      return;
    }

    const context = wireContextOf(reply, params);
    const forced = endpoint === 'responses' && reply.content === undefined ? forcedFunctionOf(params) : undefined;
    if (forced) context.functionCall = { id: randomId('fc_'), callId: randomId('call_'), ...forced };
    // Multipart fields arrive as strings.
    const stream = (params.stream === true || params.stream === 'true') && endpoint !== 'embeddings';
    const includeUsage = isRecord(params.stream_options) && params.stream_options.include_usage === true;

    if (endpoint === 'speech') {
      response.writeHead(status, { 'content-type': 'audio/mpeg', ...headers });
      response.end(speechAudio());
      return;
    }
    const seconds = reply.audioSeconds ?? DEFAULT_AUDIO_SECONDS;
    if (endpoint === 'transcriptions' || endpoint === 'translations') {
      if (stream) {
        const events = transcriptionStreamEvents(context, seconds).map((data) => ({ data }));
        await sendSse(response, status, events, reply, headers);
        return;
      }
      const answer = transcriptionBody(context, params, seconds, endpoint === 'translations');
      if ('text' in answer) {
        response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
        response.end(answer.text);
      } else sendJson(response, status, answer.json, headers);
      return;
    }
    if (stream && (endpoint === 'images' || endpoint === 'image-edits')) {
      const events = imageStreamEvents(context, params, endpoint === 'image-edits');
      await sendSse(
        response,
        status,
        events.map((data) => ({ event: (data as { type: string }).type, data })),
        reply,
        headers,
      );
      return;
    }
    if (endpoint === 'responses' && params.background === true && !stream) {
      // A background response: answered `queued`; `GET /v1/responses/{id}` reads it back finished.
      const ids = { responseId: randomId('resp_'), messageId: randomId('msg_') };
      background.set(ids.responseId, { ids, params });
      const queued = { ...responseObject(context, ids, params, 'in_progress'), status: 'queued', background: true };
      sendJson(response, status, queued, headers);
      return;
    }
    if (endpoint === 'responses' && params.background === true) {
      // A streamed background response: its events, and `GET /v1/responses/{id}?stream=true` resumes it.
      const ids = { responseId: randomId('resp_'), messageId: randomId('msg_') };
      background.set(ids.responseId, { ids, params });
      const events = responseEvents(context, ids, params).map((data) => ({ event: data.type, data }));
      await sendSse(response, status, events, reply, headers);
      return;
    }
    if (stream) {
      await sendSse(response, status, sseEvents(endpoint, context, params, includeUsage), reply, headers);
      return;
    }
    const json = jsonBody(endpoint, context, params);
    if (endpoint === 'videos') {
      const job = json as { id: string; remixed_from_video_id: string | null };
      if (video?.[2]) job.remixed_from_video_id = video[1]!;
      videos.set(job.id, job);
    }
    if (reply.malformed) {
      const text = JSON.stringify(json);
      sendRaw(response, status, `${text.slice(0, Math.floor(text.length / 2))} <not json>`, headers);
    } else if (reply.breakAfterChunks !== undefined) {
      const text = JSON.stringify(json);
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      await write(response, text.slice(0, Math.floor(text.length / 2)));
      breakConnection(response);
    } else {
      sendJson(response, status, json, headers);
    }
  }

  /** Assistants, threads, messages and runs; a finished run's reply is the next queued one. */
  const assistants = assistantsRoutes((params) => wireContextOf({ ...defaults, ...queue.shift() }, params));

  /** Video jobs created (`POST /v1/videos`, edits, extensions, remixes), for `GET /v1/videos/{id}`. */
  const videos = new Map<string, Record<string, unknown>>();

  const background = new Map<
    string,
    { ids: { responseId: string; messageId: string }; params: Record<string, unknown> }
  >();

  /**
   * `GET /v1/responses/{id}` of a background response: the finished response (usage from the next queued
   * reply), or with `?stream=true` its events again (`starting_after` drops the first ones, as on resume).
   */
  async function sendBackgroundResponse(id: string, query: URLSearchParams, response: ServerResponse): Promise<void> {
    const { ids, params } = background.get(id)!;
    const reply: FakeReply = { ...defaults, ...queue.shift() };
    const context = wireContextOf(reply, params);
    const headers = { 'x-request-id': randomId('req_'), ...reply.headers };
    const final = { ...responseObject(context, ids, params, 'final'), background: true };
    if (query.get('stream') !== 'true') {
      sendJson(response, 200, final, headers);
      return;
    }
    const after = Number(query.get('starting_after') ?? -1);
    const events = responseEvents(context, ids, params)
      .filter((event) => Number(event.sequence_number) > after)
      .map((data) => ({ event: data.type, data }));
    await sendSse(response, 200, events, reply, headers);
  }

  const files = new Map<string, FakeFile>();
  const batches = new Map<string, { params: Record<string, unknown>; requests: number; created: number }>();
  /** Fine-tuning jobs; `read` once a `GET` has returned the job finished. */
  const jobs = new Map<string, { params: Record<string, unknown>; created: number; read: boolean }>();

  /** Uploads (`/v1/files`) and batch jobs (`/v1/batches`), kept in memory for the server's life. */
  function handleFilesAndBatches(
    method: string,
    path: string,
    params: Record<string, unknown>,
    response: ServerResponse,
  ): void {
    const headers = { 'x-request-id': randomId('req_') };
    const created = Math.floor(Date.now() / 1000);
    if (method === 'POST' && path === '/v1/files') {
      const upload = params.file as { filename?: string; content?: Buffer } | undefined;
      const file: FakeFile = {
        id: randomId('file-'),
        filename: upload?.filename ?? 'upload.jsonl',
        purpose: typeof params.purpose === 'string' ? params.purpose : 'batch',
        content: upload?.content ?? Buffer.alloc(0),
        createdAt: created,
      };
      files.set(file.id, file);
      sendJson(response, 200, fileObject(file), headers);
      return;
    }
    const stored = /^\/v1\/files\/([^/]+)$/.exec(path);
    if (method === 'GET' && stored) {
      const file = files.get(stored[1]!);
      if (!file) sendJson(response, 404, errorBody(404, { message: `No such File object: ${stored[1]}` }), headers);
      else sendJson(response, 200, fileObject(file), headers);
      return;
    }
    if (method === 'POST' && path === '/v1/fine_tuning/jobs') {
      const id = randomId('ftjob-');
      jobs.set(id, { params, created, read: false });
      sendJson(response, 200, fineTuningJob(id, params, undefined, created), headers);
      return;
    }
    const fineTuning = /^\/v1\/fine_tuning\/jobs\/([^/]+)$/.exec(path);
    const fineTuningJobState = fineTuning ? jobs.get(fineTuning[1]!) : undefined;
    if (method === 'GET' && fineTuning && fineTuningJobState) {
      // The next queued reply's input count is the job's trained tokens.
      const reply: FakeReply = { ...defaults, ...queue.shift() };
      const trained = reply.usage === null ? null : (reply.usage ?? DEFAULT_USAGE).input;
      fineTuningJobState.read = true;
      sendJson(
        response,
        200,
        fineTuningJob(fineTuning[1]!, fineTuningJobState.params, { trained }, fineTuningJobState.created),
        headers,
      );
      return;
    }
    const events = /^\/v1\/fine_tuning\/jobs\/([^/]+)\/events$/.exec(path);
    const eventsJob = events ? jobs.get(events[1]!) : undefined;
    if (method === 'GET' && events && eventsJob) {
      sendJson(response, 200, fineTuningEvents(events[1]!, eventsJob.created, eventsJob.read), headers);
      return;
    }
    const content = /^\/v1\/files\/([^/]+)\/content$/.exec(path);
    if (method === 'GET' && content) {
      const file = files.get(content[1]!);
      if (!file) sendJson(response, 404, errorBody(404, { message: `No such File object: ${content[1]}` }), headers);
      else {
        response.writeHead(200, { 'content-type': 'application/octet-stream', ...headers });
        response.end(file.content);
      }
      return;
    }
    if (method === 'POST' && path === '/v1/batches') {
      const id = randomId('batch_');
      const input = files.get(String(params.input_file_id));
      const lines = input
        ? input.content
            .toString('utf8')
            .split('\n')
            .filter((line) => line.trim() !== '')
        : [];
      batches.set(id, { params, requests: lines.length, created });
      sendJson(response, 200, batchObject(id, params, lines.length, undefined, created), headers);
      return;
    }
    const batch = /^\/v1\/batches\/([^/]+)$/.exec(path);
    const job = batch ? batches.get(batch[1]!) : undefined;
    if (method === 'GET' && batch && job) {
      const reply: FakeReply = { ...defaults, ...queue.shift() };
      const usage = reply.usage === null ? null : (reply.usage ?? DEFAULT_USAGE);
      sendJson(response, 200, batchObject(batch[1]!, job.params, job.requests, { usage }, job.created), headers);
      return;
    }
    sendJson(response, 404, errorBody(404, { message: `Invalid URL (${method} ${path})` }), headers);
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
    url: `http://127.0.0.1:${port}/v1`,
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

/** What a reply answers with: its fields, else the request's model and the defaults. */
function wireContextOf(reply: FakeReply, params: Record<string, unknown>): WireContext {
  // A structured-output request gets JSON that satisfies its schema, as a model in strict mode sends.
  const schema = requestedSchemaOf(params);
  const content = reply.content ?? (schema === undefined ? DEFAULT_CONTENT : JSON.stringify(minimalValueOf(schema)));
  return {
    model: reply.model ?? (typeof params.model === 'string' ? params.model : DEFAULT_MODEL),
    content,
    deltas: splitContent(content, reply.chunks ?? DEFAULT_CHUNKS),
    usage: reply.usage === null ? null : (reply.usage ?? DEFAULT_USAGE),
    finishReason: reply.finishReason ?? 'stop',
    created: Math.floor(Date.now() / 1000),
  };
}

function jsonBody(endpoint: Endpoint, context: WireContext, params: Record<string, unknown>): unknown {
  switch (endpoint) {
    case 'chat':
      return chatCompletion(context, randomId('chatcmpl-'));
    case 'completions':
      return textCompletion(context, randomId('cmpl-'));
    case 'responses':
      return responseObject(context, { responseId: randomId('resp_'), messageId: randomId('msg_') }, params, 'final');
    case 'images':
    case 'image-edits':
      return imagesResponse(context, params);
    case 'videos':
      return videoJob(context, params);
    case 'compact':
      return {
        id: randomId('resp_'),
        object: 'response.compaction',
        created_at: context.created,
        output: [{ type: 'compaction', id: randomId('cmp_'), encrypted_content: 'gAAAA' }],
        usage: context.usage ? responseUsage(context.usage) : null,
      };
    case 'speech':
    case 'transcriptions':
    case 'translations':
      return {};
    case 'embeddings': {
      const dimensions = typeof params.dimensions === 'number' ? params.dimensions : DEFAULT_EMBEDDING_DIMENSIONS;
      const base64 = params.encoding_format === 'base64';
      return embeddingList(context.model, embeddingInputCount(params.input), dimensions, base64, context.usage);
    }
  }
}

function sseEvents(
  endpoint: Endpoint,
  context: WireContext,
  params: Record<string, unknown>,
  includeUsage: boolean,
): SseEvent[] {
  switch (endpoint) {
    case 'chat':
      return [...chatCompletionChunks(context, randomId('chatcmpl-'), includeUsage).map(toData), DONE];
    case 'completions':
      return [...textCompletionChunks(context, randomId('cmpl-'), includeUsage).map(toData), DONE];
    case 'responses':
      // The Responses API names each event and sends no [DONE].
      return responseEvents(context, { responseId: randomId('resp_'), messageId: randomId('msg_') }, params).map(
        (data) => ({ event: data.type, data }),
      );
    default:
      return [];
  }
}

const DONE: SseEvent = { data: '[DONE]' };

function toData(data: unknown): SseEvent {
  return { data };
}

async function sendSse(
  response: ServerResponse,
  status: number,
  events: SseEvent[],
  reply: FakeReply,
  headers: Record<string, string>,
): Promise<void> {
  response.writeHead(status, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  // Send the headers now: clients see the response start before the first event, as with OpenAI.
  response.flushHeaders();

  const toSend = reply.malformed ? [...events.slice(0, 1), { data: '{"id": "chatcmpl-broken", <not json>' }] : events;
  let sent = 0;
  for (const event of toSend) {
    if (reply.breakAfterChunks !== undefined && sent >= reply.breakAfterChunks) {
      breakConnection(response);
      return;
    }
    if (sent > 0 && reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    if (isClosed(response)) return;
    const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
    await write(response, `${event.event ? `event: ${event.event}\n` : ''}data: ${data}\n\n`);
    sent++;
  }
  response.end();
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  sendRaw(response, status, JSON.stringify(body), headers);
}

/** Always `application/json`: the SDK reads any other content type as plain text, without failing. */
function sendRaw(response: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
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

/** Resolves once the data is handed to the socket, so that breaking the connection after it loses nothing. */
function write(response: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    response.write(data, () => resolve());
  });
}

/**
 * Ends the TCP connection in the middle of the response body: the client gets every byte written so far,
 * then end-of-stream before the body is complete (a dropped connection, as a proxy timeout looks).
 */
function breakConnection(response: ServerResponse): void {
  const socket = response.socket;
  if (!socket) {
    response.destroy();
    return;
  }
  socket.end(() => socket.destroy());
}

/** The client went away (or the server is closing): stop writing. */
function isClosed(response: ServerResponse): boolean {
  return response.destroyed || !response.socket || response.socket.destroyed;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The params of a video edit, extension or remix, with the source job's model, size and length. */
function videoSourceParams(
  params: Record<string, unknown>,
  source: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (!source) return params;
  return {
    model: source.model,
    size: source.size,
    ...params,
    seconds: params.seconds ?? source.seconds,
  };
}

/**
 * An Azure OpenAI path as the OpenAI path it serves (`/openai/deployments/gpt-4o/chat/completions` → `/v1/chat/completions`,
 * `/openai/assistants` → `/v1/assistants`).
 */
function azurePathOf(path: string): string {
  if (path.startsWith('/openai/v1/')) return path.slice('/openai'.length);
  const deployment = /^\/openai\/deployments\/[^/]+(\/.*)$/.exec(path);
  if (deployment) return `/v1${deployment[1]}`;
  // Resource-scoped APIs (Assistants, threads, files): the `AzureOpenAI` client's base is `{endpoint}/openai`.
  return path.startsWith('/openai/') ? `/v1${path.slice('/openai'.length)}` : path;
}
