// Governs a WebSocket session to a model provider (OpenAI Realtime `/v1/realtime`, Responses over a
// WebSocket `/v1/responses`) frame by frame: each model response the client asks for (`response.create`)
// is one governed unit (policy, worst-case reservation, approval) BEFORE its frame is forwarded, and is
// settled from the server's final event for it (`response.done`, `response.completed` / `.incomplete` /
// `.failed`) with the usage it carries. A refused `response.create` is never forwarded: the app gets an
// `error` server event instead. A socket that closes with a response in flight settles that unit at its
// reservation, flagged incomplete. The transports (the `ws` package's WebSocket, undici's global
// WebSocket) are bound in `realtime-socket.ts`; this file knows events, not sockets.
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context, type Span, SpanKind, trace } from '@opentelemetry/api';
import { GovernanceError } from '../errors/governance-error';
import type { Governor } from '../governor';
import type { GovernedCall } from '../pipeline/types';
import type { BillableUsage } from '../pricing/types';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '../semconv';
import type { GovernedRequest } from '../types';
import { usageFromOpenAIResponses } from '../usage/wire-usage';
import { UNGOVERNED_ATTRIBUTE } from './egress-state';
import { isObject } from './endpoints';
import {
  type AudioVerdict,
  base64Bytes,
  CHUNK_SECONDS,
  itemAudioBytes,
  RealtimeTranscription,
  transcriptionModelIn,
} from './realtime-transcription';
import {
  frameBuffer,
  frameBytes,
  frameText,
  MAX_PARSED_BYTES,
  PendingInput,
  parseFrameJson,
  SessionFrames,
} from './session-frames';

/**
 * The span attribute that marks a governed WebSocket session's span (parent of its responses' units), with
 * the protocol (`realtime`, `responses`). Not a `genops.*` name: the session span is not an AI Workload
 * Unit (the conformance checker takes every span with a `genops.*` attribute for one); its units are.
 */
export const REALTIME_SESSION_ATTRIBUTE = 'realtime.session.protocol';

/**
 * The span of a governed WebSocket session (`{protocol} {model}`): the parent of its units, not a unit itself.
 * Every session governor starts its span here (OpenAI Realtime and Responses, Gemini Live, Lyria).
 */
