import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/vercel-ai.mjs', import.meta.url));

describe('examples/vercel-ai', () => {
  it('runs the Vercel AI SDK example end to end as a real process', async () => {
    const env = { ...process.env };
    delete env.NODE_PATH; // resolve like an app does, not through the test runner's paths
    const { stdout } = await run(process.execPath, [script], { env, timeout: 60_000 });
    expect(stdout).toContain('text: Your order ships tomorrow.');
    // gpt-4o: 1000 × $2.50 + 200 cached × $1.25 + 300 × $10 per 1M = $0.005750.
    expect(stdout).toContain('span chat gpt-4o: 1200 input tokens (200 cached), 300 output, cost $0.005750');
    expect(stdout).toContain('4 deltas: Streaming from the fake server.');
    // 40 × $2.50 + 12 × $10 per 1M = $0.000220.
    expect(stdout).toContain('span chat gpt-4o: 40 input, 12 output, cost $0.000220');
    expect(stdout).toMatch(/BudgetExceededError \(BUDGET_EXCEEDED\): Budget "research"/);
    expect(stdout).toContain('requests the server received: 0');
    expect(stdout).toContain('PolicyViolationError (x_tool_denied): Tool "shell_exec" is not allowed');
    expect(stdout).toContain('tool ran: false; span execute_tool shell_exec: BLOCKED');
  });
});
