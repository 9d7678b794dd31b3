import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ApprovalRequest,
  type AuditRecord,
  type GenOpsHandle,
  type GenOpsOptions,
  PolicyViolationError,
  readAuditFile,
  verifyAuditChain,
} from '@genops/core';
import { ToolResultError } from '@genops/core/adapter';
import type { ApprovalRecord } from '@genops/core/internal';
import { expectGenOpsCompliant } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPair, type McpPair, textOf } from './__fixtures__/mcp-pair';
import { GovernedClient, type GovernMcpClientOptions, governanceDenialOf, governMcpClient } from './index';

// The real @modelcontextprotocol/sdk (1.x): an McpServer and a Client over InMemoryTransport, the
// client governed by governMcpClient. `pair.received` counts the tools/call requests that reach the
// server's transport, so "never sent" is checked where it matters.

const harness = createAdapterHarness({ defaults: { team: 'agents', project: 'mcp-tests', environment: 'test' } });
const { onlySpan, spans } = harness;
let pair: McpPair | undefined;

function init(options: GenOpsOptions = {}): GenOpsHandle {
  return harness.init({ autoInstrument: false, ...options });
}

async function connect(options: GovernMcpClientOptions = {}): Promise<McpPair> {
  pair = await connectPair({ client: (client) => governMcpClient(client, options) });
  return pair;
}

const policy = (...rules: object[]) => ({ version: 1 as const, rules }) as GenOpsOptions['policy'];

afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe('governMcpClient: an allowed call', () => {
  it('is one execute_tool unit with the GenAI tool attributes, costs $0 and is GenOps-compliant', async () => {
    init();
    const { client, runs, received } = await connect({ serverAddress: 'tools.internal', serverPort: 8443 });
    const result = await client.callTool({
      name: 'search',
      arguments: { query: 'quarterly-report' },
      _meta: { 'genops/toolCallId': 'call_7f3a' },
    });
    expect(result).toEqual({ content: [{ type: 'text', text: '3 hits for quarterly-report' }] });
    expect(runs.search).toBe(1);
    expect(received).toEqual(['search']);

    const span = onlySpan();
    expect(span.name).toBe('execute_tool search');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.provider.name': 'mcp',
      'gen_ai.tool.name': 'search',
      'gen_ai.tool.call.id': 'call_7f3a',
      'gen_ai.tool.type': 'extension',
      'mcp.method.name': 'tools/call',
      'mcp.server.name': 'tool-server',
      'server.address': 'tools.internal',
      'server.port': 8443,
      'genops.operation.type': 'tool',
      'genops.policy.result': 'ALLOWED',
      'genops.accounting.actual': 0,
    });
    expect(span.attributes['error.type']).toBeUndefined();
    // Content capture is off: the arguments are not recorded.
    expect(JSON.stringify([span.attributes, span.events])).not.toContain('quarterly-report');
    expectGenOpsCompliant(spans());
  });

  it('leaves tools/list, resources and prompts untouched: no unit, no span', async () => {
    init({ policy: policy({ name: 'nothing', type: 'tool', allow: ['none_*'] }) });
    pair = await connectPair({
      beforeTools: (server) => {
        server.registerResource('readme', 'docs://readme', {}, (uri) => ({
          contents: [{ uri: uri.href, text: 'Read me.' }],
        }));
        server.registerPrompt('greet', {}, () => ({
          messages: [{ role: 'user', content: { type: 'text', text: 'Hello.' } }],
        }));
      },
      client: (client) => governMcpClient(client),
    });
    const { client } = pair;
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('search');
    expect((await client.readResource({ uri: 'docs://readme' })).contents).toEqual([
      { uri: 'docs://readme', text: 'Read me.' },
    ]);
    expect((await client.listResources()).resources.map((resource) => resource.name)).toEqual(['readme']);
    expect((await client.getPrompt({ name: 'greet' })).messages).toHaveLength(1);
    await client.ping();
    expect(spans()).toHaveLength(0);
  });

  it('passes every call through untouched when GenOps is not running', async () => {
    const { client, runs } = await connect();
    const result = await client.callTool({ name: 'shell_exec', arguments: { command: 'ls' } });
    expect(textOf(result)).toBe('ran ls');
    expect(runs.shell_exec).toBe(1);
    expect(spans()).toHaveLength(0);
  });

  it('wrapping twice governs once; GovernedClient is the same as governMcpClient(new Client())', async () => {
    init();
    pair = await connectPair({
      createClient: () => new GovernedClient({ name: 'agent', version: '1.0.0' }),
      client: (client) => governMcpClient(client),
    });
    await pair.client.callTool({ name: 'search', arguments: { query: 'x' } });
    expect(spans().map((span) => span.name)).toEqual(['execute_tool search']);
    expect(() => governMcpClient({} as never)).toThrow(TypeError);
  });
});

