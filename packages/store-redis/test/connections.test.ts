import { readStoreAudit, verifyAuditChain } from '@genops/core';
import type { ApprovalRecord, BudgetLine } from '@genops/core/internal';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type RedisStore } from '../src/index';
import { hasOpenssl, INSTALL_TIMEOUT_MS, type RedisServer, startRedisServer, useRedisServer } from './redis-server';

const redis = useRedisServer();

describe('RedisStore with an ACL user (redis://user:password@host:port/db)', () => {
  it('works with a user allowed only its namespace keys and channel', async () => {
    const admin = new Redis(redis.url());
    try {
      // Keys and channels outside `{acl}:*` would fail with NOPERM, even inside the scripts.
      await admin.call('ACL', 'SETUSER', 'genops-app', 'on', '>s3cret', '~{acl}:*', '&{acl}:*', '+@all');
      const outsider = new Redis(`redis://genops-app:s3cret@127.0.0.1:${redis.server().port}/0`);
      await expect(outsider.set('{other}:key', '1')).rejects.toThrow(/NOPERM/);
      await outsider.quit();
      const store = openStore(`redis://genops-app:s3cret@127.0.0.1:${redis.server().port}/0?prefix=acl`);
      try {
        await exercise(store);
        expect(store.server).toBe(`redis://127.0.0.1:${redis.server().port}/0`);
      } finally {
        await store.close();
      }
    } finally {
      await admin.quit();
    }
  });

  it('says the password was refused, without repeating it', async () => {
    const store = openStore(
      `redis://genops-app:wrong-password@127.0.0.1:${redis.server().port}?prefix=acl&timeoutMs=1000`,
    );
    try {
      const error = (await store.lines().catch((failure: unknown) => failure)) as Error;
      expect(error.message).toMatch(
        /^genops: Redis store redis:\/\/127\.0\.0\.1:\d+ \(namespace "acl"\): lines failed: .*WRONGPASS/,
      );
      expect(error.message).not.toContain('wrong-password');
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!hasOpenssl())('RedisStore over TLS (rediss://)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer({ tls: true });
  }, INSTALL_TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
  });

  it('works over TLS with the server CA', async () => {
    expect(server.url).toMatch(/^rediss:\/\//);
    const store = openStore(`${server.url}?prefix=tls`, { redisOptions: { tls: { ca: server.ca } } });
    try {
      await exercise(store);
      expect(store.server).toBe(server.url);
    } finally {
      await store.close();
    }
  });

  it('fails promptly, naming the certificate problem, when the server is not trusted', async () => {
    const store = openStore(`${server.url}?prefix=tls&timeoutMs=1000`);
    try {
      const started = performance.now();
      const error = (await store
        .reserve({ id: 'r', lines: [usd('b', 1, 1)], leaseMs: 1_000 })
        .catch((e: unknown) => e)) as Error;
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(error.message).toMatch(
        /^genops: Redis store rediss:\/\/127\.0\.0\.1:\d+ \(namespace "tls"\): reserve failed: .*certificate/,
      );
    } finally {
      await store.close();
    }
  });
});

/** Reserve, settle, lines, markOnce, an approval woken through pub/sub, and the audit chain. */
async function exercise(store: RedisStore): Promise<void> {
  const line = usd('team|a', 1_000, 100);
  expect(await store.reserve({ id: 'r1', lines: [line], leaseMs: 60_000 })).toMatchObject({ ok: true });
  expect(await store.settle('r1', { USD: 30 }, [line])).toMatchObject({ open: true, lines: [{ used: 30 }] });
  expect(await store.release('nothing')).toBe(false);
  expect(await store.lines()).toMatchObject([{ key: 'team|a', used: 30, reserved: 0 }]);
  expect(await store.openReservations()).toBe(0);
  expect(await store.markOnce('alert', Date.now() + 60_000)).toBe(true);
  await store.createApproval(approval('a1'));
  const waited = store.waitForApproval('a1', 10_000);
  setTimeout(() => void store.decideApproval('a1', { status: 'approved', decidedBy: 'alice' }), 20);
  expect(await waited).toMatchObject({ status: 'approved' });
  expect(await store.listApprovals()).toHaveLength(1);
  await store.appendAudit([{ type: 'decision', at: Date.now(), subject: 'r1', data: {} }]);
  expect(await verifyAuditChain(readStoreAudit(store))).toMatchObject({ ok: true, checked: 1 });
}

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
    attribution: {},
    estimatedCostUsd: 62.5,
  };
}
