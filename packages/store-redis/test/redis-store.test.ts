import { MemoryStore, readStoreAudit, verifyAuditChain } from '@genops/core';
import type { ApprovalRecord, AuditEntry, BudgetLine, SettleResult } from '@genops/core/internal';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { openStore, parseRedisUrl, RedisStore } from '../src/index';
import { useRedisServer } from './redis-server';

const redis = useRedisServer();
let namespaces = 0;
const fresh = (options: { prefix?: string } = {}): RedisStore =>
  new RedisStore({ url: redis.url(), prefix: options.prefix ?? `store-${++namespaces}` });

describe('RedisStore approvals across instances', () => {
  it('wakes a waiter in one instance when another instance decides (pub/sub)', async () => {
    const prefix = `approvals-${++namespaces}`;
    const deciding = fresh({ prefix });
    const waiting = fresh({ prefix });
    try {
      await deciding.createApproval(approval('a1'));
      const started = performance.now();
      const waited = waiting.waitForApproval('a1', 20_000);
      setTimeout(
        () => void deciding.decideApproval('a1', { status: 'approved', decidedBy: 'alice', reason: 'ok' }),
        100,
      );

      expect(await waited).toMatchObject({ id: 'a1', status: 'approved', decidedBy: 'alice', decisionReason: 'ok' });
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(90);
      expect(elapsed).toBeLessThan(5_000);
    } finally {
      await deciding.close();
      await waiting.close();
    }
  });

  it('wakes every waiter of every instance, each with its own copy', async () => {
    const prefix = `approvals-${++namespaces}`;
    const stores = [fresh({ prefix }), fresh({ prefix }), fresh({ prefix })];
    try {
      await stores[0]!.createApproval(approval('a2'));
      const waits = stores.flatMap((store) => [
        store.waitForApproval('a2', 20_000),
        store.waitForApproval('a2', 20_000),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await stores[2]!.decideApproval('a2', { status: 'denied', decidedBy: 'bob' });
      const records = await Promise.all(waits);
      for (const record of records) expect(record).toMatchObject({ status: 'denied', decidedBy: 'bob' });
      expect(new Set(records).size).toBe(records.length);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('resolves a pending wait with the record as it is when the store closes', async () => {
    const store = fresh();
    await store.createApproval(approval('a3'));
    const waited = store.waitForApproval('a3', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.close();
    expect(await waited).toMatchObject({ id: 'a3', status: 'pending' });
  });
});

describe('RedisStore audit chain', () => {
  it('keeps one unbroken chain when several clients append at once', async () => {
    const prefix = `audit-${++namespaces}`;
    const clients = Array.from({ length: 4 }, () => fresh({ prefix }));
    try {
      const batches = await Promise.all(
        clients.flatMap((store, client) =>
          Array.from({ length: 25 }, (_, batch) =>
            store.appendAudit(Array.from({ length: 4 }, (_, index) => entry(client, batch, index))),
          ),
        ),
      );
      for (const records of batches) {
        // Each batch was appended in one piece and in order.
        expect(records.map((record) => record.seq - records[0]!.seq)).toEqual([0, 1, 2, 3]);
        expect(records.map((record) => record.data.index)).toEqual([0, 1, 2, 3]);
      }
      const verification = await verifyAuditChain(readStoreAudit(clients[0]!, { pageSize: 37 }));
      expect(verification).toMatchObject({ ok: true, checked: 400, firstSeq: 1, lastSeq: 400, problems: [] });
      const all = await clients[1]!.readAudit();
      expect(all).toEqual(batches.flat().sort((a, b) => a.seq - b.seq));
      expect(new Set(all.map((record) => `${record.data.client}/${record.data.batch}/${record.data.index}`)).size).toBe(
        400,
      );
    } finally {
      await Promise.all(clients.map((store) => store.close()));
    }
  });

  it('trims the oldest records beyond maxAuditRecords; seq keeps counting', async () => {
    const store = new RedisStore({ url: redis.url(), prefix: `audit-${++namespaces}`, maxAuditRecords: 100 });
    try {
      for (let batch = 0; batch < 10; batch++)
        await store.appendAudit(Array.from({ length: 50 }, (_, index) => entry(0, batch, index)));
      const kept = await store.readAudit();
      expect(kept.length).toBeGreaterThanOrEqual(100);
      expect(kept.length).toBeLessThan(500);
      expect(kept[kept.length - 1]?.seq).toBe(500);
      expect(await verifyAuditChain(kept, { fromSeq: kept[0]!.seq })).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
  });
});

describe('RedisStore connections', () => {
  it('opens from a URL with its options in the query, and names the server without credentials', async () => {
    expect(
      parseRedisUrl('redis://user:secret@10.0.0.5:6380/3?prefix=team-a&failMode=open&timeoutMs=500&family=4'),
    ).toEqual({
      url: 'redis://user:secret@10.0.0.5:6380/3?family=4',
      options: { prefix: 'team-a', failMode: 'open', timeoutMs: 500 },
    });
    expect(() => parseRedisUrl('http://localhost')).toThrow(/is not a Redis store URL/);
    expect(() => parseRedisUrl('redis://u:pw@localhost?failMode=maybe')).toThrow(/failMode=maybe/);
    expect(() => parseRedisUrl('redis://u:pw@localhost?failMode=maybe')).not.toThrow(/pw/);

    const store = openStore(`${redis.url()}/1?prefix=opened&failMode=open`);
    try {
      expect(store.kind).toBe('redis');
      expect(store.failMode).toBe('open');
      expect(store.prefix).toBe('opened');
      expect(store.server).toBe(`${redis.url()}/1`);
      await store.reserve({ id: 'r1', lines: [usd('b', 100, 10)], leaseMs: 60_000 });
      const admin = new Redis(`${redis.url()}/1`);
      expect(await admin.keys('{opened}:*')).toContain('{opened}:line:b');
      await admin.quit();
    } finally {
      await store.close();
    }
  });

  it('uses a client it is given, with its keyPrefix, and leaves it open', async () => {
    const client = new Redis(redis.url(), { keyPrefix: 'app1:' });
    const store = new RedisStore({ client, prefix: 'given' });
    try {
      expect(store.server).toBe(redis.url());
      await store.reserve({ id: 'r1', lines: [usd('b', 100, 10)], leaseMs: 60_000 });
      await store.settle('r1', { USD: 4 });
      await store.appendAudit([entry(0, 0, 0)]);
      await store.createApproval(approval('p1'));
      const waited = store.waitForApproval('p1', 20_000);
      await store.decideApproval('p1', { status: 'approved', decidedBy: 'alice' });
      expect(await waited).toMatchObject({ status: 'approved' });
      expect(await store.lines()).toMatchObject([{ key: 'b', used: 4, reserved: 0 }]);
      expect(await store.readAudit()).toHaveLength(1);
      const admin = new Redis(redis.url());
      const keys = await admin.keys('*given*');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key.startsWith('app1:{given}:')).toBe(true);
      await admin.quit();
    } finally {
      await store.close();
    }
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  it('refuses to reserve an id that is still open, as the memory store does', async () => {
    const store = fresh();
    try {
      await store.reserve({ id: 'same', lines: [usd('b', 100, 10)], leaseMs: 60_000 });
      await expect(store.reserve({ id: 'same', lines: [usd('b', 100, 10)], leaseMs: 60_000 })).rejects.toThrow(
        'genops: reservation "same" is already open',
      );
    } finally {
      await store.close();
    }
  });

  it('rejects after close', async () => {
    const store = fresh();
    await store.close();
    await expect(store.openReservations()).rejects.toThrow(/openReservations failed: the store is closed/);
  });
});

describe('RedisStore settlement', () => {
  it('recognises a repeated settlement (a retry after a lost reply) and commits it once', async () => {
    const store = fresh();
    try {
      const line = usd('b', 1_000, 100);
      await store.reserve({ id: 'r1', lines: [line], leaseMs: 60_000 });
      expect(await store.settle('r1', { USD: 70 }, [line])).toMatchObject({ open: true, lines: [{ used: 70 }] });
      expect(await store.settle('r1', { USD: 70 }, [line])).toMatchObject({
        open: false,
        lines: [{ used: 70, reserved: 0 }],
      });
      expect(await store.lines()).toMatchObject([{ used: 70 }]);
    } finally {
      await store.close();
    }
  });

  it('keeps amounts exact beyond 2^31 and beyond cjson precision', async () => {
    const store = fresh();
    try {
      const big = usd('big', 9_007_199_254_740_991, 123_456_789_012_345);
      expect(await store.reserve({ id: 'r1', lines: [big], leaseMs: 60_000 })).toMatchObject({
        ok: true,
        lines: [{ limit: 9_007_199_254_740_991, reserved: 123_456_789_012_345 }],
      });
      expect(await store.settle('r1', { USD: 98_765_432_109_876 })).toMatchObject({
        lines: [{ used: 98_765_432_109_876, reserved: 0 }],
      });
      const fractional = usd('fraction', 1.5, 0.25);
      expect(await store.reserve({ id: 'r2', lines: [fractional], leaseMs: 60_000 })).toMatchObject({
        ok: true,
        lines: [{ limit: 1.5, reserved: 0.25 }],
      });
    } finally {
      await store.close();
    }
  });
});

describe('RedisStore lines', () => {
  it('lists more lines than one script reads at once, sorted as the memory store sorts them', async () => {
    const store = fresh();
    try {
      const keys = Array.from({ length: 1_234 }, (_, index) => `p|${index}`);
      keys.push('p|é', 'p|😀', 'p|\uffff', 'q|other');
      await store.reserve({ id: 'many', lines: keys.map((key) => usd(key, 100, 1)), leaseMs: 60_000 });
      const all = await store.lines();
      expect(all.map((line) => line.key)).toEqual([...keys].sort());
      expect((await store.lines('p|1')).map((line) => line.key)).toEqual(
        keys.filter((key) => key.startsWith('p|1')).sort(),
      );
      expect((await store.lines('p|😀')).map((line) => line.key)).toEqual(['p|😀']);
      expect(await store.lines('r')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('RedisStore commands per call', () => {
  /** Redis commands the scripts ran (every command but FCALL itself), from INFO commandstats. */
  const scriptCommands = async (admin: Redis): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    for (const [, name, calls] of (await admin.info('commandstats')).matchAll(/cmdstat_([\w|]+):calls=(\d+)/g))
      if (name !== 'fcall' && name !== 'info' && !name!.startsWith('config')) counts.set(name!, Number(calls));
    return counts;
  };

  it('reserves and settles on calendar lines with at most 21 Redis commands a pair, and no TTL writes', async () => {
    const store = fresh();
    const admin = new Redis(redis.url());
    try {
      const expiresAt = Date.now() + 3_600_000;
      const lines = [
        { ...usd('daily||d1', 1e15, 3_500), expiresAt },
        { ...usd('team|team=a|d1', 1e15, 3_500), expiresAt },
      ];
      // The lines exist (created, with their TTL) before counting.
      await store.reserve({ id: 'first', lines, leaseMs: 60_000 });
      await store.settle('first', { USD: 1_000 });
      await admin.config('RESETSTAT');
      const pairs = 50;
      for (let index = 0; index < pairs; index++) {
        await store.reserve({ id: `p${index}`, lines, leaseMs: 60_000, sent: true });
        await store.settle(`p${index}`, { USD: 1_000, tokens: 250, requests: 1 });
      }
      const counts = await scriptCommands(admin);
      const total = [...counts.values()].reduce((sum, calls) => sum + calls, 0);
      // reserve: epoch, due leases, the id, 2 lines read, the reservation, its lease, its settled id, 2 lines
      // written; settle: epoch, due leases, the reservation, 2 lines read, its delete, lease and settled id, 2
      // lines written; plus about one sweep in 8 settlements (at most 20 commands).
      expect(total).toBeLessThanOrEqual(21 * pairs + Math.ceil(pairs / 4) * 20);
      expect(counts.get('pexpire') ?? 0).toBe(0);
      expect(counts.get('persist') ?? 0).toBe(0);
      // The lines' keys still expire one retention (a day, by default) after their period ends.
      const ttl = await admin.pttl(`{${store.prefix}}:line:daily||d1`);
      expect(ttl).toBeGreaterThan(expiresAt - Date.now() + 86_400_000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(expiresAt - Date.now() + 86_400_000 + 1_000);
      expect(await store.lines()).toMatchObject([
        { key: 'daily||d1', used: 1_000 * (pairs + 1), reserved: 0 },
        { key: 'team|team=a|d1', used: 1_000 * (pairs + 1), reserved: 0 },
      ]);
    } finally {
      await admin.quit();
      await store.close();
    }
  });

  it('appends audit records in the script run of the reservations and settlements near them: one round trip', async () => {
    const store = fresh();
    const admin = new Redis(redis.url());
    try {
      const lines = [usd('team|a', 1e15, 100)];
      await store.reserve({ id: 'warm', lines, leaseMs: 60_000 });
      await admin.config('RESETSTAT');
      // From the tick of one of the store's replies, as concurrent calls issue theirs (an operation issued
      // while the connection is idle goes at once, see 'on the wire').
      await store.openReservations();
      // A settlement and audit records issued in one tick; then records alone, and a reservation after them.
      const [settled, first] = await Promise.all([
        store.settle('warm', { USD: 40 }, lines),
        store.appendAudit([entry(0, 0, 0), entry(0, 0, 1)]),
      ]);
      const alone = store.appendAudit([entry(0, 1, 0)]);
      await new Promise((resolve) => setImmediate(resolve));
      const reserved = await store.reserve({ id: 'next', lines, leaseMs: 60_000 });
      const second = await alone;
      const fcall = /cmdstat_fcall:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1];
      expect(fcall).toBe('2');
      expect(settled).toMatchObject({ open: true, lines: [{ used: 40 }] });
      expect(reserved).toMatchObject({ ok: true, lines: [{ reserved: 100 }] });
      expect([...first, ...second].map((record) => record.seq)).toEqual([1, 2, 3]);
      const verification = await verifyAuditChain(await store.readAudit());
      expect(verification).toMatchObject({ ok: true, checked: 3 });
      // Records with nothing to share a run with still go, on their own, within a few milliseconds.
      expect((await store.appendAudit([entry(0, 2, 0)]))[0]?.seq).toBe(4);
    } finally {
      await admin.quit();
      await store.close();
    }
  });

  it('answers a reservation of many lines, one key named twice with different limits, as MemoryStore does', async () => {
    const store = fresh();
    const memory = new MemoryStore();
    try {
      // More than 16 lines (the client then maps keys), the first named again last with a new limit.
      const lines = Array.from({ length: 20 }, (_, index) => usd(`k${index}`, 1_000 + index, 10));
      lines.push({ ...usd('k0', 5_000, 7), budget: 'renamed' });
      for (const id of ['first', 'second']) {
        const request = { id, lines, leaseMs: 60_000, sent: true };
        expect(await store.reserve(request)).toEqual(await memory.reserve(request));
      }
    } finally {
      await store.close();
    }
  });

  it('sends a settlement its lines only when the reservation is no longer open (the script asks for them)', async () => {
    let now = Date.now();
    const store = new RedisStore({ url: redis.url(), prefix: `store-${++namespaces}`, now: () => now });
    const admin = new Redis(redis.url());
    const monitor = await admin.monitor();
    // The lines argument of every settlement sent: FCALL function 1 namespace retention clock 's' n id <lines>.
    const sent: string[] = [];
    // Redis feeds a monitor in the order it runs commands: once it shows this ECHO, it showed every earlier one.
    const fed = new Promise<void>((resolve) => {
      monitor.on('monitor', (_time: string, args: string[]) => {
        const name = args[0]?.toLowerCase();
        if (name === 'fcall' && args[6] === 's') sent.push(args[9]!);
        if (name === 'echo' && args[1] === 'end of test') resolve();
      });
    });
    try {
      const lines = [usd('team|a', 1e15, 100)];
      await store.reserve({ id: 'on-time', lines, leaseMs: 60_000 });
      expect(await store.settle('on-time', { USD: 40 }, lines)).toMatchObject({ open: true });
      await store.reserve({ id: 'late', lines, leaseMs: 1_000 });
      now += 5_000;
      // Its lease ended: the first run asks for the lines, the second commits to them.
      expect(await store.settle('late', { USD: 30 }, lines)).toEqual({
        open: false,
        lines: [{ key: 'team|a', budget: 'team|a', unit: 'USD', limit: 1e15, used: 70, reserved: 0 }],
      });
      // Without lines there is nothing to ask for: a late settlement commits nothing.
      await store.reserve({ id: 'late-bare', lines, leaseMs: 1_000 });
      now += 5_000;
      expect(await store.settle('late-bare', { USD: 20 })).toEqual({ open: false, lines: [] });
      await admin.echo('end of test');
      await fed;
      expect(sent).toEqual([
        '?',
        '?',
        JSON.stringify([['team|a', 'team|a', 'USD', '1000000000000000', '100', '1', '', '', '']]),
        '',
      ]);
      expect(await store.lines()).toMatchObject([{ key: 'team|a', used: 70, reserved: 0 }]);
    } finally {
      monitor.disconnect();
      await admin.quit();
      await store.close();
    }
  });

  it("extends a calendar line's TTL when a reservation's lease outlives its period", async () => {
    const store = fresh();
    const admin = new Redis(redis.url());
    try {
      const line = { ...usd('daily||ending', 1e15, 100), expiresAt: Date.now() + 1_000 };
      await store.reserve({ id: 'short', lines: [line], leaseMs: 1_000 });
      await store.settle('short', { USD: 10 });
      const before = await admin.pttl(`{${store.prefix}}:line:daily||ending`);
      // A lease of two days outlives the period (1 s) plus the retention (a day).
      await store.reserve({ id: 'long', lines: [line], leaseMs: 2 * 86_400_000 });
      const after = await admin.pttl(`{${store.prefix}}:line:daily||ending`);
      expect(before).toBeLessThanOrEqual(86_400_000 + 1_000);
      expect(after).toBeGreaterThan(3 * 86_400_000 - 60_000);
    } finally {
      await admin.quit();
      await store.close();
    }
  });
});

describe('RedisStore latency over loopback (measured, not asserted)', () => {
  it('reserve + settle, sequential', async () => {
    const store = fresh();
    try {
      const lines = [
        usd('team|a|d1', 1e15, 100),
        usd('project|x|d1', 1e15, 100),
        { ...usd('rate:rpm', 1e15, 1), unit: 'requests' as const, rolling: { windowMs: 60_000, bucketMs: 1_000 } },
      ];
      const timings: number[] = [];
      for (let index = 0; index < 2_200; index++) {
        const started = performance.now();
        await store.reserve({ id: `l${index}`, lines, leaseMs: 60_000 });
        await store.settle(`l${index}`, { USD: 50, requests: 1 });
        if (index >= 200) timings.push(performance.now() - started);
      }
      timings.sort((a, b) => a - b);
      const at = (quantile: number) => timings[Math.floor(quantile * (timings.length - 1))]!.toFixed(3);
      const mean = (timings.reduce((sum, value) => sum + value, 0) / timings.length).toFixed(3);
      console.info(
        `RedisStore reserve+settle (3 lines, loopback, ${timings.length} sequential): mean ${mean} ms, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
      );
      // Throughput with 64 calls in flight at once (one connection; Redis runs scripts one at a time).
      const total = 10_000;
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          for (let index = next++; index < total; index = next++) {
            await store.reserve({ id: `t${index}`, lines, leaseMs: 60_000 });
            await store.settle(`t${index}`, { USD: 50, requests: 1 });
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      console.info(
        `RedisStore reserve+settle (3 lines, loopback, 64 in flight): ${Math.round(total / seconds)} calls/s (${total} in ${seconds.toFixed(2)} s)`,
      );
      expect(await store.openReservations()).toBe(0);
    } finally {
      await store.close();
    }
  }, 60_000);
});

function usd(key: string, limit: number, amount: number): BudgetLine {
  return { key, budget: key, unit: 'USD', limit, amount, enforce: true };
}

function approval(id: string): ApprovalRecord {
  return {
    id,
    status: 'pending',
    createdAt: Date.now(),
    expiresAt: Date.now() + 3_600_000,
    reason: 'cost over $50.00 (requireApprovalOver)',
    rule: 'team',
    provider: 'openai',
    model: 'gpt-4o',
    operation: 'chat',
    attribution: { team: 'a' },
    estimatedCostUsd: 62.5,
  };
}

function entry(client: number, batch: number, index: number): AuditEntry {
  return {
    type: 'settlement',
    at: Date.now(),
    subject: `awu-${client}-${batch}-${index}`,
    data: { client, batch, index },
  };
}

describe('RedisStore on the wire', () => {
  const line = (key: string): BudgetLine => ({ key, budget: key, unit: 'USD', limit: 1e12, amount: 10, enforce: true });

  /** Counts the commands `client` sends, by name, and its socket writes, from now on. */
  function watch(client: Redis): { commands: string[]; writes: number[] } {
    const seen = { commands: [] as string[], writes: [] as number[] };
    const sendCommand = client.sendCommand;
    client.sendCommand = function (this: Redis, command, ...rest) {
      seen.commands.push(command.name);
      return sendCommand.call(this, command, ...rest);
    } as typeof client.sendCommand;
    const socket = client.stream as unknown as { _write: unknown; _writev: unknown };
    const write = socket._write as (...args: unknown[]) => unknown;
    const writev = socket._writev as (chunks: unknown[], ...rest: unknown[]) => unknown;
    socket._write = function (this: unknown, ...args: unknown[]) {
      seen.writes.push(1);
      return write.apply(this, args);
    };
    socket._writev = function (this: unknown, chunks: unknown[], ...rest: unknown[]) {
      seen.writes.push(chunks.length);
      return writev.call(this, chunks, ...rest);
    };
    return seen;
  }

  /** Runs `test` with a store on an ioredis client of its own, in a namespace of its own; closes both. */
  async function withClient(test: (store: RedisStore, client: Redis) => Promise<void>): Promise<void> {
    const client = new Redis(redis.url());
    const store = new RedisStore({ client, prefix: `wire-${++namespaces}` });
    try {
      await test(store, client);
    } finally {
      await store.close();
      await client.quit();
    }
  }

  it('sends the reservations and settlements of one tick as one script run (group commit)', () =>
    withClient(async (store, client) => {
      // The first operation looks the namespace's epoch up (a command of its own). The next ones are
      // issued in the tick of its reply, as concurrent calls issue theirs.
      await store.reserve({ id: 'first', lines: [line('a')], leaseMs: 60_000 });
      const seen = watch(client);
      const [settled, ...reserved] = await Promise.all([
        store.settle('first', { USD: 4 }),
        ...Array.from({ length: 16 }, (_, index) =>
          store.reserve({ id: `r${index}`, lines: [line('a')], leaseMs: 60_000 }),
        ),
      ]);
      expect(settled).toMatchObject({ open: true });
      expect(reserved.every((result) => result.ok)).toBe(true);
      // Seventeen operations, one script run, one system call.
      expect(seen.commands).toEqual(['FCALL']);
      expect(seen.writes).toEqual([1]);
      expect((await store.lines())[0]).toMatchObject({ key: 'a', used: 4, reserved: 160 });
    }));

  it('sends an operation issued while the connection is idle at once, and batches the ones after it in its tick', () =>
    withClient(async (store, client) => {
      await store.reserve({ id: 'first', lines: [line('a')], leaseMs: 60_000 });
      // Out of the reply's tick, with nothing in flight: as a governed call's settlement is issued.
      await new Promise((resolve) => setImmediate(resolve));
      const seen = watch(client);
      const settled = store.settle('first', { USD: 4 });
      // Written before this tick ends, in a run of its own.
      expect(seen.commands).toEqual(['FCALL']);
      expect(seen.writes).toEqual([1]);
      const reserved = [1, 2].map((index) =>
        store.reserve({ id: `next-${index}`, lines: [line('a')], leaseMs: 60_000 }),
      );
      expect(seen.commands).toEqual(['FCALL']);
      // The two reservations of the same tick: one run, after the settlement's.
      expect(await settled).toMatchObject({ open: true, lines: [{ used: 4, reserved: 0 }] });
      expect(await Promise.all(reserved)).toMatchObject([
        { ok: true, lines: [{ used: 4, reserved: 10 }] },
        { ok: true, lines: [{ used: 4, reserved: 20 }] },
      ]);
      expect(seen.commands).toEqual(['FCALL', 'FCALL']);
      expect(seen.writes).toEqual([1, 1]);
    }));

  it('batches the operations that the callbacks of one event-loop turn issue while a command is in flight', () =>
    withClient(async (store, client) => {
      await Promise.all(['x', 'y'].map((id) => store.reserve({ id, lines: [line('a')], leaseMs: 60_000 })));
      const seen = watch(client);
      // In flight while the callbacks below run (its reply is read in a later turn).
      const busy = store.reserve({ id: 'busy', lines: [line('a')], leaseMs: 60_000 });
      // Two callbacks of one turn, as two provider responses arriving together are.
      const settled = await new Promise<SettleResult[]>((resolve) => {
        const results: Promise<SettleResult>[] = [];
        setImmediate(() => results.push(store.settle('x', { USD: 1 })));
        setImmediate(() => {
          results.push(store.settle('y', { USD: 2 }));
          resolve(Promise.all(results));
        });
      });
      expect(settled).toMatchObject([{ open: true }, { open: true }]);
      expect(await busy).toMatchObject({ ok: true });
      // The reservation's run, then one run for both settlements.
      expect(seen.commands).toEqual(['FCALL', 'FCALL']);
      expect((await store.lines())[0]).toMatchObject({ key: 'a', used: 3, reserved: 10 });
    }));

  it('answers each operation of a batch on its own: a refused or failed one does not fail the others', async () => {
    const store = fresh();
    try {
      await store.reserve({ id: 'open', lines: [usd('b', 100, 10)], leaseMs: 60_000 });
      const results = await Promise.allSettled([
        store.reserve({ id: 'fits', lines: [usd('b', 100, 50)], leaseMs: 60_000 }),
        store.reserve({ id: 'open', lines: [usd('b', 100, 1)], leaseMs: 60_000 }),
        store.reserve({ id: 'too-big', lines: [usd('b', 100, 41)], leaseMs: 60_000 }),
        store.reserve({
          id: 'ledger',
          lines: [usd('huge', Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)],
          leaseMs: 60_000,
        }),
        store.reserve({ id: 'ledger-2', lines: [usd('huge', Number.MAX_SAFE_INTEGER, 1)], leaseMs: 60_000 }),
        store.settle('open', { USD: 7 }),
        store.reserve({ id: 'after', lines: [usd('b', 100, 40)], leaseMs: 60_000 }),
      ]);
      expect(results.map((result) => result.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      const values = results.map((result) => (result.status === 'fulfilled' ? result.value : result.reason));
      expect(values[0]).toMatchObject({ ok: true });
      expect((values[1] as Error).message).toBe('genops: reservation "open" is already open');
      // 10 open + 50 fits + 41 > 100: refused, with the line as it was.
      expect(values[2]).toMatchObject({ ok: false, failed: { key: 'b', used: 0, reserved: 60 }, requested: 41 });
      expect(values[3]).toMatchObject({ ok: true });
      expect(values[4]).toMatchObject({ name: 'StoreAmountError' });
      expect(values[5]).toMatchObject({ open: true, lines: [{ key: 'b', used: 7, reserved: 50 }] });
      // Operations run in order: the settlement released 'open' before this one asked for 40.
      expect(values[6]).toMatchObject({ ok: true, lines: [{ key: 'b', used: 7, reserved: 90 }] });
      expect(await store.lines()).toMatchObject([
        { key: 'b', used: 7, reserved: 90 },
        { key: 'huge', used: 0, reserved: Number.MAX_SAFE_INTEGER },
      ]);
      expect(await store.openReservations()).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('fails only the operation of a batch in which a Redis command fails', async () => {
    const store = fresh();
    const admin = new Redis(redis.url());
    try {
      await store.openReservations();
      // A key of the wrong type where the settlement reads its reservation: HMGET fails inside the script.
      await admin.set(`{${store.prefix}}:res:broken`, 'not a hash');
      const [first, broken, last] = await Promise.allSettled([
        store.reserve({ id: 'first', lines: [usd('f', 100, 10)], leaseMs: 60_000 }),
        store.settle('broken', { USD: 1 }),
        store.reserve({ id: 'last', lines: [usd('f', 100, 20)], leaseMs: 60_000 }),
      ]);
      expect(first).toMatchObject({ status: 'fulfilled', value: { ok: true } });
      expect(broken.status).toBe('rejected');
      const reason = (broken as PromiseRejectedResult).reason as Error;
      expect(reason).toMatchObject({ name: 'RedisStoreError', operation: 'settle' });
      expect(reason.message).toContain('WRONGTYPE');
      expect(last).toMatchObject({ status: 'fulfilled', value: { ok: true, lines: [{ reserved: 30 }] } });
      expect(await store.lines()).toMatchObject([{ key: 'f', reserved: 30 }]);
    } finally {
      await admin.quit();
      await store.close();
    }
  });

  it('splits a tick of more operations than one script run takes, and keeps their order', async () => {
    const store = fresh();
    try {
      const ids = Array.from({ length: 300 }, (_, index) => `many-${index}`);
      const reserved = await Promise.all(
        ids.map((id) => store.reserve({ id, lines: [usd('many', 1e6, 2)], leaseMs: 60_000 })),
      );
      // Each reservation sees the ones before it: reserved grows by 2 per operation, in order.
      expect(reserved.map((result) => (result.ok ? result.lines[0]!.reserved : -1))).toEqual(
        ids.map((_, index) => 2 * (index + 1)),
      );
      const settled = await Promise.all(ids.map((id) => store.settle(id, { USD: 1 })));
      expect(settled.every((result) => result.open)).toBe(true);
      expect(await store.lines()).toMatchObject([{ key: 'many', used: 300, reserved: 0 }]);
      expect(await store.openReservations()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('commits a late settlement of a reused id whose second reservation expired unsettled', async () => {
    let clock = Date.now();
    const store = new RedisStore({ url: redis.url(), prefix: `reuse-${++namespaces}`, now: () => clock });
    try {
      const lines = [usd('reuse', 1_000, 100)];
      await store.reserve({ id: 'r1', lines, leaseMs: 10_000 });
      // Remembered as settled for one lease length (10 s): a repeat within it commits nothing.
      expect(await store.settle('r1', { USD: 10 }, lines)).toMatchObject({ open: true, lines: [{ used: 10 }] });
      await store.reserve({ id: 'r1', lines, leaseMs: 1_000 });
      clock += 2_000;
      // The second reservation's lease ended unsettled (never sent): released, and the id's settled
      // memory from the first one no longer stands for this one, so its late settlement counts.
      expect(await store.openReservations()).toBe(0);
      expect(await store.settle('r1', { USD: 20 }, lines)).toMatchObject({ open: false, lines: [{ used: 30 }] });
      expect(await store.settle('r1', { USD: 20 }, lines)).toMatchObject({ open: false, lines: [{ used: 30 }] });
    } finally {
      await store.close();
    }
  });

  it('sends a reservation and a settlement issued in the same tick as close, before closing', async () => {
    const store = fresh();
    const reader = new RedisStore({ url: redis.url(), prefix: store.prefix });
    try {
      await store.reserve({ id: 'settled-at-close', lines: [usd('closing', 100, 10)], leaseMs: 60_000 });
      // From a microtask, as a shutdown hook after an await would: close's own steps run before the next tick.
      const [reserved, settled] = await Promise.resolve().then(() => {
        const issued = [
          store.reserve({ id: 'reserved-at-close', lines: [usd('closing', 100, 5)], leaseMs: 60_000 }),
          store.settle('settled-at-close', { USD: 3 }),
        ] as const;
        void store.close();
        return Promise.all(issued);
      });
      expect(reserved.ok).toBe(true);
      expect(settled.open).toBe(true);
      expect(await reader.lines()).toMatchObject([{ key: 'closing', used: 3, reserved: 5 }]);
    } finally {
      await store.close();
      await reader.close();
    }
  });

  it('keeps the order of a queued reservation and a command issued after it in the same tick', async () => {
    const store = fresh();
    try {
      await store.openReservations();
      const [reserved, released] = await Promise.all([
        store.reserve({ id: 'then-released', lines: [usd('order', 100, 10)], leaseMs: 60_000 }),
        store.release('then-released'),
      ]);
      expect(reserved.ok).toBe(true);
      expect(released).toBe(true);
      expect(await store.openReservations()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('fails a command Redis does not answer within timeoutMs, and the next one still gets its reply', async () => {
    const store = new RedisStore({ url: redis.url(), prefix: `timeout-${++namespaces}`, timeoutMs: 300 });
    const admin = new Redis(redis.url());
    try {
      await store.reserve({ id: 'first', lines: [line('a')], leaseMs: 60_000 });
      // Redis holds every command of the store's connection (not this admin's) for a second.
      await admin.client('PAUSE', 1_000, 'ALL');
      const failure = await store.reserve({ id: 'held', lines: [line('a')], leaseMs: 60_000 }).catch((error) => error);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).name).toBe('RedisStoreError');
      expect((failure as Error).message).toContain('no reply within 300 ms');
      await admin.client('UNPAUSE');
      expect(await store.openReservations()).toBeGreaterThanOrEqual(1);
    } finally {
      await admin.client('UNPAUSE');
      await admin.quit();
      await store.close();
    }
  });
});

describe('RedisStore group commit as a Redis function', () => {
  const scriptsOnly = useRedisServer({ noFunctions: true });
  /** Calls of each command since the last RESETSTAT, from INFO commandstats. */
  const calls = async (admin: Redis, name: string): Promise<number> =>
    Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(await admin.info('commandstats'))?.[1] ?? 0);

  it('loads its library once and runs reservations and settlements with FCALL', async () => {
    const admin = new Redis(redis.url());
    await admin.config('RESETSTAT');
    const store = fresh();
    try {
      const lines = [usd('team|a', 1e15, 100)];
      for (let index = 0; index < 3; index++) {
        expect(await store.reserve({ id: `f${index}`, lines, leaseMs: 60_000 })).toMatchObject({ ok: true });
        expect(await store.settle(`f${index}`, { USD: 40 })).toMatchObject({ open: true });
      }
      expect(await calls(admin, 'fcall')).toBe(6);
      expect(await calls(admin, 'function\\|load')).toBe(1);
      const libraries = (await admin.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'genops_v1_*')) as unknown[][];
      expect(libraries.length).toBeGreaterThanOrEqual(1);
    } finally {
      await admin.quit();
      await store.close();
    }
  });

  it('loads the library again when the server lost it (FUNCTION FLUSH), without losing the operation', async () => {
    const admin = new Redis(redis.url());
    const store = fresh();
    try {
      const lines = [usd('team|a', 1e15, 100)];
      expect(await store.reserve({ id: 'before', lines, leaseMs: 60_000 })).toMatchObject({ ok: true });
      await admin.call('FUNCTION', 'FLUSH');
      await admin.config('RESETSTAT');
      // The first FCALL finds no function: the library is loaded again and the run sent once more.
      expect(await store.settle('before', { USD: 40 })).toMatchObject({ open: true, lines: [{ used: 40 }] });
      expect(await store.reserve({ id: 'after', lines, leaseMs: 60_000 })).toMatchObject({ ok: true });
      expect(await calls(admin, 'fcall')).toBe(3);
      expect(await calls(admin, 'function\\|load')).toBe(1);
      expect((await store.lines())[0]).toMatchObject({ used: 40, reserved: 100 });
    } finally {
      await admin.quit();
      await store.close();
    }
  });

  it('runs the group commit as a script (EVALSHA) for a user whose ACL refuses FCALL', async () => {
    const admin = new Redis(redis.url());
    await admin.call('ACL', 'SETUSER', 'nofcall', 'on', '>secret', '~*', '&*', '+@all', '-fcall');
    const url = redis.url().replace('redis://', 'redis://nofcall:secret@');
    const store = new RedisStore({ url, prefix: `nofcall-${++namespaces}` });
    try {
      await admin.config('RESETSTAT');
      const lines = [usd('team|a', 1e15, 100)];
      expect(await store.reserve({ id: 'one', lines, leaseMs: 60_000 })).toMatchObject({ ok: true });
      expect(await store.settle('one', { USD: 40 })).toMatchObject({ open: true, lines: [{ used: 40 }] });
      // The first FCALL was refused (it ran nothing); every run since is a script.
      expect(
        Number(
          /cmdstat_fcall:calls=\d+,usec=\d+,usec_per_call=[\d.]+,rejected_calls=(\d+)/.exec(
            await admin.info('commandstats'),
          )?.[1],
        ),
      ).toBe(1);
      expect((await store.lines())[0]).toMatchObject({ used: 40, reserved: 0 });
    } finally {
      await admin.call('ACL', 'DELUSER', 'nofcall');
      await admin.quit();
      await store.close();
    }
  });

  it('runs the group commit as a script (EVALSHA) where Redis refuses FUNCTION', async () => {
    const admin = new Redis(scriptsOnly.url());
    await admin.config('RESETSTAT');
    const store = new RedisStore({ url: scriptsOnly.url(), prefix: `scripts-${++namespaces}` });
    try {
      const lines = [usd('team|a', 1e15, 100)];
      expect(await store.reserve({ id: 'one', lines, leaseMs: 60_000 })).toMatchObject({ ok: true });
      expect(await store.settle('one', { USD: 40 })).toMatchObject({ open: true, lines: [{ used: 40 }] });
      expect(await store.reserve({ id: 'two', lines, leaseMs: 60_000 })).toMatchObject({ ok: true });
      expect(await calls(admin, 'fcall')).toBe(0);
      // The epoch lookup, then one run each (and EVAL once when the script was not cached yet).
      expect((await calls(admin, 'evalsha')) + (await calls(admin, 'eval'))).toBeGreaterThanOrEqual(4);
      expect((await store.lines())[0]).toMatchObject({ used: 40, reserved: 100 });
    } finally {
      await admin.quit();
      await store.close();
    }
  });
});
