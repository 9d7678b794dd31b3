// What the image runs, run without Docker: the Dockerfile's `pnpm deploy` step makes the folder the
// image copies to /app, and this test starts the image's command from that folder, with the policy of
// the Kubernetes ConfigMap laid out as the kubelet mounts it. It checks that the deployed folder is
// self-contained, that the shipped policy starts a real gateway, that a ConfigMap update (the kubelet's
// `..data` swap) is enforced without a restart, and that SIGTERM drains and exits 0.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeOpenAIServer, startFakeOpenAI } from '@genops/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { deployDir, repoRoot } from './paths';

const VIRTUAL_KEY = 'gk-deploy-test-0123456789abcdef';
const work = mkdtempSync(join(tmpdir(), 'genops-image-'));
const app = join(work, 'app'); // the image's /app
const policyDir = join(work, 'etc-genops'); // the ConfigMap volume at /etc/genops
let fake: FakeOpenAIServer;
let gateway: ChildProcess;
let url = '';
let output = '';

/** The ConfigMap's policy, pointed at the fake provider, with a virtual key the test knows. */
function shippedPolicy(allow?: string[]): string {
  const configMap = parse(readFileSync(join(deployDir, 'kubernetes/policy-configmap.yaml'), 'utf8'));
  const policy = parse(configMap.data['genops.policy.yaml']);
  policy.gateway.upstreams.openai.baseUrl = fake.url;
  policy.gateway.virtualKeys.push({ name: 'deploy-test', key: VIRTUAL_KEY, attribution: { team: 'deploy' } });
  if (allow) policy.rules.find((rule: { name: string }) => rule.name === 'approved-models').allow = allow;
  return stringify(policy);
}

/** Writes a new version of the volume as the kubelet does: a timestamped folder, then `..data` swapped by rename. */
let version = 0;
function writeConfigMapVolume(text: string): void {
  version += 1;
  const folder = `..2026_12_05_00_00_0${version}.000000000`;
  mkdirSync(join(policyDir, folder), { recursive: true });
  writeFileSync(join(policyDir, folder, 'genops.policy.yaml'), text);
  symlinkSync(folder, join(policyDir, '..data_tmp'));
  renameSync(join(policyDir, '..data_tmp'), join(policyDir, '..data'));
  if (!existsSync(join(policyDir, 'genops.policy.yaml'))) {
    symlinkSync('..data/genops.policy.yaml', join(policyDir, 'genops.policy.yaml'));
  }
}

const chat = (model: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${VIRTUAL_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }] }),
  });

beforeAll(async () => {
  // The Dockerfile's step: `pnpm --filter=@genops/cli deploy --prod /out`.
  const deployed = spawnSync('pnpm', ['--filter=@genops/cli', 'deploy', '--prod', app], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (deployed.error) throw new Error(`pnpm is not on PATH (${deployed.error.message}): run the tests with pnpm`);
  if (deployed.status !== 0) throw new Error(`pnpm deploy failed:\n${deployed.stdout}\n${deployed.stderr}`);

  fake = await startFakeOpenAI();
  mkdirSync(policyDir, { recursive: true });
  writeConfigMapVolume(shippedPolicy());

  // The image's ENTRYPOINT + CMD, with the Deployment's environment (the store: SQLite here, not Redis).
  gateway = spawn(process.execPath, [join(app, 'dist/cli.js'), 'gateway', '--host', '127.0.0.1', '--port', '0'], {
    cwd: app,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      GENOPS_POLICY: join(policyDir, 'genops.policy.yaml'),
      GENOPS_STORE: `sqlite:${join(work, 'state.db')}`,
      OPENAI_API_KEY: 'sk-upstream-from-the-secret',
      ANTHROPIC_API_KEY: 'sk-ant-upstream-from-the-secret',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  gateway.stdout!.on('data', (chunk) => (output += chunk));
  gateway.stderr!.on('data', (chunk) => (output += chunk));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start:\n${output}`)), 60_000);
    gateway.once('exit', (code) => reject(new Error(`the gateway exited (${code}):\n${output}`)));
    gateway.stdout!.on('data', () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
}, 180_000);

afterAll(async () => {
  if (gateway && gateway.exitCode === null) gateway.kill('SIGKILL');
  await fake?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the image command, run from the deployed folder', () => {
  it('is self-contained: production dependencies only, the CLI binary the image runs', () => {
    expect(existsSync(join(app, 'dist/cli.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/@genops/gateway/package.json'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/typescript'))).toBe(false);
  });

  it('answers the probes: /healthz and /readyz', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('serves a governed call under the shipped policy, with the provider key from the environment', async () => {
    const response = await chat('gpt-4o-mini');
    expect(response.status).toBe(200);
    expect((await response.json()).choices[0].message.content).toBe('Hello from the fake OpenAI server.');
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer sk-upstream-from-the-secret');
  });

  it('enforces a ConfigMap update (the kubelet swaps ..data) without a restart', async () => {
    writeConfigMapVolume(shippedPolicy(['gpt-5*']));
    let status = 200;
    // Wait for the reload (watched directory, 100 ms debounce; 1 s polling fallback): bounded, not timed.
    for (let attempt = 0; attempt < 100 && status === 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await chat('gpt-4o-mini')).status;
    }
    expect(status).toBe(403);
    const sent = fake.requests.length;
    expect((await chat('gpt-4o-mini')).headers.get('x-genops-error')).toBe('PolicyViolationError');
    expect(fake.requests.length).toBe(sent); // refused before the provider
    expect(gateway.exitCode).toBeNull(); // the same process
  });

  it('drains on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
    gateway.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('genops gateway: stopped');
  });
});
