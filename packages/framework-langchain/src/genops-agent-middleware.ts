import { GovernanceError } from '@genops/core';
import { currentGovernor, governToolCall } from '@genops/core/adapter';
import { ToolMessage } from '@langchain/core/messages';
import { context } from '@opentelemetry/api';
import { enterMiddlewareToolCall } from './tool-call-registry';
import type { GenOpsAgentMiddleware, GenOpsAgentMiddlewareOptions } from './types';

/** `MIDDLEWARE_BRAND` of langchain's `createMiddleware()` (a registered symbol). */
const MIDDLEWARE_BRAND = Symbol.for('AgentMiddleware');

/**
 * Agent middleware that governs each tool call a langchain `createAgent()` agent makes as one
 * `execute_tool {name}` unit: tool rules (`allow`, `deny`, `requireApproval`), per-tool rate limits and
 * call-count budgets decide before the tool runs. A denied call never runs the tool; by default the
 * model gets an error `ToolMessage` saying why (see {@link GenOpsAgentMiddlewareOptions.onDenied}).
 *
 * Model calls are governed by {@link GenOpsCallbackHandler} (or `registerGenOpsHandler()`); used
 * together, a tool call is governed once, here.
 *
 * @example
 * const agent = createAgent({ model, tools: [search], middleware: [genopsAgentMiddleware()] });
 */
export function genopsAgentMiddleware(options: GenOpsAgentMiddlewareOptions = {}): GenOpsAgentMiddleware {
  const provider = options.provider ?? 'langchain';
  const middleware: GenOpsAgentMiddleware = {
    name: 'GenOpsMiddleware',
    async wrapToolCall(request, handler) {
      const governor = currentGovernor();
      if (!governor) return handler(request);
      const { toolCall } = request;
      let ran = false;
      try {
        return await governToolCall(
          {
            name: toolCall.name,
            provider,
            type: 'function',
            arguments: toolCall.args,
            ...(toolCall.id ? { callId: toolCall.id } : {}),
          },
          () => {
            ran = true;
            const leave = toolCall.id ? enterMiddlewareToolCall(toolCall.id, context.active()) : undefined;
            return Promise.resolve(handler(request)).finally(leave);
          },
          { isError: (result) => (result as { status?: unknown } | undefined)?.status === 'error', governor },
        );
      } catch (error) {
        if (ran || options.onDenied === 'throw' || !GovernanceError.isInstance(error)) throw error;
        return new ToolMessage({
          content: `Tool call denied by GenOps governance: ${error.message} Do not call '${toolCall.name}' again for this request.`,
          tool_call_id: toolCall.id ?? '',
          name: toolCall.name,
          status: 'error',
        });
      }
    },
  };
  Object.defineProperty(middleware, MIDDLEWARE_BRAND, { value: true, enumerable: true });
  return middleware;
}
