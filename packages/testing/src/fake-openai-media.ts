// Wire bodies of the OpenAI endpoints beyond text (images, audio, videos), as the `openai` SDK reads
// them (openai-node 7 `resources/images.ts`, `audio/*.ts`, `videos.ts`).
import type { WireContext } from './fake-openai-wire';
import { randomId } from './fake-openai-wire';

/** Seconds of audio a transcription reports when the reply does not say (`FakeReply.audioSeconds`). */
export const DEFAULT_AUDIO_SECONDS = 12;

/** 1×1 transparent PNG. */
const PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

/** GPT image models report token usage; DALL·E models report none. */
function reportsImageUsage(model: string): boolean {
  return model.startsWith('gpt-image') || model.startsWith('chatgpt-image');
}

function imageUsage(context: WireContext): Record<string, unknown> | undefined {
  if (!context.usage || !reportsImageUsage(context.model)) return undefined;
  const imageInput = context.usage.cachedInput ?? 0;
  return {
    input_tokens: context.usage.input,
    input_tokens_details: { image_tokens: imageInput, text_tokens: context.usage.input - imageInput },
    output_tokens: context.usage.output,
    output_tokens_details: { image_tokens: context.usage.output, text_tokens: 0 },
    total_tokens: context.usage.input + context.usage.output,
  };
}

/** `ImagesResponse` of `POST /v1/images/generations|edits|variations`: one `data` item per image (`n`). */
export function imagesResponse(context: WireContext, params: Record<string, unknown>): unknown {
  const n = typeof params.n === 'number' ? params.n : Number(params.n ?? 1) || 1;
  const gpt = reportsImageUsage(context.model);
  const usage = imageUsage(context);
  return {
    created: context.created,
    data: Array.from({ length: n }, () =>
      gpt || params.response_format === 'b64_json'
        ? { b64_json: PIXEL_PNG }
        : { url: 'https://example.invalid/img.png' },
    ),
    ...(gpt
      ? {
          size: typeof params.size === 'string' && params.size !== 'auto' ? params.size : '1024x1024',
          quality: typeof params.quality === 'string' && params.quality !== 'auto' ? params.quality : 'medium',
          output_format: 'png',
          background: 'opaque',
        }
      : {}),
    ...(usage ? { usage } : {}),
  };
}

/** A streamed generation (`stream: true`): a partial image, then `image_generation.completed` with usage. */
export function imageStreamEvents(context: WireContext, params: Record<string, unknown>, edit: boolean): unknown[] {
  const prefix = edit ? 'image_edit' : 'image_generation';
  const shape = {
    background: 'opaque',
    output_format: 'png',
    quality: typeof params.quality === 'string' ? params.quality : 'medium',
    size: typeof params.size === 'string' ? params.size : '1024x1024',
    created_at: context.created,
  };
  return [
    { type: `${prefix}.partial_image`, b64_json: PIXEL_PNG, partial_image_index: 0, ...shape },
    { type: `${prefix}.completed`, b64_json: PIXEL_PNG, ...shape, usage: imageUsage(context) ?? emptyImageUsage() },
  ];
}

function emptyImageUsage() {
  return {
    input_tokens: 0,
    input_tokens_details: { image_tokens: 0, text_tokens: 0 },
    output_tokens: 0,
    total_tokens: 0,
  };
}

/** The audio bytes of `POST /v1/audio/speech` (an MPEG frame header and silence; the SDK never parses it). */
export function speechAudio(): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(412)]);
}

/** Token usage (gpt-4o-transcribe and mini) or duration usage (whisper-1) of a transcription. */
function transcriptionUsage(context: WireContext, seconds: number): Record<string, unknown> | null {
  if (context.usage === null) return null;
  if (context.model.startsWith('whisper')) return { type: 'duration', seconds };
  const audio = context.usage.input - (context.usage.cachedInput ?? 0);
  return {
    type: 'tokens',
    input_tokens: context.usage.input,
    input_token_details: { audio_tokens: audio, text_tokens: context.usage.input - audio },
    output_tokens: context.usage.output,
    total_tokens: context.usage.input + context.usage.output,
  };
}

/**
 * `POST /v1/audio/transcriptions|translations` by `response_format`: `json` (`{text, usage}`),
 * `verbose_json` (adds `duration`, `language`, `segments`), or the bare text (`text`, `srt`, `vtt`).
 * Translations (whisper-1) report no usage, as the API does.
 */
export function transcriptionBody(
  context: WireContext,
  params: Record<string, unknown>,
  seconds: number,
  translation: boolean,
): { json: unknown } | { text: string } {
  const format = typeof params.response_format === 'string' ? params.response_format : 'json';
  if (format === 'text' || format === 'srt' || format === 'vtt') return { text: context.content };
  const usage = translation ? null : transcriptionUsage(context, seconds);
  const body: Record<string, unknown> = { text: context.content, ...(usage ? { usage } : {}) };
  if (format === 'verbose_json')
    Object.assign(body, {
      task: translation ? 'translate' : 'transcribe',
      language: 'english',
      duration: seconds,
      segments: [],
    });
  return { json: body };
}

