import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFakeOpenAI } from '@genops/testing';
import { describe, expect, it } from 'vitest';

// Each scenario runs as a real Node process, the way an app does: no test-runner module loading.
const run = promisify(execFile);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

async function node(script: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, [here(script)], {
    cwd: here('..'),
    // Without pnpm's NODE_PATH: resolution must work the way it does for a real app.
    env: { ...process.env, NODE_PATH: '', FORCE_COLOR: '0', NO_COLOR: '1', ...env },
  });
  return stdout;
}

describe('automatic governance after GenOps.init(), with no code change', () => {
  it('governs an app that uses require(), for a client created before init', async () => {
    const result = JSON.parse(await node('./fixtures/app.cjs'));
    expect(result.adapters).toEqual(['@genops/provider-openai']);
    // gpt-4o-mini, fake usage 20 in + 10 out: 20 × 0.15 + 10 × 0.6 = 9 µ$
    expect(result.spans).toEqual([{ name: 'chat gpt-4o-mini', team: 'cjs', cost: 0.000009 }]);
  });

  it('governs an app that uses import, plain and streaming', async () => {
    const result = JSON.parse(await node('./fixtures/app.mjs'));
    expect(result.adapters).toEqual(['@genops/provider-openai']);
    expect(result.spans).toEqual([
      { name: 'chat gpt-4o-mini', team: 'esm', cost: 0.000009 },
      { name: 'chat gpt-4o-mini', team: 'esm', cost: 0.000009 },
    ]);
  });
});

describe('the README quick start (src/quickstart.mjs)', () => {
  it('runs unchanged OpenAI SDK code governed, and exports spans to the console', async () => {
    const server = await startFakeOpenAI();
    try {
      const output = await node('../src/quickstart.mjs', { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'test-key' });
      expect(server.requests).toHaveLength(1);
      expect(output).toContain('Hello from the fake OpenAI server.');
      // ConsoleSpanExporter prints the span with the governance attributes.
      expect(output).toContain("name: 'chat gpt-4o-mini'");
      expect(output).toContain("'genops.policy.result': 'ALLOWED'");
      expect(output).toContain("'genops.budget.name': 'daily'");
      expect(output).toContain("'genops.accounting.actual': 0.000009");
    } finally {
      await server.close();
    }
  });
});

describe('npm run demo', () => {
  it('prints each decision and cost, and the budget table', async () => {
    const output = await node('../src/demo.mjs');
    expect(output).toContain('✔ engineering  gpt-5-pro    ALLOWED  cost $10.94 (reserved $12.00)');
    expect(output).toMatch(/✖ engineering\s+gpt-4\s+BLOCKED\s+POLICY_DENY_MODEL/);
    expect(output).toContain('PolicyViolationError: Model "gpt-4" is denied by policy');
    expect(output).toContain("approval requested: o1-pro for team 'product' may cost up to $60.02 (over $50)");
    expect(output).toContain('✔ product      o1-pro       ALLOWED  cost $15.79 (reserved $60.02)');
    expect(output).toMatch(/✖ marketing\s+gpt-5-pro\s+BLOCKED\s+BUDGET_EXCEEDED/);
    expect(output).toContain('BudgetExceededError: Budget "marketing"');
    expect(output).toMatch(/│ engineering │ \$100\.00 │ \$76\.58 │ Active\s+│/);
    expect(output).toMatch(/│ product\s+│ \$75\.00\s+│ \$15\.79 │ Active\s+│/);
    expect(output).toMatch(/│ marketing\s+│ \$50\.00\s+│ \$48\.00 │ Warning │/);
    expect(output).toContain('open reservations: 0');
  });
});
