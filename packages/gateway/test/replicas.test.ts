// Three gateway replicas, each a process of its own, on one real redis-server: the budget they share is
// never overspent under 4 × 50 concurrent clients, and a replica that dies mid-stream loses no
// settlement (SIGKILL: its sent calls are committed when their leases end; SIGTERM: it drains and
// settles its streams before it exits). The replicas run the built packages (replicas-worker.mjs);
// the upstream is the fake OpenAI server, in this process.
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisStore } from '@genops/store-redis';
import { type FakeOpenAIServer, startFakeOpenAI } from '@genops/testing';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRedisServer } from '../../store-redis/test/redis-server';

const redis = useRedisServer();
const here = dirname(fileURLToPath(import.meta.url));
const PREFIX = 'replicas';
/**
 * The reservation lease. The test never waits for it: it reads the store as it will be once the leases
 * have ended (a store client whose clock is a lease ahead). Long enough that no lease ends on its own
 * while the test runs, on a loaded machine too.
 */
const LEASE_MS = 10_000;
/** Room for about 400 of the test's chat calls (gpt-4o-mini, see CHAT_BODY). */
const LIMIT_USD = 0.012;
const TEAMS = ['overspend', 'calibrate', 'kill', 'drain'] as const;
type Team = (typeof TEAMS)[number];
const keyOf = (team: Team) => `gk-replicas-${team}-0123456789`;
const MAX_TOKENS = 16;
const MESSAGES = [{ role: 'user', content: 'Summarise the three most common themes in this week’s tickets.' }];
const CHAT_BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES, max_tokens: MAX_TOKENS });
const STREAM_BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: MESSAGES,
  max_tokens: MAX_TOKENS,
  stream: true,
  stream_options: { include_usage: true },
});
/**
 * The gateway bounds a request's input tokens by its body's UTF-8 size + 8. The upstream reports
 * exactly that bound and `max_tokens`, so a chat call costs what it reserved: no reservation is
 * released at settlement, and a refusal means the budget really had no room for one more call.
 */
const CHAT_INPUT_TOKENS = Buffer.byteLength(CHAT_BODY) + 8;

interface Replica {
  url: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let upstream: FakeOpenAIServer;
let replicas: Replica[] = [];
/** Every replica process started, listening or not: all of them are stopped after the tests. */
const processes: { child: ChildProcess; exited: Promise<unknown> }[] = [];
let store: RedisStore;

function startReplica(): Promise<Replica> {
  const settings = {
    redisUrl: redis.url(),
    prefix: PREFIX,
    upstream: upstream.url,
    limitUsd: LIMIT_USD,
    leaseMs: LEASE_MS,
    keys: TEAMS.map((team) => ({ key: keyOf(team), team })),
  };
  const child = fork(join(here, 'replicas-worker.mjs'), [JSON.stringify(settings)], {
    cwd: join(here, '..'),
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  processes.push({ child, exited });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { url?: string }) => {
      if (message.url) resolve({ url: message.url, child, exited });
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`a replica exited (${signal ?? code}) before it listened`)),
    );
  });
}

beforeAll(async () => {
  for (const built of ['dist/index.js', '../store-redis/dist/index.js'])
    if (!existsSync(join(here, '..', built)))
      throw new Error(`${built} is missing: build first (pnpm exec turbo run build --filter=@genops/gateway...)`);
  upstream = await startFakeOpenAI({
    // Streams: six content chunks 250 ms apart, so a replica can be stopped in the middle of one.
    defaults: { usage: { input: CHAT_INPUT_TOKENS, output: MAX_TOKENS }, chunks: 6, chunkDelayMs: 250 },
  });
  store = new RedisStore({ url: redis.url(), prefix: PREFIX });
  replicas = await Promise.all([startReplica(), startReplica(), startReplica()]);
}, 60_000);

