import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/mcp.mjs', import.meta.url));

describe('examples/mcp', () => {
  it('runs the MCP example end to end as a real process', async () => {
    const env = { ...process.env };
    delete env.NODE_PATH; // resolve like an app does, not through the test runner's paths
    const { stdout } = await run(process.execPath, [script], { env, timeout: 60_000 });
    const steps = stdout.split('\n\n');
    expect(steps[0]).toContain('the caller sees: "3 results for "rollback runbook""');
    expect(steps[0]).toContain('span: execute_tool search, ALLOWED');
    expect(steps[1]).toContain('denied: PolicyViolationError (x_tool_denied)');
    expect(steps[1]).toContain(
      'the caller sees: isError, "GenOps denied the call to tool "shell_exec" (PolicyViolationError, x_tool_denied): Tool "shell_exec" is not allowed by policy rule "no-shell" (deny: shell_*).',
    );
    expect(steps[1]).toContain('span: execute_tool shell_exec, BLOCKED');
    expect(steps[2]).toContain('approval asked: tool "deploy_prod" requires approval (rule "deploys-need-approval")');
    expect(steps[2]).toContain('the caller sees: "deployed v1.4.0"');
    expect(steps[3]).toContain('denied: BudgetExceededError (BUDGET_EXCEEDED)');
    expect(steps[3]).toContain('Budget "deploys-per-day"');
    expect(steps[3]).not.toContain('approval asked');
    expect(steps[4]).toContain('span: execute_tool search, ALLOWED');
    expect(steps[5]).toContain('denied: RateLimitedError (RATE_LIMITED)');
    expect(steps[5]).toContain('span: execute_tool search, RATE_LIMITED');
    // Denied calls never reached the server.
    expect(stdout).toContain('The server ran: search, deploy_prod, search\n');
    expect(stdout).toContain('Budget deploys-per-day: 1 of 1 calls used');
  });
});
