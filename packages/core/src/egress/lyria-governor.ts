// Governs a Lyria RealTime music session (`BidiGenerateMusic` over a WebSocket on the Gemini API:
// `…/ws/google.ai.generativelanguage.<version>.GenerativeService.BidiGenerateMusic`, `@google/genai`'s
// `ai.live.music.connect`). Lyria streams music for as long as it plays and reports no usage: what it bills is
// the audio it generates, so the governed unit is a **window of generated audio** (WINDOW_SECONDS), reserved
// at the model's per-second price (`units.audioOutputSecond`):
// - the model comes from the session's `setup` frame;
// - the first `playbackControl: PLAY` is held until governance admitted the first window (policy, a reservation
//   of WINDOW_SECONDS of audio, approval); a PLAY while a window is admitted (a resume after PAUSE) passes;
// - the audio chunks the server sends (`serverContent.audioChunks`, their seconds from the base64 length and
//   the chunk's `mimeType`: 16-bit PCM, `rate` and `channels`, 48 kHz stereo by default) fill the window;
//   once half of it is used the next window is decided ahead, and a full window is settled at the seconds it
//   received, its successor taking the audio after;
// - refused (the PLAY, or the next window): the frame is not sent, the app's socket gets the typed error, and
//   GenOps closes the session (as for a refused Gemini Live turn: google-session.ts endRefused), so the music
//   stops;
// - the socket closes: the window receiving audio is settled at the seconds received (one whose PLAY went out
//   and got no audio yet at its reservation, flagged incomplete); a window admitted ahead and never used is
//   released.
// No price for Lyria RealTime is published (the model is experimental): without one in `prices`, the PLAY is
// refused under the default `unknownModel: 'deny'`.
import type { Governor } from '../governor';
import type { GovernedCall } from '../pipeline/types';
import type { BillableUsage } from '../pricing/types';
import type { GovernedRequest } from '../types';
import { isObject } from './endpoints';
import {
  firstKey,
  type GoogleSessionEndpoint,
  GoogleSessionGovernor,
  type GoogleSessionTransport,
  searchable,
} from './google-session';
import { base64Bytes, CHUNK_SECONDS } from './realtime-transcription';
import { frameBytes, frameText, MAX_PARSED_BYTES, parseFrameJson } from './session-frames';

/** The value of `realtime.session.protocol` on a Lyria session's span. */
export const LYRIA_PROTOCOL = 'lyria';

/** Seconds of generated audio one unit admits: as many as a Realtime transcription chunk. */
export const WINDOW_SECONDS = CHUNK_SECONDS;

/** 16-bit PCM at 48 kHz, stereo: Lyria RealTime's output. */
const DEFAULT_RATE = 48_000;
const DEFAULT_CHANNELS = 2;

/** A Lyria session as its handshake describes it (provider `gcp.gemini`: Lyria RealTime is on the Gemini API only). */
export interface LyriaEndpoint extends GoogleSessionEndpoint {
  protocol: typeof LYRIA_PROTOCOL;
}

/** One admitted window of generated audio. */
interface Window {
  call: GovernedCall;
  /** Seconds of audio received under it. */
  seconds: number;
  /** The provider may bill it: its PLAY went out, or audio arrived under it. */
  sent: boolean;
}

/**
 * Seconds of one audio chunk: its bytes (from the base64 length) over the bytes a second of its `mimeType`
 * (`audio/l16;rate=48000;channels=2`: 16-bit samples; 48 kHz stereo when the type does not say).
 */
export function chunkSeconds(chunk: unknown): number {
  if (!isObject(chunk) || typeof chunk.data !== 'string') return 0;
  const type = typeof chunk.mimeType === 'string' ? chunk.mimeType : '';
  const parameter = (name: string, fallback: number) => {
    for (const part of type.split(';')) {
      const [key, value] = part.split('=');
      const number = Number(value);
      if (key?.trim() === name && Number.isFinite(number) && number > 0) return number;
    }
    return fallback;
  };
  return base64Bytes(chunk.data) / (parameter('rate', DEFAULT_RATE) * parameter('channels', DEFAULT_CHANNELS) * 2);
}

/** One Lyria session: client frames pass through {@link send}, server messages through {@link receive}. */
export class LyriaGovernor extends GoogleSessionGovernor {
  /** The window receiving audio. */
  private current: Window | undefined;
  /** The next window, admitted ahead. */
  private reserve: Window | undefined;
  /** A decision on a window is pending (the first PLAY's, or the next window's). */
  private deciding = false;

  constructor(governor: Governor, endpoint: LyriaEndpoint, transport: GoogleSessionTransport) {
    super(governor, endpoint, transport, LYRIA_PROTOCOL);
  }

  /** A client frame: forwarded at once, or (a PLAY with no window admitted) once the first window is. */
  protected sendFrame(data: unknown, extra: readonly unknown[], text: string | undefined): void {
    const key = text === undefined ? undefined : firstKey(text);
    const message = key === 'setup' || key === 'playbackControl' ? parseFrameJson(text) : undefined;
    if (isObject(message?.setup)) this.setup(message.setup);
    // A PLAY, or a frame GenOps cannot read: never let through before a window is admitted.
    const plays = key === undefined || message?.playbackControl === 'PLAY';
    if (plays && this.current === undefined && !this.deciding) {
      this.play(data, extra);
      return;
    }
    // Prompts and config are what the next window's content rules read; playback controls and audio are not.
    this.pending.add(frameBytes(data), key === 'clientContent' || key === 'musicGenerationConfig' ? text : undefined);
    this.forwardInOrder(data, extra);
  }