afterAll(async () => {
  for (const { child } of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(processes.map(({ exited }) => exited));
  await store?.close();
  await upstream?.close();
});

/** The team's line of the shared budget, in the store's integer units. */
async function line(team: Team, from: RedisStore = store): Promise<{ used: number; reserved: number; limit: number }> {
  const [state] = await from.lines(`shared|team=${team}|`);
  if (!state) return { used: 0, reserved: 0, limit: Number.NaN };
  return { used: state.used, reserved: state.reserved, limit: state.limit };
}

/**
 * The team's line once `reserved` is what it should be: a replica answers first and records the
 * settlement right after, so a client that read its answer may look before that.
 */
function settledLine(team: Team, reserved = 0, from: RedisStore = store) {
  return waitFor(`team ${team}'s settlements`, async () => {
    const state = await line(team, from);
    return state.reserved === reserved ? state : undefined;
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function chat(replica: Replica, team: Team, dispatcher?: Agent): Promise<Answer> {
  const { statusCode, headers, body } = await request(`${replica.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${keyOf(team)}`, 'content-type': 'application/json' },
    body: CHAT_BODY,
    ...(dispatcher ? { dispatcher } : {}),
  });
  return { status: statusCode, headers, text: await body.text() };
}

/** A streamed call: `firstChunk` resolves when its first bytes arrive, `done` with all of it (or the error). */
function stream(replica: Replica, team: Team) {
  let started: () => void = () => {};
  const firstChunk = new Promise<void>((resolve) => {
    started = resolve;
  });
  const done = (async (): Promise<{ ok: true; text: string } | { ok: false; error: unknown }> => {
    try {
      const { statusCode, body } = await request(`${replica.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keyOf(team)}`, 'content-type': 'application/json' },
        body: STREAM_BODY,
      });
      let text = '';
      for await (const chunk of body) {
        text += chunk.toString();
        started();
      }
      if (statusCode !== 200) return { ok: false, error: new Error(`status ${statusCode}: ${text}`) };
      return { ok: true, text };
    } catch (error) {
      return { ok: false, error };
    } finally {
      started();
    }
  })();
  return { firstChunk, done };
}

/** Every content delta of an SSE chat stream, joined; `complete` when it ended with `[DONE]`. */
function streamedText(sse: string): { content: string; complete: boolean } {
  let content = '';
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const event = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[] };
    content += event.choices?.[0]?.delta?.content ?? '';
  }
  return { content, complete: sse.includes('data: [DONE]') };
}

