import { currentGovernor } from './adapters';
import type { Governor } from './governor';
import * as sc from './semconv';
import type { GovernedRequest } from './types';

/** A tool call an agent or framework is about to make. */
export interface ToolCallInfo {
  /** The tool's name; tool rules (`allow`, `deny`, `requireApproval`) and `match: { tool }` decide on it. */
  name: string;
  /** `gen_ai.provider.name` of the unit: who serves the tool, e.g. `mcp`, or the framework running it. */
  provider: string;
  /** `gen_ai.tool.call.id`, when the model or protocol gave one. */
  callId?: string;
  /** `gen_ai.tool.type`: `function`, `extension` or `datastore`. */
  type?: string;
  /** The arguments, checked by content rules (never recorded unless content capture is on). */
  arguments?: unknown;
  /** `server.address` / `server.port` of the server that runs the tool (an MCP server's host). */
  serverAddress?: string;
  serverPort?: number;
  /** Extra span attributes. */
  attributes?: Record<string, string | number | boolean | string[] | undefined>;
}

/** Raised into the governed unit when a tool returned an error result instead of throwing. */
export class ToolResultError extends Error {
  override readonly name = 'ToolResultError';
}

/**
 * Runs a tool call as one governed unit (`execute_tool {name}` span): tool rules, per-tool rate limits
 * and call-count budgets (`unit: requests`) decide before `run` is called, and a denial rejects with the
 * {@link GovernanceError} that says why, without calling `run`. Without a running `GenOps.init()`,
 * `run` is simply called. `isError` marks a result that reports a failure (an MCP `isError` result).
 */
export async function governToolCall<T>(
  tool: ToolCallInfo,
  run: () => T | Promise<T>,
  options: { isError?: (result: T) => boolean; governor?: Governor } = {},
): Promise<T> {
  const governor = options.governor ?? currentGovernor();
  if (!governor) return run();
  const call = await governor.begin(describeToolCall(tool));
  let result: T;
  try {
    result = await call.runInContext(run);
  } catch (error) {
    await call.fail(error);
    throw error;
  }
  if (options.isError?.(result)) await call.fail(new ToolResultError(`tool "${tool.name}" returned an error result`));
  else await call.end({});
  return result;
}

/** The governed request of a tool call. */
export function describeToolCall(tool: ToolCallInfo): GovernedRequest {
  const args = tool.arguments;
  const text = () => (args === undefined ? [] : [typeof args === 'string' ? args : safeJson(args)]);
  return {
    provider: tool.provider,
    operation: 'execute_tool',
    model: tool.name,
    method: 'tools/call',
    estimatedInputTokens: 0,
    maxOutputTokens: 0,
    ...(tool.serverAddress ? { serverAddress: tool.serverAddress } : {}),
    ...(tool.serverPort !== undefined ? { serverPort: tool.serverPort } : {}),
    tool: {
      name: tool.name,
      ...(tool.callId ? { callId: tool.callId } : {}),
      ...(tool.type ? { type: tool.type } : {}),
    },
    requestAttributes: {
      [sc.ATTR_GEN_AI_TOOL_NAME]: tool.name,
      [sc.ATTR_GEN_AI_TOOL_CALL_ID]: tool.callId,
      [sc.ATTR_GEN_AI_TOOL_TYPE]: tool.type,
      ...tool.attributes,
    },
    text,
    content: () => ({ input: args }),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}
