import { type GovernanceError, semconv } from '@genops/core';
import {
  currentGovernor,
  describeToolCall,
  errorTypeOf,
  type GovernedCall,
  type GovernedRequest,
  ToolResultError,
} from '@genops/core/adapter';
import type { AgentAction } from '@langchain/core/agents';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import {
  type Context,
  context,
  diag,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { responseOfResult, usageOfResult } from './convert-langchain-usage';
import { describeLangChainRequest, type LangChainModelRun, messageTexts, modelOf } from './describe-langchain-request';
import { middlewareToolContext } from './tool-call-registry';
import { VERSION } from './version';

/** Options of {@link GenOpsCallbackHandler}. */
export interface GenOpsCallbackHandlerOptions {
  /**
   * `gen_ai.provider.name` for every model run this handler sees, instead of the one read from the
   * model's class (`ChatOpenAI` → `openai`, ...). Useful for custom models and OpenAI-compatible gateways.
   */
  provider?: string;
  /** Model id for runs that name none (fake and custom models); budgets and prices use it. */
  model?: string;
  /**
   * Where chain and agent spans go. Default: where GenOps' own spans go (the `tracerProvider` given to
   * `GenOps.init()`, else the global one).
   */
  tracerProvider?: TracerProvider;
  /** Record chains and agents as `invoke_workflow {name}` / `invoke_agent {name}` spans. Default `true`. */
  chainSpans?: boolean;
  /** Govern tool runs as `execute_tool {name}` units (tool rules, rate limits, call budgets). Default `true`. */
  governTools?: boolean;
  /** `gen_ai.provider.name` of tool units. Default `langchain`. */
  toolProvider?: string;
}

/** `gen_ai.agent.name` (semconv v1.41.1). */
const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
/** Tag LangChain and LangGraph put on internal runs that tracers should not show. */
const HIDDEN_TAG = 'langsmith:hidden';

type RunState =
  | { kind: 'chain'; span: Span | undefined; context: Context }
  | {
      kind: 'model';
      call: GovernedCall;
      context: Context;
      withdraw: () => void;
      streamed: boolean;
      stopped: GovernanceError | undefined;
    }
  | { kind: 'tool'; call: GovernedCall | undefined; context: Context };

/**
 * Governs LangChain.js model, tool and chain runs through their callbacks. Before a chat model or LLM
 * calls its provider, the run is checked by policy, budgets, rate limits and approvals; a denial is
 * thrown out of the model call (`raiseError: true`), so the provider is never called. After the run,
 * usage from `usage_metadata` settles the exact cost. Tool runs are governed as `execute_tool` units,
 * and chains and agents become parent spans of the calls they make.
 *
 * A callback cannot change the request LangChain sends, so a budget's `downgrade` action does not apply
 * here and a content rule with `action: redact` denies the call instead of rewriting it.
 *
 * @example
 * const handler = new GenOpsCallbackHandler();
 * await chain.invoke({ topic: 'otters' }, { callbacks: [handler] });
 */
export class GenOpsCallbackHandler extends BaseCallbackHandler {
  /** Also the key LangChain de-duplicates handlers by (an explicit and a registered handler run once). */
  name = 'GenOpsCallbackHandler';
  private readonly options: GenOpsCallbackHandlerOptions;
  private readonly runs = new Map<string, RunState>();
  private tracerInstance: Tracer | undefined;

  constructor(options: GenOpsCallbackHandlerOptions = {}) {
    // raiseError: a governance denial thrown from a start callback must reach the caller; it also makes
    // LangChain await this handler (LANGCHAIN_CALLBACKS_BACKGROUND does not background it).
    super({ raiseError: true });
    this.options = options;
  }

  private get tracer(): Tracer {
    if (this.options.tracerProvider)
      return (this.tracerInstance ??= this.options.tracerProvider.getTracer('@genops/framework-langchain', VERSION));
    // GenOps' own tracer, so chain spans go where the governed calls' spans go.
    return currentGovernor()?.tracer ?? trace.getTracer('@genops/framework-langchain', VERSION);
  }

  /** Runs in flight (for tests and diagnostics). */
  get openRuns(): number {
    return this.runs.size;
  }

  /** The context a child of `parentRunId` starts in: its parent's span, else the active context. */
  private parentContext(parentRunId: string | undefined): Context {
    return (parentRunId ? this.runs.get(parentRunId)?.context : undefined) ?? context.active();
  }

  override async handleChatModelStart(
    llm: LangChainModelRun['llm'],
    messages: BaseMessage[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    const all = messages.flat();
    await this.startModelRun(runId, parentRunId, { llm, extraParams, metadata, messages: all }, () => {
      const last = all.at(-1);
      return last ? messageTexts(last).at(-1) : undefined;
    });
  }

  override async handleLLMStart(
    llm: LangChainModelRun['llm'],
    prompts: string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    await this.startModelRun(runId, parentRunId, { llm, extraParams, metadata, prompts }, () => prompts.at(-1));
  }

  private async startModelRun(
    runId: string,
    parentRunId: string | undefined,
    input: {
      llm: LangChainModelRun['llm'];
      extraParams: Record<string, unknown> | undefined;
      metadata: Record<string, unknown> | undefined;
      messages?: BaseMessage[];
      prompts?: string[];
    },
    lastText: () => string | undefined,
  ): Promise<void> {
    const governor = currentGovernor();
    if (!governor) return;
    let request: GovernedRequest;
    let namedModel: string | undefined;
    try {
      const run: LangChainModelRun = {
        llm: input.llm,
        invocationParams: input.extraParams?.invocation_params as Record<string, unknown> | undefined,
        metadata: input.metadata,
      };
      namedModel = modelOf(run);
      request = describeLangChainRequest({
        ...run,
        ...(input.messages ? { messages: input.messages } : { prompts: input.prompts ?? [] }),
        provider: this.options.provider,
        fallbackModel: this.options.model,
      });
    } catch (error) {
      diag.warn('genops: could not describe a LangChain model run; it runs ungoverned', error);
      return;
    }
    const parent = this.parentContext(parentRunId);
    // A denial rejects here; with raiseError LangChain rethrows it from the model call, before the provider.
    const call = await governor.begin(request, { parent });
    let withdraw: () => void = () => {};
    try {
      // The SDK call the integration makes next (ChatOpenAI → openai) is this unit seen one layer down:
      // an SDK adapter that is also enabled must not govern it a second time.
      const text = lastText();
      if (namedModel !== undefined || text !== undefined)
        withdraw = call.adoptNextCall({
          ...(namedModel !== undefined ? { model: namedModel } : {}),
          ...(text ? { text } : {}),
        });
    } catch (error) {
      diag.warn('genops: could not claim the SDK call of a LangChain model run', error);
    }
    this.runs.set(runId, {
      kind: 'model',
      call,
      context: trace.setSpan(parent, call.span),
      withdraw,
      streamed: false,
      stopped: undefined,
    });
  }

  override handleLLMNewToken(
    token: string,
    _indices: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: { chunk?: unknown },
  ): void {
    const run = this.runs.get(runId);
    if (run?.kind !== 'model') return;
    if (!run.streamed) {
      run.streamed = true;
      run.call.firstChunk();
      safely(() => run.call.span.setAttribute(semconv.ATTR_GEN_AI_REQUEST_STREAM, true));
    }
    const text = token || textOfChunk(fields?.chunk);
    if (!text || run.stopped) return;
    const error = run.call.checkOutput(text);
    if (error) {
      // Thrown out of the integration's stream loop (raiseError), which ends the stream with it.
      run.stopped = error;
      throw error;
    }
  }

  override async handleLLMEnd(output: LLMResult, runId: string): Promise<void> {
    const run = this.takeRun(runId, 'model');
    if (!run) return;
    run.withdraw();
    try {
      const usage = usageOfResult(output);
      const response = responseOfResult(output);
      if (run.stopped) await run.call.fail(run.stopped, { usage, response });
      else await run.call.end({ usage, response });
    } catch (error) {
      diag.warn('genops: could not settle a LangChain model run', error);
    }
  }

  override async handleLLMError(error: unknown, runId: string): Promise<void> {
    const run = this.takeRun(runId, 'model');
    if (!run) return;
    run.withdraw();
    try {
      await run.call.fail(run.stopped ?? error);
    } catch (failure) {
      diag.warn('genops: could not settle a failed LangChain model run', failure);
    }
  }

  // LangChain calls this as (chain, inputs, runId, parentRunId, tags, metadata, runType, runName): the
  // order its BaseTracer uses, not the one @langchain/core 1.4's .d.ts declares.
  override handleChainStart(
    chain: { id?: readonly string[]; name?: string } | undefined,
    _inputs: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runType?: string,
    runName?: string,
  ): void {
    const parent = this.parentContext(parentRunId);
    if (this.options.chainSpans === false || tags?.includes(HIDDEN_TAG)) {
      // Children of a run without a span hang under its parent.
      this.runs.set(runId, { kind: 'chain', span: undefined, context: parent });
      return;
    }
    try {
      const name = runName ?? chain?.name ?? chain?.id?.at(-1) ?? 'chain';
      const agentName = agentNameOf(name, chain?.id?.at(-1), runType, metadata);
      const operation = agentName !== undefined ? 'invoke_agent' : 'invoke_workflow';
      const span = this.tracer.startSpan(
        `${operation} ${name}`,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            [semconv.ATTR_GEN_AI_OPERATION_NAME]: operation,
            [semconv.ATTR_GEN_AI_PROVIDER_NAME]: 'langchain',
            ...(agentName !== undefined ? { [ATTR_GEN_AI_AGENT_NAME]: agentName } : {}),
            'langchain.run.id': runId,
            ...(runType ? { 'langchain.run.type': runType } : {}),
          },
        },
        parent,
      );
      this.runs.set(runId, { kind: 'chain', span, context: trace.setSpan(parent, span) });
    } catch (error) {
      diag.warn('genops: could not start a LangChain chain span', error);
      this.runs.set(runId, { kind: 'chain', span: undefined, context: parent });
    }
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    const run = this.takeRun(runId, 'chain');
    safely(() => run?.span?.end());
  }

  override handleChainError(error: unknown, runId: string): void {
    const run = this.takeRun(runId, 'chain');
    const span = run?.span;
    if (!span) return;
    safely(() => {
      span.setAttribute(semconv.ATTR_ERROR_TYPE, errorTypeOf(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
      span.end();
    });
  }

  override handleAgentAction(action: AgentAction, runId: string): void {
    const run = this.runs.get(runId);
    if (run?.kind === 'chain' && run.span)
      safely(() => run.span?.addEvent('gen_ai.agent.action', { [semconv.ATTR_GEN_AI_TOOL_NAME]: action.tool }));
  }

  override async handleToolStart(
    tool: { id?: readonly string[]; name?: string } | undefined,
    input: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): Promise<void> {
    const parent = this.parentContext(parentRunId);
    const governor = this.options.governTools === false ? undefined : currentGovernor();
    // A tool call genopsAgentMiddleware() already governs is not governed again; its span is the parent.
    const governedByMiddleware = toolCallId ? middlewareToolContext(toolCallId) : undefined;
    if (!governor || governedByMiddleware) {
      const toolContext = governedByMiddleware && trace.getSpan(governedByMiddleware) ? governedByMiddleware : parent;
      this.runs.set(runId, { kind: 'tool', call: undefined, context: toolContext });
      return;
    }
    const name = runName ?? tool?.name ?? tool?.id?.at(-1) ?? 'tool';
    const request = describeToolCall({
      name,
      provider: this.options.toolProvider ?? 'langchain',
      type: 'function',
      arguments: input,
      ...(toolCallId ? { callId: toolCallId } : {}),
    });
    // A denial rejects here; with raiseError LangChain rethrows it and the tool does not run.
    const call = await governor.begin(request, { parent });
    this.runs.set(runId, { kind: 'tool', call, context: trace.setSpan(parent, call.span) });
  }

  override async handleToolEnd(output: unknown, runId: string): Promise<void> {
    const run = this.takeRun(runId, 'tool');
    if (!run?.call) return;
    try {
      // A ToolMessage with status "error" is a failed tool call that did not throw.
      if ((output as { status?: unknown } | undefined)?.status === 'error')
        await run.call.fail(new ToolResultError(`tool returned an error result`));
      else await run.call.end({});
    } catch (error) {
      diag.warn('genops: could not settle a LangChain tool run', error);
    }
  }

  override async handleToolError(error: unknown, runId: string): Promise<void> {
    const run = this.takeRun(runId, 'tool');
    if (!run?.call) return;
    try {
      await run.call.fail(error);
    } catch (failure) {
      diag.warn('genops: could not settle a failed LangChain tool run', failure);
    }
  }

  private takeRun<K extends RunState['kind']>(runId: string, kind: K): Extract<RunState, { kind: K }> | undefined {
    const run = this.runs.get(runId);
    if (run?.kind !== kind) return undefined;
    this.runs.delete(runId);
    return run as Extract<RunState, { kind: K }>;
  }
}

/**
 * The agent name of a chain run that is an agent: the root run of a `createAgent()` agent (its run name
 * is the agent's `lc_agent_name`, which every run inside it inherits), a run of type `agent`, or an
 * `AgentExecutor`.
 */
function agentNameOf(
  name: string,
  className: string | undefined,
  runType: string | undefined,
  metadata: Record<string, unknown> | undefined,
): string | undefined {
  const declared = metadata?.lc_agent_name;
  if (typeof declared === 'string' && declared === name) return declared;
  if (runType === 'agent' || className === 'AgentExecutor') return name;
  return undefined;
}

function textOfChunk(chunk: unknown): string | undefined {
  const text = (chunk as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' ? text : undefined;
}

/** Telemetry never breaks the host call. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    diag.warn('genops: telemetry error (ignored)', error);
  }
}
