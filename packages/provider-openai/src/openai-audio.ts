import { stat } from 'node:fs/promises';
import {
  type BillableUsage,
  type CallOutcome,
  estimateInputTokens,
  type GovernedRequest,
  type StreamObserver,
} from '@genops/core/adapter';
import { countOf, type EndpointBase, type OpenAIEndpoint } from './openai-endpoint';

/**
 * `audio.speech.create` (text to speech), `audio.transcriptions.create` and `audio.translations.create`
 * (speech to text), each priced the way its model is:
 * - `tts-1`, `tts-1-hd`: per input character, counted from the request (the text is never recorded).
 *   Other speech models (`gpt-4o-mini-tts`) bill audio output tokens the response does not report (its
 *   body is the audio the app reads): they settle at the reservation, flagged incomplete.
 * - `whisper-1`: per second of input audio, from the response's `usage.seconds` (or `duration` in
 *   `verbose_json`); `gpt-4o(-mini)-transcribe`: from `usage` tokens (audio input tokens at the audio rate).
 *   A `text`/`srt`/`vtt` response carries neither: settled at the reservation, flagged incomplete.
 * Reservation for speech to text: the audio's duration is bounded from the file's size at 8 kbit/s
 * (1,000 bytes a second, below any speech codec the API accepts at useful quality), or from the API's
 * 25 MB upload limit when the size cannot be read; token-priced models reserve 20 audio tokens per second
 * of that bound (the API bills about 17).
 * @see https://platform.openai.com/docs/pricing#transcription-and-speech-generation
 */
export const AUDIO_ENDPOINTS: readonly OpenAIEndpoint[] = [
  {
    method: 'audio.speech.create',
    key: 'create',
    path: ['audio', 'speech'],
    resource: (OpenAI) => OpenAI?.Audio?.Speech,
    describe: (body, base) => describeOpenAISpeechRequest(body, base),
    edit: (body, edits) =>
      edits.text && typeof body.input === 'string' ? { ...body, input: edits.text(body.input) } : body,
    outcome: (_result, body) => readOpenAISpeechResponse(body),
  },
  transcriptionEndpoint(
    'audio.transcriptions.create',
    ['audio', 'transcriptions'],
    (OpenAI) => OpenAI?.Audio?.Transcriptions,
  ),
  transcriptionEndpoint(
    'audio.translations.create',
    ['audio', 'translations'],
    (OpenAI) => OpenAI?.Audio?.Translations,
  ),
];

/** Upload limit of the audio endpoints (bytes). */
const MAX_AUDIO_BYTES = 25 * 1024 * 1024;
/** Lowest bitrate assumed when bounding an upload's duration: 8 kbit/s. */
const MIN_AUDIO_BYTES_PER_SECOND = 1000;
/** Audio input tokens per second reserved for token-priced transcription models. */
const AUDIO_TOKENS_PER_SECOND = 20;
/** Generated speech tokens per input character reserved at speed 1 (≈15 characters and ≈21 tokens a second). */
const SPEECH_TOKENS_PER_CHARACTER = 1.5;

/** Speech models billed per input character. */
function billedPerCharacter(model: string): boolean {
  return model.startsWith('tts-1');
}

export function describeOpenAISpeechRequest(body: Record<string, any>, base: EndpointBase): GovernedRequest {
  const model = typeof body.model === 'string' ? body.model : 'unknown-model';
  const input = typeof body.input === 'string' ? body.input : '';
  const characters = characterCount(input);
  const speed = Math.min(4, Math.max(0.25, countOf(body.speed) ?? 1));
  return {
    ...base,
    operation: 'generate_content',
    model,
    method: 'audio.speech.create',
    estimatedInputTokens: estimateInputTokens(input) + estimateInputTokens(body.instructions),
    ...(billedPerCharacter(model)
      ? { maxOutputTokens: 0 }
      : { maxOutputTokens: Math.ceil((characters * SPEECH_TOKENS_PER_CHARACTER) / speed) }),
    units: { characters },
    requestAttributes: {},
    text: () => [input],
    editable: { model: false, text: true },
    content: () => ({ input, system: body.instructions }),
  };
}

