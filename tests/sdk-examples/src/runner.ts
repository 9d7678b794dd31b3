import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  /** The fake Entra ID server's origin (`https://127.0.0.1:<port>`), for the examples that sign in with `@azure/identity`. */
  entra?: string;
}

export interface ExampleRun {
  exitCode: number | null;
  /** The signal that ended the process (a server example is stopped with SIGTERM), or null. */
  signal: NodeJS.Signals | null;
  /** True when the child outlived the timeout and was killed. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Ended spans the child exported (empty in plain mode). */
  spans: ConformanceSpan[];
}

const PRELOAD_SPANS = fileURLToPath(new URL('./span-file.mjs', import.meta.url));
const PRELOAD_TERMINAL = fileURLToPath(new URL('./terminal-stdout.mjs', import.meta.url));
const PRELOAD_DEADLINE = fileURLToPath(new URL('./short-deadline.mjs', import.meta.url));
const FAKE_FFMPEG = fileURLToPath(new URL('./fake-ffmpeg.mjs', import.meta.url));

/**
 * Runs one example program, unchanged, as a child process against the fake servers, in a fresh working
 * directory (examples write files there): `node <compiled>` when given its compiled JavaScript (see
 * compile.ts), else `node --import tsx example.ts`. Bounded: killed after `timeoutMs`.
 */
export function runExample(...args: Parameters<typeof startExample>): Promise<ExampleRun> {
  return startExample(...args).ended;
}

/** An example program started (a server, until it is stopped): its output so far, and its end. */
export interface StartedExample {
  readonly stdout: string;
  readonly stderr: string;
  /** The run, once the process ended (by itself, by `stop()`, or killed at the timeout). */
  readonly ended: Promise<ExampleRun>;
  /** Resolves once stdout or stderr matches `pattern`; rejects if the process ends first, or after `waitMs`. */
  waitForOutput(pattern: RegExp, waitMs: number): Promise<void>;
  /** Sends `signal` (SIGTERM by default) unless the process already ended; resolves with the run. */
  stop(signal?: NodeJS.Signals): Promise<ExampleRun>;
}

/** Starts an example as runExample does, without waiting for its end: for the examples that are servers. */
export function startExample(
  example: ExampleProgram,
  mode: RunMode,
  urls: FakeUrls,
  timeoutMs: number,
  compiled?: string,
  /** More environment for the child (e.g. `NODE_EXTRA_CA_CERTS` for a TLS fake). */
  extraEnv: Record<string, string> = {},
  /** A program that hosts the example (src/edge-host.mjs for a Next.js route): run with the example's path as its argument. */
  host?: string,
): StartedExample {
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
  for (const file of example.cwdFiles ?? []) {
    mkdirSync(dirname(join(cwd, file)), { recursive: true });
    copyFileSync(join(PACKAGE_DIR, 'vendor', example.sdk, file), join(cwd, file));
  }
  const pricesFile = join(cwd, '.genops.prices.json');
  if (example.prices) writeFileSync(pricesFile, JSON.stringify(example.prices));

  // A self-hosted worker's tools (bash, file tools) run in a folder of this run's own directory.
  const workdir = join(cwd, 'workdir');
  if (example.selfHosted) mkdirSync(workdir);

  let path = process.env.PATH ?? '';
  if (example.microphone) {
    // A stand-in `ffmpeg` first on PATH (a shell wrapper: the node that runs the suite runs the script).
    const bin = join(cwd, '.bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'ffmpeg'), `#!/bin/sh\nexec "${process.execPath}" "${FAKE_FFMPEG}" "$@"\n`, {
      mode: 0o755,
    });
    path = `${bin}:${path}`;
  }

  const imports = compiled === undefined ? [fileURLToPath(import.meta.resolve('tsx'))] : [];
  if (example.terminal) imports.push(PRELOAD_TERMINAL);
  if (example.deadlineMs !== undefined) imports.push(PRELOAD_DEADLINE);
  if (mode !== 'plain') imports.push(PRELOAD_SPANS, fileURLToPath(import.meta.resolve('@genops/core/register')));
  const env: Record<string, string> = {
    PATH: path,
    HOME: cwd,
    NO_COLOR: '1',
    OPENAI_API_KEY: 'sk-test-dummy',
    OPENAI_BASE_URL: urls.openai,
    ANTHROPIC_API_KEY: 'sk-ant-test-dummy',
    ANTHROPIC_BASE_URL: example.sdk === 'vercel-ai' ? `${urls.anthropic}/v1` : urls.anthropic,
    FAIL_ON_ERROR: '1',
    ...(example.selfHosted ? { ANTHROPIC_WORKDIR: workdir } : {}),
    ...(example.deadlineMs !== undefined ? { GENOPS_EXAMPLE_DEADLINE_MS: String(example.deadlineMs) } : {}),
    ...Object.fromEntries(
      Object.entries(example.env ?? {}).map(([name, value]) => [
        name,
        value
          .replace('{openai}', urls.openai)
          .replace('{openai-origin}', new URL(urls.openai).origin)
          .replace('{anthropic}', urls.anthropic)
          .replace('{entra}', urls.entra ?? '{entra}: no fake Entra server in this run'),
      ]),
    ),
    ...extraEnv,
    ...(mode === 'plain'
      ? {}
      : {
          GENOPS_POLICY: policyFile,
          GENOPS_EXPORTER: 'none',
          // The fake servers are provider hosts to egress governance (read once egress is in core).
          GENOPS_EGRESS_HOSTS: [urls.openai, urls.anthropic].map((url) => new URL(url).host).join(','),
          GENOPS_EXAMPLES_SPANS: spansFile,
          ...(example.prices ? { GENOPS_PRICES: pricesFile } : {}),
        }),
  };
  // An empty value in the catalogue removes the variable (Azure's clients refuse OPENAI_BASE_URL beside their endpoint).
  for (const [name, value] of Object.entries(example.env ?? {})) if (value === '') delete env[name];
  const script = compiled ?? join(PACKAGE_DIR, 'vendor', example.file);
  const args = [
    ...imports.flatMap((entry) => ['--import', entry]),
    ...(host === undefined ? [] : [host]),
    script,
    ...(example.args ?? []),
  ];
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const watchers = new Set<() => void>();
  const onOutput = () => {
    for (const watcher of watchers) watcher();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    onOutput();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    onOutput();
  });
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const ended = new Promise<ExampleRun>((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      onOutput();
      try {
        // The working directory is a fresh temporary one per run: examples that print where they saved a
        // file print it, so it is replaced here.
        resolve({
          exitCode,
          signal,
          timedOut,
          stdout: stdout.split(cwd).join('<cwd>'),
          stderr,
          spans: readJsonLines(spansFile),
        });
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  });
  let exited = false;
  ended.then(
    () => (exited = true),
    () => (exited = true),
  );
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    ended,
    waitForOutput(pattern, waitMs) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout) || pattern.test(stderr)) finish();
          else if (exited || child.exitCode !== null || child.signalCode !== null)
            finish(new Error(`the example ended before printing ${pattern}:\n${stdout}\n${stderr.slice(-2000)}`));
        };
        const timeout = setTimeout(
          () =>
            finish(
              new Error(`the example did not print ${pattern} in ${waitMs} ms:\n${stdout}\n${stderr.slice(-2000)}`),
            ),
          waitMs,
        );
        const finish = (error?: Error) => {
          clearTimeout(timeout);
          watchers.delete(check);
          if (error) reject(error);
          else resolve();
        };
        watchers.add(check);
        check();
      });
    },
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return ended;
    },
  };
}

