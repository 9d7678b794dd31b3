import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openCallThenKill } from '@genops/testing';
import { describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index';
import { useRedisServer } from './redis-server';

// A process that dies (SIGKILL: no exit hook runs) after its request left: the reservation, marked sent
// in Redis, is committed at its reserved amounts when its lease ends, never released. One that dies
// before sending is released. Plain Node runs the built packages against a real redis-server.

const redis = useRedisServer();
const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(packageDirectory, 'dist', 'index.js');

function runAndKill(prefix: string, sent: boolean): void {
  if (!existsSync(built))
    throw new Error(`${built} is missing: build first (pnpm exec turbo run build --filter=@genops/store-redis...)`);
  const signal = openCallThenKill({
    cwd: packageDirectory,
    createStore: `import { RedisStore } from ${JSON.stringify(pathToFileURL(built).href)};
const store = new RedisStore({ url: process.env.REDIS_URL, prefix: process.env.PREFIX });`,
    sent,
    env: { REDIS_URL: redis.url(), PREFIX: prefix },
  });
  expect(signal).toBe('SIGKILL');
}

async function afterLease(prefix: string): Promise<{ open: number; used: number; limit: number; reserved: number }> {
  const store = new RedisStore({ url: redis.url(), prefix, now: () => Date.now() + 61_000 });
  try {
    const open = await store.openReservations();
    const [line] = await store.lines('team|');
    return { open, used: line!.used, limit: line!.limit, reserved: line!.reserved };
  } finally {
    await store.close();
  }
}

describe('a process killed with a call open, on Redis', () => {
  it('sent: the store commits the reservation when its lease ends', async () => {
    runAndKill('killed-sent', true);
    const state = await afterLease('killed-sent');
    expect(state).toMatchObject({ open: 0, reserved: 0 });
    // $0.0035 of the $10 budget, as a share of the limit (whatever integer unit the store counts in).
    expect(state.used / state.limit).toBeCloseTo(0.0035 / 10, 12);
  });

  it('never sent: the store releases the reservation when its lease ends', async () => {
    runAndKill('killed-unsent', false);
    expect(await afterLease('killed-unsent')).toMatchObject({ open: 0, used: 0, reserved: 0 });
  });
});
