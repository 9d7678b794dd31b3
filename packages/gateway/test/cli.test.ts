// `genops gateway` as a user runs it: configured by the policy file's gateway: section and the
// environment, it prints its URL, answers /healthz and a governed call, and drains on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI } from '@genops/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../src/index';

// The CLI's build (`pnpm build` runs before the tests); the gateway package does not depend on the CLI.
const CLI = fileURLToPath(new URL('../../cli/dist/cli.js', import.meta.url));
const KEY = 'gk-cli-test-5f2b9c0e7d41a3b8';

let openai: Awaited<ReturnType<typeof startFakeOpenAI>>;
const directory = mkdtempSync(join(tmpdir(), 'genops-gateway-cli-'));
beforeAll(async () => {
  openai = await startFakeOpenAI();
});
afterAll(async () => {
  await openai.close();
  rmSync(directory, { recursive: true, force: true });
});

/** Resolves to the first line of `stream` matching `pattern`, failing with what the process printed. */
function waitForLine(child: ChildProcess, pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    const other = stream === 'stdout' ? child.stderr : child.stdout;
    child[stream]?.on('data', onData);
    other?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`genops gateway exited with ${code} before printing ${pattern}; output:\n${output}`));
    });
  });
}

describe('genops gateway (CLI)', () => {
  it('starts from the policy file, answers /healthz and a governed call, and drains on SIGTERM', async () => {
    const policy = join(directory, 'genops.policy.yaml');
    const policyText = [
      'version: 1',
      'budgets:',
      '  - { name: team-daily, limit: 10, window: day, match: { team: cli } }',
      'gateway:',
      '  upstreams:',
      `    openai: { baseUrl: "${openai.url}", apiKeyEnv: CLI_TEST_OPENAI_KEY }`,
      '  virtualKeys:',
      `    - { name: cli-key, keyHash: "sha256:${hashKey(KEY)}", attribution: { team: cli, project: p, environment: test } }`,
      '',
    ].join('\n');
    writeFileSync(policy, policyText);
    const child = spawn(
      process.execPath,
      [CLI, 'gateway', '--policy', policy, '--store', `sqlite:${join(directory, 'state.db')}`, '--port', '0'],
      {
        cwd: directory,
        env: { ...process.env, CLI_TEST_OPENAI_KEY: 'sk-from-env', GENOPS_GATEWAY_PORT: '', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await waitForLine(child, /http:\/\/127\.0\.0\.1:\d+/);
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      const client = new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0 });
      const completion = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(completion.choices[0]?.message.content).toBe('Hello from the fake OpenAI server.');
      expect(openai.requests[0]?.headers.authorization).toBe('Bearer sk-from-env');
      // A gateway: section that cannot be applied is printed (the settings in force stay).
      const reported = waitForLine(child, /genops gateway: .*gateway\.virtualKeys\[0\]\.keyHash.*/, 'stderr');
      writeFileSync(policy, policyText.replace(/sha256:[0-9a-f]{64}/, 'md5:0'));
      expect(await reported).not.toContain(KEY);
      await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
      expect(openai.requests).toHaveLength(2);
      const stopped = waitForLine(child, /genops gateway: stopped/);
      child.kill('SIGTERM');
      await stopped;
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
