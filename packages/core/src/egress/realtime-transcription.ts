// Governs the input audio transcription of a Realtime session (`session.audio.input.transcription`, beta
// `input_audio_transcription`): the server transcribes every committed input audio buffer with the
// transcription model and bills it at that model's price, and under voice activity detection it commits
// on its own. So the client frames that create billable audio, `input_audio_buffer.append`, are what is
// held: audio is admitted in chunks of up to CHUNK_SECONDS, each chunk one governed unit (policy and a
// worst-case reservation of its seconds) begun when the audio in hand no longer fits the chunks already
// admitted; an append the budget refuses is not sent. When the server commits the buffer
// (`input_audio_buffer.committed`), its chunks become the transcription of that item, settled from
// `conversation.item.input_audio_transcription.completed`'s usage; `input_audio_buffer.cleared` settles
// the buffer's chunks at $0 (that audio is never transcribed). The realtime governor (realtime-governor.ts)
// owns the frame order; this file knows audio, chunks and items.
import type { Context } from '@opentelemetry/api';
import type { Governor } from '../governor';
import type { CallOutcome, GovernedCall } from '../pipeline/types';
import type { BillableUsage } from '../pricing/types';
import type { GovernedRequest } from '../types';
import { isObject } from './endpoints';
import type { RealtimeEndpoint } from './realtime-governor';

/**
 * Seconds of input audio one chunk admits. Appends come every 20 to 100 ms of audio: a chunk is one
 * decision and one store reservation for up to this much of it, the appends inside it cost no store
 * round-trip. A budget is checked again every CHUNK_SECONDS of audio.
 */
export const CHUNK_SECONDS = 15;
/** Audio input tokens reserved per second for token-priced transcription models (the API bills about 17). */
export const TRANSCRIPTION_TOKENS_PER_SECOND = 20;
/** PCM16 at 24 kHz mono, the API's default input format. */
const PCM_BYTES_PER_SECOND = 48_000;
/** G.711 (μ-law, A-law) at 8 kHz: the slowest format, assumed for one GenOps does not know. */
const G711_BYTES_PER_SECOND = 8_000;

/** One governed chunk of input audio: a unit with a reservation for `capacity` bytes. */
interface Chunk {
  call: GovernedCall;
  /** Audio bytes the chunk's reservation covers. */
  capacity: number;
  /** Audio bytes forwarded under it. */
  bytes: number;
}

/** How an append was decided: forwarded (`true`), refused in a refused stretch (`false`), or refused now. */
export type AudioVerdict = true | false | { refused: unknown };

/** The input audio transcription of one Realtime session. */
export class RealtimeTranscription {
  /** The transcription model, while the session transcribes its input audio. */
  model: string | undefined;
  private prompt = 0;
  private bytesPerSecond = PCM_BYTES_PER_SECOND;
  /** Chunks of the input audio buffer since the last commit or clear, oldest first; the last one is open. */
  private buffer: Chunk[] = [];
  /** Audio bytes still refused without a new decision after a refusal. */
  private refusing = 0;
  /** Buffers the client committed or cleared, oldest first, waiting for the server's answer. */
  private readonly commits: Chunk[][] = [];
  private readonly clears: Chunk[][] = [];
  /** Committed items waiting for their transcription. */
  private readonly items = new Map<string, Chunk[]>();
  /** Audio items the client created without an id, sent, waiting for the server to name them (oldest first). */
  private readonly added: Chunk[] = [];
  private closed = false;

  constructor(
    private readonly governor: Governor,
    private readonly endpoint: RealtimeEndpoint,
    private readonly parent: () => Context,
  ) {}

  /** Reads a session object (`session.update`, `session.created`, `session.updated`): input format and model. */
  configure(session: Record<string, unknown>): void {
    const input = isObject(session.audio) && isObject(session.audio.input) ? session.audio.input : undefined;
    const format = input?.format ?? session.input_audio_format;
    if (format !== undefined) this.bytesPerSecond = bytesPerSecondOf(format);
    const model = transcriptionModelIn(session);
    if (model === undefined) return;
    const settings = input?.transcription ?? session.input_audio_transcription;
    if (isObject(settings) && typeof settings.prompt === 'string')
      this.prompt = Buffer.byteLength(settings.prompt, 'utf8');
    if ((model ?? undefined) !== this.model) this.switchTo(model ?? undefined);
  }

