import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StoreAmountError } from '@genops/core';
import { expectMigratedMicroUsdLedger } from '@genops/testing/store-contract';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index';
import { useRedisServer } from './redis-server';

const redis = useRedisServer();

/**
 * Every key of a namespace written by the package before nano-USD ledgers (USD amounts in micro-USD),
 * dumped by fixtures/make-micro-usd-namespace.mjs, keyed `{old}:...`.
 */
type Dump = Record<string, { type: 'string' | 'hash' | 'zset' | 'stream'; value: unknown }>;
const FIXTURE = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'micro-usd-namespace.json'), 'utf8'),
) as Dump;
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

let namespaces = 0;

/** Loads the old namespace under a fresh prefix; returns the prefix. */
async function restoreOldNamespace(client: Redis, edit?: (key: string, value: unknown) => unknown): Promise<string> {
  const prefix = `old${++namespaces}`;
  for (const [oldKey, { type, value: stored }] of Object.entries(FIXTURE)) {
    const key = oldKey.replace('{old}:', `{${prefix}}:`);
    const value = edit ? edit(oldKey, stored) : stored;
    if (type === 'string') await client.set(key, value as string);
    else if (type === 'hash') await client.hset(key, value as Record<string, string>);
    else if (type === 'zset') {
      const flat = value as string[];
      for (let index = 0; index < flat.length; index += 2) await client.zadd(key, flat[index + 1]!, flat[index]!);
    } else for (const [id, fields] of value as [string, string[]][]) await client.xadd(key, id, ...fields);
  }
  return prefix;
}

describe('RedisStore on a namespace written in micro-USD', () => {
  const opened: RedisStore[] = [];
  let admin: Redis | undefined;
  const client = (): Redis => {
    admin ??= new Redis(redis.url());
    return admin;
  };
  const open = (prefix: string): RedisStore => {
    const store = new RedisStore({ url: redis.url(), prefix, now: () => T0 + 1_000 });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    admin?.disconnect();
    admin = undefined;
  });

  it('migrates it to nano-USD once: every old amount reads the same in USD, open reservations included', async () => {
    const prefix = await restoreOldNamespace(client());
    const store = open(prefix);
    await expectMigratedMicroUsdLedger(store);
    expect(await client().get(`{${prefix}}:money`)).toBe('nano');

    // A second process opening the namespace does not scale it again.
    const second = open(prefix);
    expect((await second.lines('daily|'))[0]).toMatchObject({ limit: 10e9, used: 1_250_000_480 });
  });

  it('replaces the epoch, so a process that used the old namespace (micro-USD) refuses instead of mixing units', async () => {
    const prefix = await restoreOldNamespace(client());
    const before = await client().get(`{${prefix}}:epoch`);
    await open(prefix).lines();
    const after = await client().get(`{${prefix}}:epoch`);
    expect(after).not.toBe(before);
    // The old package's scripts pass the epoch they found: the one before the migration.
    await expect(
      client().eval(
        "if redis.call('GET', KEYS[1] .. 'epoch') ~= ARGV[1] then return redis.error_reply('GENOPS_EPOCH') end return 1",
        1,
        `{${prefix}}:`,
        before!,
      ),
    ).rejects.toThrow('GENOPS_EPOCH');
  });

  it('refuses (changing nothing) an old amount that nano-USD cannot hold exactly', async () => {
    const prefix = await restoreOldNamespace(client(), (key, value) =>
      key === '{old}:line:daily||2026-11-23' ? { ...(value as object), used: '9007200000000' } : value,
    );
    const store = open(prefix);
    const error = await store.lines().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(StoreAmountError);
    expect((error as Error).message).toContain('line "daily||2026-11-23" ×1000');
    expect(await client().get(`{${prefix}}:money`)).toBeNull();
    expect(await client().hget(`{${prefix}}:line:daily||2026-11-23`, 'l')).toBe('10000000');
  });

  it('a new namespace is written in nano-USD from the start', async () => {
    const prefix = `fresh${++namespaces}`;
    const store = open(prefix);
    await store.reserve({
      id: 'r',
      lines: [{ key: 'k', budget: 'k', unit: 'USD', limit: 1_000, amount: 480, enforce: true }],
      leaseMs: 60_000,
    });
    expect(await client().get(`{${prefix}}:money`)).toBe('nano');
    expect(await store.lines()).toEqual([{ key: 'k', budget: 'k', unit: 'USD', limit: 1_000, used: 0, reserved: 480 }]);
  });
});
