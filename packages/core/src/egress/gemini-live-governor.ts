// Governs a Gemini Live session (`BidiGenerateContent` over a WebSocket: the Gemini API's
// `…/ws/google.ai.generativelanguage.<version>.GenerativeService.BidiGenerateContent[Constrained]`, Vertex AI's
// `…/ws/google.cloud.aiplatform.<version>.LlmBidiService/BidiGenerateContent`) frame by frame. One governed
// unit is one model turn:
// - its model (and `generationConfig.maxOutputTokens`) come from the session's `setup` frame;
// - it opens at a turn-starting client frame, which is held until governance allowed the turn (policy,
//   worst-case reservation, approval): a `clientContent` with `turnComplete: true` (the SDK's
//   `sendClientContent()` default), the first `realtimeInput` after a turn ended (audio, video or text the
//   server answers on its own, by voice activity detection), or a `toolResponse` (the model continues);
//   while a unit is open, more such frames belong to it and pass at once;
// - it is settled from the last `usageMetadata` the server sent for the turn when the turn ends
//   (`serverContent.turnComplete`, or a `toolCall`: the model waits for the app's tool response); a turn
//   that ends before its usage arrives is settled by the next `usageMetadata`, or at its reservation,
//   flagged incomplete, when the next turn starts or the socket closes first;
// - a refused turn-starting frame is never sent (nor any frame after it): the app's socket gets an `error`
//   event carrying the typed GenOps error (the SDK's `callbacks.onerror` receives it as `event.error`), then
//   GenOps closes the session (code 4000 + the error's status, a reason naming the error: google-session.ts
//   endRefused) so that the SDK's `onclose` fires and an app waiting for `turnComplete` stops waiting;
// - a socket that closes with a turn open settles that turn at its reservation, flagged incomplete.
// The session's span is the parent of its turns' units, as for OpenAI Realtime (realtime-governor.ts); what
// the Live and Lyria governors share is google-session.ts's. The socket bindings are realtime-socket.ts's; this
// file knows Live messages, not sockets.
import type { Governor } from '../governor';
import type { GovernedCall } from '../pipeline/types';
import type { BillableUsage } from '../pricing/types';
import { ATTR_GEN_AI_REQUEST_MAX_TOKENS } from '../semconv';
import type { GovernedRequest } from '../types';
import { usageFromGemini } from '../usage/wire-usage';
import { isObject } from './endpoints';
import {
  firstKey,
  type GoogleSessionEndpoint,
  GoogleSessionGovernor,
  type GoogleSessionTransport,
  searchable,
} from './google-session';
import { frameBytes, frameText, parseFrameJson } from './session-frames';

/** The value of `realtime.session.protocol` on a Gemini Live session's span. */
export const GEMINI_LIVE_PROTOCOL = 'gemini-live';

/** A Gemini Live session as its handshake describes it. */
export interface GeminiLiveEndpoint extends GoogleSessionEndpoint {
  protocol: typeof GEMINI_LIVE_PROTOCOL;
}

/** A model turn: its unit once decided, and the usage the server reported for it so far. */
interface Turn {
  /** The decision; `undefined` once refused. */
  readonly decided: Promise<GovernedCall | undefined>;
  call?: GovernedCall;
  usage?: BillableUsage;
  answered: boolean;
  finishReason?: string;
  /** Why the turn was refused. */
  refusal?: unknown;
}

/** Client messages that carry a turn's input: each opens a turn when none is open, or joins the open one. */
const TURN_INPUT = new Set(['clientContent', 'realtimeInput', 'toolResponse']);

/** True for a client message that starts a model turn when none is open. */
function startsTurn(message: Record<string, unknown>): boolean {
  if (isObject(message.clientContent)) return message.clientContent.turnComplete === true;
  return isObject(message.realtimeInput) || isObject(message.toolResponse);
}

/** Media a content rule cannot read (base64 audio, video, images). */
function isMedia(message: Record<string, unknown> | undefined): boolean {
  const input = message?.realtimeInput;
  return isObject(input) && input.text === undefined;
}

/**
 * One Live session: client frames pass through {@link send}, server messages through {@link receive},
 * and {@link close} ends it.
 */
export class GeminiLiveGovernor extends GoogleSessionGovernor {
  private maxOutputTokens: number | undefined;
  /** The turn open now (deciding, or answered by the server). */
  private turn: Turn | undefined;
  /** A turn that ended without its usage: settled by the next `usageMetadata`. */
  private unsettled: Turn | undefined;
  /** Tokens of the session's context so far (the last turn's prompt and response): the next turn's input. */
  private contextTokens = 0;

  constructor(governor: Governor, endpoint: GeminiLiveEndpoint, transport: GoogleSessionTransport) {
    super(governor, endpoint, transport, GEMINI_LIVE_PROTOCOL);
  }

