// `pnpm --filter @genops/example-shared-budget start`: three worker processes spend one team budget
// ($0.05 a day) kept in one SQLite file, at the same time, then `genops status` shows the table.
// No API key, no network: the workers' OpenAI SDK talks to GenOps' fake OpenAI server on 127.0.0.1.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFakeOpenAI } from '@genops/testing';

const run = promisify(execFile);
// Each reply reports 20 input + 200 output tokens (the cap): $0.00205 a call with gpt-4o. The reservation
// is the worst case, 2150 µ$ (the prompt's UTF-8 bytes as input tokens, plus the cap), so it always covers it.
const server = await startFakeOpenAI({ defaults: { usage: { input: 20, output: 200 } } });
const store = `sqlite:${join(mkdtempSync(join(tmpdir(), 'genops-shared-')), 'state.db')}`;
const worker = fileURLToPath(new URL('./worker.mjs', import.meta.url));
const env = { ...process.env };
delete env.NODE_PATH;

console.log(`Store ${store}: budget team-daily, $0.05 a day per team\n`);
const results = await Promise.all(
  ['worker-a', 'worker-b', 'worker-c'].map((name) =>
    run(process.execPath, [worker, server.url, store, name, '15'], { env }).then(({ stdout }) => JSON.parse(stdout)),
  ),
);
for (const result of results)
  console.log(`${result.name}: ${result.ok} calls ran, ${result.refused} refused by the budget`);

// The same table any process (or a person) can ask for: `npx genops status --store <url>`.
const cli = createRequire(import.meta.url)
  .resolve('@genops/cli/package.json')
  .replace(/package\.json$/, 'dist/cli.js');
console.log(`\n$ genops status --store ${store}`);
console.log(execFileSync(process.execPath, [cli, 'status', '--store', store], { env, encoding: 'utf8' }));
await server.close();
