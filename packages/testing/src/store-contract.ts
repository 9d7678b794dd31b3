import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// Relative imports: @genops/testing does not depend on @genops/core (whose index does not export these yet).
import { GENESIS_HASH, hashAuditRecord } from '../../core/src/audit/hash';
import { verifyAuditChain } from '../../core/src/audit/verify';
import { costNanos, worstCaseNanos } from '../../core/src/pricing/cost';
import type {
  ApprovalRecord,
  AuditEntry,
  AuditRecord,
  BudgetLine,
  GovernanceStore,
  LineState,
} from '../../core/src/store/types';
import type { GovernedRequest } from '../../core/src/types';

/**
 * The clock the suite hands to a store. The suite moves time by replacing `now` (`clock.now = () => t`),
 * so a store must call `clock.now()` every time it needs the time, never keep the function it had.
 */
export interface StoreClock {
  now: () => number;
}

/** Options for {@link describeGovernanceStore}. */
export interface DescribeGovernanceStoreOptions {
  /** Runs after each test instead of `store.close()`: close the store and delete what it created. */
  cleanup?: (store: GovernanceStore) => Promise<void>;
  /**
   * `false` for a store that cannot run on the client clock (e.g. one that reads the server's time): the
   * tests that move time (leases, periods, rolling windows, `markOnce` expiry) are skipped. Default `true`.
   */
  supportsClock?: boolean;
}

/** Start of every test's clock: 2026-11-23T12:00:00Z, a whole second (so rolling buckets align). */
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const LEASE_MS = 60_000;
/** The largest amount a ledger holds exactly (nano-USD): `Number.MAX_SAFE_INTEGER`. */
const MAX_LEDGER = Number.MAX_SAFE_INTEGER;

/**
 * The contract every {@link GovernanceStore} meets, as a vitest suite: budget reservation (all or
 * nothing, limits, warn-only and zero-amount lines, units, leases, late settlement, rolling windows,
 * periods, concurrency), `markOnce`, approvals and the audit chain. Each test gets a new store from
 * `createStore`, which must be empty (or isolated from every other test's).
 *
 * @example
 * describeGovernanceStore('MemoryStore', (clock) => new MemoryStore(() => clock.now()));
 */