/** Per-character models: the characters sent. Others: nothing readable (the body is audio). */
export function readOpenAISpeechResponse(body: Record<string, any>): CallOutcome {
  const model = typeof body.model === 'string' ? body.model : '';
  if (!billedPerCharacter(model)) return { incomplete: true };
  const usage: BillableUsage = {
    inputTokens: 0,
    outputTokens: 0,
    characters: characterCount(typeof body.input === 'string' ? body.input : ''),
  };
  return { usage, response: { finishReasons: [] } };
}

/** Unicode code points: what "characters" means on OpenAI's price list. */
function characterCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}

function transcriptionEndpoint(
  method: string,
  path: readonly string[],
  resource: (OpenAI: any) => any,
): OpenAIEndpoint {
  return {
    method,
    key: 'create',
    path,
    resource,
    describe: (body, base) => describeOpenAITranscriptionRequest(method, body, base),
    outcome: (result) => readOpenAITranscriptionResponse(result),
    streamObserver: () => createOpenAITranscriptionStreamObserver(),
  };
}

export async function describeOpenAITranscriptionRequest(
  method: string,
  body: Record<string, any>,
  base: EndpointBase,
): Promise<GovernedRequest> {
  const model = typeof body.model === 'string' ? body.model : 'unknown-model';
  const bytes = (await uploadSize(body.file)) ?? MAX_AUDIO_BYTES;
  const seconds = Math.ceil(Math.min(bytes, MAX_AUDIO_BYTES) / MIN_AUDIO_BYTES_PER_SECOND);
  const prompt = typeof body.prompt === 'string' ? body.prompt : undefined;
  return {
    ...base,
    operation: 'generate_content',
    model,
    method,
    stream: body.stream === true,
    estimatedInputTokens: seconds * AUDIO_TOKENS_PER_SECOND + estimateInputTokens(prompt),
    units: { audioInputSeconds: seconds },
    requestAttributes: {},
    text: () => (prompt === undefined ? [] : [prompt]),
    editable: { model: false, text: false },
    content: () => ({ input: prompt }),
  };
}

/** The size of an upload when it can be read without consuming it: a `File`/`Blob`, a buffer, a file stream's path. */
async function uploadSize(file: any): Promise<number | undefined> {
  if (!file || typeof file !== 'object') return undefined;
  if (typeof file.size === 'number') return file.size;
  if (typeof file.byteLength === 'number') return file.byteLength;
  if (typeof file.path === 'string') {
    try {
      return (await stat(file.path)).size;
    } catch {
      return undefined;
    }
  }
  const length = Number(file.headers?.get?.('content-length'));
  return Number.isFinite(length) && length > 0 ? length : undefined;
}

/**
 * `usage` of a transcription: `{ type: 'tokens', input_tokens, input_token_details: { audio_tokens,
 * text_tokens }, output_tokens }` (token-priced models) or `{ type: 'duration', seconds }` (whisper-1);
 * a `verbose_json` response also has `duration`. A plain-text response has none.
 */
export function readOpenAITranscriptionResponse(result: any): CallOutcome {
  const usage = transcriptionUsage(result?.usage) ?? durationUsage(result?.duration);
  return usage ? { usage, response: { finishReasons: [] } } : { incomplete: true };
}

function transcriptionUsage(wire: any): BillableUsage | undefined {
  if (wire?.type === 'duration') return durationUsage(wire.seconds);
  const input = countOf(wire?.input_tokens);
  const output = countOf(wire?.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const audio = countOf(wire?.input_token_details?.audio_tokens);
  return {
    inputTokens: input,
    outputTokens: output,
    ...(audio !== undefined ? { audioInputTokens: Math.min(audio, input) } : {}),
    raw: wire,
  };
}

function durationUsage(seconds: unknown): BillableUsage | undefined {
  const value = countOf(seconds);
  return value === undefined ? undefined : { inputTokens: 0, outputTokens: 0, audioInputSeconds: value };
}

/** A streamed transcription: `transcript.text.done` carries the usage. */
export function createOpenAITranscriptionStreamObserver(): StreamObserver<any> {
  let usage: BillableUsage | undefined;
  return {
    onChunk(event) {
      if (event?.type === 'transcript.text.done') usage = transcriptionUsage(event.usage) ?? usage;
    },
    outcome: () => ({ usage, response: { finishReasons: [] } }),
  };
}