export function startSessionSpan(
  governor: Governor,
  protocol: string,
  endpoint: { provider: string; model?: string | undefined; server: { serverAddress: string; serverPort: number } },
): Span {
  return governor.tracer.startSpan(`${protocol} ${endpoint.model ?? 'session'}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      [REALTIME_SESSION_ATTRIBUTE]: protocol,
      [ATTR_GEN_AI_PROVIDER_NAME]: endpoint.provider,
      ...(endpoint.model ? { [ATTR_GEN_AI_REQUEST_MODEL]: endpoint.model } : {}),
      [ATTR_SERVER_ADDRESS]: endpoint.server.serverAddress,
      [ATTR_SERVER_PORT]: endpoint.server.serverPort,
    },
  });
}

/** Which event protocol a session speaks. */
export type RealtimeProtocol = 'realtime' | 'responses';

/** The session as its handshake describes it. */
export interface RealtimeEndpoint {
  /** `gen_ai.provider.name`. */
  provider: string;
  protocol: RealtimeProtocol;
  /** The `model` query parameter of the handshake (Realtime), until the session names its model. */
  model?: string | undefined;
  server: { serverAddress: string; serverPort: number };
}

/** How the governor reaches its socket. */
export interface RealtimeTransport {
  /** Sends a client frame to the server, as the app gave it (`extra`: the rest of the app's `send` arguments). */
  forward(data: unknown, extra: readonly unknown[]): void;
  /** Whether the socket is open: a socket that is not sends nothing (it throws or drops the frame itself). */
  isOpen(): boolean;
  /** Hands a server event (JSON text) to the app's listeners, as if the server had sent it. */
  deliver(text: string): void;
}

/** Events of the server the governor reads; any other frame is passed without being parsed. */
const SERVER_EVENTS = [
  'response.created',
  'response.done',
  'response.completed',
  'response.incomplete',
  'response.failed',
  'session.created',
  'session.updated',
  'input_audio_buffer.committed',
  'conversation.item.added',
  'conversation.item.created',
  'input_audio_buffer.cleared',
  'input_audio_transcription.completed',
  'input_audio_transcription.failed',
  '"error"',
];

/** Marks the construction of a socket the realtime governor binds, so egress does not report its handshake. */
const governedHandshake = new AsyncLocalStorage<true>();

/** Runs `fn` (a socket's constructor) as the handshake of a governed session. */
export function asGovernedHandshake<T>(fn: () => T): T {
  return governedHandshake.run(true, fn);
}

/** True while a governed session's socket opens its handshake. */
export function insideGovernedHandshake(): boolean {
  return governedHandshake.getStore() === true;
}

/** What the session's configuration says about its responses. */
interface SessionConfig {
  model?: string;
  maxOutputTokens?: number;
}

/** A `response.create` forwarded, waiting for its `response.created`. */
interface Awaiting {
  call: GovernedCall;
  eventId: string | undefined;
}

/** Whether a client event ends the input audio buffer: `input_audio_buffer.commit` or `.clear`. */
function bufferEnd(event: Record<string, unknown> | undefined): 'commit' | 'clear' | undefined {
  if (event?.type === 'input_audio_buffer.commit') return 'commit';
  if (event?.type === 'input_audio_buffer.clear') return 'clear';
  return undefined;
}

/** An `input_audio_buffer.append` frame: its audio bytes and event id. */
interface AppendedAudio {
  bytes: number;
  eventId?: string | undefined;
}

/**
 * The audio of an `input_audio_buffer.append` frame, or undefined for any other frame. A frame too large
 * to parse counts as an append when it names the event (base64 audio cannot contain the name), its audio
 * bounded by three quarters of its bytes.
 */
function appendedAudio(data: unknown, text: string | undefined): AppendedAudio | undefined {
  if (text !== undefined) {
    if (!text.includes('input_audio_buffer.append')) return undefined;
    if (text.length > MAX_PARSED_BYTES) return { bytes: Math.ceil((text.length * 3) / 4) };
    const event = parseEvent(text);
    if (event?.type !== 'input_audio_buffer.append') return undefined;
    return {
      bytes: typeof event.audio === 'string' ? base64Bytes(event.audio) : 0,
      eventId: typeof event.event_id === 'string' ? event.event_id : undefined,
    };
  }
  const bytes = frameBuffer(data);
  return bytes?.includes('input_audio_buffer.append') ? { bytes: Math.ceil((bytes.byteLength * 3) / 4) } : undefined;
}

/** A `conversation.item.create` carrying input audio: its audio bytes, event id and the client's item id. */
interface CreatedAudio {
  bytes: number;
  eventId?: string | undefined;
  itemId?: string | undefined;
}

/**
 * The audio of a `conversation.item.create` frame with `input_audio` parts, or undefined for any other frame.
 * A frame too large to parse counts as one when it names both (base64 audio cannot contain them), its audio
 * bounded by three quarters of its bytes.
 */
function createdAudio(data: unknown, text: string | undefined): CreatedAudio | undefined {
  if (text === undefined) {
    const bytes = frameBuffer(data);
    return bytes?.includes('conversation.item.create') && bytes.includes('input_audio')
      ? { bytes: Math.ceil((bytes.byteLength * 3) / 4) }
      : undefined;
  }
  if (!text.includes('conversation.item.create') || !text.includes('input_audio')) return undefined;
  if (text.length > MAX_PARSED_BYTES) return { bytes: Math.ceil((text.length * 3) / 4) };
  const event = parseEvent(text);
  if (event?.type !== 'conversation.item.create') return undefined;
  const bytes = itemAudioBytes(event.item);
  if (bytes === undefined) return undefined;
  return {
    bytes,
    eventId: typeof event.event_id === 'string' ? event.event_id : undefined,
    itemId: isObject(event.item) && typeof event.item.id === 'string' ? event.item.id : undefined,
  };
}

/** A client or server event: a JSON object with a `type`. */
function parseEvent(text: string | undefined): Record<string, unknown> | undefined {
  const event = parseFrameJson(text);
  return typeof event?.type === 'string' ? event : undefined;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * One session: the client frames pass through {@link send}, the server events through {@link receive},
 * and {@link close} ends it. Frames keep their order: while a `response.create` waits for its decision,
 * later frames wait behind it.
 */
export class RealtimeGovernor {
  /** The session's span: the parent of each response's unit. */
  readonly span: Span;
  private readonly config: SessionConfig = {};
  /** Client frames waiting behind a decision, in the order the app sent them. */
  private readonly frames = new SessionFrames();
  private readonly awaiting: Awaiting[] = [];
  private readonly inFlight = new Map<string, GovernedCall>();
  /** Bytes of client frames since the last response was asked for, and their text for content rules. */
  private readonly pending = new PendingInput();
  /** Tokens of the conversation so far (the last response's input and output): the next one's input. */
  private conversationTokens = 0;
  private closed = false;
  private refusals = 0;
  private transcriptionReported = false;
  /** `session.update` frames turning transcription on, waiting for their decision. */
  private transcriptionUpdates = 0;
  /** The session's input audio transcription, governed per chunk of appended audio. */
  private readonly transcription: RealtimeTranscription;

  constructor(
    private readonly governor: Governor,
    private readonly endpoint: RealtimeEndpoint,
    private readonly transport: RealtimeTransport,
  ) {
    if (endpoint.model) this.config.model = endpoint.model;
    this.transcription = new RealtimeTranscription(governor, endpoint, () => this.sessionContext());
    this.span = startSessionSpan(governor, endpoint.protocol, endpoint);
  }

  /** A client frame: forwarded at once, or (a `response.create`) after governance allowed it. */
  send(data: unknown, extra: readonly unknown[] = []): void {
    // A socket that is not open sends nothing: the app gets the socket's own answer (a throw, a drop) at once.
    if (!this.frames.holding && !this.transport.isOpen()) {
      this.transport.forward(data, extra);
      return;
    }
    const text = frameText(data);
    const event = text?.includes('response.create') ? parseEvent(text) : undefined;
    if (event?.type === 'response.create') {
      const request = this.describe(event, text as string);
      const eventId = typeof event.event_id === 'string' ? event.event_id : undefined;
      const decided = this.governor.begin(request, {
        parent: this.sessionContext(),
        sendsAtOnce: false,
      });
      // Decided in the order asked: the frame goes out when every frame before it has gone.
      this.frames.after(() =>
        decided.then(
          (call) => this.forwardGoverned(call, data, extra, eventId),
          (error: unknown) => this.refuse(error, eventId),
        ),
      );
      return;
    }
    // Audio sent behind a `session.update` turning transcription on is decided once that update is.
    const transcribing = this.transcription.model !== undefined || this.transcriptionUpdates > 0;
    const audio = transcribing ? appendedAudio(data, text) : undefined;
    if (audio !== undefined) {
      this.account(data, text, undefined);
      this.sendAudio(audio, data, extra);
      return;
    }
    const item = transcribing ? createdAudio(data, text) : undefined;
    if (item !== undefined) {
      // Base64 audio is not text a content rule reads.
      this.pending.add(frameBytes(data), undefined);
      this.sendItemAudio(item, data, extra);
      return;
    }
    const ends = transcribing && text?.includes('input_audio_buffer.c') ? bufferEnd(parseEvent(text)) : undefined;
    if (ends !== undefined) {
      this.account(data, text, undefined);
      const forward = () => {
        this.transport.forward(data, extra);
        this.transcription.bufferEnds(ends);
      };
      if (!this.frames.holding) forward();
      else this.frames.after(() => (this.closed ? undefined : forward()));
      return;
    }
    const update = text?.includes('session.update') ? parseEvent(text) : event;
    if (update?.type === 'session.update' && isObject(update.session)) {
      const model = transcriptionModelIn(update.session);
      if (typeof model === 'string' && model !== this.transcription.model) {
        this.sendTranscriptionUpdate(model, update, data, text, extra);
        return;
      }
    }
    this.account(data, text, update);
    if (!this.frames.holding) this.transport.forward(data, extra);
    else this.frames.after(() => this.forwardIfOpen(data, extra));
  }

  private sessionContext(): Context {
    return trace.setSpan(context.active(), this.span);
  }

  /**
   * A `session.update` turning input transcription on (or to another model): the transcription's first
   * chunk is admitted (policy, reservation) before the frame goes out; a refusal refuses the frame.
   */
  private sendTranscriptionUpdate(
    model: string,
    update: Record<string, unknown>,
    data: unknown,
    text: string | undefined,
    extra: readonly unknown[],
  ): void {
    this.transcriptionUpdates++;
    const eventId = typeof update.event_id === 'string' ? update.event_id : undefined;
    const decided = this.transcription.admitModel(model);
    this.frames.after(() =>
      decided
        .then(
          (call) => {
            if (this.closed) {
              void call.fail(new Error('the WebSocket session closed before the session.update was sent'));
              return;
            }
            this.account(data, text, update);
            this.transcription.modelAdmitted(model, call);
            this.transport.forward(data, extra);
          },
          (error: unknown) => this.refuse(error, eventId, 'session.update'),
        )
        .finally(() => {
          this.transcriptionUpdates--;
        }),
    );
  }

  /**
   * A `conversation.item.create` carrying input audio while the session transcribes: the server transcribes
   * it, so the item is admitted (policy, a reservation for its seconds) before the frame goes out, in frame
   * order; a refused one is not sent (the app gets the `error` event).
   */
  private sendItemAudio(item: CreatedAudio, data: unknown, extra: readonly unknown[]): void {
    this.frames.after(() => {
      // Decided once the frames before it went: a `session.update` turning transcription on, refused, leaves none.
      const model = this.transcription.model;
      if (model === undefined) return this.forwardIfOpen(data, extra);
      return this.transcription.admitItem(model, item.bytes).then(
        (call) => {
          if (this.closed) {
            void call.fail(new Error('the WebSocket session closed before the audio item was sent'));
            return;
          }
          this.transcription.itemSent(call, item.bytes, item.itemId);
          this.transport.forward(data, extra);
        },
        (error: unknown) => this.refuse(error, item.eventId, 'conversation.item.create'),
      );
    });
  }

  /**
   * An `input_audio_buffer.append` while the session transcribes: forwarded when the transcription
   * chunks admitted cover its audio, else after a new chunk is admitted; a refused one is not sent.
   * Decided in frame order: one waiting for a chunk's decision holds the frames after it.
   */
  private sendAudio(audio: AppendedAudio, data: unknown, extra: readonly unknown[]): void {
    const settle = (verdict: AudioVerdict): void => {
      if (verdict === true) this.forwardIfOpen(data, extra);
      else if (verdict !== false)
        this.refuse(
          verdict.refused,
          audio.eventId,
          'input_audio_buffer.append',
          ` Input audio is not sent for the next ${CHUNK_SECONDS} seconds of audio appended; then GenOps asks again.`,
        );
    };
    if (!this.frames.holding) {
      const verdict = this.transcription.admit(audio.bytes);
      if (!(verdict instanceof Promise)) {
        if (verdict === true) this.transport.forward(data, extra);
        return;
      }
      this.frames.after(() => verdict.then(settle));
      return;
    }
    this.frames.after(() => {
      const verdict = this.transcription.admit(audio.bytes);
      return verdict instanceof Promise ? verdict.then(settle) : settle(verdict);
    });
  }

  /** Runs `fn` once every frame sent so far has been forwarded or refused (an app's `close()`). */
  afterPending(fn: () => void): void {
    this.frames.afterPending(fn);
  }

  /** A server frame, as the app is about to see it. */
  receive(data: unknown): void {
    const text = frameText(data);
    if (text === undefined || !SERVER_EVENTS.some((type) => text.includes(type))) return;
    const event = parseEvent(text);
    if (!event) return;
    switch (event.type) {
      case 'session.created':
      case 'session.updated':
        this.configure(event.session);
        return;
      case 'response.created':
        this.created(event.response);
        return;
      case 'response.done':
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
        this.done(event.response);
        return;
      case 'input_audio_buffer.committed':
        this.transcription.committed(typeof event.item_id === 'string' ? event.item_id : undefined);
        return;
      case 'input_audio_buffer.cleared':
        this.transcription.cleared();
        return;
      case 'conversation.item.added':
      case 'conversation.item.created':
        if (this.transcription.awaitingItems) this.transcription.itemAdded(event.item);
        return;
      case 'conversation.item.input_audio_transcription.completed':
        if (!this.transcription.completed(event.item_id, event.usage)) this.transcribed(event.usage);
        return;
      case 'conversation.item.input_audio_transcription.failed':
        this.transcription.failed(event.item_id, event.error);
        return;
      case 'error':
        this.serverError(event.error);
        return;
    }
  }

  /** The socket closed (either side): a response in flight settles at its reservation, flagged incomplete. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const open = [...this.awaiting.map((waiting) => waiting.call), ...this.inFlight.values()];
    this.awaiting.length = 0;
    this.inFlight.clear();
    for (const call of open) void call.end({ incomplete: true });
    this.transcription.close();
    void this.frames.drained().finally(() => this.span.end());
  }

  private forwardIfOpen(data: unknown, extra: readonly unknown[]): void {
    if (!this.closed) this.transport.forward(data, extra);
  }

  private forwardGoverned(
    call: GovernedCall,
    data: unknown,
    extra: readonly unknown[],
    eventId: string | undefined,
  ): void {
    if (this.closed) {
      // Never sent: the reservation is released.
      void call.fail(new Error('the WebSocket session closed before the response was asked for'));
      return;
    }
    const sent = call.edits?.model !== undefined ? this.withModel(data, call.edits.model) : data;
    call.markSent();
    this.awaiting.push({ call, eventId });
    try {
      call.runInContext(() => this.transport.forward(sent, extra));
    } catch (error) {
      // The socket refused the frame (closing, closed): nothing was sent.
      this.awaiting.pop();
      void call.fail(error);
      throw error;
    }
  }

  /** A budget's downgrade, on a Responses-WebSocket event (which names its model); Realtime has none. */
  private withModel(data: unknown, model: string): unknown {
    const event = parseEvent(frameText(data));
    if (!event || typeof event.model !== 'string') return data;
    return JSON.stringify({ ...event, model });
  }

  private refuse(error: unknown, eventId: string | undefined, what = 'response.create', note = ''): void {
    if (this.closed) return;
    const governance = GovernanceError.isInstance(error) ? error : undefined;
    this.refusals++;
    this.deliver(
      JSON.stringify({
        type: 'error',
        event_id: `event_genops_${this.refusals}`,
        error: {
          type: 'genops_governance_error',
          code: governance?.reasonCode ?? 'genops_error',
          name: (error as Error)?.name ?? 'Error',
          message: governance
            ? `${governance.message}${note}`
            : `GenOps could not govern this ${what}; it was not sent.${note}`,
          param: null,
          event_id: eventId ?? null,
        },
      }),
    );
  }

  /**
   * Hands an event to the app's listeners. A listener that throws (the SDK examples rethrow an `error`
   * event) throws as it would for a frame from the server: uncaught, not swallowed by the frame queue.
   */
  private deliver(text: string): void {
    try {
      this.transport.deliver(text);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  /** Counts a client frame toward the next response's input, and keeps its text for content rules. */
  private account(data: unknown, text: string | undefined, event: Record<string, unknown> | undefined): void {
    if (event === undefined && text !== undefined && text.includes('session.update')) event = parseEvent(text);
    if (event?.type === 'session.update') this.configure(event.session);
    // Audio chunks are base64 bytes, not text a content rule reads.
    this.pending.add(frameBytes(data), text?.includes('input_audio_buffer.append') ? undefined : text);
  }

  private configure(session: unknown): void {
    if (!isObject(session)) return;
    if (typeof session.model === 'string' && session.model.length > 0) this.config.model = session.model;
    this.transcription.configure(session);
    const cap = session.max_output_tokens ?? session.max_response_output_tokens;
    if (cap !== undefined) {
      const bound = positive(cap);
      if (bound === undefined) delete this.config.maxOutputTokens;
      else this.config.maxOutputTokens = bound;
    }
  }

  private describe(event: Record<string, unknown>, text: string): GovernedRequest {
    // Realtime: `response.create` may carry a `response` object of overrides; Responses over a WebSocket:
    // the event is the request body itself (`model`, `input`, `max_output_tokens`).
    const overrides = isObject(event.response) ? event.response : event;
    const model =
      (typeof overrides.model === 'string' && overrides.model) ||
      (typeof event.model === 'string' && event.model) ||
      this.config.model ||
      'unknown';
    const cap =
      positive(overrides.max_output_tokens ?? overrides.max_response_output_tokens) ?? this.config.maxOutputTokens;
    const pending = this.pending.take();
    const bytes = pending.bytes + Buffer.byteLength(text, 'utf8');
    const texts = pending.texts;
    texts.push(text);
    const request: GovernedRequest = {
      provider: this.endpoint.provider,
      operation: 'chat',
      model,
      method: `egress websocket ${this.endpoint.protocol}`,
      stream: true,
      // The conversation so far (the last response's input and output) plus every byte the client sent
      // since: an upper bound of the text tokens (audio is counted by its bytes, far above its tokens).
      estimatedInputTokens: this.conversationTokens + bytes + 8,
      serverAddress: this.endpoint.server.serverAddress,
      serverPort: this.endpoint.server.serverPort,
      editable: { model: this.endpoint.protocol === 'responses' && typeof event.model === 'string' },
      text: () => texts,
    };
    if (cap !== undefined) {
      request.maxOutputTokens = cap;
      request.requestAttributes = { [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: cap };
    }
    return request;
  }

  private created(response: unknown): void {
    const waiting = this.awaiting.shift();
    if (!waiting) return;
    waiting.call.firstChunk();
    const id = isObject(response) && typeof response.id === 'string' ? response.id : undefined;
    // Without an id the response is settled by the next final event.
    this.inFlight.set(id ?? `genops-anonymous-${waiting.call.id}`, waiting.call);
  }

  private done(response: unknown): void {
    const id = isObject(response) && typeof response.id === 'string' ? response.id : undefined;
    let call = id === undefined ? undefined : this.inFlight.get(id);
    if (call !== undefined && id !== undefined) this.inFlight.delete(id);
    else {
      // A final event without a matching `response.created`: the oldest response asked for.
      const [key, first] = this.inFlight.entries().next().value ?? [];
      if (key !== undefined && first !== undefined) {
        this.inFlight.delete(key);
        call = first;
      } else call = this.awaiting.shift()?.call;
    }
    if (!call || !isObject(response)) return;
    const usage = usageFromRealtime(response.usage) ?? usageFromOpenAIResponses(response.usage);
    if (usage) this.conversationTokens = usage.inputTokens + usage.outputTokens;
    const status = typeof response.status === 'string' ? response.status : undefined;
    void call.end({
      usage,
      response: {
        ...(id ? { id } : {}),
        ...(typeof response.model === 'string' ? { model: response.model } : {}),
        ...(status ? { finishReasons: [status] } : {}),
      },
      ...(usage ? {} : { incomplete: true }),
    });
  }

  /**
   * A transcription of audio GenOps did not admit (committed before the session was governed, or added
   * otherwise than by `input_audio_buffer.append`): billed, and not governed. It is not silent: one span
   * per transcription, flagged `genops.egress.ungoverned`, with the usage the server reports, and one
   * stderr line per session.
   */
  private transcribed(usage: unknown): void {
    if (!isObject(usage)) return;
    const model = this.transcription.model;
    if (!this.transcriptionReported) {
      this.transcriptionReported = true;
      process.stderr.write(
        `genops: realtime: an input audio transcription in a ${this.endpoint.provider} session was billed for audio ` +
          'GenOps did not admit (no policy check or reservation: it was not appended through the governed session); ' +
          'each one is recorded as a span flagged genops.egress.ungoverned.\n',
      );
    }
    const span = this.governor.tracer.startSpan(
      `generate_content ${model ?? 'unknown'}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: 'generate_content',
          [ATTR_GEN_AI_PROVIDER_NAME]: this.endpoint.provider,
          ...(model ? { [ATTR_GEN_AI_REQUEST_MODEL]: model } : {}),
          [ATTR_SERVER_ADDRESS]: this.endpoint.server.serverAddress,
          [ATTR_SERVER_PORT]: this.endpoint.server.serverPort,
          [UNGOVERNED_ATTRIBUTE]: true,
          ...(typeof usage.input_tokens === 'number'
            ? { [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: count(usage.input_tokens) }
            : {}),
          ...(typeof usage.output_tokens === 'number'
            ? { [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: count(usage.output_tokens) }
            : {}),
          ...(typeof usage.seconds === 'number' ? { 'genops.usage.audio_input_seconds': usage.seconds } : {}),
        },
      },
      this.sessionContext(),
    );
    span.end();
  }

  /** A server `error` naming the `response.create` it refused: that response never started (nothing billed). */
  private serverError(error: unknown): void {
    if (!isObject(error) || typeof error.event_id !== 'string') return;
    const index = this.awaiting.findIndex((waiting) => waiting.eventId === error.event_id);
    if (index < 0) return;
    const [waiting] = this.awaiting.splice(index, 1);
    const failure = new Error(
      `the provider refused the response: ${typeof error.code === 'string' ? error.code : 'error'}`,
    );
    failure.name = 'RealtimeServerError';
    void waiting?.call.fail(failure);
  }
}

