import { MemoryStore } from '@genops/core';
import type { BudgetLine, LineUnit, SettleAmounts } from '@genops/core/internal';
import { describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index';
import { useRedisServer } from './redis-server';

// The same random operations against MemoryStore (the reference) and RedisStore, on the same clock:
// every result must be identical. Covers what the contract suite checks case by case (limits, zero
// amounts, warn-only lines, duplicate keys, changed limits and units, calendar periods ending, rolling
// windows, leases expiring, late settlements, releases, markOnce expiry) in combinations it does not.
const redis = useRedisServer();
// A server that refuses FUNCTION: the group commit runs as a script (EVALSHA) there.
const scriptsOnly = useRedisServer({ noFunctions: true });

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const KEYS = ['k0', 'k1', 'k2', 'team|a', 'team|b', 'rate:x'];
const UNITS: LineUnit[] = ['USD', 'tokens', 'requests'];

describe('RedisStore behaves exactly as MemoryStore', () => {
  const runs = [1, 2, 3, 4, 5, 6].map((seed) => ({ seed, server: redis, how: '' }));
  runs.push(...[7, 8, 9].map((seed) => ({ seed, server: scriptsOnly, how: ' without Redis Functions' })));
  for (const { seed, server, how } of runs) {
    it(`on 500 random operations (seed ${seed})${how}`, async () => {
      const random = mulberry32(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const chance = (p: number): boolean => random() < p;
      let now = T0;
      const memory = new MemoryStore(() => now);
      const store = new RedisStore({ url: server.url(), prefix: `differential-${seed}`, now: () => now });

      // Each key's current configuration; it changes now and then, as a reloaded policy would.
      const config = new Map<string, Omit<BudgetLine, 'amount' | 'key'>>();
      const configure = (key: string): Omit<BudgetLine, 'amount' | 'key'> => {
        const current = config.get(key);
        if (current && !chance(0.08)) {
          // A calendar period ends: the next line has a later expiresAt.
          if (current.expiresAt !== undefined && current.expiresAt <= now && chance(0.7))
            current.expiresAt = now + pick([1_000, 5_000, 30_000]);
          return current;
        }
        const windowMs = pick([1_000, 5_000, 60_000]);
        const next: Omit<BudgetLine, 'amount' | 'key'> = {
          budget: `budget-${key}`,
          unit: current && chance(0.8) ? current.unit : pick(UNITS),
          limit: pick([0, 10, 50, 100, 250]),
          enforce: chance(0.8),
          ...(chance(0.35)
            ? { rolling: { windowMs, bucketMs: pick([1, windowMs / 10, windowMs / 60]) } }
            : chance(0.5)
              ? { expiresAt: now + pick([1_000, 5_000, 30_000]) }
              : {}),
        };
        config.set(key, next);
        return next;
      };

      const reserved = new Map<string, BudgetLine[]>();
      const seen = { refused: 0, late: 0, onTime: 0, rollingUsed: 0 };
      let counter = 0;
      for (let step = 0; step < 500; step++) {
        const roll = random();
        const label = `step ${step}`;
        if (roll < 0.4) {
          const id = `r${counter++}`;
          const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
            const key = pick(KEYS);
            return { key, ...configure(key), amount: chance(0.15) ? 0 : 1 + Math.floor(random() * 40) };
          });
          const leaseMs = pick([500, 2_000, 10_000, 60_000]);
          const expected = await memory.reserve({ id, lines, leaseMs });
          expect(await store.reserve({ id, lines, leaseMs }), label).toEqual(expected);
          if (expected.ok) reserved.set(id, lines);
          else seen.refused++;
        } else if (roll < 0.62 && reserved.size > 0) {
          const id = pick([...reserved.keys()]);
          const lines = reserved.get(id)!;
          reserved.delete(id);
          const actual: SettleAmounts = {};
          for (const unit of UNITS) if (chance(0.8)) actual[unit] = Math.floor(random() * 60);
          const given = chance(0.85) ? lines : undefined;
          const expected = await memory.settle(id, actual, given);
          expect(await store.settle(id, actual, given), label).toEqual(expected);
          if (expected.open) seen.onTime++;
          else if (expected.lines.length > 0) seen.late++;
        } else if (roll < 0.7 && reserved.size > 0) {
          // Released, and sometimes settled later all the same (a late settlement commits to its lines).
          const id = pick([...reserved.keys()]);
          if (chance(0.7)) reserved.delete(id);
          expect(await store.release(id), label).toBe(await memory.release(id));
        } else if (roll < 0.85) {
          // Sometimes exactly onto a period's end, where off-by-one mistakes show.
          const ends = [...config.values()].flatMap((line) =>
            line.expiresAt !== undefined && line.expiresAt > now ? [line.expiresAt] : [],
          );
          if (ends.length > 0 && chance(0.2)) now = pick(ends);
          else now += chance(0.1) ? pick([20_000, 61_000]) : Math.floor(random() * 1_500);
        } else if (roll < 0.92) {
          const prefix = pick(['', 'k', 'team|', 'rate:', 'none']);
          const expected = await memory.lines(prefix);
          expect(await store.lines(prefix), label).toEqual(expected);
          for (const line of expected) if (config.get(line.key)?.rolling && line.used > 0) seen.rollingUsed++;
        } else if (roll < 0.96) {
          expect(await store.openReservations(), label).toBe(await memory.openReservations());
        } else {
          const key = `mark-${Math.floor(random() * 4)}`;
          const expiresAt = chance(0.8) ? now + pick([-100, 0, 500, 3_000]) : undefined;
          expect(await store.markOnce(key, expiresAt), label).toBe(await memory.markOnce(key, expiresAt));
        }
      }
      expect(await store.lines()).toEqual(await memory.lines());
      expect(await store.openReservations()).toBe(await memory.openReservations());
      // The run went through the interesting cases, not only the easy ones.
      expect(seen.refused, JSON.stringify(seen)).toBeGreaterThan(5);
      expect(seen.late, JSON.stringify(seen)).toBeGreaterThan(2);
      expect(seen.onTime, JSON.stringify(seen)).toBeGreaterThan(10);
      expect(seen.rollingUsed, JSON.stringify(seen)).toBeGreaterThan(0);
      if (process.env.GENOPS_TEST_VERBOSE) console.info(`seed ${seed}`, seen);
      await store.close();
    }, 60_000);
  }
});

/** A small seeded PRNG, so a failure reproduces. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
