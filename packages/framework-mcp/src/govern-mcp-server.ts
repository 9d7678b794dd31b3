import { currentGovernor } from '@genops/core/adapter';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { deniedToolResult } from './denial';
import { describeMcpToolCall } from './describe-mcp-request';
import { governMcpToolCall } from './govern-mcp-tool-call';
import { inProcessClientCall } from './in-process-call';
import type { GovernMcpServerOptions } from './types';

const GOVERNED = Symbol.for('genops.mcp.governed');

// A tool handler's arguments depend on its input schema.
type ToolHandler = (...args: any[]) => unknown;

/** What the SDK passes a tool handler as its last argument (`RequestHandlerExtra`), as far as GenOps reads it. */
interface HandlerExtra {
  requestId?: string | number;
  sessionId?: string;
  _meta?: unknown;
}

/**
 * Puts the tools of an `McpServer` under GenOps authority, on the server side: each tool handler's
 * invocation is one governed `execute_tool {name}` unit (provider `mcp`), decided by the same rules as
 * on the client (tool allow/deny/requireApproval, content rules on the arguments, per-tool rate limits,
 * call-count budgets). A denied call never reaches the handler; the client receives an MCP tool error
 * result (`isError: true`) whose text says why and whose `_meta['genops/reasonCode']` carries the code.
 *
 * Governs the tools already registered and every tool registered later with `registerTool()` or
 * `tool()`, and handlers swapped in with `registeredTool.update({ callback })`. Task tools
 * (`experimental.tasks.registerToolTask`) are not governed. While no `GenOps.init()` runs, handlers are
 * called directly. Returns the same server; governing it twice is a no-op.
 *
 * A call from a client governed by `governMcpClient` in this same process is one unit, the client's
 * (see {@link GovernMcpServerOptions.joinInProcessClient}).
 *
 * @example
 * const server = governMcpServer(new McpServer({ name: 'tools', version: '1.0.0' }));
 * server.registerTool('search', { inputSchema: { query: z.string() } }, async ({ query }) => ({ content: [...] }));
 */
export function governMcpServer<T extends McpServer>(server: T, options: GovernMcpServerOptions = {}): T {
  if (typeof (server as { registerTool?: unknown } | undefined)?.registerTool !== 'function')
    throw new TypeError(
      'governMcpServer(server) expects an McpServer from @modelcontextprotocol/sdk/server/mcp.js (something with registerTool())',
    );
  const slots = server as unknown as Record<symbol, unknown> & {
    registerTool: (...args: unknown[]) => RegisteredTool;
    tool: (...args: unknown[]) => RegisteredTool;
    _registeredTools?: unknown;
  };
  if (slots[GOVERNED]) return server;
  Object.defineProperty(server, GOVERNED, { value: true });

  // Tools registered before this call. `_registeredTools` is the SDK's (1.x) own table; without it,
  // only tools registered from now on are governed.
  const existing = slots._registeredTools;
  if (typeof existing === 'object' && existing !== null)
    for (const [name, tool] of Object.entries(existing as Record<string, RegisteredTool>))
      followTool(tool, name, options);

  for (const method of ['registerTool', 'tool'] as const) {
    const original = slots[method];
    if (typeof original !== 'function') continue;
    Object.defineProperty(server, method, {
      value: function (this: unknown, ...args: unknown[]) {
        const registered = original.apply(this, args);
        followTool(registered, String(args[0]), options);
        return registered;
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return server;
}

/**
 * Wraps one tool handler so that each invocation is one governed `execute_tool {name}` unit; a denied
 * call returns an MCP tool error result without calling `handler`. For handlers an `McpServer` does not
 * register (a low-level `Server`'s own `tools/call` handler, say); `governMcpServer` does this for every
 * tool of an `McpServer`.
 *
 * @example
 * server.registerTool('deploy_prod', { inputSchema: { ref: z.string() } }, governTool('deploy_prod', deploy));
 */
export function governTool<H extends ToolHandler>(name: string, handler: H, options: GovernMcpServerOptions = {}): H {
  return governHandler(() => name, handler, options);
}

/** Governs a registered tool's handler, and the handler and name it gets later through `update()`. */
function followTool(tool: RegisteredTool, name: string, options: GovernMcpServerOptions): void {
  const slots = tool as unknown as Record<symbol, unknown>;
  if (typeof tool !== 'object' || tool === null || slots[GOVERNED]) return;
  Object.defineProperty(tool, GOVERNED, { value: true });
  let current = name;
  const nameOf = () => current;
  // A task tool's handler is an object ({ createTask, getTask, getTaskResult }): not governed.
  if (typeof tool.handler === 'function')
    tool.handler = governHandler(nameOf, tool.handler as ToolHandler, options) as typeof tool.handler;
  const update = tool.update;
  if (typeof update !== 'function') return;
  type Updates = Parameters<RegisteredTool['update']>[0];
  // biome-ignore lint/plugin: set once per registered tool, which lives as long as its server
  tool.update = (updates: Updates) => {
    if (typeof updates.name === 'string') current = updates.name;
    const callback = updates.callback as ToolHandler | undefined;
    const next =
      typeof callback === 'function' ? { ...updates, callback: governHandler(nameOf, callback, options) } : updates;
    return update.call(tool, next as Updates);
  };
}

function governHandler<H extends ToolHandler>(nameOf: () => string, handler: H, options: GovernMcpServerOptions): H {
  if ((handler as unknown as Record<symbol, unknown>)[GOVERNED]) return handler;
  const governed = async function (this: unknown, ...handlerArgs: unknown[]): Promise<unknown> {
    const run = async () => handler.apply(this, handlerArgs);
    const governor = currentGovernor();
    if (!governor) return run();
    const name = nameOf();
    const clientCall = inProcessClientCall.getStore();
    if (
      options.joinInProcessClient !== false &&
      clientCall !== undefined &&
      !clientCall.joined &&
      clientCall.name === name &&
      clientCall.governor === governor
    ) {
      // The same governor already decided this call on the client side of an in-process pair.
      clientCall.joined = true;
      return run();
    }
    // McpServer calls `handler(args, extra)` for a tool with an input schema, `handler(extra)` without.
    const extra = (handlerArgs.at(-1) ?? {}) as HandlerExtra;
    const tool = describeMcpToolCall({
      name,
      arguments: handlerArgs.length >= 2 ? handlerArgs[0] : undefined,
      meta: extra._meta,
      requestId: extra.requestId === undefined ? undefined : String(extra.requestId),
      sessionId: extra.sessionId,
      serverAddress: options.serverAddress,
      serverPort: options.serverPort,
    });
    const outcome = await governMcpToolCall(tool, run, governor);
    return outcome.denied ? deniedToolResult(name, outcome.error) : outcome.result;
  };
  Object.defineProperty(governed, GOVERNED, { value: true });
  return governed as unknown as H;
}
