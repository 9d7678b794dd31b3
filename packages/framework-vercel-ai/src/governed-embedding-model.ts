import { type EmbeddingModelMiddleware, wrapEmbeddingModel } from 'ai';
import { governVercelEmbed } from './govern-vercel-call';

/** Options of {@link genopsEmbeddingMiddleware} and {@link governedEmbeddingModel}. */
export interface GenOpsEmbeddingMiddlewareOptions {
  /** `gen_ai.provider.name` of the calls. Default: mapped from the model's AI SDK provider id (`openai.embedding` → `openai`). */
  provider?: string;
}

/**
 * A `wrapEmbeddingModel` middleware that governs each `doEmbed` call (`embed`, `embedMany`, one call
 * per chunk the AI SDK sends) as one `embeddings {model}` unit, priced from the `usage.tokens` the
 * provider reports. The values are read by content rules and redacted before they are sent when a
 * redact rule asks for it.
 */
export function genopsEmbeddingMiddleware(options: GenOpsEmbeddingMiddlewareOptions = {}): EmbeddingModelMiddleware {
  return {
    specificationVersion: 'v4',
    wrapEmbed: ({ doEmbed, params, model }) => governVercelEmbed({ model, params, run: doEmbed }, options.provider),
  };
}

/**
 * Wraps an embedding model of the AI SDK (`openai.embedding('text-embedding-3-small')`) with
 * {@link genopsEmbeddingMiddleware}.
 *
 * @example
 * const { embedding } = await embed({ model: governedEmbeddingModel(openai.embedding('text-embedding-3-small')), value: 'hi' });
 */
export function governedEmbeddingModel(
  model: Parameters<typeof wrapEmbeddingModel>[0]['model'],
  options: GenOpsEmbeddingMiddlewareOptions = {},
): ReturnType<typeof wrapEmbeddingModel> {
  return wrapEmbeddingModel({ model, middleware: genopsEmbeddingMiddleware(options) });
}
