import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppResult } from './run-app';
import { packageDir, startAppRunner } from './run-app';

// Next.js 16 with `GenOps.init()` in instrumentation.ts, built (Turbopack, the default) and served by
// `next start`. A default build bundles `openai` into the server chunks, out of the adapter's reach: loudly
// reported. With `serverExternalPackages` (the documented recipe) the app's `openai` is node_modules'
// copy, which the adapter patches: governed. Heavy: two builds, once, in beforeAll.
const app = join(packageDir, 'fixtures/nextjs');
const nextCli = join(packageDir, 'node_modules/next/dist/bin/next');
const BUILD_TIMEOUT_MS = 300_000;

let runner: Awaited<ReturnType<typeof startAppRunner>>;
const servers: ChildProcess[] = [];

function nextEnv(external: boolean): NodeJS.ProcessEnv {
  const { NODE_PATH: _ignored, NODE_OPTIONS: _options, ...env } = process.env;
  return { ...env, NEXT_TELEMETRY_DISABLED: '1', GENOPS_NEXT_EXTERNAL: external ? '1' : '0' };
}

async function build(external: boolean): Promise<void> {
  await promisify(execFile)(process.execPath, [nextCli, 'build'], {
    cwd: app,
    env: nextEnv(external),
    timeout: BUILD_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Serves a build, calls its route once, and returns what the route answered and what the server printed. */
async function serveAndCall(external: boolean): Promise<{ result: AppResult; stderr: string; reached: string[] }> {
  const port = await freePort();
  const server = spawn(process.execPath, [nextCli, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: app,
    env: { ...nextEnv(external), FAKE_OPENAI_URL: runner.server.url },
  });
  servers.push(server);
  let stdout = '';
  let stderr = '';
  server.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  server.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`next start did not get ready\n${stdout}\n${stderr}`)), 60_000);
    const check = () => {
      if (!stdout.includes('Ready')) return;
      clearTimeout(timer);
      server.stdout?.off('data', check);
      resolve();
    };
    server.stdout?.on('data', check);
    server.once('exit', (code) => reject(new Error(`next start exited with ${code}\n${stdout}\n${stderr}`)));
  });
  const before = runner.server.requests.length;
  const response = await fetch(`http://127.0.0.1:${port}/api/chat`);
  const result = (await response.json()) as AppResult;
  const reached = runner.server.requests
    .slice(before)
    .map((request) => (request.body as { model?: string } | undefined)?.model ?? '?');
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  return { result, stderr, reached };
}

beforeAll(
  async () => {
    runner = await startAppRunner();
    await build(false);
    await build(true);
  },
  2 * BUILD_TIMEOUT_MS + 30_000,
);

afterAll(async () => {
  for (const server of servers) if (server.exitCode === null) server.kill('SIGKILL');
  await runner.server.close();
});

describe('Next.js 16 with GenOps.init() in instrumentation.ts', () => {
  it('default build (openai bundled into the server chunks): loudly reported', async () => {
    const { result, stderr, reached } = await serveAndCall(false);
    expect(result).toMatchObject({
      running: true,
      outcome: 'reached the server',
      governed: false,
      ungoverned: ['openai'],
    });
    expect(result.adapters).not.toContain('@genops/provider-openai');
    expect(reached).toEqual(['gpt-4o']);
    expect(stderr.match(/genops: warning: a openai request/g)).toHaveLength(1);
    expect(stderr).toContain('serverExternalPackages');
  }, 90_000);

  it('serverExternalPackages: openai and GenOps from node_modules: governed', async () => {
    const { result, stderr, reached } = await serveAndCall(true);
    expect(result).toMatchObject({ running: true, outcome: 'PolicyViolationError', governed: true, ungoverned: [] });
    expect(result.adapters).toContain('@genops/provider-openai');
    expect(reached).toEqual([]);
    expect(stderr).not.toContain('genops: warning');
  }, 90_000);
});
