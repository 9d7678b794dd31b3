import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceSpan } from '@genops/conformance';
import type { RecordedRequest } from '@genops/testing';
import type { ExampleProgram } from './catalogue';

/** The package folder (tests/sdk-examples): the vendored examples live under vendor/. */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** How an example runs: plain (no GenOps), governed (GenOps preloaded), or governed under a tiny budget. */
export type RunMode = 'plain' | 'governed' | 'tiny-budget';

/** The daily budget of the tiny-budget run, in USD: smaller than any call's worst case. */
export const TINY_BUDGET_USD = 0.000001;

export interface FakeUrls {
  /** The fake OpenAI server's base URL, with `/v1`. */
  openai: string;
  /** The fake Anthropic server's origin, without `/v1`. */
  anthropic: string;
}

export interface ExampleRun {
  exitCode: number | null;
  /** True when the child outlived the timeout and was killed. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Ended spans the child exported (empty in plain mode). */
  spans: ConformanceSpan[];
}

const PRELOAD_SPANS = fileURLToPath(new URL('./span-file.mjs', import.meta.url));
const PRELOAD_TERMINAL = fileURLToPath(new URL('./terminal-stdout.mjs', import.meta.url));

/**
 * Runs one example program, unchanged, as a child process (`node --import tsx example.ts`) against the fake
 * servers, in a fresh working directory (examples write files there). Bounded: killed after `timeoutMs`.
 */
export async function runExample(
  example: ExampleProgram,
  mode: RunMode,
  urls: FakeUrls,
  timeoutMs: number,
): Promise<ExampleRun> {
  const cwd = mkdtempSync(join(tmpdir(), 'genops-sdk-example-'));
  const spansFile = join(cwd, '.spans.jsonl');
  writeFileSync(spansFile, '');
  const policyFile = join(cwd, '.genops.policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify(
      mode === 'tiny-budget'
        ? { version: 1, budgets: [{ name: 'daily', limit: TINY_BUDGET_USD, window: 'day', action: 'block' }] }
        : { version: 1 },
    ),
  );
  mkdirSync(join(cwd, 'output'), { recursive: true });

  const imports = [fileURLToPath(import.meta.resolve('tsx'))];
  if (example.terminal) imports.push(PRELOAD_TERMINAL);
  if (mode !== 'plain') imports.push(PRELOAD_SPANS, fileURLToPath(import.meta.resolve('@genops/core/register')));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: cwd,
    NO_COLOR: '1',
    OPENAI_API_KEY: 'sk-test-dummy',
    OPENAI_BASE_URL: urls.openai,
    ANTHROPIC_API_KEY: 'sk-ant-test-dummy',
    ANTHROPIC_BASE_URL: example.sdk === 'vercel-ai' ? `${urls.anthropic}/v1` : urls.anthropic,
    FAIL_ON_ERROR: '1',
    ...example.env,
    ...(mode === 'plain'
      ? {}
      : {
          GENOPS_POLICY: policyFile,
          GENOPS_EXPORTER: 'none',
          // The fake servers are provider hosts to egress governance (read once egress is in core).
          GENOPS_EGRESS_HOSTS: [urls.openai, urls.anthropic].map((url) => new URL(url).host).join(','),
          GENOPS_EXAMPLES_SPANS: spansFile,
        }),
  };
  const script = join(PACKAGE_DIR, 'vendor', example.file);
  const args = [...imports.flatMap((entry) => ['--import', entry]), script, ...(example.args ?? [])];
  try {
    const result = await new Promise<Omit<ExampleRun, 'spans'>>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('error', reject);
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        resolve({ exitCode, timedOut, stdout, stderr });
      });
    });
    // The working directory is a fresh temporary one per run: examples that print where they saved a file
    // print it, so it is replaced here.
    const stdout = result.stdout.split(cwd).join('<cwd>');
    return { ...result, stdout, spans: readJsonLines(spansFile) };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

function readJsonLines<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

const BILLABLE_POST = [
  /^\/v1\/chat\/completions$/,
  /^\/v1\/responses$/,
  /^\/v1\/completions$/,
  /^\/v1\/embeddings$/,
  /^\/v1\/images\/(generations|edits|variations)$/,
  /^\/v1\/audio\/(speech|transcriptions|translations)$/,
  /^\/v1\/videos(\/edits|\/extensions|\/[^/]+\/remix)?$/,
  /^\/v1\/batches$/,
  /^\/v1\/fine_tuning\/jobs$/,
  /^\/v1\/messages$/,
  /^\/v1\/messages\/batches$/,
  // Managed agents: a user event sent to a session runs an agent turn.
  /^\/v1\/sessions\/[^/]+\/events$/,
];

/** A request the provider would bill (model calls, media, batch and fine-tuning job creation). */
export function isBillable(request: RecordedRequest): boolean {
  // A managed-agents session created with `initial_events` runs its first turn at once.
  if (request.method === 'POST' && request.path === '/v1/sessions')
    return Array.isArray(request.body?.initial_events) && request.body.initial_events.length > 0;
  return request.method === 'POST' && BILLABLE_POST.some((pattern) => pattern.test(request.path));
}

/**
 * The example's stdout with what the fake servers and the SDKs randomise or time-stamp replaced: ids
 * (`chatcmpl-…`, `resp_…`, `msg_…`, …), Unix times, ISO dates, HTTP `date` headers and
 * request durations (`in 20ms`). Nothing else is touched.
 */
export function normaliseOutput(text: string): string {
  return text
    .replace(
      /\b(chatcmpl|cmpl|resp|msg|rs|fc|call|toolu|msgbatch|batch|file|ftjob|img|video|req|aitxt|env|agent|sesn|sevt|sesrsc|vlt|vcrd|skill)[-_][A-Za-z0-9_-]+/g,
      '$1-<id>',
    )
    .replace(/\b1[6-9]\d{8}(\d{3})?\b/g, '<time>')
    .replace(/ in \d+ms\b/g, ' in <duration>')
    .replace(/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\b/g, '<http-date>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<date>');
}