export function describeGovernanceStore(
  name: string,
  createStore: (clock: StoreClock) => Promise<GovernanceStore> | GovernanceStore,
  options: DescribeGovernanceStoreOptions = {},
): void {
  const timed = options.supportsClock === false ? it.skip : it;

  describe(`GovernanceStore contract: ${name}`, () => {
    let clock: StoreClock;
    let store: GovernanceStore;

    beforeEach(async () => {
      clock = { now: () => T0 };
      store = await createStore(clock);
    });

    afterEach(async () => {
      if (options.cleanup) await options.cleanup(store);
      else await store.close();
    });

    /** Moves the clock to `T0 + offsetMs`. */
    const at = (offsetMs: number): void => {
      clock.now = () => T0 + offsetMs;
    };

    const state = async (key: string): Promise<LineState | undefined> =>
      (await store.lines(key)).find((line) => line.key === key);

    describe('reserve', () => {
      it('is all or nothing: when the second line is full, the first is untouched', async () => {
        const first = usd('a|total', 100, 20);
        const second = usd('b|total', 10, 6);
        expect(await store.reserve({ id: 'r0', lines: [usd('b|total', 10, 5)], leaseMs: LEASE_MS })).toMatchObject({
          ok: true,
        });

        const result = await store.reserve({ id: 'r1', lines: [first, second], leaseMs: LEASE_MS });

        expect(result).toEqual({
          ok: false,
          failed: { key: 'b|total', budget: 'b|total', unit: 'USD', limit: 10, used: 0, reserved: 5 },
          requested: 6,
        });
        expect(await store.openReservations()).toBe(1);
        expect((await state('a|total')) ?? { used: 0, reserved: 0 }).toMatchObject({ used: 0, reserved: 0 });
        expect(await state('b|total')).toMatchObject({ used: 0, reserved: 5 });
        // The whole of the first line is still free.
        const full = await store.reserve({ id: 'r2', lines: [usd('a|total', 100, 100)], leaseMs: LEASE_MS });
        expect(full).toEqual({
          ok: true,
          lines: [{ key: 'a|total', budget: 'a|total', unit: 'USD', limit: 100, used: 0, reserved: 100 }],
        });
      });

      it('fits exactly at the limit, and not one unit more', async () => {
        expect(await store.reserve({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: LEASE_MS })).toMatchObject({
          ok: true,
          lines: [{ used: 0, reserved: 60 }],
        });
        expect(await store.reserve({ id: 'r2', lines: [usd('b', 100, 40)], leaseMs: LEASE_MS })).toMatchObject({
          ok: true,
          lines: [{ used: 0, reserved: 100, limit: 100 }],
        });
        expect(await store.reserve({ id: 'r3', lines: [usd('b', 100, 1)], leaseMs: LEASE_MS })).toEqual({
          ok: false,
          failed: { key: 'b', budget: 'b', unit: 'USD', limit: 100, used: 0, reserved: 100 },
          requested: 1,
        });
        expect(await store.openReservations()).toBe(2);
      });

      it('refuses one micro-USD over, naming the first enforcing line that did not fit', async () => {
        await store.reserve({ id: 'spent', lines: [usd('money', 1_000_000, 500_000)], leaseMs: LEASE_MS });
        await store.settle('spent', { USD: 400_000 });

        const result = await store.reserve({
          id: 'over',
          lines: [usd('warn', 10, 50, { enforce: false }), usd('money', 1_000_000, 600_001), usd('small', 5, 6)],
          leaseMs: LEASE_MS,
        });

        expect(result).toEqual({
          ok: false,
          failed: { key: 'money', budget: 'money', unit: 'USD', limit: 1_000_000, used: 400_000, reserved: 0 },
          requested: 600_001,
        });
        expect(await store.openReservations()).toBe(0);
        expect(
          await store.reserve({ id: 'exact', lines: [usd('money', 1_000_000, 600_000)], leaseMs: LEASE_MS }),
        ).toMatchObject({ ok: true, lines: [{ used: 400_000, reserved: 600_000 }] });
      });

      it('reserves and counts non-enforcing lines but never refuses them', async () => {
        const warn = (amount: number) => usd('warn', 100, amount, { enforce: false });
        expect(await store.reserve({ id: 'w1', lines: [warn(150)], leaseMs: LEASE_MS })).toEqual({
          ok: true,
          lines: [{ key: 'warn', budget: 'warn', unit: 'USD', limit: 100, used: 0, reserved: 150 }],
        });
        expect(await store.reserve({ id: 'w2', lines: [warn(10)], leaseMs: LEASE_MS })).toMatchObject({
          ok: true,
          lines: [{ used: 0, reserved: 160 }],
        });
        expect(await store.settle('w1', { USD: 120 })).toMatchObject({
          open: true,
          lines: [{ used: 120, reserved: 10 }],
        });
        expect(await store.reserve({ id: 'w3', lines: [warn(1_000)], leaseMs: LEASE_MS })).toMatchObject({
          ok: true,
          lines: [{ used: 120, reserved: 1_010 }],
        });
      });

      it('always fits a zero-amount line, even when its budget is over its limit', async () => {
        await store.reserve({ id: 'r1', lines: [usd('money', 100, 100)], leaseMs: LEASE_MS });
        await store.settle('r1', { USD: 130 });

        const result = await store.reserve({
          id: 'free',
          lines: [usd('money', 100, 0), tokens('tok', 10, 5)],
          leaseMs: LEASE_MS,
        });

        expect(result).toEqual({
          ok: true,
          lines: [
            { key: 'money', budget: 'money', unit: 'USD', limit: 100, used: 130, reserved: 0 },
            { key: 'tok', budget: 'tok', unit: 'tokens', limit: 10, used: 0, reserved: 5 },
          ],
        });
        expect(await store.reserve({ id: 'paid', lines: [usd('money', 100, 1)], leaseMs: LEASE_MS })).toEqual({
          ok: false,
          failed: { key: 'money', budget: 'money', unit: 'USD', limit: 100, used: 130, reserved: 0 },
          requested: 1,
        });
      });

      it('takes the newest limit when it changes between calls', async () => {
        await store.reserve({ id: 'r1', lines: [usd('b', 100, 50)], leaseMs: LEASE_MS });
        expect(await store.reserve({ id: 'r2', lines: [usd('b', 200, 60)], leaseMs: LEASE_MS })).toMatchObject({
          ok: true,
          lines: [{ limit: 200, used: 0, reserved: 110 }],
        });
        expect(await state('b')).toMatchObject({ limit: 200, reserved: 110 });
        expect(await store.reserve({ id: 'r3', lines: [usd('b', 100, 1)], leaseMs: LEASE_MS })).toEqual({
          ok: false,
          failed: { key: 'b', budget: 'b', unit: 'USD', limit: 100, used: 0, reserved: 110 },
          requested: 1,
        });
        // Settling a reservation made under the old limit does not bring the old limit back.
        await store.settle('r1', { USD: 10 }, [usd('b', 100, 50)]);
        expect(await store.reserve({ id: 'r4', lines: [usd('b', 200, 130)], leaseMs: LEASE_MS })).toMatchObject({
          ok: true,
          lines: [{ limit: 200, used: 10, reserved: 190 }],
        });
      });

      it('reserves exactly up to the limit under 500 concurrent reservations', async () => {
        const results = await Promise.all(
          Array.from({ length: 500 }, (_, index) =>
            store.reserve({ id: `c${index}`, lines: [requests('rate:rpm', 100, 1)], leaseMs: LEASE_MS }),
          ),
        );

        expect(results.filter((result) => result.ok)).toHaveLength(100);
        expect(results.filter((result) => !result.ok)).toHaveLength(400);
        for (const result of results) {
          if (!result.ok) expect(result).toMatchObject({ failed: { limit: 100, reserved: 100 }, requested: 1 });
        }
        expect(await state('rate:rpm')).toMatchObject({ used: 0, reserved: 100 });
        expect(await store.openReservations()).toBe(100);

        const ids = results.flatMap((result, index) => (result.ok ? [`c${index}`] : []));
        const settled = await Promise.all(ids.map((id) => store.settle(id, { requests: 1 })));
        expect(settled.every((result) => result.open)).toBe(true);
        expect(await state('rate:rpm')).toMatchObject({ used: 100, reserved: 0 });
        expect(await store.openReservations()).toBe(0);
      });
    });

    describe('settle and release', () => {
      it('commits the actual amount per unit and releases the rest', async () => {
        await store.reserve({
          id: 'r1',
          lines: [usd('money', 1_000_000, 500_000), tokens('tok', 10_000, 4_000), requests('rate:rpm', 10, 1)],
          leaseMs: LEASE_MS,
        });

        const result = await store.settle('r1', { USD: 123_456, tokens: 1_500, requests: 1 });

        expect(result).toEqual({
          open: true,
          lines: [
            { key: 'money', budget: 'money', unit: 'USD', limit: 1_000_000, used: 123_456, reserved: 0 },
            { key: 'tok', budget: 'tok', unit: 'tokens', limit: 10_000, used: 1_500, reserved: 0 },
            { key: 'rate:rpm', budget: 'rate:rpm', unit: 'requests', limit: 10, used: 1, reserved: 0 },
          ],
        });
        expect(await store.openReservations()).toBe(0);
      });

      it('commits nothing for a unit missing from the actual amounts', async () => {
        await store.reserve({
          id: 'r1',
          lines: [usd('money', 1_000, 500), tokens('tok', 1_000, 400)],
          leaseMs: LEASE_MS,
        });
        expect(await store.settle('r1', { USD: 70 })).toMatchObject({
          open: true,
          lines: [
            { key: 'money', used: 70, reserved: 0 },
            { key: 'tok', used: 0, reserved: 0 },
          ],
        });
      });

      it('commits more than was reserved when the call cost more', async () => {
        await store.reserve({ id: 'r1', lines: [usd('money', 1_000, 100)], leaseMs: LEASE_MS });
        expect(await store.settle('r1', { USD: 1_500 })).toMatchObject({
          open: true,
          lines: [{ used: 1_500, reserved: 0 }],
        });
      });

      it('is harmless to settle twice', async () => {
        await store.reserve({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: LEASE_MS });
        expect(await store.settle('r1', { USD: 25 })).toMatchObject({ open: true, lines: [{ used: 25, reserved: 0 }] });
        expect(await store.settle('r1', { USD: 25 })).toEqual({ open: false, lines: [] });
        expect(await state('b')).toMatchObject({ used: 25, reserved: 0 });
        expect(await store.openReservations()).toBe(0);
      });

      it('settles once by id: a settlement replayed after a lost reply commits nothing', async () => {
        const lines = [usd('b', 1_000, 600), tokens('tok', 1_000, 500)];
        await store.reserve({ id: 'r1', lines, leaseMs: LEASE_MS });
        expect(await store.settle('r1', { USD: 25, tokens: 40 }, lines)).toMatchObject({
          open: true,
          lines: [{ used: 25, reserved: 0 }, { used: 40 }],
        });
        // The journal replays with the reservation's lines, as GenOps does when a settle's reply was lost.
        expect(await store.settle('r1', { USD: 25, tokens: 40 }, lines)).toEqual({
          open: false,
          lines: [
            { key: 'b', budget: 'b', unit: 'USD', limit: 1_000, used: 25, reserved: 0 },
            { key: 'tok', budget: 'tok', unit: 'tokens', limit: 1_000, used: 40, reserved: 0 },
          ],
        });
        expect(await state('b')).toMatchObject({ used: 25, reserved: 0 });
        expect(await state('tok')).toMatchObject({ used: 40, reserved: 0 });
      });

      it('settles a reused id again once it was reserved again', async () => {
        const lines = [usd('b', 1_000, 100)];
        await store.reserve({ id: 'r1', lines, leaseMs: LEASE_MS });
        await store.settle('r1', { USD: 10 }, lines);
        await store.reserve({ id: 'r1', lines, leaseMs: LEASE_MS });
        expect(await store.settle('r1', { USD: 20 }, lines)).toMatchObject({ open: true, lines: [{ used: 30 }] });
        expect(await store.settle('r1', { USD: 20 }, lines)).toMatchObject({ open: false, lines: [{ used: 30 }] });
      });

      it('refuses a non-finite or negative reservation amount with a typed error, changing nothing', async () => {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, '5' as unknown]) {
          await expect(
            store.reserve({
              id: 'bad',
              lines: [usd('ok', 1_000, 10), usd('bad', 1_000, bad as number)],
              leaseMs: LEASE_MS,
            }),
          ).rejects.toMatchObject({ name: 'StoreAmountError', operation: 'reserve', field: 'lines[1].amount' });
        }
        expect(await store.openReservations()).toBe(0);
        expect(await state('ok')).toBeUndefined();
        expect(await store.reserve({ id: 'bad', lines: [usd('ok', 1_000, 10)], leaseMs: LEASE_MS })).toMatchObject({
          ok: true,
          lines: [{ reserved: 10 }],
        });
      });

      it('refuses a non-finite or negative settlement amount with a typed error, changing nothing', async () => {
        const lines = [usd('b', 1_000, 100)];
        await store.reserve({ id: 'r1', lines, leaseMs: LEASE_MS });
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -0.5, -Number.MIN_VALUE]) {
          await expect(store.settle('r1', { USD: bad }, lines)).rejects.toMatchObject({
            name: 'StoreAmountError',
            operation: 'settle',
            field: 'actual.USD',
          });
        }
        await expect(store.settle('r1', { USD: 5 }, [usd('b', 1_000, Number.NaN)])).rejects.toMatchObject({
          name: 'StoreAmountError',
          field: 'lines[0].amount',
        });
        expect(await store.openReservations()).toBe(1);
        expect(await state('b')).toMatchObject({ used: 0, reserved: 100 });
        expect(await store.settle('r1', { USD: 5 }, lines)).toMatchObject({ open: true, lines: [{ used: 5 }] });
      });

      it('refuses an amount past 2^53 - 1, or one that would take a line past it, with a typed error, changing nothing', async () => {
        await expect(
          store.reserve({ id: 'huge', lines: [usd('w', MAX_LEDGER, MAX_LEDGER + 1)], leaseMs: LEASE_MS }),
        ).rejects.toMatchObject({ name: 'StoreAmountError', operation: 'reserve', field: 'lines[0].amount' });
        // A warn-only line has no limit to stop it: the exact bound does.
        const warn = usd('w', 1_000, MAX_LEDGER - 10, { enforce: false });
        await store.reserve({ id: 'r1', lines: [warn], leaseMs: LEASE_MS });
        await store.settle('r1', { USD: MAX_LEDGER - 10 });
        await expect(
          store.reserve({ id: 'r2', lines: [usd('w', 1_000, 11, { enforce: false })], leaseMs: LEASE_MS }),
        ).rejects.toMatchObject({ name: 'StoreAmountError', operation: 'reserve', id: 'r2' });
        expect(await store.openReservations()).toBe(0);
        // A settlement above its reservation, past the bound.
        const zero = [usd('w', 1_000, 0, { enforce: false })];
        await store.reserve({ id: 'r3', lines: zero, leaseMs: LEASE_MS });
        await expect(store.settle('r3', { USD: 11 }, zero)).rejects.toMatchObject({
          name: 'StoreAmountError',
          operation: 'settle',
          id: 'r3',
        });
        expect(await state('w')).toMatchObject({ used: MAX_LEDGER - 10, reserved: 0 });
        expect(await store.openReservations()).toBe(1);
        expect(await store.settle('r3', { USD: 10 }, zero)).toMatchObject({
          open: true,
          lines: [{ used: MAX_LEDGER }],
        });
      });

      it('releases idempotently, committing nothing', async () => {
        await store.reserve({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: LEASE_MS });
        expect(await store.release('r1')).toBe(true);
        expect(await store.release('r1')).toBe(false);
        expect(await store.release('never-reserved')).toBe(false);
        expect(await state('b')).toMatchObject({ used: 0, reserved: 0 });
        expect(await store.settle('r1', { USD: 10 })).toEqual({ open: false, lines: [] });
        expect(await store.openReservations()).toBe(0);
      });

      it('counts open reservations', async () => {
        await store.reserve({ id: 'r1', lines: [usd('b', 100, 40)], leaseMs: LEASE_MS });
        await store.reserve({ id: 'r2', lines: [usd('b', 100, 40)], leaseMs: LEASE_MS });
        await store.reserve({ id: 'r3', lines: [usd('b', 100, 40)], leaseMs: LEASE_MS });
        expect(await store.openReservations()).toBe(2);
        await store.settle('r1', { USD: 1 });
        expect(await store.openReservations()).toBe(1);
        await store.release('r2');
        expect(await store.openReservations()).toBe(0);
      });

      timed('releases a reservation when its lease expires', async () => {
        await store.reserve({ id: 'slow', lines: [usd('b', 100, 60)], leaseMs: 1_000 });
        at(999);
        expect(await store.openReservations()).toBe(1);
        expect(await state('b')).toMatchObject({ used: 0, reserved: 60 });
        at(1_000);
        expect(await store.openReservations()).toBe(0);
        expect(await state('b')).toMatchObject({ used: 0, reserved: 0 });
        expect(await store.release('slow')).toBe(false);
        expect(await store.reserve({ id: 'next', lines: [usd('b', 100, 100)], leaseMs: 1_000 })).toMatchObject({
          ok: true,
          lines: [{ used: 0, reserved: 100 }],
        });
      });

      timed('commits a late settlement to the given lines and reports it was no longer open', async () => {
        const lines = [usd('b', 100, 60), tokens('tok', 1_000, 500)];
        await store.reserve({ id: 'slow', lines, leaseMs: 1_000 });
        at(5_000);
        expect(await store.openReservations()).toBe(0);

        expect(await store.settle('slow', { USD: 30, tokens: 200 }, lines)).toEqual({
          open: false,
          lines: [
            { key: 'b', budget: 'b', unit: 'USD', limit: 100, used: 30, reserved: 0 },
            { key: 'tok', budget: 'tok', unit: 'tokens', limit: 1_000, used: 200, reserved: 0 },
          ],
        });
        expect(await store.settle('gone', { USD: 30 })).toEqual({ open: false, lines: [] });
        expect(await state('b')).toMatchObject({ used: 30, reserved: 0 });
      });

      timed('commits a sent reservation at its reserved amounts when its lease expires', async () => {
        const lines = [usd('b', 100, 60), tokens('tok', 1_000, 500), requests('rate:rpm', 10, 1)];
        await store.reserve({ id: 'sent', lines, leaseMs: 1_000 });
        expect(await store.markSent!('sent')).toBe(true);
        at(999);
        expect(await store.openReservations()).toBe(1);
        expect(await state('b')).toMatchObject({ used: 0, reserved: 60 });
        at(1_000);
        expect(await store.openReservations()).toBe(0);
        expect(await state('b')).toMatchObject({ used: 60, reserved: 0 });
        expect(await state('tok')).toMatchObject({ used: 500, reserved: 0 });
        expect(await state('rate:rpm')).toMatchObject({ used: 1, reserved: 0 });
        expect(await store.release('sent')).toBe(false);
        // The process that held it settles late (it was only slow): already committed, nothing more.
        at(2_000);
        expect(await store.settle('sent', { USD: 30, tokens: 200, requests: 1 }, lines)).toMatchObject({
          open: false,
          lines: [
            { key: 'b', used: 60 },
            { key: 'tok', used: 500 },
            { key: 'rate:rpm', used: 1 },
          ],
        });
        expect(await state('b')).toMatchObject({ used: 60, reserved: 0 });
      });

      timed(
        'a reservation reserved sent is committed at its lease end with no markSent; one not sent is released',
        async () => {
          const lines = [usd('b', 100, 60), tokens('tok', 1_000, 500)];
          expect(await store.reserve({ id: 'at-once', lines, leaseMs: 1_000, sent: true })).toMatchObject({
            ok: true,
            sent: true,
          });
          const plain = await store.reserve({ id: 'later', lines: [usd('b', 100, 20)], leaseMs: 1_000 });
          expect(plain.ok && plain.sent).toBeFalsy();
          expect(await state('b')).toMatchObject({ used: 0, reserved: 80 });
          at(1_000);
          expect(await store.openReservations()).toBe(0);
          // The one reserved sent is committed at what it reserved; the other is released.
          expect(await state('b')).toMatchObject({ used: 60, reserved: 0 });
          expect(await state('tok')).toMatchObject({ used: 500, reserved: 0 });
          // A late settlement of the committed one commits nothing more.
          expect(await store.settle('at-once', { USD: 30, tokens: 200 }, lines)).toMatchObject({ open: false });
          expect(await state('b')).toMatchObject({ used: 60, reserved: 0 });
          // Settled on time, a reservation reserved sent commits what it cost, like any other.
          await store.reserve({ id: 'on-time', lines: [usd('b', 100, 30)], leaseMs: 1_000, sent: true });
          expect(await store.settle('on-time', { USD: 10 })).toMatchObject({ open: true, lines: [{ used: 70 }] });
          at(5_000);
          expect(await state('b')).toMatchObject({ used: 70, reserved: 0 });
        },
      );

      timed('marks only open reservations sent; a sent reservation settled on time commits what it cost', async () => {
        expect(await store.markSent!('unknown')).toBe(false);
        await store.reserve({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 1_000 });
        expect(await store.markSent!('r1')).toBe(true);
        expect(await store.markSent!('r1')).toBe(true);
        expect(await store.settle('r1', { USD: 20 })).toMatchObject({ open: true, lines: [{ used: 20, reserved: 0 }] });
        expect(await store.markSent!('r1')).toBe(false);
        at(5_000);
        expect(await state('b')).toMatchObject({ used: 20, reserved: 0 });
        // Released before it was sent (a denial after reservation): marking it later changes nothing.
        await store.reserve({ id: 'r2', lines: [usd('b', 100, 30)], leaseMs: 1_000 });
        expect(await store.release('r2')).toBe(true);
        expect(await store.markSent!('r2')).toBe(false);
        at(10_000);
        expect(await state('b')).toMatchObject({ used: 20, reserved: 0 });
      });

      timed('property: no reservation ends released after its request was sent', async () => {
        // A seeded random history: reservations, some sent, some settled on time, late or never; the
        // clock passes every lease. Each line must end holding exactly what was settled, plus the
        // reserved amount of every sent reservation nobody settled in time, and nothing reserved.
        let seed = 0x5eed;
        const random = () => {
          seed = (seed + 0x6d2b79f5) | 0;
          let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
          t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
          return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
        };
        let expected = 0;
        let time = 0;
        for (let index = 0; index < 40; index++) {
          const id = `p${index}`;
          const amount = 1 + Math.floor(random() * 50);
          const lines = [usd('prop|total', 1_000_000, amount)];
          at(time);
          await store.reserve({ id, lines, leaseMs: 1_000 });
          const sent = random() < 0.6;
          if (sent) expect(await store.markSent!(id)).toBe(true);
          const ending = random();
          if (ending < 0.3) {
            const actual = Math.floor(random() * amount);
            at(time + 500);
            await store.settle(id, { USD: actual });
            expected += actual;
          } else if (ending < 0.5) {
            // Settled after its lease ended: a sent one was committed at its reservation by then.
            at(time + 1_500);
            const actual = Math.floor(random() * amount);
            await store.settle(id, { USD: actual }, lines);
            expected += sent ? amount : actual;
          } else {
            at(time + 1_500);
            expected += sent ? amount : 0;
          }
          await store.openReservations();
          time += 2_000;
        }
        at(time + 10_000);
        expect(await store.openReservations()).toBe(0);
        expect(await state('prop|total')).toMatchObject({ used: expected, reserved: 0 });
      });

      timed('commits a late settlement once when it is replayed', async () => {
        const lines = [usd('b', 100, 60)];
        await store.reserve({ id: 'slow', lines, leaseMs: 1_000 });
        at(5_000);
        expect(await store.settle('slow', { USD: 30 }, lines)).toMatchObject({ open: false, lines: [{ used: 30 }] });
        at(6_000);
        expect(await store.settle('slow', { USD: 30 }, lines)).toMatchObject({ open: false, lines: [{ used: 30 }] });
        expect(await state('b')).toMatchObject({ used: 30, reserved: 0 });
      });
    });

    describe('periods and rolling windows', () => {
      timed('resets a calendar line once its period has expired', async () => {
        const day1 = usd('daily|2026-11-23', 100, 80, { expiresAt: T0 + 1_000 });
        await store.reserve({ id: 'r1', lines: [day1], leaseMs: LEASE_MS });
        await store.settle('r1', { USD: 80 });
        expect(await store.reserve({ id: 'r2', lines: [{ ...day1, amount: 30 }], leaseMs: LEASE_MS })).toMatchObject({
          ok: false,
          failed: { used: 80, reserved: 0 },
          requested: 30,
        });

        at(1_000);
        const day2 = { ...day1, amount: 30, expiresAt: T0 + 2_000 };
        expect(await store.reserve({ id: 'r3', lines: [day2], leaseMs: LEASE_MS })).toMatchObject({
          ok: true,
          lines: [{ used: 0, reserved: 30 }],
        });
      });

      timed('lets amounts leave a rolling window after windowMs, never early, exact to one bucket', async () => {
        const rolling = (amount: number) =>
          requests('rate:rolling', 100, amount, { rolling: { windowMs: 60_000, bucketMs: 1_000 } });

        await store.reserve({ id: 'a', lines: [rolling(40)], leaseMs: LEASE_MS });
        expect(await state('rate:rolling')).toMatchObject({ used: 0, reserved: 40 });
        at(500);
        // Committed into the bucket of the reservation's start, T0.
        expect(await store.settle('a', { requests: 30 })).toMatchObject({
          open: true,
          lines: [{ used: 30, reserved: 0 }],
        });

        at(1_500);
        await store.reserve({ id: 'b', lines: [rolling(10)], leaseMs: 120_000 });
        at(30_000);
        // Settled long after it started: still committed into the bucket of its start, T0 + 1s.
        expect(await store.settle('b', { requests: 10 })).toMatchObject({ lines: [{ used: 40, reserved: 0 }] });

        at(40_000);
        expect(await store.reserve({ id: 'c', lines: [rolling(60)], leaseMs: LEASE_MS })).toMatchObject({
          ok: true,
          lines: [{ used: 40, reserved: 60 }],
        });
        expect(await store.reserve({ id: 'd', lines: [rolling(1)], leaseMs: LEASE_MS })).toMatchObject({
          ok: false,
          failed: { used: 40, reserved: 60, limit: 100 },
          requested: 1,
        });
        await store.release('c');

        // An amount made in bucket [0, 1000) leaves at 61 000: at least windowMs after it was made.
        at(60_999);
        expect(await state('rate:rolling')).toMatchObject({ used: 40, reserved: 0 });
        at(61_000);
        expect(await state('rate:rolling')).toMatchObject({ used: 10, reserved: 0 });
        at(61_999);
        expect(await state('rate:rolling')).toMatchObject({ used: 10, reserved: 0 });
        at(62_000);
        expect(await state('rate:rolling')).toMatchObject({ used: 0, reserved: 0 });
        expect(await store.reserve({ id: 'e', lines: [rolling(100)], leaseMs: LEASE_MS })).toMatchObject({
          ok: true,
          lines: [{ used: 0, reserved: 100 }],
        });
      });

      timed('counts a rolling reservation for as long as it is open', async () => {
        const rolling = (amount: number) =>
          usd('rolling-usd', 1_000, amount, { rolling: { windowMs: 10_000, bucketMs: 1_000 } });
        await store.reserve({ id: 'long', lines: [rolling(700)], leaseMs: 600_000 });
        at(120_000);
        expect(await state('rolling-usd')).toMatchObject({ used: 0, reserved: 700 });
        expect(await store.reserve({ id: 'more', lines: [rolling(301)], leaseMs: LEASE_MS })).toMatchObject({
          ok: false,
          failed: { used: 0, reserved: 700 },
          requested: 301,
        });
      });
    });

    describe('money (property)', () => {
      // Ledgers count nano-USD and add each call's cost as it is, so a budget is the exact sum of its
      // calls: random prices (USD per 1M tokens, to the micro-dollar) and usages, each call reserved at
      // its worst case and settled at its priced usage, on a shared line and a per-team line.
      const price = fc.record({
        input: fc.integer({ min: 0, max: 150_000_000 }).map((micros) => micros / 1_000_000),
        output: fc.integer({ min: 0, max: 600_000_000 }).map((micros) => micros / 1_000_000),
        cacheRead: fc.integer({ min: 0, max: 15_000_000 }).map((micros) => micros / 1_000_000),
      });
      const call = fc
        .record({
          inputTokens: fc.integer({ min: 0, max: 200_000 }),
          outputTokens: fc.integer({ min: 0, max: 32_000 }),
          cached: fc.double({ min: 0, max: 1, noNaN: true }),
          team: fc.constantFrom('a', 'b'),
        })
        .map(({ cached, ...usage }) => ({ ...usage, cacheReadInputTokens: Math.floor(usage.inputTokens * cached) }));
      let run = 0;

      it('a line holds exactly the sum of the nano-USD costs settled on it', async () => {
        await fc.assert(
          fc.asyncProperty(price, fc.array(call, { minLength: 1, maxLength: 12 }), async (rates, calls) => {
            run += 1;
            const shared = `money${run}||total`;
            const sums = new Map<string, number>([[shared, 0]]);
            for (const [index, { team, ...usage }] of calls.entries()) {
              const teamKey = `money${run}|team=${team}|total`;
              const worst = worstCaseNanos(rates, usage.inputTokens, usage.outputTokens);
              const actual = costNanos(rates, usage);
              expect(Number.isInteger(actual) && actual <= worst).toBe(true);
              const lines = [usd(shared, MAX_LEDGER, worst), usd(teamKey, MAX_LEDGER, worst)];
              expect(await store.reserve({ id: `money${run}-${index}`, lines, leaseMs: LEASE_MS })).toMatchObject({
                ok: true,
              });
              await store.settle(`money${run}-${index}`, { USD: actual });
              sums.set(shared, sums.get(shared)! + actual);
              sums.set(teamKey, (sums.get(teamKey) ?? 0) + actual);
            }
            for (const [key, sum] of sums) expect(await state(key)).toMatchObject({ used: sum, reserved: 0 });
          }),
          { numRuns: 25 },
        );
      });
    });

    describe('lines', () => {
      it('lists the lines whose key starts with a prefix', async () => {
        await store.reserve({
          id: 'r1',
          lines: [usd('team|a|d1', 100, 1), usd('team|b|d1', 100, 2), usd('user|x', 100, 3)],
          leaseMs: LEASE_MS,
        });
        const team = await store.lines('team|');
        expect(team.map((line) => line.key).sort()).toEqual(['team|a|d1', 'team|b|d1']);
        expect(team.find((line) => line.key === 'team|b|d1')).toEqual({
          key: 'team|b|d1',
          budget: 'team|b|d1',
          unit: 'USD',
          limit: 100,
          used: 0,
          reserved: 2,
        });
        expect((await store.lines()).map((line) => line.key).sort()).toEqual(['team|a|d1', 'team|b|d1', 'user|x']);
        expect(await store.lines('nobody|')).toEqual([]);
      });
    });

    describe('markOnce', () => {
      it('sets a key once', async () => {
        expect(await store.markOnce('alert|b|80')).toBe(true);
        expect(await store.markOnce('alert|b|80')).toBe(false);
        expect(await store.markOnce('alert|b|90')).toBe(true);
        const concurrent = await Promise.all(Array.from({ length: 50 }, () => store.markOnce('alert|c|80')));
        expect(concurrent.filter(Boolean)).toHaveLength(1);
      });

      timed('sets a key again once it has expired', async () => {
        expect(await store.markOnce('alert|d|80', T0 + 1_000)).toBe(true);
        at(999);
        expect(await store.markOnce('alert|d|80', T0 + 1_000)).toBe(false);
        at(1_000);
        expect(await store.markOnce('alert|d|80', T0 + 5_000)).toBe(true);
        at(2_000);
        expect(await store.markOnce('alert|d|80', T0 + 5_000)).toBe(false);
      });
    });

    describe('approvals', () => {
      it('creates, gets and lists approvals newest first, filtered by status', async () => {
        await store.createApproval(approval('a', T0));
        await store.createApproval(approval('b', T0 + 1));
        await store.createApproval(approval('c', T0 + 2));

        expect(await store.getApproval('a')).toEqual(approval('a', T0));
        expect((await store.listApprovals()).map((record) => record.id)).toEqual(['c', 'b', 'a']);
        await store.decideApproval('b', { status: 'denied', decidedBy: 'alice' });
        expect((await store.listApprovals({ status: 'pending' })).map((record) => record.id)).toEqual(['c', 'a']);
        expect((await store.listApprovals({ status: 'denied' })).map((record) => record.id)).toEqual(['b']);
        expect(await store.listApprovals({ status: 'approved' })).toEqual([]);
      });

      it('hands out copies that cannot change what is stored', async () => {
        const record = approval('a', T0);
        await store.createApproval(record);
        record.attribution.team = 'changed';
        const read = await store.getApproval('a');
        expect(read?.attribution.team).toBe('engineering');
        if (read) {
          read.status = 'approved';
          read.attribution.team = 'changed';
        }
        const listed = await store.listApprovals();
        expect(listed[0]).toEqual(approval('a', T0));
      });

      it('decides a pending approval once: the first decision wins', async () => {
        await store.createApproval(approval('a', T0));
        const first = await store.decideApproval('a', { status: 'approved', decidedBy: 'alice', reason: 'ok' });
        expect(first).toMatchObject({ id: 'a', status: 'approved', decidedBy: 'alice', decisionReason: 'ok' });
        expect(typeof first?.decidedAt).toBe('number');
        const second = await store.decideApproval('a', { status: 'denied', decidedBy: 'bob', reason: 'no' });
        expect(second).toEqual(first);
        expect(await store.getApproval('a')).toEqual(first);
      });

      timed('stamps a decision with the store clock', async () => {
        await store.createApproval(approval('a', T0));
        at(2_500);
        expect(await store.decideApproval('a', { status: 'timed_out', decidedBy: 'genops' })).toMatchObject({
          status: 'timed_out',
          decidedAt: T0 + 2_500,
          decidedBy: 'genops',
        });
      });

      it('lets exactly one of two concurrent decisions win', async () => {
        await store.createApproval(approval('a', T0));
        const [approve, deny] = await Promise.all([
          store.decideApproval('a', { status: 'approved', decidedBy: 'alice' }),
          store.decideApproval('a', { status: 'denied', decidedBy: 'bob' }),
        ]);
        expect(approve).toEqual(deny);
        expect(['approved', 'denied']).toContain(approve?.status);
        expect(approve?.decidedBy).toBe(approve?.status === 'approved' ? 'alice' : 'bob');
        expect(await store.getApproval('a')).toEqual(approve);
      });

      it('wakes a waiter as soon as another caller decides', async () => {
        await store.createApproval(approval('a', T0));
        const started = performance.now();
        const waiting = store.waitForApproval('a', 20_000);
        setTimeout(() => void store.decideApproval('a', { status: 'approved', decidedBy: 'alice' }), 20);

        const record = await waiting;

        expect(record).toMatchObject({ id: 'a', status: 'approved', decidedBy: 'alice' });
        expect(performance.now() - started).toBeLessThan(10_000);
      });

      it('returns the still-pending record when the wait times out', async () => {
        await store.createApproval(approval('a', T0));
        const started = performance.now();
        expect(await store.waitForApproval('a', 50)).toEqual(approval('a', T0));
        expect(performance.now() - started).toBeGreaterThanOrEqual(40);
        expect(await store.getApproval('a')).toMatchObject({ status: 'pending' });
      });

      it('returns a decided approval at once', async () => {
        await store.createApproval(approval('a', T0));
        await store.decideApproval('a', { status: 'denied', decidedBy: 'alice', reason: 'too expensive' });
        const started = performance.now();
        expect(await store.waitForApproval('a', 20_000)).toMatchObject({
          status: 'denied',
          decisionReason: 'too expensive',
        });
        expect(performance.now() - started).toBeLessThan(10_000);
      });

      it('returns undefined for an unknown approval', async () => {
        expect(await store.getApproval('nope')).toBeUndefined();
        expect(await store.decideApproval('nope', { status: 'approved', decidedBy: 'alice' })).toBeUndefined();
        expect(await store.waitForApproval('nope', 20_000)).toBeUndefined();
      });
    });

    describe('audit', () => {
      it('appends batches to one hash chain with continuous seq', async () => {
        const first = await store.appendAudit([entry(1), entry(2)]);
        expect(first.map((record) => record.seq)).toEqual([1, 2]);
        expect(first[0]?.prevHash).toBe(GENESIS_HASH);
        expect(first[1]?.prevHash).toBe(first[0]?.hash);
        expect(first[0]).toMatchObject(entry(1));

        const second = await store.appendAudit([entry(3), entry(4), entry(5)]);
        expect(second.map((record) => record.seq)).toEqual([3, 4, 5]);
        expect(second[0]?.prevHash).toBe(first[1]?.hash);
        expect(await store.appendAudit([])).toEqual([]);

        const all = await store.readAudit();
        expect(all).toEqual([...first, ...second]);
        expectUnbrokenChain(all, 5);
      });

      it('reads from a seq, at most a limit', async () => {
        await store.appendAudit([entry(1), entry(2), entry(3), entry(4), entry(5)]);
        expect((await store.readAudit({ fromSeq: 3 })).map((record) => record.seq)).toEqual([3, 4, 5]);
        expect((await store.readAudit({ fromSeq: 2, limit: 2 })).map((record) => record.seq)).toEqual([2, 3]);
        expect((await store.readAudit({ limit: 1 })).map((record) => record.seq)).toEqual([1]);
        expect(await store.readAudit({ fromSeq: 6 })).toEqual([]);
      });

      it('stores entries as they were appended', async () => {
        const appended = entry(1, { nested: { list: [1, 'two', null], flag: true }, costMicros: 123_456 });
        const [record] = await store.appendAudit([appended]);
        (appended.data.nested as { flag: boolean }).flag = false;
        const [read] = await store.readAudit();
        expect(read).toEqual(record);
        expect(read?.data).toEqual({ n: 1, nested: { list: [1, 'two', null], flag: true }, costMicros: 123_456 });
        expect(read && hashAuditRecord(read.prevHash, read.seq, read)).toBe(read?.hash);
      });

      it('keeps one unbroken chain under concurrent appends', async () => {
        const batches = await Promise.all(
          Array.from({ length: 20 }, (_, batch) =>
            store.appendAudit(Array.from({ length: 5 }, (_, index) => entry(batch * 5 + index))),
          ),
        );
        for (const records of batches) {
          // Each batch is appended in order and in one piece.
          expect(records.map((record) => record.seq - (records[0]?.seq ?? 0))).toEqual([0, 1, 2, 3, 4]);
          expect(records.map((record) => record.data.n)).toEqual(
            records.map((_, index) => (records[0]?.data.n as number) + index),
          );
        }
        const all = await store.readAudit();
        expectUnbrokenChain(all, 100);
        expect(new Set(all.map((record) => record.data.n)).size).toBe(100);
      });
    });
  });
}

