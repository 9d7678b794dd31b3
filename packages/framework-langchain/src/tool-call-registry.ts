import type { Context } from '@opentelemetry/api';

/**
 * Tool calls {@link genopsAgentMiddleware} is governing right now, by tool call id, with the context
 * of their `execute_tool` span, so the callback handler neither governs them a second time nor loses
 * the span as the parent of what the tool does. Shared by every copy of this package.
 */
const KEY = Symbol.for('genops.langchain.middlewareToolCalls');
const slots = globalThis as { [KEY]?: Map<string, Context> };

function registry(): Map<string, Context> {
  return (slots[KEY] ??= new Map());
}

/** @internal The middleware governs `toolCallId`; its span's context is `spanContext`. */
export function enterMiddlewareToolCall(toolCallId: string, spanContext: Context): () => void {
  registry().set(toolCallId, spanContext);
  return () => {
    if (registry().get(toolCallId) === spanContext) registry().delete(toolCallId);
  };
}

/** @internal The span context of a tool call the middleware governs, or `undefined`. */
export function middlewareToolContext(toolCallId: string): Context | undefined {
  return registry().get(toolCallId);
}
