import type { GenOpsHandle, GenOpsOptions } from '@genops/core';
import { ToolResultError } from '@genops/core/adapter';
import { expectGenOpsCompliant } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectPair, type McpPair, textOf } from './__fixtures__/mcp-pair';
import { type GovernMcpServerOptions, governanceDenialOf, governMcpClient, governMcpServer, governTool } from './index';

// The server side: governMcpServer on a real McpServer, called by a plain (ungoverned) SDK Client over
// InMemoryTransport, so every unit here is the server's own. The last block governs both sides in one
// process.

const harness = createAdapterHarness({ defaults: { team: 'agents', project: 'mcp-tests', environment: 'test' } });
const { onlySpan, spans } = harness;
let pair: McpPair | undefined;

function init(options: GenOpsOptions = {}): GenOpsHandle {
  return harness.init({ autoInstrument: false, ...options });
}

async function connect(options: GovernMcpServerOptions = {}): Promise<McpPair> {
  pair = await connectPair({ beforeTools: (server) => governMcpServer(server, options) });
  return pair;
}

const policy = (...rules: object[]) => ({ version: 1 as const, rules }) as GenOpsOptions['policy'];

afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe('governMcpServer: an allowed call', () => {
  it('runs the handler as one execute_tool unit; the call id is the JSON-RPC request id', async () => {
    init();
    const { client, runs } = await connect({ serverAddress: 'tools.internal' });
    const result = await client.callTool({ name: 'search', arguments: { query: 'otel' } });
    expect(textOf(result)).toBe('3 hits for otel');
    expect(runs.search).toBe(1);
    const span = onlySpan();
    expect(span.name).toBe('execute_tool search');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.provider.name': 'mcp',
      'gen_ai.tool.name': 'search',
      'gen_ai.tool.type': 'extension',
      'mcp.method.name': 'tools/call',
      'server.address': 'tools.internal',
      'genops.policy.result': 'ALLOWED',
      'genops.accounting.actual': 0,
    });
    const requestId = span.attributes['jsonrpc.request.id'];
    expect(requestId).toMatch(/^\d+$/);
    expect(span.attributes['gen_ai.tool.call.id']).toBe(requestId);
    expectGenOpsCompliant(spans());
  });

  it("takes the model's tool call id from _meta['genops/toolCallId'] when the client sends one", async () => {
    init();
    const { client } = await connect();
    await client.callTool({ name: 'search', arguments: { query: 'q' }, _meta: { 'genops/toolCallId': 'toolu_01' } });
    expect(onlySpan().attributes['gen_ai.tool.call.id']).toBe('toolu_01');
  });

  it('calls handlers directly when GenOps is not running', async () => {
    const { client, runs } = await connect();
    expect(textOf(await client.callTool({ name: 'shell_exec', arguments: { command: 'ls' } }))).toBe('ran ls');
    expect(runs.shell_exec).toBe(1);
    expect(spans()).toHaveLength(0);
  });
});

