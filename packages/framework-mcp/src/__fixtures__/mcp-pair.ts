// Test fixture (not shipped: only index.ts is built): a real McpServer and Client over
// InMemoryTransport.createLinkedPair(), with a counter of the tools/call requests the server receives.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export interface McpPair {
  client: Client;
  server: McpServer;
  /** Tool handler runs, by tool name. */
  runs: Record<string, number>;
  /** Names of the `tools/call` requests that reached the server's transport, in order. */
  received: string[];
  close(): Promise<void>;
}

export interface McpPairOptions {
  /** Called on the server before the tools are registered (e.g. `governMcpServer`). */
  beforeTools?: (server: McpServer) => void;
  /** Called on the client before it connects (e.g. `governMcpClient`). */
  client?: (client: Client) => Client;
  /** Replace the Client constructor (e.g. `GovernedClient`). */
  createClient?: () => Client;
}

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

/** Registers the test tools: search, deploy_prod, shell_exec, http_post, lookup (isError), flaky (throws), slow. */
export function registerTestTools(server: McpServer, runs: Record<string, number>): void {
  const ran = (name: string) => {
    runs[name] = (runs[name] ?? 0) + 1;
  };
  server.registerTool('search', { description: 'Search the docs', inputSchema: { query: z.string() } }, ({ query }) => {
    ran('search');
    return text(`3 hits for ${query}`);
  });
  server.registerTool('deploy_prod', { inputSchema: { ref: z.string() } }, ({ ref }) => {
    ran('deploy_prod');
    return text(`deployed ${ref}`);
  });
  server.registerTool('shell_exec', { inputSchema: { command: z.string() } }, ({ command }) => {
    ran('shell_exec');
    return text(`ran ${command}`);
  });
  server.registerTool('http_post', { inputSchema: { url: z.string(), header: z.string() } }, ({ url }) => {
    ran('http_post');
    return text(`posted to ${url}`);
  });
  server.registerTool('lookup', { inputSchema: { id: z.string() } }, ({ id }) => {
    ran('lookup');
    return { isError: true, content: [{ type: 'text', text: `no record ${id}` }] };
  });
  server.registerTool('flaky', {}, () => {
    ran('flaky');
    throw new TypeError('the backend is down');
  });
  server.registerTool('slow', {}, async () => {
    ran('slow');
    await new Promise((resolve) => setTimeout(resolve, 100));
    return text('done');
  });
}

export async function connectPair(options: McpPairOptions = {}): Promise<McpPair> {
  const server = new McpServer({ name: 'tool-server', version: '1.0.0' });
  options.beforeTools?.(server);
  const runs: Record<string, number> = {};
  registerTestTools(server, runs);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const received: string[] = [];
  const deliver = serverTransport.onmessage!;
  serverTransport.onmessage = (message, extra) => {
    if ('method' in message && message.method === 'tools/call') received.push(String(message.params?.name));
    deliver(message, extra);
  };
  let client = options.createClient?.() ?? new Client({ name: 'agent', version: '1.0.0' });
  client = options.client?.(client) ?? client;
  await client.connect(clientTransport);
  return {
    client,
    server,
    runs,
    received,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** The text of a tool result's first content block. */
export function textOf(result: unknown): string {
  const content = (result as CallToolResult).content;
  const first = content[0];
  return first?.type === 'text' ? first.text : '';
}