  /** The session now transcribes with `model` (or not at all): an open chunk of the old model with no audio is released. */
  private switchTo(model: string | undefined): void {
    this.model = model;
    this.refusing = 0;
    const open = this.buffer.at(-1);
    if (open && open.bytes === 0) {
      this.buffer.pop();
      void open.call.fail(new Error('the session changed its transcription model before this audio was sent'));
    }
  }

  /**
   * A client `session.update` turning transcription on with `model`: its first chunk is admitted before the
   * frame is sent, so a model the policy denies (or a budget with no room) refuses the frame itself.
   */
  admitModel(model: string): Promise<GovernedCall> {
    return this.governor.begin(this.request(model, CHUNK_SECONDS), { parent: this.parent(), sendsAtOnce: false });
  }

  /** The `session.update` admitted by {@link admitModel} was sent (and read): its chunk is the buffer's open chunk. */
  modelAdmitted(model: string, call: GovernedCall): void {
    const open = this.buffer.at(-1);
    // Closed, turned off or to another model since, or a chunk admitted earlier still has no audio.
    if (this.closed || this.model !== model || (open !== undefined && open.bytes === 0)) {
      void call.fail(new Error('the transcription chunk was not needed: no audio was sent under it'));
      return;
    }
    this.buffer.push({ call, capacity: this.chunkBytes(), bytes: 0 });
  }

  /**
   * An `input_audio_buffer.append` of `bytes` audio bytes, in frame order: `true` when it fits the chunks
   * admitted (forward it), `false` inside a refused stretch (drop it: the app was told at its start), or a
   * promise of the decision on a new chunk.
   */
  admit(bytes: number): AudioVerdict | Promise<AudioVerdict> {
    const model = this.model;
    if (model === undefined) return true;
    if (this.refusing > 0) {
      this.refusing = Math.max(0, this.refusing - bytes);
      return false;
    }
    const open = this.buffer.at(-1);
    const room = open ? open.capacity - open.bytes : 0;
    if (open && room >= bytes) {
      this.use(open, bytes);
      return true;
    }
    const seconds = Math.max(CHUNK_SECONDS, Math.ceil((bytes - room) / this.bytesPerSecond));
    const capacity = seconds * this.bytesPerSecond;
    return this.governor.begin(this.request(model, seconds), { parent: this.parent(), sendsAtOnce: false }).then(
      (call) => {
        if (this.closed) {
          void call.fail(new Error('the WebSocket session closed before this audio was sent'));
          return { refused: new Error('the WebSocket session closed') };
        }
        // The open chunk takes what it has room for, unless the server ended its buffer meanwhile.
        const filled = open !== undefined && room > 0 && this.buffer.at(-1) === open ? room : 0;
        if (filled > 0) this.use(open as Chunk, filled);
        const chunk: Chunk = { call, capacity, bytes: 0 };
        this.buffer.push(chunk);
        this.use(chunk, bytes - filled);
        return true;
      },
      (error: unknown) => {
        this.refusing = this.chunkBytes();
        return { refused: error };
      },
    );
  }

  private use(chunk: Chunk, bytes: number): void {
    if (bytes <= 0) return;
    // The audio leaves the process: from now on the provider may bill this chunk.
    if (chunk.bytes === 0) chunk.call.markSent();
    chunk.bytes += bytes;
  }

  /**
   * The client sent `input_audio_buffer.commit` (`clear`): the audio sent so far is the buffer the server's
   * `input_audio_buffer.committed` (`cleared`) answers, whatever the app appends after it.
   */
  bufferEnds(kind: 'commit' | 'clear'): void {
    const sent = this.takeBuffer();
    if (sent.length > 0) (kind === 'commit' ? this.commits : this.clears).push(sent);
  }

  /** The chunks of the buffer that carry audio; a chunk admitted with no audio yet stays open for the next one. */
  private takeBuffer(): Chunk[] {
    this.refusing = 0;
    const sent = this.buffer.filter((chunk) => chunk.bytes > 0);
    this.buffer = this.buffer.filter((chunk) => chunk.bytes === 0);
    return sent;
  }

  /**
   * `input_audio_buffer.committed`: the audio of the client's oldest commit (or, committed by the server
   * itself under voice activity detection, the buffer sent so far) is now item `itemId`, to be transcribed.
   */
  committed(itemId: string | undefined): void {
    const sent = this.commits.shift() ?? this.takeBuffer();
    if (sent.length === 0) return;
    if (this.model === undefined) {
      // Transcription was turned off before the commit: the server does not transcribe this buffer.
      for (const chunk of sent) void chunk.call.end(settledAtZero('not_transcribed'));
      return;
    }
    if (itemId === undefined) {
      // No item id to match its transcription by: settled at its reservation.
      for (const chunk of sent) void chunk.call.end({ incomplete: true });
      return;
    }
    this.items.set(itemId, sent);
  }

