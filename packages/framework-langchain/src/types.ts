import type { ToolMessage } from '@langchain/core/messages';
import type { TracerProvider } from '@opentelemetry/api';

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

/** Options of {@link genopsAgentMiddleware}. */
export interface GenOpsAgentMiddlewareOptions {
  /** `gen_ai.provider.name` of tool units. Default `langchain`. */
  provider?: string;
  /**
   * What a denied tool call does. `'message'` (default) answers the model with a `ToolMessage` whose
   * `status` is `"error"` and whose content says why, and the agent goes on, as langchain's
   * `toolCallLimitMiddleware` does with its default `exitBehavior: "continue"`. `'throw'` ends the agent
   * run with the {@link GovernanceError}, like its `exitBehavior: "error"` (langchain wraps it in its
   * `MiddlewareError`, which keeps the name and message and has the GovernanceError as `cause`).
   */
  onDenied?: 'message' | 'throw';
}

/** The tool call a `wrapToolCall` hook receives, as far as GenOps reads it. */
export interface GenOpsToolCallRequest {
  toolCall: { name: string; args?: unknown; id?: string | undefined };
}

/**
 * An agent middleware object for `createAgent({ middleware: [...] })` (langchain 1.x). Built as
 * `createMiddleware()` from `langchain` builds it, so this package does not need `langchain` itself.
 */
export interface GenOpsAgentMiddleware {
  readonly name: string;
  wrapToolCall<Request extends GenOpsToolCallRequest, Result>(
    request: Request,
    handler: (request: Request) => Result | Promise<Result>,
  ): Promise<Result | ToolMessage>;
}