/** Asserts `records` are seq 1..`count`, each linked to the one before, each hash recomputing. */
function expectUnbrokenChain(records: readonly AuditRecord[], count: number): void {
  expect(records.map((record) => record.seq)).toEqual(Array.from({ length: count }, (_, index) => index + 1));
  let prevHash = GENESIS_HASH;
  for (const record of records) {
    expect(record.prevHash).toBe(prevHash);
    expect(hashAuditRecord(record.prevHash, record.seq, record)).toBe(record.hash);
    prevHash = record.hash;
  }
}

function usd(key: string, limit: number, amount: number, extra: Partial<BudgetLine> = {}): BudgetLine {
  return { key, budget: key, unit: 'USD', limit, amount, enforce: true, ...extra };
}

function tokens(key: string, limit: number, amount: number, extra: Partial<BudgetLine> = {}): BudgetLine {
  return { ...usd(key, limit, amount, extra), unit: 'tokens' };
}

function requests(key: string, limit: number, amount: number, extra: Partial<BudgetLine> = {}): BudgetLine {
  return { ...usd(key, limit, amount, extra), unit: 'requests' };
}

function approval(id: string, createdAt: number): ApprovalRecord {
  return {
    id,
    status: 'pending',
    createdAt,
    expiresAt: createdAt + 3_600_000,
    reason: 'cost over $50.00 (requireApprovalOver)',
    rule: 'team-daily',
    provider: 'openai',
    model: 'gpt-4o',
    operation: 'chat',
    attribution: { team: 'engineering', project: 'search' },
    estimatedCostUsd: 62.5,
    requestedBy: 'host:1234',
  };
}