  /** A client frame: forwarded at once, or (one that starts a turn) after governance allowed the turn. */
  protected sendFrame(data: unknown, extra: readonly unknown[], text: string | undefined): void {
    const key = text === undefined ? undefined : firstKey(text);
    if (key !== undefined && !TURN_INPUT.has(key)) {
      // `setup`, `contextUpdate`: no turn, but input of the next one (and the model of every one).
      const message = key === 'setup' ? parseFrameJson(text) : undefined;
      if (isObject(message?.setup)) this.configure(message.setup);
      this.account(data, text, message);
      this.forwardInOrder(data, extra);
      return;
    }
    // Turn input, or a frame GenOps cannot read (too large, not JSON): never let through outside a turn.
    const turn = this.turn;
    if (turn !== undefined) {
      // Input of the open turn: its tokens are in the turn's usage. While the turn is decided, it goes if the turn does.
      if (turn.call !== undefined) this.forwardInOrder(data, extra);
      else this.frames.after(() => turn.decided.then((call) => (call ? this.forwardIfOpen(data, extra) : undefined)));
      return;
    }
    const message = parseFrameJson(text);
    if (message === undefined || startsTurn(message)) {
      this.open(data, extra, text ?? '', message ?? {});
      return;
    }
    // A `clientContent` with `turnComplete: false`: context for the next turn.
    this.account(data, text, message);
    this.forwardInOrder(data, extra);
  }

  /** A server message, as the app is about to see it. */
  receive(data: unknown): void {
    // Searched as bytes: a binary frame (the server's audio, many a second) is decoded only when it matters.
    const frame = searchable(data);
    if (frame === undefined) return;
    const turn = this.turn?.call ? this.turn : undefined;
    // The first model content of the turn.
    if (turn && !turn.answered && (frame.includes('"modelTurn"') || frame.includes('"toolCall"'))) {
      turn.answered = true;
      turn.call?.firstChunk();
    }
    if (!(frame.includes('"usageMetadata"') || frame.includes('"turnComplete"') || frame.includes('"toolCall"')))
      return;
    const message = parseFrameJson(frameText(data));
    if (!message) return;
    const usage = usageFromGeminiLive(message.usageMetadata);
    if (usage) {
      if (turn) turn.usage = usage;
      else if (this.unsettled) {
        const ended = this.unsettled;
        this.unsettled = undefined;
        ended.usage = usage;
        this.settle(ended);
      }
    }
    if (!turn) return;
    const content = isObject(message.serverContent) ? message.serverContent : undefined;
    if (content?.interrupted === true) turn.finishReason = 'interrupted';
    if (content?.turnComplete === true) this.end(turn, turn.finishReason ?? 'turn_complete');
    else if (isObject(message.toolCall)) this.end(turn, 'tool_call');
  }

  /** The socket closed (either side): an open turn settles at its reservation, flagged incomplete. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const turn of [this.unsettled, this.turn]) if (turn?.call) void turn.call.end({ incomplete: true });
    this.unsettled = undefined;
    this.turn = undefined;
    void this.frames.drained().finally(() => this.span.end());
  }

  /** Opens a turn with this frame: decided before it goes; frames sent meanwhile wait behind it. */
  private open(data: unknown, extra: readonly unknown[], text: string, message: Record<string, unknown>): void {
    const late = this.unsettled;
    this.unsettled = undefined;
    // The turn before ended without usage and another starts: no usage will come for it.
    if (late?.call)
      void late.call.end({ incomplete: true, response: { finishReasons: [late.finishReason ?? 'turn_complete'] } });
    const request = this.describe(data, text, message);
    const decided = this.governor.begin(request, { parent: this.sessionContext(), sendsAtOnce: false }).then(
      (call): GovernedCall | undefined => call,
      (error: unknown) => {
        turn.refusal = error;
        return undefined;
      },
    );
    const turn: Turn = { decided, answered: false };
    this.turn = turn;
    // Refused in frame order: the frames sent before it go out first.
    this.frames.after(() =>
      decided.then((call) => (call ? this.forwardTurn(turn, call, data, extra) : this.refuse(turn, turn.refusal))),
    );
  }

  private forwardTurn(turn: Turn, call: GovernedCall, data: unknown, extra: readonly unknown[]): void {
    if (this.closed || this.refused) {
      // Never sent: the reservation is released.
      void call.fail(new Error('the Gemini Live session closed before the turn was sent'));
      return;
    }
    turn.call = call;
    call.markSent();
    try {
      call.runInContext(() => this.transport.forward(data, extra));
    } catch (error) {
      // The socket refused the frame (closing, closed): nothing was sent.
      if (this.turn === turn) this.turn = undefined;
      void call.fail(error);
      throw error;
    }
  }

