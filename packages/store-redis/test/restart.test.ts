import type { ApprovalRecord, BudgetLine } from '@genops/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, RedisStoreError } from '../src/index';
import { INSTALL_TIMEOUT_MS, type RedisServer, startRedisServer } from './redis-server';

// A server whose data survives a crash: an append-only file fsynced on every write.
let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer({ persistent: true });
}, INSTALL_TIMEOUT_MS);
afterAll(async () => {
  await server?.stop();
});

const money: BudgetLine = {
  key: 'team|a|total',
  budget: 'team',
  unit: 'USD',
  limit: 1_000_000,
  amount: 200_000,
  enforce: true,
};
const rate: BudgetLine = {
  key: 'rate:rpm|team=a',
  budget: 'rate:rpm',
  unit: 'requests',
  limit: 100,
  amount: 1,
  enforce: true,
  rolling: { windowMs: 3_600_000, bucketMs: 60_000 },
};

describe('RedisStore when the server goes away and comes back', () => {
  it('fails promptly with a clear error while Redis is down, reconnects, and loses nothing committed', async () => {
    const store = new RedisStore({ url: server.url, prefix: 'restart', timeoutMs: 1_000 });
    try {
      // State before the crash: committed amounts, an open reservation, a mark, an approval, audit records.
      for (let index = 0; index < 5; index++) {
        expect(await store.reserve({ id: `done-${index}`, lines: [money, rate], leaseMs: 600_000 })).toMatchObject({
          ok: true,
        });
        await store.settle(`done-${index}`, { USD: 12_345 * (index + 1), requests: 1 });
      }
      expect(await store.reserve({ id: 'open', lines: [money, rate], leaseMs: 600_000 })).toMatchObject({ ok: true });
      expect(await store.markOnce('alert|team|80')).toBe(true);
      await store.createApproval(approval('held'));
      await store.appendAudit([entry(1), entry(2), entry(3)]);
      const before = {
        lines: await store.lines(),
        open: await store.openReservations(),
        audit: await store.readAudit(),
        approval: await store.getApproval('held'),
      };
      expect(before.lines).toMatchObject([
        { key: 'rate:rpm|team=a', used: 5, reserved: 1 },
        { key: 'team|a|total', used: 185_175, reserved: 200_000 },
      ]);

      await server.kill();

      // Every kind of call fails, fast, naming the server and the reason.
      for (const call of [
        () => store.reserve({ id: 'during', lines: [money], leaseMs: 600_000 }),
        () => store.settle('open', { USD: 1 }, [money]),
        () => store.lines(),
        () => store.markOnce('alert|team|90'),
        () => store.getApproval('held'),
        () => store.waitForApproval('held', 10_000),
        () => store.appendAudit([entry(4)]),
      ]) {
        const started = performance.now();
        const error = await call().then(
          () => undefined,
          (failure: unknown) => failure,
        );
        const elapsed = performance.now() - started;
        expect(RedisStoreError.isInstance(error)).toBe(true);
        expect((error as Error).message).toContain(
          `Redis store redis://127.0.0.1:${server.port} (namespace "restart")`,
        );
        expect((error as Error).message).toMatch(/ECONNREFUSED|connection (is down|was lost)/);
        expect(elapsed).toBeLessThan(1_500);
      }

      await server.restart();
      await eventually(() => store.openReservations());

      // Nothing committed before the crash was lost.
      expect(await store.lines()).toEqual(before.lines);
      expect(await store.openReservations()).toBe(before.open);
      expect(await store.readAudit()).toEqual(before.audit);
      expect(await store.getApproval('held')).toEqual(before.approval);
      expect(await store.markOnce('alert|team|80')).toBe(false);

      // And it works again: the open reservation settles, new ones reserve, the chain continues.
      expect(await store.settle('open', { USD: 5, requests: 1 })).toMatchObject({
        open: true,
        lines: [
          { used: 185_180, reserved: 0 },
          { used: 6, reserved: 0 },
        ],
      });
      expect(await store.reserve({ id: 'after', lines: [money], leaseMs: 600_000 })).toMatchObject({ ok: true });
      const [next] = await store.appendAudit([entry(4)]);
      expect(next).toMatchObject({ seq: 4, prevHash: before.audit[2]?.hash });
    } finally {
      await store.close();
    }
  }, 30_000);

  it('rejects promptly when no server is listening at all', async () => {
    const port = server.port;
    await server.kill();
    try {
      const store = new RedisStore({
        url: `redis://user:secret@127.0.0.1:${port}/2`,
        prefix: 'nobody',
        timeoutMs: 1_000,
      });
      try {
        const started = performance.now();
        const error = await store
          .reserve({ id: 'r', lines: [money], leaseMs: 1_000 })
          .catch((failure: unknown) => failure);
        expect(performance.now() - started).toBeLessThan(1_500);
        expect((error as Error).message).toMatch(
          new RegExp(
            `^genops: Redis store redis://127\\.0\\.0\\.1:${port}/2 \\(namespace "nobody"\\): reserve failed: .*ECONNREFUSED`,
          ),
        );
        expect((error as Error).message).not.toContain('secret');
        expect(store.failMode).toBe('closed');
      } finally {
        await store.close();
      }
    } finally {
      await server.restart();
    }
  });
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

function entry(n: number) {
  return { type: 'decision' as const, at: Date.now(), subject: `awu-${n}`, data: { n } };
}