function entry(n: number, data: Record<string, unknown> = {}): AuditEntry {
  return { type: 'decision', at: T0 + n, subject: `awu-${n}`, data: { n, ...data } };
}

/** The part of `GenOps.init()`'s handle {@link governedCallAfterIdentityLoss} uses. */
interface GovernedHandle {
  governor: {
    begin(
      request: GovernedRequest,
    ): Promise<{ end(outcome: { usage: { inputTokens: number; outputTokens: number } }): Promise<unknown> }>;
  };
  shutdown(): Promise<void>;
}

/**
 * Runs one governed call through `init({ store, ... })` (a $10 total budget), then `breakStore` (delete
 * the file, flush the database), then a second call, and returns what the second call was rejected
 * with (or `undefined` when it ran). The handle is shut down before it returns.
 */
export async function governedCallAfterIdentityLoss(
  init: (options: {
    store: GovernanceStore;
    budgets: { name: string; limit: number; window: 'total' }[];
    autoInstrument: false;
    exporter: 'none';
  }) => GovernedHandle,
  store: GovernanceStore,
  breakStore: () => Promise<void> | void,
): Promise<unknown> {
  const genops = init({
    store,
    budgets: [{ name: 'shared', limit: 10, window: 'total' }],
    autoInstrument: false,
    exporter: 'none',
  });
  const request: GovernedRequest = {
    provider: 'openai',
    operation: 'chat',
    model: 'gpt-4o',
    estimatedInputTokens: 1000,
    maxOutputTokens: 100,
  };
  try {
    const call = await genops.governor.begin(request);
    await call.end({ usage: { inputTokens: 10, outputTokens: 10 } });
    await breakStore();
    return await genops.governor.begin(request).then(
      () => undefined,
      (error: unknown) => error,
    );
  } finally {
    await genops.shutdown();
  }
}

