// Runs docs snippets one after the other in this process: `node run-snippets.mjs <jobs.json> <results.jsonl>`.
// Each job: { id, file, cwd }. The runner changes into the job's working directory (the files its contexts
// need are there), imports the snippet module and waits for it, then shuts down whatever GenOps instance the
// snippet left running. One result line per job: { id, ok, error? }. A snippet that does not settle within the
// timeout is reported and ends this process; the test starts another runner for the jobs after it.
import { appendFileSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { GenOps } from '@genops/core';

const [jobsFile, resultsFile] = process.argv.slice(2);
const jobs = JSON.parse(readFileSync(jobsFile, 'utf8'));
const TIMEOUT_MS = Number(process.env.SNIPPET_TIMEOUT_MS ?? 60_000);

let stray;
process.on('unhandledRejection', (reason) => {
  stray ??= reason;
});
process.on('uncaughtException', (error) => {
  stray ??= error;
});

function describe(error) {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  return String(error);
}

function report(result) {
  appendFileSync(resultsFile, `${JSON.stringify(result)}\n`);
}

for (const job of jobs) {
  stray = undefined;
  process.chdir(job.cwd);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  try {
    await Promise.race([import(pathToFileURL(job.file).href), timeout]);
    // Let callbacks the snippet started (an approval poll, a stream's last chunk) surface their errors.
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (stray !== undefined) throw stray;
    report({ id: job.id, ok: true });
  } catch (error) {
    report({ id: job.id, ok: false, error: describe(error) });
    if (String(error?.message).startsWith('did not finish')) process.exit(2);
  } finally {
    clearTimeout(timer);
    await GenOps.current?.shutdown();
  }
}
process.exit(0);