describe('governMcpServer: what is governed', () => {
  it('tools registered before the call, legacy tool(), update({ callback }) and renames are governed', async () => {
    init({ policy: policy({ name: 'no-shell', type: 'tool', deny: ['shell_*', 'danger_*'] }) });
    // connectPair registers its tools *after* governMcpServer; here the server is governed last.
    const calls: string[] = [];
    pair = await connectPair({
      beforeTools: (server) => {
        server.tool('legacy_echo', { text: z.string() }, ({ text }) => {
          calls.push('legacy_echo');
          return { content: [{ type: 'text', text }] };
        });
      },
    });
    const { client, server } = pair;
    governMcpServer(server);
    governMcpServer(server); // a second call is a no-op
    server.tool('shell_legacy', () => {
      calls.push('shell_legacy');
      return { content: [{ type: 'text', text: 'ran' }] };
    });
    expect(textOf(await client.callTool({ name: 'legacy_echo', arguments: { text: 'hi' } }))).toBe('hi');
    expect(
      governanceDenialOf(await client.callTool({ name: 'shell_exec', arguments: { command: 'ls' } })),
    ).toBeDefined();
    expect(governanceDenialOf(await client.callTool({ name: 'shell_legacy' }))).toBeDefined();
    expect(pair.runs.shell_exec).toBeUndefined();
    expect(calls).toEqual(['legacy_echo']);

    // Renaming a tool into a denied name, and swapping its handler, keep it governed under its new name.
    const registered = server.tool('harmless', () => ({ content: [{ type: 'text', text: 'fine' }] }));
    registered.update({ name: 'danger_zone', callback: () => ({ content: [{ type: 'text', text: 'boom' }] }) });
    await client.listTools();
    const renamed = await client.callTool({ name: 'danger_zone' });
    expect(governanceDenialOf(renamed)?.['genops/reasonCode']).toBe('x_tool_denied');
    expect(spans().map((span) => `${span.name} ${span.attributes['genops.policy.result']}`)).toEqual([
      'execute_tool legacy_echo ALLOWED',
      'execute_tool shell_exec BLOCKED',
      'execute_tool shell_legacy BLOCKED',
      'execute_tool danger_zone BLOCKED',
    ]);
  });

  it('governTool wraps one handler explicitly', async () => {
    init({ policy: policy({ name: 'no-shell', type: 'tool', deny: ['shell_*'] }) });
    pair = await connectPair();
    let ran = 0;
    pair.server.registerTool(
      'shell_run',
      {},
      governTool('shell_run', () => {
        ran++;
        return { content: [{ type: 'text' as const, text: 'ran' }] };
      }),
    );
    const result = await pair.client.callTool({ name: 'shell_run' });
    expect(governanceDenialOf(result)?.['genops/reasonCode']).toBe('x_tool_denied');
    expect(ran).toBe(0);
  });
});

describe('governMcpServer: decisions', () => {
  it('a denied tool returns an MCP error result with the reason; the handler never runs', async () => {
    init({ policy: policy({ name: 'no-shell', type: 'tool', deny: ['shell_*'] }) });
    const { client, runs } = await connect();
    const result = await client.callTool({ name: 'shell_exec', arguments: { command: 'rm -rf /' } });
    expect(result).toEqual({
      isError: true,
      content: [
        {
          type: 'text',
          text:
            'GenOps denied the call to tool "shell_exec" (PolicyViolationError, x_tool_denied): Tool "shell_exec" ' +
            'is not allowed by policy rule "no-shell" (deny: shell_*). The agent must use another tool, or change the rule.',
        },
      ],
      _meta: {
        'genops/reasonCode': 'x_tool_denied',
        'genops/errorName': 'PolicyViolationError',
        'genops/result': 'BLOCKED',
      },
    });
    expect(runs.shell_exec).toBeUndefined();
    expect(onlySpan().attributes['genops.policy.result']).toBe('BLOCKED');
    expectGenOpsCompliant(spans());
  });

  it('allow list, approval (approve and deny), rate limit, call-count budget and content rules apply', async () => {
    init({
      policy: policy(
        {
          name: 'known-tools',
          type: 'tool',
          allow: ['search', 'deploy_*', 'http_post'],
          requireApproval: ['deploy_*'],
        },
        { name: 'search-rpm', type: 'rate_limit', limit: 2, window: '1m', when: { tool: 'search' } },
        { name: 'no-secrets', type: 'content', detect: ['secret'] },
      ),
      budgets: [{ name: 'deploys', unit: 'requests', limit: 1, window: 'day', match: { tool: 'deploy_*' } }],
      approver: (request) => ({ approved: !String(request.request.text?.()).includes('friday'), approver: 'dana' }),
    });
    const { client, runs } = await connect();
    const outcome = async (name: string, args: Record<string, string>) =>
      governanceDenialOf(await client.callTool({ name, arguments: args }))?.['genops/reasonCode'] ?? 'ran';
    expect(await outcome('lookup', { id: '1' })).toBe('x_tool_denied');
    expect(await outcome('search', { query: '1' })).toBe('ran');
    expect(await outcome('search', { query: '2' })).toBe('ran');
    expect(await outcome('search', { query: '3' })).toBe('RATE_LIMITED');
    expect(await outcome('deploy_prod', { ref: 'friday-hotfix' })).toBe('x_approval_denied');
    expect(await outcome('deploy_prod', { ref: 'v1' })).toBe('ran');
    expect(await outcome('deploy_prod', { ref: 'v2' })).toBe('BUDGET_EXCEEDED');
    const secret = `ghp_${'A1b2C3d4E5f6G7h8I9j0'.repeat(2)}`;
    expect(await outcome('http_post', { url: 'https://example.com', header: secret })).toBe('POLICY_DENY_CONTENT');
    expect(runs).toEqual({ search: 2, deploy_prod: 1 });
    expect(JSON.stringify(spans().map((span) => [span.attributes, span.events]))).not.toContain(secret);
    expectGenOpsCompliant(spans());
  });

  it('a handler that throws: the unit records the thrown error type; the client gets the isError result', async () => {
    init();
    const { client } = await connect();
    const result = await client.callTool({ name: 'flaky' });
    expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'the backend is down' }] });
    expect(onlySpan().attributes['error.type']).toBe('TypeError');
  });

  it('a handler that returns isError ends the unit as an error (ToolResultError)', async () => {
    init();
    const { client } = await connect();
    expect(textOf(await client.callTool({ name: 'lookup', arguments: { id: '7' } }))).toBe('no record 7');
    expect(onlySpan().attributes['error.type']).toBe(ToolResultError.name);
  });
});

