import { type LanguageModelMiddleware, wrapLanguageModel } from 'ai';
import { governVercelGenerate, governVercelStreamCall } from './govern-vercel-call';
import type { GenOpsMiddlewareOptions, VercelLanguageModel } from './types';

/** `gen_ai.provider.name` of tool-call units unless the options say otherwise. */
export const DEFAULT_TOOL_PROVIDER = 'vercel.ai';

/**
 * A `wrapLanguageModel` middleware that governs every call the AI SDK makes to the model
 * (`generateText`, `streamText`, `generateObject`, `streamObject`, agents): policy rules, budgets,
 * rate limits and approvals decide before the provider is called, and a denial throws the typed
 * `GovernanceError` without calling it; the call's exact cost is settled from the usage the provider
 * reports, and each call is one `chat {model}` span. Without a running `GenOps.init()`, calls pass
 * through untouched.
 *
 * @example
 * const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: genopsMiddleware() });
 */
export function genopsMiddleware(options: GenOpsMiddlewareOptions = {}): LanguageModelMiddleware {
  const toolProvider = options.checkToolCalls === false ? undefined : (options.toolProvider ?? DEFAULT_TOOL_PROVIDER);

  return {
    specificationVersion: 'v4',
    wrapGenerate: ({ doGenerate, params, model }) =>
      governVercelGenerate({ model, params, run: doGenerate }, options, toolProvider),
    wrapStream: ({ doStream, params, model }) =>
      governVercelStreamCall({ model, params, run: doStream }, options, toolProvider),
  };
}

/**
 * Wraps a model of the AI SDK (`openai('gpt-4o')`, `anthropic('claude-sonnet-4-5')`, ...) with
 * {@link genopsMiddleware}: `wrapLanguageModel({ model, middleware: genopsMiddleware(options) })`.
 *
 * @example
 * const model = governedModel(openai('gpt-4o'));
 * const { text } = await generateText({ model, prompt: 'Hello' });
 */
export function governedModel(
  model: Parameters<typeof wrapLanguageModel>[0]['model'],
  options: GenOpsMiddlewareOptions = {},
): VercelLanguageModel {
  return wrapLanguageModel({ model, middleware: genopsMiddleware(options) });
}
