import type { ToolCallInfo } from '@genops/core/adapter';

/** `_meta` key a caller can set to the model's tool call id; it becomes `gen_ai.tool.call.id`. */
export const TOOL_CALL_ID_META = 'genops/toolCallId' as const;

/** What GenOps reads of one MCP `tools/call`, on the client or the server side. */
export interface McpToolCall {
  name: string;
  arguments: unknown;
  /** The request's `_meta` (`genops/toolCallId`). */
  meta: unknown;
  /** The JSON-RPC request id (server side). */
  requestId?: string | undefined;
  sessionId?: string | undefined;
  serverName?: string | undefined;
  serverAddress?: string | undefined;
  serverPort?: number | undefined;
}

/**
 * The tool unit of one MCP `tools/call` (provider `mcp`, type `extension`): the arguments for content
 * rules, the model's tool call id from `_meta['genops/toolCallId']` (else the JSON-RPC request id), and
 * the MCP attributes.
 */
export function describeMcpToolCall(call: McpToolCall): ToolCallInfo {
  return {
    name: call.name,
    provider: 'mcp',
    type: 'extension',
    arguments: call.arguments,
    callId: toolCallIdOf(call.meta) ?? call.requestId,
    attributes: {
      'mcp.method.name': 'tools/call',
      ...(call.serverName !== undefined ? { 'mcp.server.name': call.serverName } : {}),
      ...(call.requestId !== undefined ? { 'jsonrpc.request.id': call.requestId } : {}),
      ...(call.sessionId !== undefined ? { 'mcp.session.id': call.sessionId } : {}),
      'server.address': call.serverAddress,
      'server.port': call.serverPort,
    },
  };
}

/** The model's tool call id, when the caller passed it as `_meta['genops/toolCallId']`. */
export function toolCallIdOf(meta: unknown): string | undefined {
  if (typeof meta !== 'object' || meta === null) return undefined;
  const id = (meta as Record<string, unknown>)[TOOL_CALL_ID_META];
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}
