import type { EmbeddingModelV4 } from '@ai-sdk/provider';
import { currentGovernor, estimateInputTokens } from '@genops/core/adapter';
import { type EmbeddingModelMiddleware, wrapEmbeddingModel } from 'ai';
import { convertVercelEmbeddingUsage } from './convert-vercel-usage';
import { mapVercelProvider } from './map-vercel-provider';

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
    async wrapEmbed({ doEmbed, params, model }) {
      const governor = currentGovernor();
      if (!governor) return doEmbed();
      const values = Array.isArray(params.values) ? params.values : [];
      const call = await governor.begin({
        provider: options.provider ?? mapVercelProvider(model.provider),
        operation: 'embeddings',
        model: model.modelId,
        method: 'doEmbed',
        stream: false,
        maxOutputTokens: 0,
        estimatedInputTokens: estimateInputTokens(values),
        requestAttributes: {
          ...(typeof params.dimensions === 'number' ? { 'gen_ai.embeddings.dimension.count': params.dimensions } : {}),
        },
        text: () => values,
        editable: { model: false, text: true },
        content: () => ({ input: values }),
      });
      let result: Awaited<ReturnType<EmbeddingModelV4['doEmbed']>>;
      try {
        const rewrite = call.edits?.text;
        result = await call.runInContext(() =>
          rewrite ? model.doEmbed({ ...params, values: values.map(rewrite) }) : doEmbed(),
        );
      } catch (error) {
        await call.fail(error);
        throw error;
      }
      await call.end({ usage: convertVercelEmbeddingUsage(result.usage) });
      return result;
    },
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
