import type { GovernanceError } from '@genops/core';
import {
  type CallOutcome,
  describeToolCall,
  type GovernedCall,
  type Governor,
  safely,
  type ToolCallInfo,
  ToolResultError,
} from '@genops/core/adapter';
import type { LLMResult } from '@langchain/core/outputs';
import { type Context, diag, trace } from '@opentelemetry/api';
import { type DescribeLangChainRequestInput, describeLangChainRequest, modelOf } from './describe-langchain-request';
import { readLangChainResponse } from './read-langchain-response';

// LangChain reports a run's start and its end in different callbacks, so the kit's runGovernedCall (one
// promise from begin to end) does not fit: a run is begun in its start callback and settled in its end or
// error callback, with what is in between kept in the handler's run table.

/** A governed model run between its start and end callbacks. */
export interface LangChainModelCall {
  kind: 'model';
  call: GovernedCall;
  /** The context the run's children start in (the run's span active). */
  context: Context;
  /** Gives up the claim on the SDK call this run makes (see {@link beginLangChainCall}). */
  withdraw: () => void;
  streamed: boolean;
  /**
   * The output count of an Anthropic stream's `message_start` chunk: a placeholder that LangChain adds to
   * the final, cumulative `message_delta` count when it concatenates the chunks (see `usageOfResult`).
   */
  anthropicStartOutput?: number;
  /** An output rule stopped the stream: the run fails with this error whatever LangChain reports. */
  stopped: GovernanceError | undefined;
}

/** A tool run; `call` is `undefined` when it is not governed here. */
export interface LangChainToolCall {
  kind: 'tool';
  call: GovernedCall | undefined;
  context: Context;
}

/**
 * Begins the governed unit of a model run (`handleChatModelStart`, `handleLLMStart`). A denial rejects:
 * with `raiseError`, LangChain rethrows it from the model call before the provider is called. A run that
 * cannot be described runs ungoverned (`undefined`).
 */
export async function beginLangChainCall(
  governor: Governor,
  input: DescribeLangChainRequestInput,
  parent: Context,
  lastText: () => string | undefined,
): Promise<LangChainModelCall | undefined> {
  let request: ReturnType<typeof describeLangChainRequest>;
  let namedModel: string | undefined;
  try {
    namedModel = modelOf(input);
    request = describeLangChainRequest(input);
  } catch (error) {
    diag.warn('genops: could not describe a LangChain model run; it runs ungoverned', error);
    return undefined;
  }
  const call = await governor.begin(request, { parent });
  // LangChain sends the request once its start callbacks return: from here the call may be billed.
  call.markSent();
  // The SDK call the integration makes next (ChatOpenAI → openai) is this unit seen one layer down: an
  // SDK adapter that is also enabled must not govern it a second time.
  const withdraw =
    safely(() => {
      const text = lastText();
      if (namedModel === undefined && text === undefined) return undefined;
      return call.adoptNextCall({
        ...(namedModel !== undefined ? { model: namedModel } : {}),
        ...(text ? { text } : {}),
      });
    }, 'LangChain SDK call claim') ?? (() => {});
  return {
    kind: 'model',
    call,
    context: trace.setSpan(parent, call.span),
    withdraw,
    streamed: false,
    stopped: undefined,
  };
}

/**
 * Settles a model run from `handleLLMEnd` (`result`), `handleLLMError` (`error`), or a stream whose
 * consumer stopped reading (`abandoned`: no usage arrived, so it settles at its reservation, flagged
 * incomplete).
 */
export async function settleLangChainCall(
  run: LangChainModelCall,
  ending: { result: LLMResult } | { error: unknown } | { abandoned: true },
): Promise<void> {
  run.withdraw();
  await settle('model run', () => {
    if ('abandoned' in ending) return run.call.end({ incomplete: true });
    if ('error' in ending) return run.call.fail(run.stopped ?? ending.error, partialOfLangChainError(ending.error));
    const outcome = readLangChainResponse(ending.result, run.anthropicStartOutput);
    return run.stopped ? run.call.fail(run.stopped, outcome) : run.call.end(outcome);
  });
}

/**
 * What a failed model run leaves to settle. The provider SDKs under LangChain's chat models throw their
 * own API errors for non-2xx statuses; a `SyntaxError` is a 2xx response whose body could not be parsed:
 * the provider answered and may have billed the call, so it settles from its reservation, flagged
 * incomplete (`{}`), as every other route does.
 */
function partialOfLangChainError(error: unknown): CallOutcome | undefined {
  return error instanceof SyntaxError ? {} : undefined;
}

/** Begins a tool run's `execute_tool` unit. A denial rejects, and with `raiseError` the tool does not run. */
export async function beginLangChainToolCall(
  governor: Governor,
  tool: ToolCallInfo,
  parent: Context,
): Promise<LangChainToolCall> {
  const call = await governor.begin(describeToolCall(tool), { parent });
  return { kind: 'tool', call, context: trace.setSpan(parent, call.span) };
}

/** Settles a tool run from `handleToolEnd` (`output`) or `handleToolError` (`error`). */
export async function settleLangChainToolCall(
  run: LangChainToolCall,
  ending: { output: unknown } | { error: unknown },
): Promise<void> {
  const call = run.call;
  if (!call) return;
  await settle('tool run', () => {
    if ('error' in ending) return call.fail(ending.error);
    // A ToolMessage with status "error" is a failed tool call that did not throw.
    if ((ending.output as { status?: unknown } | undefined)?.status === 'error')
      return call.fail(new ToolResultError('tool returned an error result'));
    return call.end({});
  });
}

/** Settlement runs in a LangChain callback: an error in it is logged, never thrown into the chain. */
async function settle(what: string, settleCall: () => Promise<void>): Promise<void> {
  try {
    await settleCall();
  } catch (error) {
    diag.warn(`genops: could not settle a LangChain ${what}`, error);
  }
}
