// Shared set-up of the toolchain tests: the fake OpenAI server, a temporary directory, and running a
// built app in a child process (bounded) to read the RESULT line it prints.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeOpenAIServer, startFakeOpenAI } from '@genops/testing';
import { afterAll, beforeAll, expect } from 'vitest';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const fixtures = join(packageDir, 'fixtures');

export interface AppResult {
  running: boolean;
  outcome: string;
  /** The HTTP status of the error the call failed with, if any. */
  status?: number;
  /** What the app's daily budget (APP_BUDGET_USD) holds after the call, USD. */
  used?: number;
  adapters?: string[];
  governed?: boolean;
  ungoverned?: Array<string | undefined>;
}

export interface AppRun {
  result: AppResult;
  stderr: string;
  /** Models of the chat requests that reached the fake server during the run. */
  reached: string[];
}

export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `genops-${prefix}-`));
}

/** Starts the fake server; `run()` runs a command with FAKE_OPENAI_URL set and returns what it printed. */
export async function startAppRunner(): Promise<{
  server: FakeOpenAIServer;
  run(
    command: string,
    args: readonly string[],
    options?: { cwd?: string; env?: Record<string, string> },
  ): Promise<AppRun>;
}> {
  const server = await startFakeOpenAI();
  return {
    server,
    run(command, args, options = {}) {
      const before = server.requests.length;
      // No NODE_PATH (pnpm sets one for scripts): a deployed app resolves only what is next to it.
      const { NODE_PATH: _ignored, NODE_OPTIONS: _options, ...env } = process.env;
      return new Promise((resolve, reject) => {
        execFile(
          command,
          [...args],
          {
            cwd: options.cwd ?? packageDir,
            env: { ...env, FAKE_OPENAI_URL: server.url, ...options.env },
            timeout: 60_000,
            maxBuffer: 8 * 1024 * 1024,
          },
          (error, stdout, stderr) => {
            const line = stdout.split('\n').find((text) => text.startsWith('RESULT '));
            if (!line) {
              reject(new Error(`no RESULT line (${error?.message ?? 'exit 0'})\nstdout: ${stdout}\nstderr: ${stderr}`));
              return;
            }
            const reached = server.requests
              .slice(before)
              .map((request) => (request.body as { model?: string } | undefined)?.model ?? '?');
            resolve({ result: JSON.parse(line.slice('RESULT '.length)) as AppResult, stderr, reached });
          },
        );
      });
    },
  };
}

type AppRunner = Awaited<ReturnType<typeof startAppRunner>>;

/**
 * The shared set-up of a test file: the fake server before its tests, closed after them, and the
 * temporary directories `cleanUp` lists removed.
 */
export function sharedAppRunner(cleanUp: readonly string[] = []): { readonly current: AppRunner } {
  const holder: { current?: AppRunner } = {};
  beforeAll(async () => {
    holder.current = await startAppRunner();
  });
  afterAll(async () => {
    await holder.current?.server.close();
    for (const path of cleanUp) rmSync(path, { recursive: true, force: true });
  });
  return {
    get current(): AppRunner {
      if (!holder.current) throw new Error('the app runner starts in beforeAll');
      return holder.current;
    },
  };
}

/**
 * Loudly reported: the denied model reached the server, GenOps printed one warning naming `fix`, its
 * coverage says ungoverned, and the OpenAI adapter is not listed as governing.
 */
export function expectLoudlyReported(run: Pick<AppRun, 'result' | 'stderr' | 'reached'>, fix: string): void {
  expect(run.result).toMatchObject({
    running: true,
    outcome: 'reached the server',
    governed: false,
    ungoverned: ['openai'],
  });
  expect(run.result.adapters).not.toContain('@genops/provider-openai');
  expect(run.reached).toEqual(['gpt-4o']);
  expect(run.stderr.match(/genops: warning: a openai request/g)).toHaveLength(1);
  expect(run.stderr).toContain(fix);
}

/** Governed: the policy refused the denied model before it left the process, and nothing was reported. */
export function expectGoverned(run: Pick<AppRun, 'result' | 'stderr' | 'reached'>): void {
  expect(run.result).toMatchObject({ running: true, outcome: 'PolicyViolationError', governed: true, ungoverned: [] });
  expect(run.result.adapters).toContain('@genops/provider-openai');
  expect(run.reached).toEqual([]);
  expect(run.stderr).not.toContain('genops: warning');
}

/** The app's environment for a run where the fake server is a provider host to egress governance. */
export function egressEnv(
  runner: { server: { url: string } },
  env: Record<string, string> = {},
): Record<string, string> {
  return { APP_INIT: '1', GENOPS_EGRESS_HOSTS: new URL(runner.server.url).host, ...env };
}

/**
 * Governed from the wire by egress (the bundled `openai` is not patched, and nothing reports it as
 * ungoverned): a model the policy denies never leaves the process (the SDK gets the 403 egress answers
 * with); an allowed model runs and its cost is settled in the budget (gpt-4o-mini, the fake's 20 input
 * and 10 output tokens: 20 × $0.15 + 10 × $0.60 per 1M = $0.000009); a tiny budget refuses it (402).
 */
export async function expectGovernedByEgress(
  run: (env: Record<string, string>) => Promise<Pick<AppRun, 'result' | 'stderr' | 'reached'>>,
): Promise<void> {
  const denied = await run({});
  expect(denied.result).toMatchObject({ running: true, status: 403, governed: true, ungoverned: [] });
  expect(denied.reached).toEqual([]);
  expect(denied.stderr).not.toContain('genops: warning');

  const allowed = await run({ FAKE_MODEL: 'gpt-4o-mini', APP_BUDGET_USD: '5' });
  expect(allowed.result).toMatchObject({ running: true, outcome: 'reached the server', governed: true });
  expect(allowed.reached).toEqual(['gpt-4o-mini']);
  expect(allowed.result.used).toBeCloseTo(0.000009, 12);

  const tiny = await run({ FAKE_MODEL: 'gpt-4o-mini', APP_BUDGET_USD: '0.000001' });
  expect(tiny.result).toMatchObject({ running: true, status: 402, used: 0 });
  expect(tiny.reached).toEqual([]);
}
