import type { BillableUsage, CallOutcome, GovernedRequest } from '@genops/core/adapter';
import type { EndpointBase, OpenAIEndpoint } from './openai-endpoint';

/**
 * `videos.create` (Sora): priced per second of video at the model's rate for the requested size
 * (`units.videoSecond`, `units.videoSecondBySize` in the price data). The reservation is the requested
 * length (4 seconds when unset, the API's default) at that rate; the unit settles when the job is
 * created, from the job's own `seconds` and `size` (a render that later fails is still charged: GenOps
 * does not watch the job). `edit`, `extend` and `remix` take their length from a source video GenOps
 * does not know: they stay ungoverned (a `GENOPS_UNGOVERNED` warning).
 * @see https://platform.openai.com/docs/pricing#video
 */
export const VIDEO_ENDPOINTS: readonly OpenAIEndpoint[] = [
  {
    method: 'videos.create',
    key: 'create',
    path: ['videos'],
    resource: (OpenAI) => OpenAI?.Videos,
    describe: (body, base) => describeOpenAIVideoRequest(body, base),
    edit: (body, edits) =>
      edits.text && typeof body.prompt === 'string' ? { ...body, prompt: edits.text(body.prompt) } : body,
    outcome: (result, body) => readOpenAIVideoResponse(result, body),
  },
];

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
