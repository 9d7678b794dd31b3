// `pnpm --filter @genops/example-mcp start`: GenOps as the authority over an agent's MCP tool calls,
// with the real @modelcontextprotocol/sdk and no network. An in-memory MCP server offers `search`,
// `deploy_prod` and `shell_exec`; a governed client calls them under a policy that denies shell_*
// tools, holds deploy_* for an approver, allows one deploy a day and two searches a minute.
import { GenOps } from '@genops/core';
import { governanceDenialOf, governMcpClient } from '@genops/framework-mcp';
import { createTestTelemetry } from '@genops/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

const telemetry = createTestTelemetry();
const genops = GenOps.init({
  defaults: { team: 'agents', project: 'mcp-example', environment: 'development' },
  policy: {
    version: 1,
    rules: [
      { name: 'no-shell', type: 'tool', deny: ['shell_*'] },
      { name: 'deploys-need-approval', type: 'tool', requireApproval: ['deploy_*'] },
      { name: 'search-rate', type: 'rate_limit', limit: 2, window: '1m', when: { tool: 'search' } },
    ],
    budgets: [{ name: 'deploys-per-day', unit: 'requests', limit: 1, window: 'day', match: { tool: 'deploy_*' } }],
  },
  approver: (request) => {
    console.log(`  approval asked: ${request.reason}`);
    return { approved: true, approver: 'alice@example.com', reason: 'release window' };
  },
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});

// The tool server (in a real deployment, another process). It counts what actually reaches it.
const ran = [];
const server = new McpServer({ name: 'ops-tools', version: '1.0.0' });
const reply = (name, text) => {
  ran.push(name);
  return { content: [{ type: 'text', text }] };
};
server.registerTool('search', { inputSchema: { query: z.string() } }, ({ query }) =>
  reply('search', `3 results for "${query}"`),
);
server.registerTool('deploy_prod', { inputSchema: { ref: z.string() } }, ({ ref }) =>
  reply('deploy_prod', `deployed ${ref}`),
);
server.registerTool('shell_exec', { inputSchema: { command: z.string() } }, ({ command }) =>
  reply('shell_exec', `ran ${command}`),
);

// The agent's client: every tools/call is one governed unit.
const client = governMcpClient(new Client({ name: 'ops-agent', version: '1.0.0' }));
const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
await server.connect(serverTransport);
await client.connect(clientTransport);

async function call(label, name, args) {
  console.log(`${label}: ${name} ${JSON.stringify(args)}`);
  const result = await client.callTool({ name, arguments: args });
  const denial = governanceDenialOf(result);
  const span = telemetry.spans().at(-1);
  if (denial) console.log(`  denied: ${denial['genops/errorName']} (${denial['genops/reasonCode']})`);
  console.log(`  the caller sees: ${result.isError ? 'isError, ' : ''}"${result.content[0].text}"`);
  console.log(`  span: ${span.name}, ${span.attributes['genops.policy.result']}\n`);
}

await call('1. An allowed tool', 'search', { query: 'rollback runbook' });
await call('2. A denied tool (deny: shell_*)', 'shell_exec', { command: 'rm -rf /var/lib/app' });
await call('3. A tool that needs approval (requireApproval: deploy_*)', 'deploy_prod', { ref: 'v1.4.0' });
await call('4. Past the call-count budget (1 deploy a day)', 'deploy_prod', { ref: 'v1.4.1' });
await call('5. A second search', 'search', { query: 'incident 4711' });
await call('6. Past the rate limit (2 searches a minute)', 'search', { query: 'on-call rota' });

console.log(`The server ran: ${ran.join(', ')}`);
const status = await genops.status();
const deploys = status.budgets.find((line) => line.budget === 'deploys-per-day');
console.log(`Budget deploys-per-day: ${deploys.used} of ${deploys.limit} calls used`);

await client.close();
await server.close();
await genops.shutdown();
await telemetry.shutdown();