  /**
   * A refused turn: never sent, nor any frame after it. The app's socket gets the error, then GenOps closes
   * the session: the Live server answers a turn with the model's content and `turnComplete`, and an app (the
   * SDK's own samples) waits for them; without the close it would wait forever. The SDK's `onclose` gets the
   * code and reason ({@link refusalClose}); a turn that ended without its usage settles at the close.
   */
  private refuse(turn: Turn, error: unknown): void {
    if (this.turn === turn) this.turn = undefined;
    this.endRefused(error, 'the Gemini Live turn');
  }

  /** The turn ended: settled from its usage, or (none yet) by the next `usageMetadata`. */
  private end(turn: Turn, finishReason: string): void {
    if (this.turn === turn) this.turn = undefined;
    turn.finishReason = finishReason;
    if (turn.usage) this.settle(turn);
    else this.unsettled = turn;
  }

  private settle(turn: Turn): void {
    const usage = turn.usage;
    if (!turn.call || !usage) return;
    this.contextTokens = usage.inputTokens + usage.outputTokens;
    void turn.call.end({
      usage,
      response: { ...(this.model ? { model: this.model } : {}), finishReasons: [turn.finishReason ?? 'turn_complete'] },
    });
  }

  /** Counts a client frame toward the next turn's input, and keeps its text (not media) for content rules. */
  private account(data: unknown, text: string | undefined, message: Record<string, unknown> | undefined): void {
    this.pending.add(frameBytes(data), isMedia(message) ? undefined : text);
  }

  private configure(setup: Record<string, unknown>): void {
    this.setup(setup);
    const generation = isObject(setup.generationConfig) ? setup.generationConfig : undefined;
    const cap = generation?.maxOutputTokens;
    this.maxOutputTokens = typeof cap === 'number' && Number.isSafeInteger(cap) && cap > 0 ? cap : undefined;
  }

  private describe(data: unknown, text: string, message: Record<string, unknown>): GovernedRequest {
    this.account(data, text, message);
    const { bytes, texts } = this.pending.take();
    const request: GovernedRequest = {
      provider: this.endpoint.provider,
      operation: 'chat',
      model: this.model ?? 'unknown',
      method: `egress websocket ${GEMINI_LIVE_PROTOCOL}`,
      stream: true,
      // The session's context so far (the last turn's prompt and response) plus every byte the client sent
      // since: an upper bound of the turn's prompt (media is counted by its base64 bytes, far above its tokens).
      estimatedInputTokens: this.contextTokens + bytes + 8,
      serverAddress: this.endpoint.server.serverAddress,
      serverPort: this.endpoint.server.serverPort,
      text: () => texts,
    };
    if (this.maxOutputTokens !== undefined) {
      request.maxOutputTokens = this.maxOutputTokens;
      request.requestAttributes = { [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: this.maxOutputTokens };
    }
    return request;
  }
}

/** Tokens of one modality in a `ModalityTokenCount[]` list. */
function modalityTokens(details: unknown, ...modalities: string[]): number {
  if (!Array.isArray(details)) return 0;
  let total = 0;
  for (const entry of details)
    if (isObject(entry) && typeof entry.modality === 'string' && modalities.includes(entry.modality))
      total += count(entry.tokenCount);
  return total;
}

/**
 * Live `usageMetadata` (the Gemini API's wire names `responseTokenCount` / `responseTokensDetails`; Vertex's
 * `candidatesTokenCount` / `candidatesTokensDetails`), on top of the Gemini mapping (`usageFromGemini`:
 * cached content inside the prompt, tool-use prompt tokens added, thoughts added to the output).
 * By modality: uncached AUDIO prompt tokens at the audio input rate, uncached IMAGE and VIDEO prompt tokens
 * at the image input rate (Live prices video with images), AUDIO response tokens at the audio output rate.
 * @see https://ai.google.dev/api/live#usagemetadata
 */
export function usageFromGeminiLive(usageMetadata: unknown): BillableUsage | undefined {
  if (!isObject(usageMetadata)) return undefined;
  const response = usageMetadata.responseTokenCount ?? usageMetadata.candidatesTokenCount;
  const base = usageFromGemini({ ...usageMetadata, candidatesTokenCount: response });
  if (!base) return undefined;
  const usage: BillableUsage = { ...base, raw: usageMetadata };
  const prompt = usageMetadata.promptTokensDetails;
  const cached = usageMetadata.cacheTokensDetails;
  const output = usageMetadata.responseTokensDetails ?? usageMetadata.candidatesTokensDetails;
  const audioIn = Math.max(0, modalityTokens(prompt, 'AUDIO') - modalityTokens(cached, 'AUDIO'));
  if (audioIn > 0) usage.audioInputTokens = audioIn;
  const imageIn = Math.max(0, modalityTokens(prompt, 'IMAGE', 'VIDEO') - modalityTokens(cached, 'IMAGE', 'VIDEO'));
  if (imageIn > 0) usage.imageInputTokens = imageIn;
  const audioOut = modalityTokens(output, 'AUDIO');
  if (audioOut > 0) usage.audioOutputTokens = audioOut;
  return usage;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
