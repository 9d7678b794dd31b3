import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatUsdNanosExact, type Usage } from '@genops/core';
import { costNanos, PRICE_FILES } from '@genops/core/internal';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/anthropic.mjs', import.meta.url));

// The usage the example scripts on the fake server, in GenOps' normalized form (Anthropic's wire
// `input_tokens` excludes the cache counts; normalized `inputTokens` includes them).
const price = PRICE_FILES.find((file) => file.provider === 'anthropic')!.models['claude-sonnet-4-6']!;
const cacheWriteCall: Usage = { inputTokens: 150 + 3000, cacheWriteInputTokens: 3000, outputTokens: 200 };
const cacheReadCall: Usage = { inputTokens: 160 + 3000, cacheReadInputTokens: 3000, outputTokens: 180 };
const streamedCall: Usage = { inputTokens: 40 + 3000, cacheReadInputTokens: 3000, outputTokens: 120 };

describe('examples/anthropic', () => {
  it('runs the Anthropic example end to end as a real process', async () => {
    const env = { ...process.env };
    delete env.NODE_PATH; // resolve like an app does, not through the test runner's paths
    const { stdout } = await run(process.execPath, [script], { env, timeout: 60_000 });

    // 1. A cache write: 150 × $3 + 3000 × $3.75 + 200 × $15 per 1M.
    const written = costNanos(price, cacheWriteCall);
    expect(stdout).toContain('answer: Restart the VM from the console, then detach the volume.');
    expect(stdout).toContain('tokens: 3150 input (3000 cache write, 0 cache read), 200 output');
    expect(stdout).toContain(`cost: ${formatUsdNanosExact(written)}\n`);
    expect(written).toBe(14_700_000);

    // 2. A cache read: 160 × $3 + 3000 × $0.30 + 180 × $15 per 1M.
    const read = costNanos(price, cacheReadCall);
    expect(stdout).toContain('tokens: 3160 input (0 cache write, 3000 cache read), 180 output');
    expect(stdout).toContain(`cost: ${formatUsdNanosExact(read)}\n`);

    // 3. messages.stream(): the text arrives through the helper's events, priced from the stream's usage.
    const streamed = costNanos(price, streamedCall);
    expect(stdout).toContain('answer (streamed): Open Billing, then Invoices, then Download.');
    expect(stdout).toContain('tokens: 3040 input (0 cache write, 3000 cache read), 120 output');
    expect(stdout).toContain(`cost: ${formatUsdNanosExact(streamed)}\n`);
    const spent = written + read + streamed;
    expect(stdout).toContain(`budget "support-assistant": ${formatUsdNanosExact(spent)} of $0.05 used today`);

    // 4. The budget blocks the next call before it is sent.
    expect(stdout).toMatch(
      new RegExp(
        `BudgetExceededError \\(BUDGET_EXCEEDED\\): Budget "support-assistant" \\(support-assistant\\|\\|\\d{4}-\\d{2}-\\d{2}\\) ` +
          `would be exceeded: \\${formatUsdNanosExact(spent)} of \\$0\\.05 already used or reserved this day, and this call may cost up to \\$0\\.\\d+`,
      ),
    );
    expect(stdout).toContain('requests the server received for it: 0');

    // 5. The model deny rule.
    expect(stdout).toContain(
      'PolicyViolationError (POLICY_DENY_MODEL): Model "claude-opus-4-1" is denied by policy rule "denyModels"',
    );
    expect(stdout).toContain('span: chat claude-opus-4-1, genops.policy.result=BLOCKED');
    // Only the three allowed calls reached the server.
    expect(stdout).toContain('The fake server received 3 requests in all.');
  });
});
