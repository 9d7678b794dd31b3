import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/bedrock.mjs', import.meta.url));

describe('examples/bedrock', () => {
  it('runs the Bedrock example end to end as a real process', async () => {
    const env = { ...process.env };
    delete env.NODE_PATH; // resolve like an app does, not through the test runner's paths
    const { stdout } = await run(process.execPath, [script], { env, timeout: 60_000 });
    // 1. Converse: 150 uncached + 3000 cache-read input, 200 output on the `us.` Claude Sonnet 4.5
    //    profile: 150 × 3.3 + 3000 × 0.33 + 200 × 16.5 = 4785 µ$.
    expect(stdout).toContain('answer: Stop the instance, then detach the volume from the console.');
    expect(stdout).toContain('tokens: 3150 input (3000 cache read), 200 output');
    expect(stdout).toContain('cost: $0.004785 (span chat us.anthropic.claude-sonnet-4-5-20250929-v1:0)');
    // 2. ConverseStream: 120 × 3.3 + 90 × 16.5 = 1881 µ$.
    expect(stdout).toContain('streamed: Snapshots are kept for 30 days.');
    expect(stdout).toContain('cost: $0.001881');
    // 3. InvokeModel, Llama body, cross-region profile priced as meta.llama3-1-70b: 1000 × 0.99 = 990 µ$.
    expect(stdout).toContain('generation: Volumes can be detached while stopped.');
    expect(stdout).toContain('tokens: 900 input (0 cache read), 100 output');
    expect(stdout).toContain('cost: $0.00099 (span chat us.meta.llama3-1-70b-instruct-v1:0)');
    // 4. Region rule.
    expect(stdout).toMatch(
      /PolicyViolationError \(POLICY_DENY_REGION\): Region "eu-west-1" of provider "aws\.bedrock"/,
    );
    expect(stdout).toContain('requests sent to Bedrock: 0');
    expect(stdout).toContain('Budget bedrock-assistant: $0.007656 used of $1, $0.00 reserved');
  });
});
