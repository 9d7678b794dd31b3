import { currentGovernor, type Governor } from '@genops/core/adapter';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { deniedToolError, deniedToolResult } from './denial';
import { describeMcpToolCall } from './describe-mcp-request';
import { governMcpToolCall } from './govern-mcp-tool-call';
import { inProcessClientCall } from './in-process-call';
import type { GovernMcpClientOptions } from './types';

const GOVERNED = Symbol.for('genops.mcp.governedClient');

type RequestFunction = (request: unknown, resultSchema: unknown, options?: unknown) => Promise<unknown>;
interface ToolCallRequest {
  method: 'tools/call';
  params?: { name?: unknown; arguments?: unknown; _meta?: unknown };
}

/**
 * Puts an MCP client's tool calls under GenOps authority. Every `tools/call` request the client sends
 * (`client.callTool(...)`, and `client.experimental.tasks.callToolStream(...)`, which both go through
 * `client.request`) becomes one governed `execute_tool {name}` unit: tool rules (allow, deny,
 * requireApproval), content rules on the arguments, per-tool rate limits and call-count budgets decide
 * before anything is sent, so a denied call never reaches the server. Other requests (`tools/list`,
 * resources, prompts, ...) pass through untouched, and so does everything while no `GenOps.init()` runs.
 *
 * A denied call resolves an MCP tool error result (`isError: true`, the reason in its text and
 * `_meta['genops/reasonCode']`), or rejects with an `McpError` with `onDenied: 'throw'`. A result with
 * `isError: true` ends the unit as an error (`error.type` `ToolResultError`); a request that fails
 * (timeout, closed connection) ends it with that error, which is rethrown unchanged.
 *
 * Wraps the instance's `request` in place and returns the same client; wrapping twice is a no-op.
 *
 * @example
 * const client = governMcpClient(new Client({ name: 'agent', version: '1.0.0' }));
 * await client.connect(transport);
 * const result = await client.callTool({ name: 'search', arguments: { query: 'genops' } });
 */
export function governMcpClient<T extends Client>(client: T, options: GovernMcpClientOptions = {}): T {
  if (typeof (client as { request?: unknown } | undefined)?.request !== 'function')
    throw new TypeError(
      'governMcpClient(client) expects an MCP Client from @modelcontextprotocol/sdk (something with a request() method)',
    );
  const slots = client as unknown as { [GOVERNED]?: true; request: RequestFunction };
  if (slots[GOVERNED]) return client;
  const original = slots.request;
  const governed: RequestFunction = function (this: unknown, request, resultSchema, requestOptions) {
    const governor = currentGovernor();
    if (!governor || (request as { method?: unknown } | undefined)?.method !== 'tools/call')
      return original.call(this, request, resultSchema, requestOptions);
    return governClientToolCall(
      client,
      governor,
      request as ToolCallRequest,
      () => original.call(this, request, resultSchema, requestOptions),
      (requestOptions as { task?: unknown } | undefined)?.task !== undefined,
      options,
    );
  };
  Object.defineProperty(client, 'request', { value: governed, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(client, GOVERNED, { value: true });
  return client;
}

async function governClientToolCall(
  client: Client,
  governor: Governor,
  request: ToolCallRequest,
  send: () => Promise<unknown>,
  isTaskRequest: boolean,
  options: GovernMcpClientOptions,
): Promise<unknown> {
  const params = request.params ?? {};
  const name = String(params.name);
  const tool = describeMcpToolCall({
    name,
    arguments: params.arguments,
    meta: params._meta,
    serverName: serverNameOf(client),
    serverAddress: options.serverAddress,
    serverPort: options.serverPort,
  });
  const call = { name, governor, joined: false };
  const outcome = await governMcpToolCall(tool, () => inProcessClientCall.run(call, send), governor);
  if (!outcome.denied) return outcome.result;
  if (options.onDenied === 'throw' || isTaskRequest) throw deniedToolError(name, outcome.error);
  return deniedToolResult(name, outcome.error);
}

function serverNameOf(client: Client): string | undefined {
  try {
    const name = client.getServerVersion?.()?.name;
    return typeof name === 'string' && name.length > 0 ? name : undefined;
  } catch {
    return undefined;
  }
}
