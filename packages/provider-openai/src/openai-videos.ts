import type { BillableUsage, CallOutcome, GovernedRequest } from '@genops/core/adapter';
import { type EndpointBase, type OpenAIEndpoint, RESOURCE_ID } from './openai-endpoint';

/**
 * `videos.create` (Sora): priced per second of video at the model's rate for the requested size
 * (`units.videoSecond`, `units.videoSecondBySize` in the price data). The reservation is the requested
 * length (4 seconds when unset, the API's default) at that rate; the unit settles when the job is
 * created, from the job's own `seconds` and `size` (a render that later fails is still charged: GenOps
 * does not watch the job).
 * `videos.edit`, `videos.extend` and `videos.remix` make a new video from a source video, at the same
 * per-second rates: the model, size and length come from the source, which the adapter reads first
 * (`GET /videos/{id}`, free); an extension renders the `seconds` it asks for. When the source cannot be
 * read (an uploaded file, a failed read) the reservation is the worst case: the dearest video model and
 * size for the longest length. Each settles from the job it creates, like `create`.
 * @see https://platform.openai.com/docs/pricing#video
 */
export const VIDEO_ENDPOINTS: readonly OpenAIEndpoint[] = [
  {
    method: 'videos.create',
    key: 'create',
    path: ['videos'],
    resource: (OpenAI) => OpenAI?.Videos,
    describe: (body, base) => describeOpenAIVideoRequest(body, base),
    edit: editPrompt,
    outcome: (result, body) => readOpenAIVideoResponse(result, body),
  },
  ...(['edit', 'extend', 'remix'] as const).map(
    (key): OpenAIEndpoint => ({
      method: `videos.${key}`,
      key,
      path: ['videos'],
      resource: (OpenAI) => OpenAI?.Videos,
      describe: (body, base, client) => describeVideoFromSource(key, body, base, client),
      edit: editPrompt,
      // An extension renders what it asked for; an edit or remix, the job's length.
      outcome: (result, body) =>
        readOpenAIVideoResponse(
          key === 'extend' ? { ...result, seconds: body.seconds ?? result?.seconds } : result,
          body,
        ),
      ...(key === 'remix' ? { leadingId: true as const } : {}),
    }),
  ),
];

function editPrompt(body: Record<string, any>, edits: { text?: (text: string) => string }): Record<string, any> {
  return edits.text && typeof body.prompt === 'string' ? { ...body, prompt: edits.text(body.prompt) } : body;
}

/** The worst case of a video GenOps cannot read: the dearest model and size, the longest length. */
const WORST_VIDEO = { model: 'sora-2-pro', size: '1792x1024', seconds: 12 };

/** An edit, extension or remix: described from its source video, read with the client first. */
async function describeVideoFromSource(
  key: 'edit' | 'extend' | 'remix',
  body: Record<PropertyKey, any>,
  base: EndpointBase,
  client: any,
): Promise<GovernedRequest> {
  const id = key === 'remix' ? body[RESOURCE_ID] : body.video?.id;
  let source: any;
  if (typeof id === 'string' && typeof client?.videos?.retrieve === 'function') {
    try {
      source = await client.videos.retrieve(id);
    } catch {
      source = undefined;
    }
  }
  const known = typeof source?.model === 'string';
  const request = describeOpenAIVideoRequest(
    {
      prompt: body.prompt,
      model: known ? source.model : WORST_VIDEO.model,
      size: known ? (source.size ?? DEFAULT_VIDEO_SIZE) : WORST_VIDEO.size,
      seconds:
        key === 'extend'
          ? body.seconds
          : known
            ? (secondsOf(source.seconds) ?? WORST_VIDEO.seconds)
            : WORST_VIDEO.seconds,
    },
    base,
  );
  return { ...request, method: `videos.${key}` };
}

const DEFAULT_VIDEO_MODEL = 'sora-2';
const DEFAULT_VIDEO_SECONDS = 4;
const DEFAULT_VIDEO_SIZE = '720x1280';

export function describeOpenAIVideoRequest(body: Record<string, any>, base: EndpointBase): GovernedRequest {
  const prompt = typeof body.prompt === 'string' ? body.prompt : '';
  return {
    ...base,
    operation: 'generate_content',
    model: typeof body.model === 'string' ? body.model : DEFAULT_VIDEO_MODEL,
    method: 'videos.create',
    estimatedInputTokens: 0,
    maxOutputTokens: 0,
    units: { videoSeconds: secondsOf(body.seconds) ?? DEFAULT_VIDEO_SECONDS, videoSize: sizeOf(body.size) },
    requestAttributes: {},
    text: () => [prompt],
    editable: { model: false, text: true },
    content: () => ({ input: prompt }),
  };
}

export function readOpenAIVideoResponse(result: any, body: Record<string, any>): CallOutcome {
  const usage: BillableUsage = {
    inputTokens: 0,
    outputTokens: 0,
    videoSeconds: secondsOf(result?.seconds) ?? secondsOf(body.seconds) ?? DEFAULT_VIDEO_SECONDS,
    videoSize: sizeOf(result?.size ?? body.size),
  };
  return {
    usage,
    response: {
      ...(typeof result?.id === 'string' ? { id: result.id } : {}),
      ...(typeof result?.model === 'string' ? { model: result.model } : {}),
      finishReasons: typeof result?.status === 'string' ? [result.status] : [],
    },
  };
}

/** `seconds` is a string on the wire (`'4'`, `'8'`, `'12'`). */
function secondsOf(value: unknown): number | undefined {
  const seconds = typeof value === 'string' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

function sizeOf(value: unknown): string {
  return typeof value === 'string' ? value : DEFAULT_VIDEO_SIZE;
}
