import type { EmbeddingModelV4, LanguageModelV4GenerateResult, LanguageModelV4StreamResult } from '@ai-sdk/provider';
import {
  currentGovernor,
  endpointOf,
  type GovernedCall,
  type GovernedSend,
  recordDeniedToolCall,
  runGovernedCall,
  startGovernedCall,
} from '@genops/core/adapter';
import { findDeniedToolCall } from './check-tool-calls';
import { describeVercelEmbeddingRequest, describeVercelRequest } from './describe-vercel-request';
import { governVercelStream } from './govern-vercel-stream';
import {
  partialOfVercelError,
  readVercelEmbeddingResponse,
  readVercelResponse,
  toolCallsOf,
} from './read-vercel-response';
import type { GenOpsMiddlewareOptions } from './types';
import { applyVercelEdits, applyVercelEmbeddingEdits, type VercelModelCall } from './vercel-request-text';

/** What a `wrapGenerate` / `wrapStream` hook receives, as far as GenOps uses it. */
interface LanguageModelCall<Result> extends VercelModelCall {
  /** The next layer's call with the params as written. */
  run(): PromiseLike<Result>;
}

type EmbedParams = Parameters<EmbeddingModelV4['doEmbed']>[0];
type EmbedResult = Awaited<ReturnType<EmbeddingModelV4['doEmbed']>>;

/**
 * How a language-model call is sent: as written through the next layer, or edited (redacted prompt,
 * downgraded model) to the (downgraded) model's next layer. A 2xx the provider package could not parse
 * settles from the reservation.
 */
function sendOf<Result>(
  input: LanguageModelCall<Result>,
  options: GenOpsMiddlewareOptions,
  method: 'doGenerate' | 'doStream',
): GovernedSend<VercelModelCall, Result> {
  return {
    input,
    edit: (call, edits) => applyVercelEdits(call, edits, options.modelFor),
    execute: (sent) => (sent === input ? input.run() : (sent.model[method](sent.params) as PromiseLike<Result>)),
    partial: partialOfVercelError,
  };
}

/**
 * `wrapGenerate`: one governed `chat {model}` unit. With `toolProvider` set, a tool call in the
 * result that the policy denies fails the generation before the AI SDK runs it.
 */
export async function governVercelGenerate(
  input: LanguageModelCall<LanguageModelV4GenerateResult>,
  options: GenOpsMiddlewareOptions,
  toolProvider: string | undefined,
): Promise<LanguageModelV4GenerateResult> {
  const governor = currentGovernor();
  if (!governor) return input.run();
  let denied: ReturnType<typeof findDeniedToolCall>;
  const result = await runGovernedCall<VercelModelCall, LanguageModelV4GenerateResult>(
    governor,
    describe(input, options, false),
    {
      ...sendOf(input, options, 'doGenerate'),
      outcome: (result, call) => {
        recordServer(call, result.request?.url);
        if (toolProvider !== undefined)
          denied = findDeniedToolCall(governor, call.attribution, toolCallsOf(result.content), toolProvider);
        return readVercelResponse(result);
      },
    },
  );
  // The model asked for a tool the policy denies: the generation fails before the AI SDK runs it.
  if (denied) throw await recordDeniedToolCall(governor, denied);
  return result;
}

/** `wrapStream`: one governed unit, settled by {@link governVercelStream} as the parts pass. */
export async function governVercelStreamCall(
  input: LanguageModelCall<LanguageModelV4StreamResult>,
  options: GenOpsMiddlewareOptions,
  toolProvider: string | undefined,
): Promise<LanguageModelV4StreamResult> {
  const governor = currentGovernor();
  if (!governor) return input.run();
  const { call, sent: result } = await startGovernedCall<VercelModelCall, LanguageModelV4StreamResult>(
    governor,
    describe(input, options, true),
    sendOf(input, options, 'doStream'),
  );
  recordServer(call, result.request?.url);
  return { ...result, stream: governVercelStream(call, result.stream, { governor, toolProvider }) };
}

/** `wrapEmbed`: one governed `embeddings {model}` unit, priced from the reported `usage.tokens`. */
export async function governVercelEmbed(
  input: { model: EmbeddingModelV4; params: EmbedParams; run(): PromiseLike<EmbedResult> },
  provider: string | undefined,
): Promise<EmbedResult> {
  const governor = currentGovernor();
  if (!governor) return input.run();
  return runGovernedCall<EmbedParams, EmbedResult>(
    governor,
    describeVercelEmbeddingRequest(input.model, input.params, { provider }),
    {
      input: input.params,
      edit: applyVercelEmbeddingEdits,
      execute: (sent) => (sent === input.params ? input.run() : input.model.doEmbed(sent)),
      partial: partialOfVercelError,
      outcome: readVercelEmbeddingResponse,
    },
  );
}

function describe(input: VercelModelCall, options: GenOpsMiddlewareOptions, stream: boolean) {
  return describeVercelRequest(input.model, input.params, {
    stream,
    provider: options.provider,
    editableModel: options.modelFor !== undefined,
  });
}

/** `server.address` / `server.port` from the endpoint the provider package reports it called. */
function recordServer(call: GovernedCall, url: string | undefined): void {
  const { serverAddress, serverPort } = endpointOf(url);
  if (serverAddress) call.span.setAttribute('server.address', serverAddress);
  if (serverPort !== undefined) call.span.setAttribute('server.port', serverPort);
}