/** The exit status of a run and the tail of its stderr, for an assertion's message. */
export function describeRun(result: ExampleRun): string {
  return `exit ${result.exitCode}${result.timedOut ? ' (killed at the timeout)' : ''}\nstderr:\n${result.stderr.slice(-2000)}`;
}

/** Spans GenOps emitted as AI Workload Units that ran (reconciled), i.e. requests it governed and priced. */
export function executedUnits(spans: ConformanceSpan[]): ConformanceSpan[] {
  return spans.filter((span) => span.events.some((event) => event.name === 'genops.budget.reconciliation'));
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
  /^\/v1\/threads\/runs$/,
  /^\/v1\/threads\/[^/]+\/runs$/,
  /^\/v1\/threads\/[^/]+\/runs\/[^/]+\/submit_tool_outputs$/,
  /^\/v1\/messages$/,
  /^\/v1\/messages\/batches$/,
  // Managed agents: a user event sent to a session runs an agent turn.
  /^\/v1\/sessions\/[^/]+\/events$/,
];

/** A request the provider would bill (model calls, media, batch and fine-tuning job creation, Assistants runs). */
export function isBillable(request: RecordedRequest): boolean {
  // A managed-agents session created with `initial_events` runs its first turn at once.
  if (request.method === 'POST' && request.path === '/v1/sessions')
    return Array.isArray(request.body?.initial_events) && request.body.initial_events.length > 0;
  return request.method === 'POST' && BILLABLE_POST.some((pattern) => pattern.test(request.path));
}

/** A stack frame inside GenOps's own code (this repository's packages, or an installed `@genops/*`). */
const GENOPS_STACK_FRAME = /^ {4}at [^\n]*(\/packages\/[a-z-]+\/(dist|src)\/|\/node_modules\/@genops\/)[^\n]*\n/gm;

/**
 * The example's stdout with what the fake servers and the SDKs randomise or time-stamp replaced: ids
 * (`chatcmpl-…`, `resp_…`, `msg_…`, `asst_…`, `thread_…`, `run_…`, `step_…`, …), Unix times, ISO dates, HTTP
 * `date` headers, times of day (`10:46:10 PM`) and request durations (`in 20ms`); and the stack frames of GenOps's own functions dropped
 * from printed errors (an error the provider sent passes through a governed call's `await`, which adds its
 * async frame). Nothing else is touched.
 */
export function normaliseOutput(text: string): string {
  return (
    text
      .replace(GENOPS_STACK_FRAME, '')
      .replace(
        /\b(chatcmpl|cmpl|resp|msg|rs|fc|call|toolu|msgbatch|batch|file|ftjob|ftevent|img|video|req|aitxt|env|agent|sesn|sevt|sesrsc|vlt|vcrd|skill)[-_][A-Za-z0-9_-]+/g,
        '$1-<id>',
      )
      // Assistants API ids; a long tail, so that words like `thread_id` or `run_step` stay.
      .replace(/\b(asst|thread|run|step)_[A-Za-z0-9]{16,}\b/g, '$1-<id>')
      .replace(/\b1[6-9]\d{8}(\d{3})?\b/g, '<time>')
      .replace(/ in \d+ms\b/g, ' in <duration>')
      .replace(/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\b/g, '<http-date>')
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<date>')
      // A time of day as `toLocaleTimeString()` prints it (en-US: `10:46:10 PM`).
      .replace(/\b\d{1,2}:\d{2}:\d{2}( [AP]M)?(?!\.\d| GMT)/g, '<clock>')
  );
}
