import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/llamaindex.mjs', import.meta.url));

describe('examples/llamaindex', () => {
  it('runs the LlamaIndex example end to end as a real process', async () => {
    const env = { ...process.env };
    delete env.NODE_PATH; // resolve like an app does, not through the test runner's paths
    const { stdout } = await run(process.execPath, [script], { env, timeout: 60_000 });
    expect(stdout).toContain('answer: Hello from the fake OpenAI server.');
    // gpt-4o: 600 × $2.50 + 400 × $1.25 (cached) + 300 × $10 per 1M tokens = $0.005
    expect(stdout).toContain(
      'span chat gpt-4o: 1000 input tokens (400 cached), 300 output tokens (120 reasoning), cost $0.005',
    );
    expect(stdout).toContain('streamed: Hello from the fake OpenAI server.');
    expect(stdout).toContain('GenOps asked for the stream\'s usage: {"include_usage":true}');
    expect(stdout).toContain('span chat gpt-4o (stream): cost $0.005');
    expect(stdout).toMatch(/BudgetExceededError \(BUDGET_EXCEEDED\): .*daily/);
    expect(stdout).toContain('requests the server received for it: 0');
    expect(stdout).toContain('Budget "daily": used $0.01 of $0.05');
  });
});
