// Hot reload of the policy file's gateway: section: a changed key attribution, upstream URL and key list
// apply to the next request without a restart; a request in flight finishes on the upstream it started
// with; a section that does not resolve keeps the settings in force and is reported once, by field.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, PolicyFileError } from '@genops/core';
import { createTestTelemetry, startFakeOpenAI } from '@genops/testing';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Gateway, hashKey, startGateway } from '../src/index';

const KEY_A = 'gk-reload-a-0123456789abcdef0123456789abcdef';
const KEY_B = 'gk-reload-b-fedcba9876543210fedcba9876543210';
const directory = mkdtempSync(join(tmpdir(), 'genops-gateway-reload-'));
const policy = join(directory, 'genops.policy.yaml');
const telemetry = createTestTelemetry();
let first: Awaited<ReturnType<typeof startFakeOpenAI>>;
let second: Awaited<ReturnType<typeof startFakeOpenAI>>;
let gateway: Gateway | undefined;

beforeAll(async () => {
  [first, second] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
});
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  telemetry.resetSpans();
});
afterAll(async () => {
  await Promise.all([first.close(), second.close(), telemetry.shutdown()]);
  rmSync(directory, { recursive: true, force: true });
});

interface Section {
  upstream: string;
  apiKey: string;
  team: string;
  /** The second key is listed. */
  withB: boolean;
  /** Replaces team-a's keyHash (to make the section invalid). */
  keyHashA?: string;
}

/** Writes the policy file: a budget, and the gateway: section described by `section`. */
function writePolicy(section: Section): void {
  const lines = [
    'version: 1',
    'budgets:',
    '  - { name: daily, limit: 10, window: day }',
    'gateway:',
    '  upstreams:',
    `    openai: { baseUrl: "${section.upstream}", apiKey: "${section.apiKey}" }`,
    '  virtualKeys:',
    `    - { name: team-a, keyHash: "${section.keyHashA ?? `sha256:${hashKey(KEY_A)}`}", attribution: { team: ${section.team}, project: p, environment: test } }`,
  ];
  if (section.withB)
    lines.push(
      `    - { name: team-b, keyHash: "sha256:${hashKey(KEY_B)}", attribution: { team: b, project: p, environment: test } }`,
    );
  writeFileSync(policy, `${lines.join('\n')}\n`);
}

/** Starts the gateway on the policy file; resolves to the errors its reloads report. */
async function startWithPolicy(): Promise<Error[]> {
  const policyErrors: Error[] = [];
  gateway = await startGateway({
    genops: {
      policy,
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
      egress: 'off',
      onPolicyError: (error) => policyErrors.push(error),
    },
    env: {},
  });
  return policyErrors;
}

function client(key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${gateway?.url}/v1`, maxRetries: 0 });
}

const chat = { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };

/** Waits until the gateway forwards to `upstream` (probed with the model list: a read, not a governed unit). */
async function waitForUpstream(upstream: Awaited<ReturnType<typeof startFakeOpenAI>>): Promise<void> {
  await vi.waitFor(
    async () => {
      await fetch(`${gateway?.url}/v1/models`, { headers: { authorization: `Bearer ${KEY_A}` } });
      expect(upstream.requests.some((request) => request.path === '/v1/models')).toBe(true);
    },
    { timeout: 10_000, interval: 50 },
  );
}

function spanTeams(): unknown[] {
  return telemetry
    .spans()
    .filter((span) => span.name === 'chat gpt-4o')
    .map((span) => span.attributes['genops.team']);
}

describe('gateway: hot reload of the gateway: section', () => {
  it('a changed attribution, upstream and key list apply to the next request; one in flight finishes on the old upstream', async () => {
    first.reset();
    second.reset();
    writePolicy({ upstream: first.url, apiKey: 'sk-first', team: 'a', withB: true });
    const policyErrors = await startWithPolicy();
    await client(KEY_A).chat.completions.create(chat);
    expect(first.requests.at(-1)?.headers.authorization).toBe('Bearer sk-first');

    // A stream in flight on the first upstream when the file changes.
    first.enqueue({ chunks: 6, chunkDelayMs: 60 });
    const stream = await client(KEY_A).chat.completions.create({ ...chat, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    let text = ((await iterator.next()).value?.choices[0]?.delta.content as string | undefined) ?? '';

    writePolicy({ upstream: second.url, apiKey: 'sk-second', team: 'a2', withB: false });
    await waitForUpstream(second);

    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      text += next.value.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('Hello from the fake OpenAI server.');
    const chatsOnFirst = first.requests.filter((request) => request.path === '/v1/chat/completions');
    expect(chatsOnFirst).toHaveLength(2);

    await client(KEY_A).chat.completions.create(chat);
    const forwarded = second.requests.filter((request) => request.path === '/v1/chat/completions');
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]?.headers.authorization).toBe('Bearer sk-second');
    // The first call and the stream in flight: team a; the call after the change: team a2.
    expect(spanTeams()).toEqual(['a', 'a', 'a2']);
    // team-b's key is no longer listed: refused.
    await expect(client(KEY_B).chat.completions.create(chat)).rejects.toMatchObject({ status: 401 });
    expect(policyErrors).toEqual([]);
  });

  it('a section that does not resolve keeps the settings in force, reported once with the field', async () => {
    first.reset();
    second.reset();
    writePolicy({ upstream: first.url, apiKey: 'sk-first', team: 'a', withB: false });
    const policyErrors = await startWithPolicy();
    const bad: Section = { upstream: second.url, apiKey: 'sk-second', team: 'a2', withB: false, keyHashA: 'md5:abc' };
    writePolicy(bad);
    await vi.waitFor(() => expect(policyErrors).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const error = policyErrors[0] as PolicyFileError;
    expect(PolicyFileError.isInstance(error)).toBe(true);
    expect(error.issues[0]?.path).toBe('gateway.virtualKeys[0].keyHash');
    expect(ConfigError.isInstance(error.cause)).toBe(true);
    expect(error.message).not.toContain('sk-second');
    await client(KEY_A).chat.completions.create(chat);
    expect(first.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(1);
    expect(spanTeams()).toEqual(['a']);
    // Saved again unchanged: not reported again. Then fixed: applied (so the watcher saw both).
    writePolicy(bad);
    await new Promise((resolve) => setTimeout(resolve, 300));
    writePolicy({ ...bad, keyHashA: undefined });
    await waitForUpstream(second);
    expect(policyErrors).toHaveLength(1);
  });

  it('a file that does not parse is reported by GenOps alone (once), and changes nothing', async () => {
    first.reset();
    second.reset();
    writePolicy({ upstream: first.url, apiKey: 'sk-first', team: 'a', withB: false });
    const policyErrors = await startWithPolicy();
    writeFileSync(policy, 'version: 1\ngateway: [unclosed\n');
    await vi.waitFor(() => expect(policyErrors).toHaveLength(1), { timeout: 10_000, interval: 50 });
    await client(KEY_A).chat.completions.create(chat);
    expect(first.requests.filter((request) => request.path === '/v1/chat/completions')).toHaveLength(1);
    expect(spanTeams()).toEqual(['a']);
    // A good file after it applies; by then both watchers have seen the bad one: one report.
    writePolicy({ upstream: second.url, apiKey: 'sk-second', team: 'a', withB: false });
    await waitForUpstream(second);
    expect(policyErrors).toHaveLength(1);
  });
});