/**
 * Realtime usage (`response.done`'s `response.usage`): `input_tokens` includes cached tokens and every
 * modality (`input_token_details.text_tokens` + `audio_tokens` + `image_tokens`, each cached part again
 * in `cached_tokens_details`); `output_tokens` is `output_token_details.text_tokens` + `audio_tokens`.
 * Audio is priced at the model's audio rates: the uncached audio input tokens and the audio output tokens.
 * @see https://platform.openai.com/docs/api-reference/realtime-server-events/response/done
 */
export function usageFromRealtime(usage: unknown): BillableUsage | undefined {
  if (!isObject(usage) || !isObject(usage.input_token_details) || typeof usage.input_tokens !== 'number')
    return undefined;
  const input = usage.input_token_details;
  const output = isObject(usage.output_token_details) ? usage.output_token_details : {};
  const cachedDetails = isObject(input.cached_tokens_details) ? input.cached_tokens_details : {};
  const converted: BillableUsage = {
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    raw: usage,
  };
  const cached = count(input.cached_tokens);
  if (cached > 0) converted.cacheReadInputTokens = cached;
  const audioIn = Math.max(0, count(input.audio_tokens) - count(cachedDetails.audio_tokens));
  if (audioIn > 0) converted.audioInputTokens = audioIn;
  const imageIn = Math.max(0, count(input.image_tokens) - count(cachedDetails.image_tokens));
  if (imageIn > 0) converted.imageInputTokens = imageIn;
  const audioOut = count(output.audio_tokens);
  if (audioOut > 0) converted.audioOutputTokens = audioOut;
  return converted;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
