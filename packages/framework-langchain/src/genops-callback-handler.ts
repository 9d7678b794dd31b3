import { semconv } from '@genops/core';
import { currentGovernor, errorStatusMessage, errorTypeOf, safely } from '@genops/core/adapter';
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
  trace,
} from '@opentelemetry/api';
import { type LangChainModelRun, messageTexts } from './describe-langchain-request';
import {
  beginLangChainCall,
  beginLangChainToolCall,
  type LangChainModelCall,
  type LangChainToolCall,
  settleLangChainCall,
  settleLangChainToolCall,
} from './govern-langchain-call';
import { currentChatModelStream, watchChatModelStreams } from './langchain-stream-end';
import { observeLangChainToken } from './langchain-stream-observer';
import { middlewareToolContext } from './tool-call-registry';
import type { GenOpsCallbackHandlerOptions } from './types';
import { VERSION } from './version';

/** `gen_ai.agent.name` (semconv v1.41.1). */
const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
/** Tag LangChain and LangGraph put on internal runs that tracers should not show. */
const HIDDEN_TAG = 'langsmith:hidden';

type RunState = { kind: 'chain'; span: Span | undefined; context: Context } | LangChainModelCall | LangChainToolCall;

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
    // A `break` out of `model.stream()` gets no callback: learn of it from the stream iterator.
    watchChatModelStreams();
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
    const run = await beginLangChainCall(
      governor,
      {
        llm: input.llm,
        invocationParams: input.extraParams?.invocation_params as Record<string, unknown> | undefined,
        metadata: input.metadata,
        ...(input.messages ? { messages: input.messages } : { prompts: input.prompts ?? [] }),
        provider: this.options.provider,
        fallbackModel: this.options.model,
      },
      this.parentContext(parentRunId),
      lastText,
    );
    if (!run) return;
    this.runs.set(runId, run);
    const stream = currentChatModelStream();
    if (stream) {
      // Its consumer may stop reading (no callback follows) or drop the stream unread.
      run.call.tether(stream);
      stream.onAbandon.push(() => {
        const abandoned = this.takeRun(runId, 'model');
        if (abandoned) void settleLangChainCall(abandoned, { abandoned: true });
      });
    }
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
    if (run?.kind === 'model') observeLangChainToken(run, token, fields?.chunk);
  }

  override async handleLLMEnd(output: LLMResult, runId: string): Promise<void> {
    const run = this.takeRun(runId, 'model');
    if (run) await settleLangChainCall(run, { result: output });
  }

  override async handleLLMError(error: unknown, runId: string): Promise<void> {
    const run = this.takeRun(runId, 'model');
    if (run) await settleLangChainCall(run, { error });
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
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: errorStatusMessage(error, currentGovernor()?.captureContent ?? false),
      });
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
    const toolCall = {
      name,
      provider: this.options.toolProvider ?? 'langchain',
      type: 'function',
      arguments: input,
      ...(toolCallId ? { callId: toolCallId } : {}),
    };
    this.runs.set(runId, await beginLangChainToolCall(governor, toolCall, parent));
  }

  override async handleToolEnd(output: unknown, runId: string): Promise<void> {
    const run = this.takeRun(runId, 'tool');
    if (run) await settleLangChainToolCall(run, { output });
  }

  override async handleToolError(error: unknown, runId: string): Promise<void> {
    const run = this.takeRun(runId, 'tool');
    if (run) await settleLangChainToolCall(run, { error });
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
