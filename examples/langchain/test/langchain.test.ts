import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/langchain.mjs', import.meta.url));

describe('examples/langchain', () => {
  it('runs the LangChain example end to end as a real process', async () => {
    const env = { ...process.env };
    delete env.NODE_PATH; // resolve like an app does, not through the test runner's paths
    const { stdout, stderr } = await run(process.execPath, [script], { env, timeout: 60_000 });
    expect(stdout).toContain('answer: Otters hold hands while they sleep.');
    expect(stdout).toContain('tokens: 1200 in (1024 cached), 300 out');
    // gpt-4o: 176 × $2.50 + 1024 × $1.25 + 300 × $10 per 1M = $0.00472
    expect(stdout).toContain('cost: $0.00472 (policy ALLOWED)');
    expect(stdout).toMatch(/BudgetExceededError \(BUDGET_EXCEEDED\): Budget "daily" .* would be exceeded/);
    expect(stdout).toContain('requests sent to the provider: 0');
    expect(stdout).toMatch(
      /invoke_workflow otter_facts\n\s+invoke_workflow ChatPromptTemplate\n\s+chat gpt-4o \[ALLOWED, \$0\.00472\]/,
    );
    expect(stdout).toMatch(
      /invoke_workflow RunnableSequence\n\s+invoke_workflow ChatPromptTemplate\n\s+chat gpt-4o \[BLOCKED\]/,
    );
    expect(stdout).toContain('Budget "daily": $0.00472 used of $0.01');
    // LangChain itself logs a handler's raised error to stderr.
    expect(stderr).toContain('Error in handler GenOpsCallbackHandler');
  });
});