  /**
   * A `conversation.item.create` carrying `bytes` of `input_audio`: the server transcribes that audio as it
   * does a committed buffer, so the item is one unit for its seconds, admitted before the frame is sent.
   */
  admitItem(model: string, bytes: number): Promise<GovernedCall> {
    const seconds = Math.max(1, Math.ceil(bytes / this.bytesPerSecond));
    return this.governor.begin(this.request(model, seconds), { parent: this.parent(), sendsAtOnce: false });
  }

  /**
   * The audio item admitted by {@link admitItem} is about to be sent: settled by the transcription of item
   * `itemId` (the client's own id), or of the next audio item the server adds (`conversation.item.added`).
   */
  itemSent(call: GovernedCall, bytes: number, itemId: string | undefined): void {
    const chunk: Chunk = { call, capacity: bytes, bytes: 0 };
    this.use(chunk, bytes);
    if (itemId !== undefined) this.items.set(itemId, [chunk]);
    else this.added.push(chunk);
  }

  /** True while an audio item sent without an id waits for the server's `conversation.item.added`. */
  get awaitingItems(): boolean {
    return this.added.length > 0;
  }

  /** `conversation.item.added` (beta `.created`): a user item with `input_audio` names the oldest audio item sent without an id. */
  itemAdded(item: unknown): void {
    // An item the client named is matched by its id already.
    if (!isObject(item) || typeof item.id !== 'string' || !hasInputAudio(item) || this.items.has(item.id)) return;
    const chunk = this.added.shift();
    if (chunk !== undefined) this.items.set(item.id, [chunk]);
  }

  /** `input_audio_buffer.cleared`: the audio of that buffer is never transcribed ($0). */
  cleared(): void {
    const sent = this.clears.shift() ?? this.takeBuffer();
    for (const chunk of sent) void chunk.call.end(settledAtZero('cleared'));
  }

  /**
   * `conversation.item.input_audio_transcription.completed`: the item's transcription, settled from its
   * usage (its first chunk carries it, the others settle at $0). False when the item is not one of this
   * session's governed buffers.
   */
  completed(itemId: unknown, usage: unknown): boolean {
    const chunks = typeof itemId === 'string' ? this.items.get(itemId) : undefined;
    if (!chunks) return false;
    this.items.delete(itemId as string);
    const billed = usageFromTranscription(usage);
    const [first, ...rest] = chunks;
    void first?.call.end({
      usage: billed,
      response: { id: itemId as string, finishReasons: ['completed'] },
      ...(billed ? {} : { incomplete: true }),
    });
    for (const chunk of rest) void chunk.call.end(settledAtZero('completed', itemId as string));
    return true;
  }

  /** `conversation.item.input_audio_transcription.failed`: the provider transcribed nothing (actual $0). */
  failed(itemId: unknown, error: unknown): void {
    const chunks = typeof itemId === 'string' ? this.items.get(itemId) : undefined;
    if (!chunks) return;
    this.items.delete(itemId as string);
    const code = isObject(error) && typeof error.code === 'string' ? error.code : 'error';
    const failure = new Error(`the provider could not transcribe the input audio: ${code}`);
    failure.name = 'RealtimeTranscriptionError';
    for (const chunk of chunks) void chunk.call.fail(failure);
  }

  /**
   * The socket closed: a committed item whose transcription never arrived (or a commit the server did
   * not answer) settles at its reservation, flagged incomplete; audio sent but never committed is never
   * transcribed ($0); a chunk with no audio was never sent (released).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const chunks of [...this.items.values(), ...this.commits, this.added])
      for (const chunk of chunks) void chunk.call.end({ incomplete: true });
    this.items.clear();
    this.added.length = 0;
    for (const chunks of this.clears) for (const chunk of chunks) void chunk.call.end(settledAtZero('cleared'));
    for (const chunk of this.buffer) {
      if (chunk.bytes > 0) void chunk.call.end(settledAtZero('not_committed'));
      else void chunk.call.fail(new Error('the WebSocket session closed before this audio was sent'));
    }
    this.buffer = [];
  }

  private chunkBytes(): number {
    return CHUNK_SECONDS * this.bytesPerSecond;
  }

  /** The worst case of `seconds` of audio: at the per-second rate or as audio tokens, as the model is priced. */
  private request(model: string, seconds: number): GovernedRequest {
    return {
      provider: this.endpoint.provider,
      operation: 'generate_content',
      model,
      method: 'realtime input_audio_transcription',
      estimatedInputTokens: seconds * TRANSCRIPTION_TOKENS_PER_SECOND + this.prompt,
      units: { audioInputSeconds: seconds },
      serverAddress: this.endpoint.server.serverAddress,
      serverPort: this.endpoint.server.serverPort,
      editable: { model: false, text: false },
      text: () => [],
    };
  }
}

