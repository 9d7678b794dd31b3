import type { GovernanceError } from '@genops/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/** `_meta` key of a denial result: the GenOps reason code, e.g. `x_tool_denied`, `RATE_LIMITED`, `BUDGET_EXCEEDED`. */
export const META_REASON_CODE = 'genops/reasonCode' as const;
/** `_meta` key of a denial result: the GenOps error's name, e.g. `PolicyViolationError`. */
export const META_ERROR_NAME = 'genops/errorName' as const;
/** `_meta` key of a denial result: the policy result, `BLOCKED` or `RATE_LIMITED`. */
export const META_POLICY_RESULT = 'genops/result' as const;

/** What a denial carries in `_meta` (of the result) or `data` (of the `McpError`). */
export interface GovernanceDenial {
  [META_REASON_CODE]: string;
  [META_ERROR_NAME]: string;
  [META_POLICY_RESULT]: string;
}

/** The text a caller (and the model reading the tool result) sees: who denied, why, and how to change it. */
export function denialText(tool: string, error: GovernanceError): string {
  return `GenOps denied the call to tool "${tool}" (${error.name}, ${error.reasonCode}): ${error.message}`;
}

function denialMeta(error: GovernanceError): GovernanceDenial {
  return {
    [META_REASON_CODE]: error.reasonCode,
    [META_ERROR_NAME]: error.name,
    [META_POLICY_RESULT]: error.result,
  };
}

/** The MCP tool error result of a denied call (what `callTool` resolves with `onDenied: 'result'`). */
export function deniedToolResult(tool: string, error: GovernanceError): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: denialText(tool, error) }], _meta: { ...denialMeta(error) } };
}

/** The `McpError` of a denied call (`onDenied: 'throw'`); `cause` is the GenOps error. */
export function deniedToolError(tool: string, error: GovernanceError): McpError {
  const mcpError = new McpError(ErrorCode.InvalidRequest, denialText(tool, error), denialMeta(error));
  mcpError.cause = error;
  return mcpError;
}

/**
 * The GenOps denial a tool result or an `McpError` carries, or `undefined` when it is not one:
 * `governanceDenialOf(await client.callTool(...))?.['genops/reasonCode']`.
 */
export function governanceDenialOf(value: unknown): GovernanceDenial | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const holder = value as { _meta?: unknown; data?: unknown };
  const candidate = (holder._meta ?? holder.data) as Partial<GovernanceDenial> | undefined;
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const reasonCode = candidate[META_REASON_CODE];
  const errorName = candidate[META_ERROR_NAME];
  const result = candidate[META_POLICY_RESULT];
  if (typeof reasonCode !== 'string' || typeof errorName !== 'string' || typeof result !== 'string') return undefined;
  return { [META_REASON_CODE]: reasonCode, [META_ERROR_NAME]: errorName, [META_POLICY_RESULT]: result };
}
