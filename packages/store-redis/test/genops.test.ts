import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BudgetExceededError, GenOps, type GenOpsHandle } from '@genops/core';
import type { GovernedRequest } from '@genops/core/adapter';
import { settlementsInFlight } from '@genops/core/internal';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index';
import { startRedisServer, useRedisServer } from './redis-server';

// Through the public API: GenOps.init({ store }) reserves, settles and refuses through Redis.
const redis = useRedisServer();
let genops: GenOpsHandle | undefined;

afterEach(async () => {
  await genops?.shutdown();
  genops = undefined;
});

// gpt-4o: $2.50 / $10 per 1M tokens. Worst case 1000 in + 100 out = $0.0035; actual 200 in + 50 out = $0.001.
const chat: GovernedRequest = {
  provider: 'openai',
  operation: 'chat',
  model: 'gpt-4o',
  estimatedInputTokens: 1000,
  maxOutputTokens: 100,
  editable: { model: true, text: true },
};

/** GenOps on `store` with a $1 daily budget, for team 'eng' (`audit: false`: no audit trail). */
function governing(store: RedisStore, options: { audit?: false } = {}): GenOpsHandle {
  return GenOps.init({
    store,
    ...options,
    autoInstrument: false,
    defaults: { team: 'eng' },
    budgets: [{ name: 'daily', limit: 1, window: 'day' }],
  });
}

/** A governed call; `meanwhile` runs while it is out (the provider's work). */
async function call(handle: GenOpsHandle, meanwhile?: () => Promise<unknown>): Promise<void> {
  const governed = await handle.governor.begin(chat);
  await meanwhile?.();
  await governed.end({
    usage: { inputTokens: 200, outputTokens: 50 },
    response: { id: 'r', model: 'gpt-4o', finishReasons: ['stop'] },
  });
}

