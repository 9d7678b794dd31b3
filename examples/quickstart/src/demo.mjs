// `npm run demo`: an OpenAI SDK app governed end to end, with no API key and no network.
// The real `openai` SDK talks to GenOps' built-in fake OpenAI server on 127.0.0.1; GenOps decides,
// prices and records every call. Nothing here is simulated inside GenOps itself.
import { GenOps, GenOpsError, withAttribution } from '@genops/core';
import { createTestTelemetry, startFakeOpenAI } from '@genops/testing';
import Table from 'cli-table3';
import OpenAI from 'openai';
import pc from 'picocolors';

const server = await startFakeOpenAI();
const telemetry = createTestTelemetry();
const money = (usd) => `$${usd.toFixed(2)}`;

// What a platform team would configure: an org-wide daily limit, a budget per team, approval over
// $50, and a policy that retires legacy models.
const genops = GenOps.init({
  dailyBudgetLimit: 250,
  requireApprovalOver: 50,
  enablePolicyEnforcement: true,
  budgets: [
    { name: 'engineering', limit: 100, window: 'day', match: { team: 'engineering' }, warnAt: [0.8] },
    { name: 'product', limit: 75, window: 'day', match: { team: 'product' }, warnAt: [0.8] },
    { name: 'marketing', limit: 50, window: 'day', match: { team: 'marketing' }, warnAt: [0.8] },
  ],
  policies: { denyModels: ['gpt-4', 'gpt-3.5-*'] },
  defaults: { project: 'demo', environment: 'development' },
  approver: async (request) => {
    console.log(
      pc.yellow(
        `  ⏸  approval requested: ${request.request.model} for team '${request.attribution.team}' may cost up to ${money(request.estimatedCost)} (over $${request.threshold})`,
      ),
    );
    return { approved: true, approver: 'alice@example.com', reason: 'quarterly report run' };
  },
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
  onDecision: (decision) => {
    if (decision.phase === 'settled') {
      console.log(
        `  ${pc.green('✔')} ${decision.attribution.team.padEnd(12)} ${decision.model.padEnd(12)} ${pc.green(decision.result.padEnd(8))} cost ${money(decision.actual ?? 0)} (reserved ${money(decision.reserved ?? 0)})`,
      );
    } else if (decision.result === 'BLOCKED') {
      console.log(
        `  ${pc.red('✖')} ${decision.attribution.team.padEnd(12)} ${decision.model.padEnd(12)} ${pc.red('BLOCKED ')} ${decision.reasonCode}`,
      );
    }
  },
});

// The app: plain OpenAI SDK code. GenOps.init() found @genops/provider-openai and governs the SDK.
const client = new OpenAI({ apiKey: 'demo-key-not-sent-anywhere', baseURL: server.url, maxRetries: 0 });
const prompt = [
  { role: 'user', content: 'Summarise this quarter’s support tickets by theme, with counts and examples.' },
];

async function ask(team, model, maxTokens, usage) {
  server.enqueue({ usage, content: `(${model} answer)` });
  try {
    await withAttribution({ team }, () =>
      client.chat.completions.create({ model, messages: prompt, max_tokens: maxTokens }),
    );
  } catch (error) {
    if (!GenOpsError.isInstance(error)) throw error;
    server.reset(); // the denied call never reached the server: drop the reply queued for it
    console.log(pc.dim(`     └─ ${error.name}: ${error.message}`));
  }
}

console.log(pc.bold('\nGoverned calls (real OpenAI SDK → fake OpenAI server on 127.0.0.1)\n'));
for (let index = 0; index < 7; index++) await ask('engineering', 'gpt-5-pro', 100_000, { input: 40, output: 91_160 });
await ask('engineering', 'gpt-4', 1_000, { input: 40, output: 500 });
await ask('product', 'gpt-4o-mini', 1_000, { input: 40, output: 800 });
await ask('product', 'o1-pro', 100_000, { input: 40, output: 26_300 });
for (let index = 0; index < 4; index++) await ask('marketing', 'gpt-5-pro', 100_000, { input: 40, output: 100_000 });
await ask('marketing', 'gpt-5-pro', 100_000, { input: 40, output: 90_000 });

const status = await genops.status();
const table = new Table({
  head: ['Team', 'Budget', 'Used', 'Status'].map((title) => pc.bold(title)),
  style: { head: [] },
});
for (const row of status.budgets.filter((budget) => budget.budget !== 'daily')) {
  const colour = row.status === 'Active' ? pc.green : row.status === 'Warning' ? pc.yellow : pc.red;
  table.push([row.budget, money(row.limit), money(row.used), colour(row.status)]);
}
const daily = status.budgets.find((budget) => budget.budget === 'daily');
console.log(pc.bold('\nAI Governance Status (Real-Time)'));
console.log(table.toString());
if (daily)
  console.log(
    pc.dim(
      `Organisation daily budget: ${money(daily.used)} of ${money(daily.limit)} used · open reservations: ${status.openReservations}`,
    ),
  );

const spans = telemetry.spans();
const last = spans.findLast((span) => span.attributes['genops.policy.result'] === 'ALLOWED');
console.log(pc.bold(`\n${spans.length} spans recorded. One of them (${last?.name}):`));
const shown = [
  'gen_ai.provider.name',
  'gen_ai.request.model',
  'genops.team',
  'genops.project',
  'genops.policy.result',
  'genops.accounting.reserved',
  'genops.accounting.actual',
  'genops.accounting.unit',
  'genops.budget.name',
  'genops.budget.remaining',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
];
console.log(JSON.stringify(Object.fromEntries(shown.map((key) => [key, last?.attributes[key]])), null, 2));

await genops.shutdown();
await telemetry.shutdown();
await server.close();