describe('governMcpClient: tool rules', () => {
  it('allow list: a tool outside it is denied as an MCP error result and never reaches the server', async () => {
    init({ policy: policy({ name: 'read-only', type: 'tool', allow: ['search', 'lookup'] }) });
    const { client, runs, received } = await connect();
    const result = await client.callTool({ name: 'deploy_prod', arguments: { ref: 'v1.2.0' } });
    expect(result).toEqual({
      isError: true,
      content: [
        {
          type: 'text',
          text:
            'GenOps denied the call to tool "deploy_prod" (PolicyViolationError, x_tool_denied): Tool "deploy_prod" ' +
            'is not allowed by policy rule "read-only" (allow: search, lookup). The agent must use another tool, or change the rule.',
        },
      ],
      _meta: {
        'genops/reasonCode': 'x_tool_denied',
        'genops/errorName': 'PolicyViolationError',
        'genops/result': 'BLOCKED',
      },
    });
    expect(governanceDenialOf(result)).toEqual(result._meta);
    expect(runs.deploy_prod).toBeUndefined();
    expect(received).toEqual([]);
    // An allowed tool still runs.
    expect(textOf(await client.callTool({ name: 'search', arguments: { query: 'q' } }))).toBe('3 hits for q');
    const [denied, allowed] = spans();
    expect(denied!.name).toBe('execute_tool deploy_prod');
    expect(denied!.attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'x_tool_denied',
      'genops.policy.name': 'read-only',
    });
    expect(denied!.events.map((event) => event.name)).not.toContain('genops.budget.reconciliation');
    expect(allowed!.attributes['genops.policy.result']).toBe('ALLOWED');
    expectGenOpsCompliant(spans());
  });

  it('deny glob: shell_* is denied, other tools run', async () => {
    init({ policy: policy({ name: 'no-shell', type: 'tool', deny: ['shell_*'] }) });
    const { client, runs, received } = await connect();
    const result = await client.callTool({ name: 'shell_exec', arguments: { command: 'rm -rf /' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('(deny: shell_*)');
    expect(governanceDenialOf(result)?.['genops/reasonCode']).toBe('x_tool_denied');
    expect(runs.shell_exec).toBeUndefined();
    expect(received).toEqual([]);
    await client.callTool({ name: 'search', arguments: { query: 'q' } });
    expect(received).toEqual(['search']);
  });

  it("onDenied: 'throw' rejects with an McpError (InvalidRequest) whose cause is the GovernanceError", async () => {
    init({ policy: policy({ name: 'no-shell', type: 'tool', deny: ['shell_*'] }) });
    const { client, received } = await connect({ onDenied: 'throw' });
    const error = await client.callTool({ name: 'shell_exec', arguments: { command: 'ls' } }).catch((caught) => caught);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(ErrorCode.InvalidRequest);
    expect((error as McpError).message).toContain(
      'GenOps denied the call to tool "shell_exec" (PolicyViolationError, x_tool_denied)',
    );
    expect((error as McpError).data).toEqual({
      'genops/reasonCode': 'x_tool_denied',
      'genops/errorName': 'PolicyViolationError',
      'genops/result': 'BLOCKED',
    });
    expect(error.cause).toBeInstanceOf(PolicyViolationError);
    expect((error.cause as PolicyViolationError).rule).toBe('no-shell');
    expect(governanceDenialOf(error)?.['genops/errorName']).toBe('PolicyViolationError');
    expect(received).toEqual([]);
  });

  it('content rules read the arguments: a secret in them is denied and never sent or recorded', async () => {
    init({ policy: policy({ name: 'no-secrets', type: 'content', detect: ['secret'] }) });
    const { client, received } = await connect();
    const secret = `sk-ant-api03-${'Ab3dEf6hIj9kLm2n'.repeat(6)}`;
    const result = await client.callTool({
      name: 'http_post',
      arguments: { url: 'https://example.com', header: `Bearer ${secret}` },
    });
    expect(governanceDenialOf(result)?.['genops/reasonCode']).toBe('POLICY_DENY_CONTENT');
    expect(textOf(result)).not.toContain(secret);
    expect(received).toEqual([]);
    const span = onlySpan();
    expect(span.attributes['genops.policy.reason_code']).toBe('POLICY_DENY_CONTENT');
    expect(JSON.stringify([span.attributes, span.events])).not.toContain('Ab3dEf6h');
  });
});

describe('governMcpClient: approvals', () => {
  const approvalPolicy = policy({ name: 'deploys-need-approval', type: 'tool', requireApproval: ['deploy_*'] });

  it('an approver that approves lets the call run, and the span says who approved', async () => {
    const asked: ApprovalRequest[] = [];
    init({
      policy: approvalPolicy,
      approver: (request) => {
        asked.push(request);
        return { approved: true, approver: 'alice@example.com', reason: 'release window' };
      },
    });
    const { client, runs } = await connect();
    const result = await client.callTool({ name: 'deploy_prod', arguments: { ref: 'v2' } });
    expect(textOf(result)).toBe('deployed v2');
    expect(runs.deploy_prod).toBe(1);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({
      rule: 'deploys-need-approval',
      reason: 'tool "deploy_prod" requires approval (rule "deploys-need-approval")',
    });
    expect(onlySpan().attributes).toMatchObject({
      'genops.approval.status': 'approved',
      'genops.approval.decided_by': 'alice@example.com',
      'genops.policy.result': 'ALLOWED',
    });
    expectGenOpsCompliant(spans());
  });

  it('an approver that denies: the caller gets the denial, the server never gets the call', async () => {
    init({ policy: approvalPolicy, approver: () => ({ approved: false, approver: 'bob', reason: 'code freeze' }) });
    const { client, received, runs } = await connect();
    const result = await client.callTool({ name: 'deploy_prod', arguments: { ref: 'v2' } });
    expect(governanceDenialOf(result)).toEqual({
      'genops/reasonCode': 'x_approval_denied',
      'genops/errorName': 'ApprovalDeniedError',
      'genops/result': 'BLOCKED',
    });
    expect(textOf(result)).toContain('code freeze');
    expect(runs.deploy_prod).toBeUndefined();
    expect(received).toEqual([]);
    expect(onlySpan().attributes['genops.policy.result']).toBe('BLOCKED');
  });

  it('onApprovalRequired: a held call runs once someone approves it by id, and fails when denied', async () => {
    const held: ApprovalRecord[] = [];
    const handle = init({
      policy: approvalPolicy,
      onApprovalRequired: (record) => {
        held.push(record);
        const decide = record.model === 'deploy_prod' ? handle.approvals.approve : handle.approvals.deny;
        void decide.call(handle.approvals, record.id, { by: 'carol', reason: 'checked' });
      },
    });
    const { client, runs } = await connect();
    pair!.server.registerTool('deploy_staging', {}, () => {
      runs.deploy_staging = (runs.deploy_staging ?? 0) + 1;
      return { content: [{ type: 'text', text: 'staged' }] };
    });
    expect(textOf(await client.callTool({ name: 'deploy_prod', arguments: { ref: 'v3' } }))).toBe('deployed v3');
    const denied = await client.callTool({ name: 'deploy_staging' });
    expect(governanceDenialOf(denied)?.['genops/reasonCode']).toBe('x_approval_denied');
    expect(held.map((record) => record.status)).toEqual(['pending', 'pending']);
    expect(runs).toEqual({ deploy_prod: 1 });
    expect(spans().map((span) => span.attributes['genops.approval.decided_by'])).toEqual(['carol', 'carol']);
  });

  it('an approval nobody decides in time is denied (ApprovalTimeoutError)', async () => {
    init({ policy: approvalPolicy, approvalTimeoutMs: 50, onApprovalRequired: () => undefined });
    const { client, received } = await connect();
    const result = await client.callTool({ name: 'deploy_prod', arguments: { ref: 'v4' } });
    expect(governanceDenialOf(result)).toMatchObject({
      'genops/reasonCode': 'x_approval_timeout',
      'genops/errorName': 'ApprovalTimeoutError',
    });
    expect(received).toEqual([]);
  });
});

describe('governMcpClient: rate limits and call-count budgets', () => {
  it('a per-tool rate limit: the third search in a minute is RATE_LIMITED, other tools are not', async () => {
    init({
      policy: policy({
        name: 'search-rpm',
        type: 'rate_limit',
        limit: 2,
        window: '1m',
        unit: 'requests',
        when: { tool: 'search' },
      }),
    });
    const { client, received } = await connect();
    await client.callTool({ name: 'search', arguments: { query: '1' } });
    await client.callTool({ name: 'search', arguments: { query: '2' } });
    const third = await client.callTool({ name: 'search', arguments: { query: '3' } });
    expect(governanceDenialOf(third)).toEqual({
      'genops/reasonCode': 'RATE_LIMITED',
      'genops/errorName': 'RateLimitedError',
      'genops/result': 'RATE_LIMITED',
    });
    expect(textOf(await client.callTool({ name: 'lookup', arguments: { id: '9' } }))).toBe('no record 9');
    expect(received).toEqual(['search', 'search', 'lookup']);
    expect(spans()[2]!.attributes).toMatchObject({
      'genops.policy.result': 'RATE_LIMITED',
      'genops.policy.reason_code': 'RATE_LIMITED',
    });
    expectGenOpsCompliant(spans());
  });

  it("a call-count budget (unit: requests, match: { tool: 'deploy_*' }) allows one deploy a day", async () => {
    const handle = init({
      budgets: [{ name: 'deploys', unit: 'requests', limit: 1, window: 'day', match: { tool: 'deploy_*' } }],
    });
    const { client, received, runs } = await connect();
    expect(textOf(await client.callTool({ name: 'deploy_prod', arguments: { ref: 'v1' } }))).toBe('deployed v1');
    const second = await client.callTool({ name: 'deploy_prod', arguments: { ref: 'v2' } });
    expect(governanceDenialOf(second)).toEqual({
      'genops/reasonCode': 'BUDGET_EXCEEDED',
      'genops/errorName': 'BudgetExceededError',
      'genops/result': 'BLOCKED',
    });
    expect(textOf(second)).toContain('deploys');
    // Searches do not draw on it.
    await client.callTool({ name: 'search', arguments: { query: 'q' } });
    expect(runs).toEqual({ deploy_prod: 1, search: 1 });
    expect(received).toEqual(['deploy_prod', 'search']);
    const status = await handle.status();
    expect(status.budgets.find((line) => line.budget === 'deploys')).toMatchObject({
      unit: 'requests',
      used: 1,
      limit: 1,
    });
    expectGenOpsCompliant(spans());
  });
});

describe('governMcpClient: tool failures', () => {
  it('a tool that returns isError: the caller gets its result unchanged, the unit ends as an error', async () => {
    init();
    const { client } = await connect();
    const result = await client.callTool({ name: 'lookup', arguments: { id: '42' } });
    expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'no record 42' }] });
    const span = onlySpan();
    expect(span.attributes['error.type']).toBe(ToolResultError.name);
    expect(span.status.code).toBe(2);
    expectGenOpsCompliant(spans());
  });

  it('a tool that throws reaches the client as an isError result (the McpServer convention): an error unit', async () => {
    init();
    const { client, runs } = await connect();
    const result = await client.callTool({ name: 'flaky' });
    expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'the backend is down' }] });
    expect(runs.flaky).toBe(1);
    expect(onlySpan().attributes['error.type']).toBe(ToolResultError.name);
  });

  it('a request that fails (timeout) ends the unit with that error and is rethrown unchanged', async () => {
    init();
    const { client } = await connect();
    const error = await client.callTool({ name: 'slow' }, undefined, { timeout: 20 }).catch((caught) => caught);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(ErrorCode.RequestTimeout);
    expect(onlySpan().attributes['error.type']).toBe('McpError');
    // Let the server's handler finish before the pair is closed.
    await new Promise((resolve) => setTimeout(resolve, 150));
  });
});

