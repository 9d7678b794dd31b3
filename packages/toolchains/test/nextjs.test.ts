import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type AppRun, expectGoverned, expectLoudlyReported, packageDir, sharedAppRunner } from './run-app';

// Next.js 16 with `GenOps.init()` in instrumentation.ts, built (Turbopack, the default) and served by
// `next start`. A default build bundles `openai` into the server chunks, out of the adapter's reach: loudly
// reported. With `serverExternalPackages` (the documented recipe) the app's `openai` is node_modules'
// copy, which the adapter patches: governed. Heavy: two builds, once, in beforeAll.
const app = join(packageDir, 'fixtures/nextjs');
const nextCli = join(packageDir, 'node_modules/next/dist/bin/next');
const BUILD_TIMEOUT_MS = 300_000;

const runner = sharedAppRunner();
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

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  return port;
}

/** Serves a build, calls its route once, and returns what the route answered and what the server printed. */
async function serveAndCall(external: boolean): Promise<AppRun> {
  const port = await freePort();
  const server = spawn(process.execPath, [nextCli, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: app,
    env: { ...nextEnv(external), FAKE_OPENAI_URL: runner.current.server.url },
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
  const before = runner.current.server.requests.length;
  const response = await fetch(`http://127.0.0.1:${port}/api/chat`);
  const result = (await response.json()) as AppRun['result'];
  const reached = runner.current.server.requests
    .slice(before)
    .map((request) => (request.body as { model?: string } | undefined)?.model ?? '?');
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  return { result, stderr, reached };
}

beforeAll(
  async () => {
    await build(false);
    await build(true);
  },
  2 * BUILD_TIMEOUT_MS + 30_000,
);

afterAll(() => {
  for (const server of servers) if (server.exitCode === null) server.kill('SIGKILL');
});

describe('Next.js 16 with GenOps.init() in instrumentation.ts', () => {
  it('default build (openai bundled into the server chunks): loudly reported', async () => {
    expectLoudlyReported(await serveAndCall(false), 'serverExternalPackages');
  }, 90_000);

  it('serverExternalPackages: openai and GenOps from node_modules: governed', async () => {
    expectGoverned(await serveAndCall(true));
  }, 90_000);
});
