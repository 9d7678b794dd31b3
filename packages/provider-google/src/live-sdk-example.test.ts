// @google/genai's own Live sample (sdk-samples/live_client_content.ts, vendored unchanged in
// __fixtures__/js-genai) run as a child process against the fake Gemini Live server: without GenOps, with
// GenOps preloaded (`node --import @genops/core/register`, configured from the environment: no code change),
// and with a tiny budget. Governed, it prints exactly what it prints alone and each of its two turns is a
// priced unit under the session span; under the tiny budget no turn reaches the server, the sample's own
// `onerror` prints the budget error and its `onclose` the close GenOps ends the session with, and it exits.
// The sample is TypeScript importing types as values (`AuthToken`), so it is transpiled (TypeScript's
// transpileModule drops type-only imports) next to the package's node_modules.
// Also run the same way: a Live client on the `undici` package's WebSocket, imported statically by an ES
// module (__fixtures__/undici-live-app.mjs), governed with no code change.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeGeminiLiveServer, startFakeGeminiLive } from '@genops/testing';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const SAMPLE = fileURLToPath(new URL('./__fixtures__/js-genai/live_client_content.ts', import.meta.url));
const PRELOAD_SPANS = fileURLToPath(new URL('./__fixtures__/span-lines.mjs', import.meta.url));
// Under the package's node_modules, so that the sample's `@google/genai` resolves as it would in an app.
const COMPILED_DIR = join(PACKAGE_DIR, 'node_modules', '.cache', 'genops-live-sample');
const COMPILED = join(COMPILED_DIR, 'live_client_content.mjs');
const UNDICI_APP = fileURLToPath(new URL('./__fixtures__/undici-live-app.mjs', import.meta.url));

let fake: FakeGeminiLiveServer;
let work: string;

beforeAll(async () => {
  fake = await startFakeGeminiLive();
  work = mkdtempSync(join(tmpdir(), 'genops-live-sample-'));
  const { outputText } = ts.transpileModule(readFileSync(SAMPLE, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  mkdirSync(COMPILED_DIR, { recursive: true });
  writeFileSync(COMPILED, outputText);
});

afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  spans: Array<{ name: string; spanId: string; parentSpanId?: string; attributes: Record<string, unknown> }>;
}

/**
 * Runs the sample; with `budget`, GenOps is preloaded with that daily budget. `until`: the child is stopped
 * once its stdout contains it.
 */
function runSample(budget?: number, until?: string, program = COMPILED): Promise<Run> {
  const spansFile = join(work, `spans-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(spansFile, '');
  const policyFile = join(work, 'policy.json');
  if (budget !== undefined)
    writeFileSync(
      policyFile,
      JSON.stringify({ version: 1, budgets: [{ name: 'daily', limit: budget, window: 'day' }] }),
    );
  const imports = budget === undefined ? [] : ['--import', PRELOAD_SPANS, '--import', '@genops/core/register'];
  const child = spawn(process.execPath, [...imports, program], {
    cwd: PACKAGE_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: work,
      GEMINI_API_KEY: 'test-key',
      GOOGLE_GEMINI_BASE_URL: fake.url,
      GENOPS_POLICY: policyFile,
      GENOPS_EGRESS_HOSTS: fake.host,
      GENOPS_TEST_SPANS: spansFile,
      LIVE_URL: `ws://${fake.host}/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent`,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (until !== undefined && stdout.includes(until)) child.kill();
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) =>
    child.on('close', (exitCode) => {
      const spans = readFileSync(spansFile, 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Run['spans'][number]);
      resolve({ exitCode, stdout, stderr, spans });
    }),
  );
}

const kinds = () => fake.received.map(({ message }) => Object.keys(message)[0]);

describe("@google/genai's Live sample, unchanged", () => {
  it('governed (GenOps preloaded) it prints what it prints alone; each turn is a priced unit', async () => {
    fake.reset();
    const alone = await runSample();
    expect(alone.stdout).toContain('Received text: Gemini Live server.');
    expect(kinds()).toEqual(['setup', 'clientContent', 'clientContent']);
    fake.reset();
    const governed = await runSample(10);
    expect(governed.stdout).toBe(alone.stdout);
    expect(kinds()).toEqual(['setup', 'clientContent', 'clientContent']);
    expect(governed.stderr).not.toContain('is not governed: no policy');
    const session = governed.spans.find((span) => span.attributes['realtime.session.protocol'] === 'gemini-live');
    const units = governed.spans.filter((span) => span.parentSpanId === session?.spanId);
    expect(session?.name).toBe('gemini-live gemini-live-2.5-flash-preview');
    expect(units.map((span) => span.name)).toEqual([
      'chat gemini-live-2.5-flash-preview',
      'chat gemini-live-2.5-flash-preview',
    ]);
    // gemini-live-2.5-flash-preview per 1M tokens: text in $0.50, audio in $3, text out $2.
    // 120 text + 80 audio in; 200 text out (a text session).
    for (const unit of units) {
      expect(unit.attributes['genops.policy.result']).toBe('ALLOWED');
      expect(unit.attributes['genops.accounting.actual']).toBeCloseTo((120 * 500 + 80 * 3_000 + 200 * 2_000) / 1e9, 12);
    }
  });

  it('under a tiny budget no turn reaches the server; the sample prints its onerror and onclose, and ends', async () => {
    fake.reset();
    // Not stopped by the test: GenOps closes the refused session, the sample's onclose clears its queue, and
    // the process exits on its own (before, it waited for a turn that never came).
    const refused = await runSample(0.000001);
    expect(refused.exitCode).toBe(0);
    expect(refused.stdout).toContain('Error: Budget "daily"');
    expect(refused.stdout).toContain('would be exceeded');
    expect(refused.stdout).toContain(
      'Close: genops: BudgetExceededError (BUDGET_EXCEEDED): the Gemini Live turn refused',
    );
    expect(kinds()).toEqual(['setup']);
    expect(refused.spans.some((span) => span.attributes['genops.policy.result'] === 'BLOCKED')).toBe(true);
  });
});

describe("a Live client on the undici package's WebSocket, imported statically (ESM), GenOps preloaded", () => {
  it('its turn is a governed unit', async () => {
    fake.reset();
    const run = await runSample(10, undefined, UNDICI_APP);
    expect(run.stdout).toContain('text: Gemini Live server.');
    expect(kinds()).toEqual(['setup', 'clientContent']);
    const unit = run.spans.find((span) => span.name === 'chat gemini-3.1-flash-live-preview');
    expect(unit?.attributes['genops.policy.result']).toBe('ALLOWED');
    expect(unit?.attributes['gen_ai.usage.input_tokens']).toBe(200);
    expect(run.spans.some((span) => span.attributes['genops.egress.ungoverned'] === true)).toBe(false);
  });

  it('under a tiny budget its turn never reaches the server; its error listener gets the typed error', async () => {
    fake.reset();
    const run = await runSample(0.000001, undefined, UNDICI_APP);
    expect(run.stdout).toContain('error: BudgetExceededError');
    expect(kinds()).toEqual(['setup']);
  });
});