describe('three gateway replicas on one Redis', () => {
  it('never overspend a shared budget under 4 × 50 concurrent clients, and refuse only when it is exhausted', async () => {
    // One call alone first, its upstream reply held back: what a call reserves, then what it costs.
    upstream.enqueue({ delayMs: 500 });
    const first = chat(replicas[0] as Replica, 'overspend');
    const reservedByOne = await waitFor('the first reservation', async () => {
      const { reserved } = await line('overspend');
      return reserved > 0 ? reserved : undefined;
    });
    expect((await first).status).toBe(200);
    const { used: costOfOne, reserved: afterOne, limit } = await settledLine('overspend');
    expect(afterOne).toBe(0);
    expect(costOfOne).toBe(reservedByOne);
    const fits = Math.floor(limit / costOfOne);
    expect(fits).toBeGreaterThan(200);

    upstream.reset();
    const groups = Array.from({ length: 4 }, () => new Agent({ connections: 50 }));
    const unexpected: string[] = [];
    let served = 0;
    let refused = 0;
    try {
      // 4 clients (each its own connection pool) × 50 concurrent callers, spread over the replicas; each
      // caller calls until it is refused.
      await Promise.all(
        groups.flatMap((group, groupIndex) =>
          Array.from({ length: 50 }, async (_, index) => {
            const replica = replicas[(groupIndex * 50 + index) % 3] as Replica;
            for (;;) {
              const answer = await chat(replica, 'overspend', group);
              if (answer.status === 200) {
                const content = (JSON.parse(answer.text) as { choices: { message: { content: string } }[] }).choices[0]
                  ?.message.content;
                if (content !== 'Hello from the fake OpenAI server.') unexpected.push(`reply ${answer.text}`);
                served++;
                continue;
              }
              if (answer.status === 402 && answer.headers['x-genops-error'] === 'BudgetExceededError') refused++;
              else unexpected.push(`${answer.status} ${answer.text}`);
              return;
            }
          }),
        ),
      );
    } finally {
      await Promise.all(groups.map((group) => group.close()));
    }

    expect(unexpected).toEqual([]);
    expect(refused).toBe(200);
    // Every call the replicas let through reached the upstream once; no refused call did.
    expect(upstream.requests).toHaveLength(served);
    const after = await settledLine('overspend');
    expect(after.reserved).toBe(0);
    // Every served call settled exactly once, at its cost: nothing lost, nothing counted twice.
    expect(after.used).toBe((served + 1) * costOfOne);
    // Never overspent, and refused only once no further call fitted: exactly as many calls as fit.
    expect(after.used).toBeLessThanOrEqual(limit);
    expect(limit - after.used).toBeLessThan(costOfOne);
    expect(served + 1).toBe(fits);
    expect(await store.openReservations()).toBe(0);
  }, 60_000);

  it('lose no settlement when a replica is killed mid-stream (SIGKILL) or stopped (SIGTERM)', async () => {
    const [killed, surviving, stopped] = replicas as [Replica, Replica, Replica];
    // What a stream reserves (while it runs) and what it costs (once it ended).
    const calibration = stream(surviving, 'calibrate');
    const reservedByStream = await waitFor('the stream reservation', async () => {
      const { reserved } = await line('calibrate');
      return reserved > 0 ? reserved : undefined;
    });
    const calibrated = await calibration.done;
    expect(calibrated.ok).toBe(true);
    const { used: costOfStream, reserved: calibrationLeft } = await settledLine('calibrate');
    expect(calibrationLeft).toBe(0);
    expect(costOfStream).toBeGreaterThan(0);

    upstream.reset();
    const PER_REPLICA = 8;
    const onKilled = Array.from({ length: PER_REPLICA }, () => stream(killed, 'kill'));
    const onSurviving = Array.from({ length: PER_REPLICA }, () => stream(surviving, 'kill'));
    const onStopped = Array.from({ length: PER_REPLICA }, () => stream(stopped, 'drain'));
    // Mid-stream: every stream has its first chunk (its request left for the upstream), none has ended.
    await Promise.all([...onKilled, ...onSurviving, ...onStopped].map((call) => call.firstChunk));
    killed.child.kill('SIGKILL');
    stopped.child.kill('SIGTERM');

    const killedResults = await Promise.all(onKilled.map((call) => call.done));
    const survivingResults = await Promise.all(onSurviving.map((call) => call.done));
    const stoppedResults = await Promise.all(onStopped.map((call) => call.done));
    expect(await killed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The stopped replica finished every stream it had started, then exited cleanly.
    expect(await stopped.exited).toEqual({ code: 0, signal: null });
    for (const result of [...survivingResults, ...stoppedResults]) {
      expect(result.ok).toBe(true);
      if (result.ok)
        expect(streamedText(result.text)).toEqual({ content: 'Hello from the fake OpenAI server.', complete: true });
    }
    // The killed replica's clients lost their streams (a stream that had ended before the kill is
    // settled like any other).
    const cut = killedResults.filter((result) => !result.ok || !streamedText(result.text).complete).length;
    expect(cut).toBeGreaterThan(0);
    const completed = PER_REPLICA + (PER_REPLICA - cut);
    // All 24 requests reached the upstream: every one of them is owed.
    expect(upstream.requests).toHaveLength(3 * PER_REPLICA);

    // The drained replica settled its streams at their cost before it exited.
    expect(await line('drain')).toMatchObject({ used: PER_REPLICA * costOfStream, reserved: 0 });
    // The killed replica's streams are still reserved: their replica never settled them.
    expect(await settledLine('kill', cut * reservedByStream)).toMatchObject({
      used: completed * costOfStream,
      reserved: cut * reservedByStream,
    });
    expect(await store.openReservations()).toBe(cut);

    // Once their leases end, the store commits them as spent (they were sent): none is released free.
    const afterLeases = new RedisStore({ url: redis.url(), prefix: PREFIX, now: () => Date.now() + LEASE_MS + 1_000 });
    try {
      expect(await afterLeases.openReservations()).toBe(0);
      expect(await line('kill', afterLeases)).toMatchObject({
        used: completed * costOfStream + cut * reservedByStream,
        reserved: 0,
      });
    } finally {
      await afterLeases.close();
    }
  }, 60_000);
});
