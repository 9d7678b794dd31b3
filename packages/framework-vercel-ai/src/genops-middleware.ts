import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamResult,
} from '@ai-sdk/provider';
import { type CallOutcome, currentGovernor, endpointOf, type GovernedCall } from '@genops/core/adapter';
import { type LanguageModelMiddleware, wrapLanguageModel } from 'ai';
import { findDeniedToolCall, type ModelToolCall, recordDeniedToolCall } from './check-tool-calls';
import { convertVercelUsage } from './convert-vercel-usage';
import { describeVercelRequest } from './describe-vercel-request';
import { finishReasonsOf, governVercelStream } from './govern-vercel-stream';
import type { GenOpsMiddlewareOptions, VercelLanguageModel } from './types';
import { mapPromptText } from './vercel-prompt-text';

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
  const describe = (model: LanguageModelV4, params: LanguageModelV4CallOptions, stream: boolean) =>
    describeVercelRequest(model, params, {
      stream,
      provider: options.provider,
      editableModel: options.modelFor !== undefined,
    });

  return {
    specificationVersion: 'v4',

    async wrapGenerate({ doGenerate, params, model }) {
      const governor = currentGovernor();
      if (!governor) return doGenerate();
      const call = await governor.begin(describe(model, params, false));
      let result: LanguageModelV4GenerateResult;
      try {
        const edited = editedCall(call, model, params, options);
        result = await call.runInContext(() => (edited ? edited.model.doGenerate(edited.params) : doGenerate()));
      } catch (error) {
        await call.fail(error);
        throw error;
      }
      recordServer(call, result.request?.url);
      const denied =
        toolProvider === undefined
          ? undefined
          : findDeniedToolCall(governor, call.attribution, toolCallsOf(result.content), toolProvider);
      await call.end(outcomeOf(result));
      // The model asked for a tool the policy denies: the generation fails before the AI SDK runs it.
      if (denied) throw await recordDeniedToolCall(governor, denied);
      return result;
    },

    async wrapStream({ doStream, params, model }) {
      const governor = currentGovernor();
      if (!governor) return doStream();
      const call = await governor.begin(describe(model, params, true));
      let result: LanguageModelV4StreamResult;
      try {
        const edited = editedCall(call, model, params, options);
        result = await call.runInContext(() => (edited ? edited.model.doStream(edited.params) : doStream()));
      } catch (error) {
        await call.fail(error);
        throw error;
      }
      recordServer(call, result.request?.url);
      return { ...result, stream: governVercelStream(call, result.stream, { governor, toolProvider }) };
    },
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

/**
 * What to call instead when the core asked for changes: the same model (or the downgraded one from
 * `modelFor`) with the redacted prompt. `undefined` when the request goes out as written.
 */
function editedCall(
  call: GovernedCall,
  model: LanguageModelV4,
  params: LanguageModelV4CallOptions,
  options: GenOpsMiddlewareOptions,
): { model: LanguageModelV4; params: LanguageModelV4CallOptions } | undefined {
  const edits = call.edits;
  if (!edits || (!edits.text && !edits.model)) return undefined;
  let target = model;
  if (edits.model && edits.model !== model.modelId) {
    const downgraded = options.modelFor?.(edits.model);
    if (!downgraded)
      throw new Error(
        `genops: the call was downgraded to "${edits.model}", but modelFor() returned no model for it. Return a model for every budget's downgradeTo id.`,
      );
    target = downgraded as LanguageModelV4;
  }
  // `model.doGenerate` is the next layer's (inner middleware or the provider), as `doGenerate()` is.
  const rewrite = edits.text;
  return { model: target, params: rewrite ? { ...params, prompt: mapPromptText(params.prompt, rewrite) } : params };
}

function toolCallsOf(content: LanguageModelV4GenerateResult['content']): ModelToolCall[] {
  return (content ?? []).filter(
    (part): part is Extract<typeof part, { type: 'tool-call' }> => part.type === 'tool-call',
  );
}

function outcomeOf(result: LanguageModelV4GenerateResult): CallOutcome {
  return {
    usage: convertVercelUsage(result.usage),
    response: {
      ...(result.response?.id ? { id: result.response.id } : {}),
      ...(result.response?.modelId ? { model: result.response.modelId } : {}),
      finishReasons: finishReasonsOf(result.finishReason),
      output: () => result.content,
    },
  };
}

/** `server.address` / `server.port` from the endpoint the provider package reports it called. */
function recordServer(call: GovernedCall, url: string | undefined): void {
  const { serverAddress, serverPort } = endpointOf(url);
  if (serverAddress) call.span.setAttribute('server.address', serverAddress);
  if (serverPort !== undefined) call.span.setAttribute('server.port', serverPort);
}