  /** A server message, as the app is about to see it: its audio chunks fill the window. */
  receive(data: unknown): void {
    const frame = searchable(data);
    if (frame === undefined || !frame.includes('"audioChunks"')) return;
    const text = frameText(data);
    const message = parseFrameJson(text);
    let seconds = 0;
    if (message === undefined) {
      // Too large to parse: its bytes, three quarters of them audio, at the default rate.
      const bytes = text?.length ?? (Buffer.isBuffer(frame) ? frame.byteLength : 0);
      if (bytes > MAX_PARSED_BYTES) seconds = (bytes * 3) / 4 / (DEFAULT_RATE * DEFAULT_CHANNELS * 2);
    } else {
      const content = isObject(message.serverContent) ? message.serverContent : undefined;
      for (const chunk of Array.isArray(content?.audioChunks) ? content.audioChunks : [])
        seconds += chunkSeconds(chunk);
    }
    if (seconds > 0) this.heard(seconds);
  }

  /** The socket closed (either side): the window receiving audio settles at what it received. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const current = this.current;
    if (current?.sent && current.seconds > 0) this.settle(current, 'closed');
    else if (current?.sent) void current.call.end({ incomplete: true });
    else if (current) void current.call.fail(new Error('the Lyria session closed before this window was used'));
    if (this.reserve) void this.reserve.call.fail(new Error('the Lyria session closed before this window was used'));
    this.current = undefined;
    this.reserve = undefined;
    void this.frames.drained().finally(() => this.span.end());
  }

  /** The first PLAY: held until the first window is admitted; refused, the session ends. */
  private play(data: unknown, extra: readonly unknown[]): void {
    this.pending.add(frameBytes(data), undefined);
    const decided = this.decide();
    this.frames.after(() =>
      decided.then((outcome) => {
        this.deciding = false;
        if ('refused' in outcome) return this.endRefused(outcome.refused, 'the Lyria play');
        if (this.closed || this.refused) {
          void outcome.call.fail(new Error('the Lyria session closed before the play was sent'));
          return;
        }
        const window: Window = { call: outcome.call, seconds: 0, sent: true };
        this.current = window;
        window.call.markSent();
        try {
          window.call.runInContext(() => this.transport.forward(data, extra));
        } catch (error) {
          // The socket refused the frame (closing, closed): nothing was sent.
          this.current = undefined;
          void window.call.fail(error);
          throw error;
        }
      }),
    );
  }

  /** Audio the server generated: into the window, the next one decided ahead at half, a full one settled. */
  private heard(seconds: number): void {
    const current = this.current;
    if (current === undefined) return;
    if (current.seconds === 0) current.call.firstChunk();
    current.seconds += seconds;
    this.rollOver();
    const now = this.current as Window;
    if (now.seconds >= WINDOW_SECONDS / 2 && this.reserve === undefined && !this.deciding && !this.refused)
      this.topUp();
  }

  /** A full window settles at its seconds; the window admitted ahead takes the audio beyond it. */
  private rollOver(): void {
    let current = this.current;
    while (current && current.seconds > WINDOW_SECONDS && this.reserve) {
      const next = this.reserve;
      this.reserve = undefined;
      next.seconds = current.seconds - WINDOW_SECONDS;
      next.sent = true;
      next.call.markSent();
      next.call.firstChunk();
      current.seconds = WINDOW_SECONDS;
      this.settle(current, 'window_full');
      this.current = next;
      current = next;
    }
  }

  /** Decides the next window ahead of need; refused, the session ends (the music must stop). */
  private topUp(): void {
    void this.decide().then((outcome) => {
      this.deciding = false;
      if ('refused' in outcome) return this.endRefused(outcome.refused, 'the next window of Lyria music');
      if (this.closed || this.refused) {
        void outcome.call.fail(new Error('the Lyria session closed before this window was used'));
        return;
      }
      this.reserve = { call: outcome.call, seconds: 0, sent: false };
      this.rollOver();
    });
  }

  private decide(): Promise<{ call: GovernedCall } | { refused: unknown }> {
    this.deciding = true;
    return this.governor.begin(this.request(), { parent: this.sessionContext(), sendsAtOnce: false }).then(
      (call) => ({ call }),
      (refused: unknown) => ({ refused }),
    );
  }

  private settle(window: Window, reason: string): void {
    const usage: BillableUsage = { inputTokens: 0, outputTokens: 0, audioOutputSeconds: window.seconds };
    void window.call.end({
      usage,
      response: { ...(this.model ? { model: this.model } : {}), finishReasons: [reason] },
    });
  }

  /** One window: WINDOW_SECONDS of generated audio at the model's per-second price; no output tokens. */
  private request(): GovernedRequest {
    const { bytes, texts } = this.pending.take();
    return {
      provider: this.endpoint.provider,
      operation: 'generate_content',
      model: this.model ?? 'unknown',
      method: `egress websocket ${LYRIA_PROTOCOL}`,
      stream: true,
      // The prompts and config sent since the last window, by their bytes.
      estimatedInputTokens: bytes + 8,
      maxOutputTokens: 0,
      units: { audioOutputSeconds: WINDOW_SECONDS },
      serverAddress: this.endpoint.server.serverAddress,
      serverPort: this.endpoint.server.serverPort,
      editable: { model: false, text: false },
      text: () => texts,
    };
  }
}
