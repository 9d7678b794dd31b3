import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatUsdNanosExact, type ModelPrice, type Usage } from '@genops/core';
import { costNanos, PRICE_FILES } from '@genops/core/internal';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/openai-compatible.mjs', import.meta.url));

/** The bundled price of a model, from the provider's own price file. */
function priceOf(provider: string, model: string): ModelPrice {
  return PRICE_FILES.find((file) => file.provider === provider)!.models[model]!;
}
const cost = (provider: string, model: string, usage: Usage) =>
  formatUsdNanosExact(costNanos(priceOf(provider, model), usage));

// The usage the example scripts on the fake server (OpenAI's `prompt_tokens` includes cached tokens).
const deepseekCall: Usage = { inputTokens: 1200, cacheReadInputTokens: 1000, outputTokens: 300 };
const groqCall: Usage = { inputTokens: 400, outputTokens: 250 };
const openrouterCall: Usage = { inputTokens: 500, outputTokens: 200 };
const heliconeCall: Usage = { inputTokens: 300, outputTokens: 120 };
const proxyCall: Usage = { inputTokens: 1200, outputTokens: 300 };

describe('examples/openai-compatible', () => {
  it('runs the OpenAI-compatible example end to end as a real process', async () => {
    const env = { ...process.env };
    delete env.NODE_PATH; // resolve like an app does, not through the test runner's paths
    const { stdout } = await run(process.execPath, [script], { env, timeout: 60_000 });

    // 1. DeepSeek by its base URL: provider deepseek, priced from deepseek.json (not as an OpenAI model).
    expect(stdout).toContain('answer: Use a B-tree index on (tenant_id, created_at).');
    expect(stdout).toContain(
      'span chat deepseek-chat: gen_ai.provider.name=deepseek, server.address=api.deepseek.com\n' +
        '  tokens: 1200 input (1000 cached), 300 output\n' +
        `  genops.accounting.actual: ${cost('deepseek', 'deepseek-chat', deepseekCall)}\n`,
    );

    // 2. Groq, streamed: 400 × $0.59 + 250 × $0.79 per 1M = 433.5 µ$, rounded half up.
    expect(stdout).toContain('answer (streamed): Groq streams fast.');
    expect(stdout).toContain(
      'span chat llama-3.3-70b-versatile: gen_ai.provider.name=groq, server.address=api.groq.com\n' +
        '  tokens: 400 input, 250 output\n' +
        `  genops.accounting.actual: ${cost('groq', 'llama-3.3-70b-versatile', groqCall)}\n`,
    );

    // 3. OpenRouter routes `anthropic/…` to Anthropic: reported and priced as Anthropic.
    expect(stdout).toContain(
      'span chat anthropic/claude-haiku-4-5: gen_ai.provider.name=anthropic, server.address=openrouter.ai\n' +
        '  tokens: 500 input, 200 output\n' +
        `  genops.accounting.actual: ${cost('anthropic', 'claude-haiku-4-5', openrouterCall)}\n`,
    );

    // 4. The provider rule follows the routed vendor: `x-ai/grok-4` is x_ai, denied, never sent.
    expect(stdout).toContain(
      'PolicyViolationError (x_deny_provider): Provider "x_ai" is not allowed by policy rule "denyProviders"',
    );
    expect(stdout).toContain('span: gen_ai.provider.name=x_ai\n  requests the server received for it: 0');

    // 5. Helicone: attribution as custom-property headers; the upstream (openai) is the provider.
    expect(stdout).toContain('Helicone-Property-Team: search, Helicone-Property-Cost-Center: cc-042');
    expect(stdout).toContain(
      'span chat gpt-4o-mini: gen_ai.provider.name=openai, server.address=oai.helicone.ai\n' +
        '  tokens: 300 input, 120 output\n' +
        `  genops.accounting.actual: ${cost('openai', 'gpt-4o-mini', heliconeCall)}\n`,
    );

    // 6. The LiteLLM proxy's reported cost wins over the price table, for the provider named explicitly.
    const priceTable = cost('deepseek', 'deepseek-chat', proxyCall);
    expect(priceTable).not.toBe('$0.000185');
    expect(stdout).toContain(
      'span chat deepseek-chat: gen_ai.provider.name=deepseek, server.address=127.0.0.1\n' +
        '  tokens: 1200 input, 300 output\n' +
        '  genops.accounting.actual: $0.000185\n',
    );

    // Five allowed calls reached the server; the denied one did not.
    expect(stdout).toContain('The fake server received 5 requests in all.');
  });
});