describe('GenOps with a RedisStore', () => {
  it('reserves the worst case, settles the actual cost, and refuses a call over the budget', async () => {
    const store = new RedisStore({ url: redis.url(), prefix: 'genops-e2e' });
    genops = GenOps.init({
      store,
      autoInstrument: false,
      defaults: { team: 'eng' },
      budgets: [{ name: 'daily', limit: 0.005, window: 'day' }],
    });

    await call(genops);
    await call(genops);
    // $0.002 spent + $0.0035 worst case > $0.005.
    const refused = await genops.governor.begin(chat).catch((error: unknown) => error);
    expect(BudgetExceededError.isInstance(refused)).toBe(true);

    const [line] = await store.lines();
    expect(line).toMatchObject({ budget: 'daily', unit: 'USD', limit: 5_000_000, used: 2_000_000, reserved: 0 });
    expect(await store.openReservations()).toBe(0);
    await genops.flushAudit();
    expect((await store.readAudit()).length).toBeGreaterThan(0);
  });

  it("sends a sequential call's settlement at once, so the next call's reservation runs alone", async () => {
    const client = new Redis(redis.url());
    const store = new RedisStore({ client, prefix: 'genops-sequential-runs' });
    // No audit trail: its batches go on a 10 ms timer, and one that fires while a settlement is issued
    // (a slow machine makes the calls longer) is a command in flight, which by design sends that
    // settlement with the next reservation: this test is about settlements and reservations alone.
    genops = governing(store, { audit: false });
    // After a first call and its settlement (the first one also reads the epoch and loads the library).
    await call(genops);
    await genops.flush();
    // The operations of each group-commit run, by kind ('r' reserve, 's' settle; audit appends left out).
    const runs: string[] = [];
    const sendCommand = client.sendCommand;
    client.sendCommand = function (this: Redis, command, ...rest) {
      if (command.name === 'FCALL') {
        const args = command.args.map(String);
        let kinds = '';
        // FCALL <function> 1 <namespace> <retention> <now>, the operations (kind, count, arguments), the epoch.
        for (let index = 5; index < args.length - 1; index += 2 + Number(args[index + 1]))
          if (args[index] !== 'a') kinds += args[index];
        runs.push(kinds);
      }
      return sendCommand.call(this, command, ...rest);
    } as typeof client.sendCommand;
    try {
      // The provider's answer arrives in a later turn of the event loop, as a real call's does.
      const answer = () => new Promise((resolve) => setImmediate(resolve));
      for (let index = 0; index < 3; index++) await call(genops, answer);
      await genops.flush();
      // Each settlement in a run of its own, sent before the next call's reservation.
      expect(runs.filter((kinds) => kinds !== '')).toEqual(['r', 's', 'r', 's', 'r', 's']);
      expect(await store.lines()).toMatchObject([{ budget: 'daily', used: 4_000_000, reserved: 0 }]);
    } finally {
      await genops.shutdown();
      genops = undefined;
      await store.close();
      await client.quit();
    }
  });

  it("returns a call's result before its settlement is in Redis; status() and flush() wait for it", async () => {
    const store = new RedisStore({ url: redis.url(), prefix: 'genops-settle-after' });
    genops = governing(store);
    const governed = await genops.governor.begin(chat);
    // Redis takes no command for a while: the settlement cannot complete until it does.
    const admin = new Redis(redis.url());
    try {
      await admin.call('CLIENT', 'PAUSE', '300', 'ALL');
    } finally {
      admin.disconnect();
    }
    await governed.end({
      usage: { inputTokens: 200, outputTokens: 50 },
      response: { id: 'r', model: 'gpt-4o', finishReasons: ['stop'] },
    });
    // The caller has its result; the settlement is still on its way (the reservation holds the worst case).
    expect(settlementsInFlight()).toBe(1);
    // Read-your-writes through the handle: status() waits for the settlement first.
    const status = await genops.status();
    expect(settlementsInFlight()).toBe(0);
    expect(status.budgets).toMatchObject([{ budget: 'daily', used: 0.001, reserved: 0 }]);
    expect(status.openReservations).toBe(0);
    // flush() waited for its audit record too.
    await genops.flush();
    const records = await store.readAudit();
    expect(records.some((record) => record.type === 'settlement' && record.subject === governed.id)).toBe(true);
  });

  it('journals a settlement still in flight when the process exits, and the next process commits it once', async () => {
    const journalFile = join(mkdtempSync(join(tmpdir(), 'genops-exit-journal-')), 'journal.jsonl');
    const env = { ...process.env };
    delete env.NODE_PATH;
    execFileSync(
      process.execPath,
      [
        fileURLToPath(new URL('./fixtures/exit-after-call.mjs', import.meta.url)),
        redis.url(),
        'genops-exit',
        journalFile,
      ],
      { env, timeout: 30_000 },
    );
    expect(readFileSync(journalFile, 'utf8').trim().split('\n')).toHaveLength(1);
    const store = new RedisStore({ url: redis.url(), prefix: 'genops-exit' });
    genops = GenOps.init({
      store,
      autoInstrument: false,
      budgets: [{ name: 'daily', limit: 1, window: 'day' }],
      journalFile,
    });
    await genops.governor.journal.replay();
    expect(readFileSync(journalFile, 'utf8')).toBe('');
    // The actual cost, once, and nothing left reserved (whether or not Redis took it before the exit).
    expect(await store.lines()).toEqual([expect.objectContaining({ budget: 'daily', used: 1_000_000, reserved: 0 })]);
    expect(await store.openReservations()).toBe(0);
  });

  it('denies the call with a StoreUnavailableError naming the Redis server when Redis is down (failMode closed)', async () => {
    const server = redis.server();
    const store = new RedisStore({ url: redis.url(), prefix: 'genops-down', timeoutMs: 1_000 });
    genops = governing(store);
    await call(genops);
    await server.kill();
    try {
      const denied = (await genops.governor.begin(chat).catch((error: unknown) => error)) as Error & { cause?: Error };
      expect(denied.name).toBe('StoreUnavailableError');
      expect(denied.cause?.name).toBe('RedisStoreError');
      expect(denied.cause?.message).toContain(`Redis store ${redis.url()} (namespace "genops-down")`);
    } finally {
      await server.restart();
    }
  });

  it('runs calls while Redis is down (failMode open) and replays their settlements when it is back', async () => {
    const server = await startRedisServer({ persistent: true });
    try {
      const store = new RedisStore({ url: server.url, prefix: 'genops-open', failMode: 'open', timeoutMs: 1_000 });
      genops = governing(store);
      await call(genops);
      // One call reserved before Redis goes down and ends while it is down; one starts while it is down.
      const before = await genops.governor.begin(chat);
      await server.kill();
      await before.end({
        usage: { inputTokens: 200, outputTokens: 50 },
        response: { id: 'r', model: 'gpt-4o', finishReasons: ['stop'] },
      });
      await call(genops);

      await server.restart();
      // The journal replays both settlements (about once a second); nothing is counted twice.
      let lines = await eventually(() => store.lines());
      for (const deadline = Date.now() + 15_000; lines[0]?.used !== 3_000_000 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        lines = await eventually(() => store.lines());
      }
      expect(lines).toMatchObject([{ budget: 'daily', used: 3_000_000, reserved: 0 }]);
      expect(await store.openReservations()).toBe(0);
    } finally {
      await genops?.shutdown();
      genops = undefined;
      await server.stop();
    }
  }, 30_000);
});

async function eventually<T>(probe: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