/**
 * What a session object says of input transcription: its model, `null` when it turns transcription off
 * (`null`), `undefined` when it does not name a model (GA `audio.input.transcription`, beta `input_audio_transcription`).
 */
export function transcriptionModelIn(session: Record<string, unknown>): string | null | undefined {
  const input = isObject(session.audio) && isObject(session.audio.input) ? session.audio.input : undefined;
  let settings: unknown;
  if (input && 'transcription' in input) settings = input.transcription;
  else if ('input_audio_transcription' in session) settings = session.input_audio_transcription;
  else return undefined;
  if (!isObject(settings)) return null;
  // Settings without a model (a language, a prompt) leave the model as it was.
  return typeof settings.model === 'string' && settings.model.length > 0 ? settings.model : undefined;
}

function settledAtZero(reason: string, id?: string): CallOutcome {
  return {
    usage: { inputTokens: 0, outputTokens: 0 },
    response: { ...(id ? { id } : {}), finishReasons: [reason] },
  };
}

/**
 * Bytes a second of the session's input audio format: GA `audio.input.format` (`{ type: 'audio/pcm',
 * rate: 24000 }`, `audio/pcmu`, `audio/pcma`) or beta `input_audio_format` (`pcm16`, `g711_ulaw`,
 * `g711_alaw`). A format GenOps does not know counts as the slowest (the longest audio per byte).
 */
export function bytesPerSecondOf(format: unknown): number {
  const type = isObject(format) ? format.type : format;
  if (type === 'audio/pcm' || type === 'pcm16') {
    const rate = isObject(format) && typeof format.rate === 'number' && format.rate > 0 ? format.rate : 24_000;
    return Math.max(G711_BYTES_PER_SECOND, rate * 2);
  }
  return G711_BYTES_PER_SECOND;
}

/** True for a conversation item with an `input_audio` content part. */
function hasInputAudio(item: Record<string, unknown>): boolean {
  return Array.isArray(item.content) && item.content.some((part) => isObject(part) && part.type === 'input_audio');
}

/**
 * The audio of a `conversation.item.create` (its `input_audio` parts' base64 audio), or undefined for an item
 * without audio. An item the server transcribes as it does the input audio buffer.
 */
export function itemAudioBytes(item: unknown): number | undefined {
  if (!isObject(item) || !Array.isArray(item.content)) return undefined;
  let bytes = 0;
  let audio = false;
  for (const part of item.content)
    if (isObject(part) && part.type === 'input_audio') {
      audio = true;
      if (typeof part.audio === 'string') bytes += base64Bytes(part.audio);
    }
  return audio ? bytes : undefined;
}

/** Audio bytes of a base64 string, from its length (no decoding). */
export function base64Bytes(audio: string): number {
  const padding = audio.endsWith('==') ? 2 : audio.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((audio.length * 3) / 4) - padding);
}

/**
 * A transcription's usage (`conversation.item.input_audio_transcription.completed`'s `usage`): tokens
 * (`{ type: 'tokens', input_tokens, output_tokens, input_token_details: { audio_tokens, text_tokens } }`,
 * audio input at the model's audio rate; without details every input token is audio, the input being
 * audio) or seconds (`{ type: 'duration', seconds }`, `whisper-1`).
 */
export function usageFromTranscription(usage: unknown): BillableUsage | undefined {
  if (!isObject(usage)) return undefined;
  if (usage.type === 'duration' || (usage.input_tokens === undefined && typeof usage.seconds === 'number')) {
    const seconds = nonNegative(usage.seconds);
    return seconds === undefined
      ? undefined
      : { inputTokens: 0, outputTokens: 0, audioInputSeconds: seconds, raw: usage };
  }
  const input = nonNegative(usage.input_tokens);
  const output = nonNegative(usage.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const details = isObject(usage.input_token_details) ? usage.input_token_details : undefined;
  const audio = details ? (nonNegative(details.audio_tokens) ?? 0) : input;
  return {
    inputTokens: input,
    outputTokens: output,
    ...(audio > 0 ? { audioInputTokens: Math.min(audio, input) } : {}),
    raw: usage,
  };
}

function nonNegative(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