/** A streamed transcription: text deltas, then `transcript.text.done` with usage. */
export function transcriptionStreamEvents(context: WireContext, seconds: number): unknown[] {
  return [
    ...context.deltas.map((delta) => ({ type: 'transcript.text.delta', delta })),
    { type: 'transcript.text.done', text: context.content, usage: transcriptionUsage(context, seconds) },
  ];
}

/** The `Video` job `POST /v1/videos` creates (queued). */
export function videoJob(context: WireContext, params: Record<string, unknown>): unknown {
  return {
    id: randomId('video_'),
    object: 'video',
    model: context.model,
    status: 'queued',
    progress: 0,
    created_at: context.created,
    completed_at: null,
    expires_at: null,
    error: null,
    prompt: typeof params.prompt === 'string' ? params.prompt : null,
    remixed_from_video_id: null,
    seconds: typeof params.seconds === 'string' ? params.seconds : '4',
    size: typeof params.size === 'string' ? params.size : '720x1280',
  };
}

/**
 * The text fields of a `multipart/form-data` body (what the SDK sends for uploads), and each file part
 * as `{ filename, bytes }`. Enough for the fields the fake reads; not a general parser.
 */
export function parseMultipart(raw: Buffer, contentType: string): Record<string, unknown> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  const fields: Record<string, unknown> = {};
  if (!marker) return fields;
  const delimiter = Buffer.from(`--${marker}`);
  let start = raw.indexOf(delimiter);
  while (start !== -1) {
    const next = raw.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = raw.subarray(start + delimiter.length + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const content = part.subarray(headerEnd + 4);
      const name = /name="([^"]*)"/.exec(headers)?.[1];
      const filename = /filename="([^"]*)"/.exec(headers)?.[1];
      if (name !== undefined) {
        const value =
          filename !== undefined
            ? { filename, bytes: content.length, content: Buffer.from(content) }
            : content.toString('utf8');
        const key = name.endsWith('[]') ? name.slice(0, -2) : name;
        if (name.endsWith('[]')) fields[key] = [...((fields[key] as unknown[]) ?? []), value];
        else fields[key] = value;
      }
    }
    start = next;
  }
  return fields;
}

/** A stored upload of the fake server (`POST /v1/files`). */
export interface FakeFile {
  id: string;
  filename: string;
  purpose: string;
  content: Buffer;
  createdAt: number;
}

export function fileObject(file: FakeFile): unknown {
  return {
    id: file.id,
    object: 'file',
    bytes: file.content.length,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
  };
}

/**
 * A batch job (`POST /v1/batches`, `GET /v1/batches/{id}`): created `validating`; read back, it has
 * `completed` with the reply's usage as the whole batch's usage (Responses-style token counts).
 */
export function batchObject(
  id: string,
  params: Record<string, unknown>,
  requests: number,
  completed: { usage: WireContext['usage'] } | undefined,
  created: number,
): unknown {
  const usage = completed?.usage;
  return {
    id,
    object: 'batch',
    endpoint: params.endpoint,
    input_file_id: params.input_file_id,
    completion_window: params.completion_window ?? '24h',
    status: completed ? 'completed' : 'validating',
    created_at: created,
    ...(completed ? { completed_at: created + 60, output_file_id: `file-out-${id}` } : {}),
    request_counts: { total: requests, completed: completed ? requests : 0, failed: 0 },
    metadata: params.metadata ?? null,
    ...(usage
      ? {
          usage: {
            input_tokens: usage.input,
            input_tokens_details: { cached_tokens: usage.cachedInput ?? 0 },
            output_tokens: usage.output,
            output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
            total_tokens: usage.input + usage.output,
          },
        }
      : {}),
  };
}

/**
 * A fine-tuning job (`POST /v1/fine_tuning/jobs`, `GET /v1/fine_tuning/jobs/{id}`): created
 * `queued`; read back, `succeeded` with `trained_tokens`.
 */
export function fineTuningJob(
  id: string,
  params: Record<string, unknown>,
  finished: { trained: number | null } | undefined,
  created: number,
): unknown {
  return {
    id,
    object: 'fine_tuning.job',
    model: params.model,
    created_at: created,
    finished_at: finished ? created + 600 : null,
    fine_tuned_model: finished ? `ft:${String(params.model)}:org::${id.slice(-8)}` : null,
    organization_id: 'org-fake',
    result_files: [],
    status: finished ? 'succeeded' : 'queued',
    trained_tokens: finished ? finished.trained : null,
    training_file: params.training_file,
    validation_file: params.validation_file ?? null,
    hyperparameters: { n_epochs: 'auto', batch_size: 'auto', learning_rate_multiplier: 'auto' },
    error: null,
    seed: 42,
  };
}

/** The events of a fine-tuning job (`GET /v1/fine_tuning/jobs/{id}/events`), newest first, as the API lists them. */
export function fineTuningEvents(id: string, created: number, finished: boolean): unknown {
  const event = (suffix: string, at: number, message: string) => ({
    object: 'fine_tuning.job.event',
    id: `ftevent-${id.slice(-12)}${suffix}`,
    created_at: at,
    level: 'info',
    message,
    data: {},
    type: 'message',
  });
  const data = [event('a', created, `Created fine-tuning job: ${id}`)];
  if (finished) data.unshift(event('b', created + 600, 'The job has successfully completed'));
  return { object: 'list', data, has_more: false };
}
