import { GovernanceError } from '@genops/core';
import { type Governor, governToolCall, type ToolCallInfo } from '@genops/core/adapter';

/** How a governed tool call ended: it ran (whatever its result), or GenOps denied it before it ran. */
export type GovernedOutcome<T> = { denied: false; result: T } | { denied: true; error: GovernanceError };

/**
 * Runs `run` as one `execute_tool` unit. A `GovernanceError` raised before `run` started is a denial;
 * one raised by the tool itself (say, a governed model call inside the handler was denied) is the
 * tool's own failure and is rethrown like any other error.
 */
export async function governMcpToolCall<T>(
  tool: ToolCallInfo,
  run: () => Promise<T>,
  governor: Governor,
): Promise<GovernedOutcome<T>> {
  let started = false;
  try {
    const result = await governToolCall(
      tool,
      () => {
        started = true;
        return run();
      },
      { governor, isError: isErrorResult },
    );
    return { denied: false, result };
  } catch (error) {
    if (!started && GovernanceError.isInstance(error)) return { denied: true, error };
    throw error;
  }
}

/** An MCP `CallToolResult` that reports a failure (`isError: true`): the unit ends as an error. */
export function isErrorResult(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { isError?: unknown }).isError === true;
}