describe('governMcpClient: other paths', () => {
  it('experimental.tasks.callToolStream goes through the same governed request', async () => {
    init({ policy: policy({ name: 'no-shell', type: 'tool', deny: ['shell_*'] }) });
    const { client, received } = await connect();
    const messages: unknown[] = [];
    for await (const message of client.experimental.tasks.callToolStream({ name: 'search', arguments: { query: 's' } }))
      messages.push(message);
    for await (const message of client.experimental.tasks.callToolStream({
      name: 'shell_exec',
      arguments: { command: 'ls' },
    }))
      messages.push(message);
    expect(messages).toMatchObject([
      { type: 'result', result: { content: [{ type: 'text', text: '3 hits for s' }] } },
      { type: 'result', result: { isError: true, _meta: { 'genops/reasonCode': 'x_tool_denied' } } },
    ]);
    expect(received).toEqual(['search']);
    expect(spans().map((span) => span.attributes['genops.policy.result'])).toEqual(['ALLOWED', 'BLOCKED']);
  });

  it('writes an audit record per decision, in a hash chain that verifies', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'genops-mcp-audit-')), 'audit.jsonl');
    const handle = init({
      audit: { file },
      policy: policy({ name: 'no-shell', type: 'tool', deny: ['shell_*'] }),
      budgets: [{ name: 'deploys', unit: 'requests', limit: 1, window: 'day', match: { tool: 'deploy_*' } }],
    });
    const { client } = await connect();
    await client.callTool({ name: 'search', arguments: { query: 'a' } });
    await client.callTool({ name: 'shell_exec', arguments: { command: 'ls' } });
    await client.callTool({ name: 'deploy_prod', arguments: { ref: 'v1' } });
    await client.callTool({ name: 'deploy_prod', arguments: { ref: 'v2' } });
    await handle.flushAudit();
    const records: AuditRecord[] = [];
    for await (const item of readAuditFile(file))
      if ('seq' in item && 'type' in item) records.push(item as AuditRecord);
    const decisions = records.filter((record) => record.type === 'decision').map((record) => record.data);
    expect(decisions).toMatchObject([
      { result: 'ALLOWED', model: 'search' },
      { result: 'BLOCKED', reasonCode: 'x_tool_denied', rule: 'no-shell', model: 'shell_exec' },
      { result: 'ALLOWED', model: 'deploy_prod' },
      { result: 'BLOCKED', reasonCode: 'BUDGET_EXCEEDED', model: 'deploy_prod' },
    ]);
    expect(await verifyAuditChain(readAuditFile(file))).toMatchObject({ ok: true, checked: records.length });
  });
});
