import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory-store';
import type { BudgetLine } from './types';

// Budget arithmetic under random interleavings of reserve, settle, release and lease expiry, checked
// against a plain model of what the store must hold. Two lines per reservation (a shared budget and a
// per-team budget) make all-or-nothing observable.

const LIMIT_SHARED = 1_000;
const LIMIT_TEAM = 600;
const LEASE_MS = 1_000;

type Op =
  | { kind: 'reserve'; team: 'a' | 'b'; amount: number }
  | { kind: 'settle'; pick: number; fraction: number }
  | { kind: 'release'; pick: number }
  | { kind: 'advance'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      team: fc.constantFrom('a' as const, 'b' as const),
      amount: fc.integer({ min: 0, max: 400 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      pick: fc.nat(),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1_500 }) }),
  },
);

function lines(team: string, amount: number): BudgetLine[] {
  return [
    { key: 'shared||total', budget: 'shared', unit: 'USD', limit: LIMIT_SHARED, amount, enforce: true },
    { key: `team|team=${team}|total`, budget: 'team', unit: 'USD', limit: LIMIT_TEAM, amount, enforce: true },
  ];
}

describe('budget arithmetic (property)', () => {
  it('never commits more than a limit when actual ≤ reserved, and every amount is accounted for exactly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 120 }), async (ops) => {
        let now = 0;
        const store = new MemoryStore(() => now);
        // The model: open reservations and committed totals per key.
        const open = new Map<string, { team: string; amount: number; expiresAt: number }>();
        const committed = new Map<string, number>();
        const commit = (key: string, amount: number) => committed.set(key, (committed.get(key) ?? 0) + amount);
        const expire = () => {
          for (const [id, reservation] of open) if (reservation.expiresAt <= now) open.delete(id);
        };
        let next = 0;
        for (const step of ops) {
          if (step.kind === 'advance') {
            now += step.ms;
            expire();
            continue;
          }
          if (step.kind === 'reserve') {
            expire();
            const id = `r${next++}`;
            const held = (key: string, team?: string) =>
              [...open.values()]
                .filter((reservation) => team === undefined || reservation.team === team)
                .reduce((sum, reservation) => sum + reservation.amount, 0) + (committed.get(key) ?? 0);
            const fits =
              step.amount === 0 ||
              (held('shared||total') + step.amount <= LIMIT_SHARED &&
                held(`team|team=${step.team}|total`, step.team) + step.amount <= LIMIT_TEAM);
            const result = await store.reserve({ id, lines: lines(step.team, step.amount), leaseMs: LEASE_MS });
            expect(result.ok).toBe(fits);
            if (result.ok) open.set(id, { team: step.team, amount: step.amount, expiresAt: now + LEASE_MS });
            continue;
          }
          expire();
          const ids = [...open.keys()];
          if (ids.length === 0) continue;
          const id = ids[step.pick % ids.length]!;
          const reservation = open.get(id)!;
          open.delete(id);
          if (step.kind === 'release') {
            expect(await store.release(id)).toBe(true);
            continue;
          }
          const actual = Math.floor(reservation.amount * step.fraction);
          const settled = await store.settle(id, { USD: actual });
          expect(settled.open).toBe(true);
          commit('shared||total', actual);
          commit(`team|team=${reservation.team}|total`, actual);
        }
        expire();
        // The store agrees with the model to the unit, and no limit was ever passed.
        const state = new Map((await store.lines()).map((line) => [line.key, line]));
        for (const [key, line] of state) {
          const reserved = [...open.values()]
            .filter((reservation) => key === 'shared||total' || key === `team|team=${reservation.team}|total`)
            .reduce((sum, reservation) => sum + reservation.amount, 0);
          expect(line.used).toBe(committed.get(key) ?? 0);
          expect(line.reserved).toBe(reserved);
          expect(line.used + line.reserved).toBeLessThanOrEqual(line.limit);
        }
        expect(await store.openReservations()).toBe(open.size);
      }),
      { numRuns: 300 },
    );
  });

  it('all-or-nothing: a reservation that does not fit one line leaves every line unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 0, max: 1_200 }),
        async (first, second) => {
          const store = new MemoryStore(() => 0);
          const before = await store.reserve({
            id: 'one',
            lines: lines('a', Math.min(first, LIMIT_TEAM)),
            leaseMs: LEASE_MS,
          });
          expect(before.ok).toBe(true);
          const snapshot = await store.lines();
          const result = await store.reserve({ id: 'two', lines: lines('a', second), leaseMs: LEASE_MS });
          if (!result.ok) expect(await store.lines()).toEqual(snapshot);
          else expect(Math.min(first, LIMIT_TEAM) + second).toBeLessThanOrEqual(LIMIT_TEAM);
        },
      ),
      { numRuns: 500 },
    );
  });
});