describe('a governed client and a governed server in one process', () => {
  const contextManager = new AsyncLocalStorageContextManager();
  beforeEach(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterEach(() => {
    contextManager.disable();
    context.disable();
  });

  const deploysBudget = {
    budgets: [
      { name: 'deploys', unit: 'requests' as const, limit: 1, window: 'day' as const, match: { tool: 'deploy_*' } },
    ],
  };

  it('by default are one unit, the client’s: the call is counted once', async () => {
    const handle = init(deploysBudget);
    pair = await connectPair({
      beforeTools: (server) => governMcpServer(server),
      client: (client) => governMcpClient(client),
    });
    expect(textOf(await pair.client.callTool({ name: 'deploy_prod', arguments: { ref: 'v1' } }))).toBe('deployed v1');
    const second = await pair.client.callTool({ name: 'deploy_prod', arguments: { ref: 'v2' } });
    expect(governanceDenialOf(second)?.['genops/reasonCode']).toBe('BUDGET_EXCEEDED');
    expect(pair.runs.deploy_prod).toBe(1);
    // The second call was denied on the client: the server never received it.
    expect(pair.received).toEqual(['deploy_prod']);
    const all = spans();
    expect(all.map((span) => span.name)).toEqual(['execute_tool deploy_prod', 'execute_tool deploy_prod']);
    expect(all[0]!.attributes['mcp.server.name']).toBe('tool-server'); // the client's unit
    expect((await handle.status()).budgets.find((line) => line.budget === 'deploys')?.used).toBe(1);
  });

  it('with joinInProcessClient: false are two units (client authority, then server authority), nested', async () => {
    init(deploysBudget);
    pair = await connectPair({
      beforeTools: (server) => governMcpServer(server, { joinInProcessClient: false }),
      client: (client) => governMcpClient(client),
    });
    // The client's unit reserves the only deploy of the day, so the server's own unit for the same
    // call finds the budget spent: one call counted twice, which is why joining is the default.
    const result = await pair.client.callTool({ name: 'deploy_prod', arguments: { ref: 'v1' } });
    expect(governanceDenialOf(result)?.['genops/reasonCode']).toBe('BUDGET_EXCEEDED');
    expect(pair.runs.deploy_prod).toBeUndefined();
    const [server, client] = spans();
    expect(server!.attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'jsonrpc.request.id': expect.any(String),
    });
    expect(client!.attributes).toMatchObject({ 'genops.policy.result': 'ALLOWED', 'error.type': ToolResultError.name });
    expect(server!.parentSpanContext?.spanId).toBe(client!.spanContext().spanId);
  });
});
