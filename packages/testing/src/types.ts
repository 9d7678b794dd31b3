/** Token counts a fake reply reports. Mapped onto each endpoint's own usage shape. */
export interface FakeUsage {
  /** All input tokens, cached included (`prompt_tokens` / `input_tokens`). */
  input: number;
  /** All output tokens, reasoning included (`completion_tokens` / `output_tokens`). */
  output: number;
  /** `prompt_tokens_details.cached_tokens` / `input_tokens_details.cached_tokens`. Default 0. */
  cachedInput?: number;
  /** `*_tokens_details.cache_write_tokens`. Omitted from chat usage when unset; 0 in Responses usage. */
  cacheWriteInput?: number;
  /** `completion_tokens_details.reasoning_tokens` / `output_tokens_details.reasoning_tokens`. Default 0. */
  reasoning?: number;
}

/** How the fake server answers one request. Every field is optional; unset fields use the defaults. */
export interface FakeReply {
  /** HTTP status. ≥ 400 sends an OpenAI error body. Default 200, or 500 when `error` is set. */
  status?: number;
  /** The error body's fields (`{error: {message, type, code, param: null}}`) for an error status. */
  error?: { message: string; type?: string; code?: string };
  /** The assistant text. Default "Hello from the fake OpenAI server." */
  content?: string;
  /** The response's model. Default: the request's `model`. */
  model?: string;
  /** Token counts. Default `{ input: 20, output: 10 }`; `null` leaves usage out entirely. */
  usage?: FakeUsage | null;
  /** Chat/completions `finish_reason`. Default `stop`. For Responses, `length` gives `status: 'incomplete'`. */
  finishReason?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Streams: wait this long between events. */
  chunkDelayMs?: number;
  /**
   * Streams: send this many SSE events, then destroy the socket. Non-streamed replies: send half of the
   * JSON body, then destroy the socket.
   */
  breakAfterChunks?: number;
  /** Answer 200 with a body that is not JSON (streams: an SSE `data:` line that is not JSON). */
  malformed?: boolean;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Streams: how many content deltas to split the content into. Default 3. */
  chunks?: number;
  /** Transcriptions: the audio's length in seconds (whisper-1 `usage.seconds`, `verbose_json` `duration`). Default 12. */
  audioSeconds?: number;
}

/** One request the fake server received. */
export interface RecordedRequest {
  method: string;
  /** The path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Lower-cased header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The parsed JSON body, or `undefined` when the body was empty or not JSON. */
  body: any;
  rawBody: string;
  /** The request target as sent (path and query), when it differs from `path` (an Azure OpenAI URL). */
  url?: string;
}

/** Options for `startFakeOpenAI()`. */
export interface StartFakeOpenAIOptions {
  /** Port on 127.0.0.1. Default 0: a free port. */
  port?: number;
  /** The reply used when the queue is empty, and the base every queued reply is merged over. */
  defaults?: FakeReply;
  /**
   * Models the server does not serve: a request for one is answered 404 `model_not_found`, as the API
   * answers an unknown model (openai-node's `client/errors.ts` example). Default `['unknown-model']`.
   */
  missingModels?: readonly string[];
  /**
   * Model ids `GET /v1/models` lists (`models.list()`, free: the mTLS examples' only call). Default none:
   * the path is not served (404), as before.
   */
  listedModels?: readonly string[];
}

/** A running fake OpenAI server. */
export interface FakeOpenAIServer {
  /** The base URL to give the SDK, e.g. `http://127.0.0.1:53817/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order of their complete bodies. */
  readonly requests: RecordedRequest[];
  /** Queues replies, first in first out, one per request to a known endpoint. */
  enqueue(...replies: FakeReply[]): void;
  /** Clears the reply queue and the recorded requests. */
  reset(): void;
  /** Stops the server and closes open connections. */
  close(): Promise<void>;
}
