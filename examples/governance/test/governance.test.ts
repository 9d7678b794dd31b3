import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/governance.mjs', import.meta.url));

describe('examples/governance', () => {
  it('runs the governance example end to end as a real process', async () => {
    const env = { ...process.env };
    delete env.NODE_PATH; // resolve like an app does, not through the test runner's paths
    const { stdout } = await run(process.execPath, [script], { env, timeout: 60_000 });
    expect(stdout).toContain(
      'the provider received: "Refund card [REDACTED:payment_card] for [REDACTED:email], order ORD-2024-000123."',
    );
    expect(stdout).toContain('span: payment_card:1, email:1');
    expect(stdout).toMatch(/PolicyViolationError \(POLICY_DENY_CONTENT\): The request contains 1 secret/);
    expect(stdout).not.toContain('sk-proj-Ab3d');
    expect(stdout).toContain('call 1: sent to gpt-4o (span chat gpt-4o)');
    expect(stdout).toContain('call 3: sent to gpt-4o-mini (span chat gpt-4o-mini)');
    expect(stdout).toContain('request 3: ok');
    expect(stdout).toContain('request 4: RateLimitedError (RATE_LIMITED)');
    expect(stdout).toMatch(/approval asked: may cost \$0\.\d+, over the approval threshold of \$0\.05/);
    expect(stdout).toContain('approved by alice@example.com');
    expect(stdout).toMatch(/6\. Audit: \d+ hash-chained records, chain intact/);
  });
});
