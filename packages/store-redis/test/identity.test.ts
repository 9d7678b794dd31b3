import { GenOps, StoreIdentityError, StoreUnavailableError } from '@genops/core';
import type { BudgetLine } from '@genops/core/internal';
import { governedCallAfterIdentityLoss } from '@genops/testing/store-contract';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index';
import { useRedisServer } from './redis-server';

// Its own server: these tests flush the whole database.
const redis = useRedisServer();
let namespaces = 0;

const line: BudgetLine = { key: 'shared', budget: 'shared', unit: 'USD', limit: 1_000_000, amount: 100, enforce: true };

describe('RedisStore identity (the namespace epoch)', () => {
  const opened: RedisStore[] = [];
  const open = (prefix: string): RedisStore => {
    const store = new RedisStore({ url: redis.url(), prefix });
    opened.push(store);
    return store;
  };
  let admin: Redis | undefined;
  const flushdb = async (): Promise<void> => {
    admin ??= new Redis(redis.url());
    await admin.flushdb();
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    admin?.disconnect();
    admin = undefined;
  });

  it('writes one epoch per namespace at first use; every store of the namespace shares it', async () => {
    const prefix = `epoch-${++namespaces}`;
    const first = open(prefix);
    const second = open(prefix);
    await first.reserve({ id: 'r1', lines: [line], leaseMs: 60_000 });
    await second.reserve({ id: 'r2', lines: [line], leaseMs: 60_000 });
    admin = new Redis(redis.url());
    expect(await admin.get(`{${prefix}}:epoch`)).toMatch(/^[0-9a-f-]{36}$/);
    expect(await admin.ttl(`{${prefix}}:epoch`)).toBe(-1);
    expect(await first.lines()).toMatchObject([{ key: 'shared', reserved: 200 }]);
  });

  it('fails every operation with a StoreIdentityError after FLUSHDB, instead of counting again from $0', async () => {
    const prefix = `epoch-${++namespaces}`;
    const store = open(prefix);
    await store.reserve({ id: 'r1', lines: [line], leaseMs: 60_000 });
    await store.settle('r1', { USD: 90 });
    await flushdb();

    const failure = await store.reserve({ id: 'r2', lines: [line], leaseMs: 60_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreIdentityError);
    expect(failure).toMatchObject({ store: 'redis', reason: 'flushed', isRetryable: false });
    expect((failure as Error).message).toContain(`namespace "${prefix}"`);
    expect((failure as Error).message).toContain('the database was flushed');
    // Nothing was written: the flushed namespace stays empty.
    expect(await admin!.keys(`{${prefix}}:*`)).toEqual([]);
    // Every operation fails the same way from then on, reads included.
    await expect(store.settle('r2', { USD: 1 })).rejects.toBe(failure);
    await expect(store.markOnce('alert')).rejects.toBe(failure);
    await expect(store.readAudit()).rejects.toBe(failure);
    await expect(store.appendAudit([{ type: 'decision', at: 1, subject: 's', data: {} }])).rejects.toBe(failure);
  });

  it('fails a running store when a store started after the flush wrote a new epoch', async () => {
    const prefix = `epoch-${++namespaces}`;
    const running = open(prefix);
    await running.reserve({ id: 'r1', lines: [line], leaseMs: 60_000 });
    await flushdb();
    const started = open(prefix);
    expect(await started.reserve({ id: 'n1', lines: [line], leaseMs: 60_000 })).toMatchObject({ ok: true });

    const failure = await running.settle('r1', { USD: 50 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreIdentityError);
    expect((failure as Error).message).toMatch(/epoch key \{epoch-\d+\}:epoch changed to [0-9a-f-]{36}/);
    expect(await started.lines()).toMatchObject([{ key: 'shared', used: 0, reserved: 100 }]);
  });

  it('a governed call is denied (failMode closed) with a StoreUnavailableError caused by the identity error', async () => {
    const store = new RedisStore({ url: redis.url(), prefix: `epoch-${++namespaces}` });
    const denied = await governedCallAfterIdentityLoss(GenOps.init, store, flushdb);
    expect(denied).toBeInstanceOf(StoreUnavailableError);
    expect((denied as Error).cause).toBeInstanceOf(StoreIdentityError);
  });
});
