import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatUsdNanosExact, type Usage } from '@genops/core';
import { costNanos, PRICE_FILES } from '@genops/core/internal';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/google.mjs', import.meta.url));

const gemini = PRICE_FILES.find((file) => file.provider === 'gcp.gemini')!.models;
// The usage the example scripts on the fake server, in GenOps' normalized form: Gemini's
// `promptTokenCount` includes cached tokens; thoughts are reported apart and billed as output.
const cost = (model: string, usage: Usage) => costNanos(gemini[model]!, usage);
const thinking = cost('gemini-2.5-pro', {
  inputTokens: 1000,
  cacheReadInputTokens: 400,
  outputTokens: 200 + 300,
  reasoningOutputTokens: 300,
});
const longContext = cost('gemini-2.5-pro', {
  inputTokens: 250_000,
  cacheReadInputTokens: 50_000,
  outputTokens: 1000 + 1000,
  reasoningOutputTokens: 1000,
});
const streamed = cost('gemini-2.5-flash', { inputTokens: 60, outputTokens: 150 + 90, reasoningOutputTokens: 90 });
const turn1 = cost('gemini-2.5-flash', { inputTokens: 30, outputTokens: 40 });
const turn2 = cost('gemini-2.5-flash', { inputTokens: 80, outputTokens: 60 });
const embedding = cost('gemini-embedding-001', { inputTokens: 800, outputTokens: 0 });

describe('examples/google', () => {
  it('runs the Google Gen AI example end to end as a real process', async () => {
    const env = { ...process.env };
    delete env.NODE_PATH; // resolve like an app does, not through the test runner's paths
    const { stdout } = await run(process.execPath, [script], { env, timeout: 60_000 });

    // 1. Thinking and implicit caching: 600 × $1.25 + 400 × $0.125 + 500 × $10 per 1M.
    expect(stdout).toContain('answer: The contract renews on 1 March unless cancelled 60 days before.');
    expect(stdout).toContain('tokens: 1000 input (400 cached), 500 output (300 thoughts)');
    expect(stdout).toContain(`cost: ${formatUsdNanosExact(thinking)} (span generate_content gemini-2.5-pro)`);
    expect(thinking).toBe(5_800_000);

    // 2. Over 200k prompt tokens: the whole request at the long-context rates.
    expect(stdout).toContain('tokens: 250000 input (50000 cached), 2000 output (1000 thoughts)');
    expect(stdout).toContain(`cost: ${formatUsdNanosExact(longContext)} (span generate_content gemini-2.5-pro)`);
    expect(longContext).toBe((200_000 * 2.5 + 50_000 * 0.25 + 2000 * 15) * 1_000); // not the base 1.25 / 0.125 / 10

    // 3. The stream.
    expect(stdout).toContain('answer (streamed): Three risks: renewal, liability, data.');
    expect(stdout).toContain('tokens: 60 input (0 cached), 240 output (90 thoughts)');
    expect(stdout).toContain(`cost: ${formatUsdNanosExact(streamed)} (span generate_content gemini-2.5-flash)`);

    // 4. Two chat turns, two governed calls.
    expect(stdout).toContain('turn: Hello! What should we review?');
    expect(stdout).toContain(
      `tokens: 30 input (0 cached), 40 output (0 thoughts)\n  cost: ${formatUsdNanosExact(turn1)}`,
    );
    expect(stdout).toContain('turn: The liability cap is 12 months of fees.');
    expect(stdout).toContain(
      `tokens: 80 input (0 cached), 60 output (0 thoughts)\n  cost: ${formatUsdNanosExact(turn2)}`,
    );

    // 5. Embeddings.
    expect(stdout).toContain('vectors: 2 × 4 dimensions');
    expect(stdout).toContain(`cost: ${formatUsdNanosExact(embedding)} (span embeddings gemini-embedding-001)`);

    // 6. The secret never leaves the process, and the call never reached the server.
    expect(stdout).toContain(
      'PolicyViolationError (POLICY_DENY_CONTENT): The request contains 1 secret, which policy does not allow',
    );
    expect(stdout).not.toContain('AIzaSy');
    expect(stdout).toContain('requests the server received for it: 0');

    const total = thinking + longContext + streamed + turn1 + turn2 + embedding;
    expect(stdout).toContain(
      `Budget "research-daily" for team research: ${formatUsdNanosExact(total)} used today, 6 requests sent.`,
    );
  });
});