/**
 * Checks that `store` reads the ledger of `fixtures/micro-usd-ledger.mjs` (written in micro-USD by the
 * old package) after its migration to nano-USD: every amount the same in USD, the open reservation's
 * amounts migrated too (settling it releases exactly what it held), the settled one still recognised,
 * and the audit record unchanged and verifying. The store's clock must be a little after the ledger's.
 */
export async function expectMigratedMicroUsdLedger(store: GovernanceStore): Promise<void> {
  expect(await store.lines()).toEqual([
    { key: 'daily||2026-11-23', budget: 'daily', unit: 'USD', limit: 10e9, used: 1.25e9, reserved: 0.5e9 },
    { key: 'hourly||rolling', budget: 'hourly', unit: 'USD', limit: 2e9, used: 123_456_000, reserved: 0.3e9 },
    { key: 'tokens||2026-11-23', budget: 'tokens', unit: 'tokens', limit: 100_000, used: 2_500, reserved: 0 },
  ]);
  expect(await store.settle('open-1', { USD: 480 })).toMatchObject({
    open: true,
    lines: [
      { key: 'daily||2026-11-23', used: 1_250_000_480, reserved: 0 },
      { key: 'hourly||rolling', used: 123_456_480, reserved: 0 },
    ],
  });
  expect(await store.settle('settled-1', { USD: 1 })).toMatchObject({ open: false });
  const records = await store.readAudit();
  expect(records.map((record) => record.data)).toEqual([{ actualUsd: 1.25, reservedUsd: 2, actualTokens: 2500 }]);
  expect(await verifyAuditChain(records)).toMatchObject({ ok: true });
}
