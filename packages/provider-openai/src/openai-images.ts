import {
  type BillableUsage,
  type CallOutcome,
  estimateInputTokens,
  type GovernedRequest,
  type StreamObserver,
} from '@genops/core/adapter';
import { countOf, type EndpointBase, type OpenAIEndpoint } from './openai-endpoint';

/**
 * `images.generate`, `images.edit`, `images.createVariation`. GPT image models report token usage
 * (text and image input tokens, image output tokens) and are priced from it; DALL·E models report none
 * and are priced per image by `<quality>/<size>` from the price data. The reservation holds the token
 * worst case plus, per requested image, the price of its size and quality (the dearest size when the
 * request says `auto` or nothing), which bounds a GPT image model's output tokens too.
 * @see https://platform.openai.com/docs/guides/image-generation#cost-and-latency
 */
export const IMAGE_ENDPOINTS: readonly OpenAIEndpoint[] = [
  imageEndpoint('images.generate', 'generate'),
  imageEndpoint('images.edit', 'edit'),
  imageEndpoint('images.createVariation', 'createVariation'),
];

function imageEndpoint(method: string, key: string): OpenAIEndpoint {
  return {
    method,
    key,
    path: ['images'],
    resource: (OpenAI) => OpenAI?.Images,
    describe: (body, base) => describeOpenAIImageRequest(method, body, base),
    edit: (body, edits) => applyOpenAIImageEdits(body, edits.text),
    outcome: (result, body) => readOpenAIImageResponse(result, body),
    streamObserver: (body) => createOpenAIImageStreamObserver(body),
  };
}

/** The DALL·E default: the API uses `dall-e-2` unless a GPT image parameter is set. */
const DEFAULT_IMAGE_MODEL = 'dall-e-2';

export function describeOpenAIImageRequest(
  method: string,
  body: Record<string, any>,
  base: EndpointBase,
): GovernedRequest {
  const model = typeof body.model === 'string' ? body.model : DEFAULT_IMAGE_MODEL;
  const prompt = typeof body.prompt === 'string' ? body.prompt : undefined;
  const n = countOf(body.n) ?? 1;
  // DALL·E's default size is 1024x1024; GPT image models choose (`auto`): the dearest size is reserved.
  const size =
    typeof body.size === 'string' && body.size !== 'auto'
      ? body.size
      : model.startsWith('dall-e')
        ? '1024x1024'
        : undefined;
  const quality = qualityOf(model, body.quality);
  const inputImages = method === 'images.generate' ? 0 : Array.isArray(body.image) ? body.image.length : 1;
  return {
    ...base,
    operation: 'generate_content',
    model,
    method,
    stream: body.stream === true,
    // The prompt's tokens, and an input image's tokens (a 1024² image is at most ~1,600 tokens at high
    // input fidelity: bound each at 4,096).
    estimatedInputTokens: estimateInputTokens(prompt) + inputImages * 4096,
    units: { images: [{ count: n, ...(size ? { size } : {}), ...(quality ? { quality } : {}) }] },
    requestAttributes: { ...(n !== 1 ? { 'gen_ai.request.choice.count': n } : {}) },
    text: () => (prompt === undefined ? [] : [prompt]),
    editable: { model: false, text: prompt !== undefined },
    content: () => ({ input: prompt }),
  };
}

/** Applies a redaction to the prompt (the only text an image request sends). */
export function applyOpenAIImageEdits(body: Record<string, any>, map: ((text: string) => string) | undefined) {
  return map && typeof body.prompt === 'string' ? { ...body, prompt: map(body.prompt) } : body;
}

/** DALL·E 3 prices by `standard`/`hd` and defaults to `standard`; `auto` means the API chooses. */
function qualityOf(model: string, quality: unknown): string | undefined {
  if (typeof quality === 'string' && quality !== 'auto') return quality;
  return model.startsWith('dall-e-3') ? 'standard' : undefined;
}

/** Token usage when the response has it (GPT image models), else one image per `data` item. */
export function readOpenAIImageResponse(result: any, body: Record<string, any>): CallOutcome {
  const usage = imageUsage(result?.usage) ?? perImageUsage(result, body);
  return {
    usage,
    response: { ...(typeof result?.model === 'string' ? { model: result.model } : {}), finishReasons: [] },
  };
}

/**
 * Images API usage: `input_tokens` (text + image, with `input_tokens_details`), `output_tokens` (the
 * generated image's tokens; `output_tokens_details` splits image and text when present).
 */
export function imageUsage(wire: any): BillableUsage | undefined {
  const input = countOf(wire?.input_tokens);
  const output = countOf(wire?.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const imageIn = countOf(wire?.input_tokens_details?.image_tokens);
  const imageOut = countOf(wire?.output_tokens_details?.image_tokens) ?? output;
  return {
    inputTokens: input,
    outputTokens: output,
    ...(imageIn !== undefined ? { imageInputTokens: imageIn } : {}),
    imageOutputTokens: Math.min(imageOut, output),
    raw: wire,
  };
}

function perImageUsage(result: any, body: Record<string, any>): BillableUsage | undefined {
  if (!Array.isArray(result?.data)) return undefined;
  const model = typeof body.model === 'string' ? body.model : DEFAULT_IMAGE_MODEL;
  const size = typeof result.size === 'string' ? result.size : typeof body.size === 'string' ? body.size : '1024x1024';
  const quality = typeof result.quality === 'string' ? result.quality : qualityOf(model, body.quality);
  return {
    inputTokens: 0,
    outputTokens: 0,
    images: [{ count: result.data.length, size, ...(quality ? { quality } : {}) }],
  };
}

/** A streamed generation (`stream: true`, GPT image models): the `*.completed` event carries usage. */
export function createOpenAIImageStreamObserver(body: Record<string, any>): StreamObserver<any> {
  let completed = 0;
  let usage: BillableUsage | undefined;
  return {
    onChunk(event) {
      if (event?.type !== 'image_generation.completed' && event?.type !== 'image_edit.completed') return;
      completed += 1;
      const read = imageUsage(event.usage);
      if (read) usage = usage ? sumUsage(usage, read) : read;
    },
    outcome: () => ({
      usage: usage ?? (completed > 0 ? perImageUsage({ data: new Array(completed) }, body) : undefined),
      response: { finishReasons: [] },
    }),
  };
}

function sumUsage(a: BillableUsage, b: BillableUsage): BillableUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    imageInputTokens: (a.imageInputTokens ?? 0) + (b.imageInputTokens ?? 0),
    imageOutputTokens: (a.imageOutputTokens ?? 0) + (b.imageOutputTokens ?? 0),
  };
}
