import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GovernanceStore, MemoryStore } from '@genops/core';
import type { BudgetLine, LineUnit } from '@genops/core/internal';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store';

// SqliteStore answers exactly as MemoryStore (the reference implementation) does, over long random
// sequences of reserve, settle (on time, late, twice), release, lease expiry, calendar periods that end,
// rolling windows, lines that change limit or turn rolling and back, markOnce, and housekeeping sweeps.
// Even seeds go through the synchronous forms the governor calls (reserveSync, settleSync, markOnceSync).

const root = mkdtempSync(join(tmpdir(), 'genops-store-sqlite-parity-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const PERIOD_MS = 7_000;
const RETENTION_MS = 20_000;

/** A small seeded PRNG (mulberry32), so a failing seed can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('parity with MemoryStore', () => {
  for (const seed of Array.from({ length: 16 }, (_, index) => index + 1)) {
    it(`gives the same answers for random operation sequence #${seed}`, async () => {
      const next = random(seed);
      const sync = seed % 2 === 0;
      const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
      let now = T0;
      const memory = new MemoryStore(() => now, { retentionMs: RETENTION_MS });
      const sqlite = new SqliteStore({
        path: join(root, `parity-${seed}.db`),
        now: () => now,
        retentionMs: RETENTION_MS,
      });
      const both = async <T>(operation: (store: GovernanceStore) => Promise<T>, step: string): Promise<void> => {
        const expected = await operation(memory);
        const actual = await operation(sqlite);
        expect(actual, step).toEqual(expected);
      };

      const limits: Record<string, number> = { a: 200, b: 120, d: 150, r: 100, s: 180 };
      const lineOf = (key: string): BudgetLine => {
        const unit: LineUnit = key === 'r' ? 'requests' : key === 'b' ? 'tokens' : 'USD';
        const line: BudgetLine = {
          key,
          budget: `budget-${key}`,
          unit,
          limit: limits[key]!,
          amount: next() < 0.15 ? 0 : int(1, 70),
          enforce: next() < 0.85,
        };
        if (key === 'd') line.expiresAt = (Math.floor((now - T0) / PERIOD_MS) + 1) * PERIOD_MS + T0;
        if (key === 'r') line.rolling = { windowMs: 5_000, bucketMs: 1_000 };
        // `s` switches between a calendar line and a rolling one.
        if (key === 's' && next() < 0.5) line.rolling = { windowMs: 4_000, bucketMs: 500 };
        return line;
      };
      const issued: { id: string; lines: BudgetLine[] }[] = [];

      for (let step = 0; step < 400; step++) {
        const roll = next();
        if (roll < 0.35) {
          const keys = [...new Set(Array.from({ length: int(1, 3) }, () => pick(['a', 'b', 'd', 'r', 's'])))];
          if (next() < 0.1) keys.push(keys[0]!); // the same key twice in one request
          const lines = keys.map(lineOf);
          const id = `r${step}`;
          issued.push({ id, lines });
          const leaseMs = int(200, 6_000);
          await both(
            async (store) =>
              sync ? store.reserveSync!({ id, lines, leaseMs }) : store.reserve({ id, lines, leaseMs }),
            `${step}: reserve ${JSON.stringify(lines)}`,
          );
        } else if (roll < 0.6 && issued.length > 0) {
          const { id, lines } = pick(issued);
          const actual = { USD: int(0, 90), tokens: int(0, 90), requests: int(0, 2) };
          if (next() < 0.2) delete (actual as Partial<typeof actual>).tokens;
          const given = next() < 0.5 ? lines : undefined;
          await both(
            async (store) => (sync ? store.settleSync!(id, actual, given) : store.settle(id, actual, given)),
            `${step}: settle ${id}`,
          );
        } else if (roll < 0.68 && issued.length > 0) {
          const { id } = pick(issued);
          await both((store) => store.release(id), `${step}: release ${id}`);
        } else if (roll < 0.8) {
          now += pick([0, 1, 250, 499, 500, 999, 1_000, 1_500, 3_000, 7_000, 25_000]);
        } else if (roll < 0.9) {
          const prefix = pick(['', 'a', 'r', 's', 'x']);
          await both((store) => store.lines(prefix), `${step}: lines(${prefix})`);
        } else if (roll < 0.95) {
          await both((store) => store.openReservations(), `${step}: openReservations`);
        } else {
          const key = pick(['alert|1', 'alert|2']);
          const expiresAt = next() < 0.5 ? now + int(0, 3_000) : undefined;
          await both(
            async (store) => (sync ? store.markOnceSync!(key, expiresAt) : store.markOnce(key, expiresAt)),
            `${step}: markOnce ${key}`,
          );
        }
        if (roll >= 0.35 && next() < 0.05) limits[pick(['a', 'b', 'd', 'r', 's'])] = int(50, 250);
      }
      await both((store) => store.lines(), 'final lines');
      await both((store) => store.openReservations(), 'final openReservations');
      await sqlite.close();
    });
  }
});
