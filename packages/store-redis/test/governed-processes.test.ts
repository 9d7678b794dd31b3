import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readStoreAudit, verifyAuditChain } from '@genops/core';
import { describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index';
import { useRedisServer } from './redis-server';

const redis = useRedisServer();
const worker = fileURLToPath(new URL('./fixtures/governed-worker.mjs', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const PROCESSES = 4;
const CALLS = 50;
/** $0.05 = 50,000,000 nano-USD; each call reserves its worst case of 3,500,000. */
const LIMIT_USD = 0.05;

interface Outcome {
  granted: number;
  refused: number;
  actualNanos: number;
  otherErrors: string[];
}

function runWorker(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_PATH;
    execFile(process.execPath, [worker, ...args], { timeout: 50_000, env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Outcome);
    });
  });
}

describe('governed calls across processes on Redis', () => {
  it(`${PROCESSES} processes × ${CALLS} concurrent governed calls never commit more than the shared budget`, async () => {
    if (!existsSync(built))
      throw new Error(`${built} is missing: build first (pnpm exec turbo run build --filter=@genops/store-redis...)`);
    const prefix = 'governed';
    const outcomes = await Promise.all(
      Array.from({ length: PROCESSES }, () => runWorker([redis.url(), prefix, String(CALLS), String(LIMIT_USD)])),
    );
    const store = new RedisStore({ url: redis.url(), prefix });
    try {
      expect(outcomes.flatMap((outcome) => outcome.otherErrors)).toEqual([]);
      const granted = outcomes.reduce((sum, outcome) => sum + outcome.granted, 0);
      const refused = outcomes.reduce((sum, outcome) => sum + outcome.refused, 0);
      const actualNanos = outcomes.reduce((sum, outcome) => sum + outcome.actualNanos, 0);
      expect(granted + refused).toBe(PROCESSES * CALLS);
      expect(granted).toBeGreaterThanOrEqual(Math.floor(50_000_000 / 3_500_000));
      expect(refused).toBeGreaterThan(0);
      const lines = await store.lines();
      expect(lines).toEqual([
        expect.objectContaining({ budget: 'shared', limit: 50_000_000, used: actualNanos, reserved: 0 }),
      ]);
      expect(actualNanos).toBeLessThanOrEqual(50_000_000);
      expect(await store.openReservations()).toBe(0);
      // The four governors' audit trails wrote one chain.
      const verification = await verifyAuditChain(readStoreAudit(store));
      expect(verification).toMatchObject({ ok: true, problems: [] });
    } finally {
      await store.close();
    }
  }, 60_000);
});
