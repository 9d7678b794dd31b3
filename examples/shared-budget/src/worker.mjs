// One worker process: an ordinary OpenAI SDK app. GenOps.init() points it at the shared SQLite store,
// so its calls draw on the same team budget as every other worker's.
import { GenOps, GenOpsError, withAttribution } from '@genops/core';
import OpenAI from 'openai';

const [baseURL, store, name, calls] = process.argv.slice(2);
const genops = GenOps.init({
  store, // e.g. sqlite:/tmp/…/state.db — or GENOPS_STORE
  budgets: [{ name: 'team-daily', limit: 0.05, window: 'day', per: 'team', warnAt: [0.5, 0.8] }],
  exporter: 'none',
});
const client = new OpenAI({ apiKey: 'not-needed', baseURL, maxRetries: 0 });
let ok = 0;
let refused = 0;
await withAttribution({ team: 'support', project: 'shared-budget-example' }, () =>
  Promise.all(
    Array.from({ length: Number(calls) }, async () => {
      try {
        await client.chat.completions.create({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'Summarise the ticket.' }],
          max_tokens: 200, // an output cap: the worst case is known, so the budget is never overspent
        });
        ok++;
      } catch (error) {
        if (!GenOpsError.isInstance(error)) throw error;
        refused++;
      }
    }),
  ),
);
await genops.shutdown();
process.stdout.write(`${JSON.stringify({ name, ok, refused })}\n`);
