import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory-store';
import type { BudgetLine } from './types';

const line = (amount: number, enforce = true): BudgetLine => ({
  key: 'b||total',
  budget: 'b',
  unit: 'USD',
  limit: 100,
  amount,
  enforce,
});

describe('MemoryStore', () => {
  it('reserves all or nothing across lines', async () => {
    const store = new MemoryStore();
    const other: BudgetLine = { key: 'c||total', budget: 'c', unit: 'USD', limit: 10, amount: 20, enforce: true };
    const result = await store.reserve({ id: 'r1', lines: [line(20), other], leaseMs: 1000 });
    expect(result).toMatchObject({ ok: false, failed: { key: 'c||total', used: 0, reserved: 0 }, requested: 20 });
    expect(await store.lines()).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'b||total', reserved: 0 })]),
    );
    expect(await store.openReservations()).toBe(0);
  });

  it('settles once: commits the actual amount and releases the rest', async () => {
    const store = new MemoryStore();
    await store.reserve({ id: 'r1', lines: [line(60)], leaseMs: 1000 });
    expect(await store.settle('r1', { USD: 25 })).toBe(true);
    expect(await store.settle('r1', { USD: 25 })).toBe(false);
    expect((await store.lines())[0]).toMatchObject({ used: 25, reserved: 0 });
  });

  it('releases a lease its holder never settled, and still counts a settlement that comes after', async () => {
    let now = 0;
    const store = new MemoryStore(() => now);
    await store.reserve({ id: 'slow', lines: [line(60)], leaseMs: 1000 });
    expect((await store.lines())[0]).toMatchObject({ reserved: 60 });
    now = 5_000;
    expect(await store.openReservations()).toBe(0);
    expect((await store.lines())[0]).toMatchObject({ used: 0, reserved: 0 });
    // The call finished after its lease: what it cost is committed all the same.
    expect(await store.settle('slow', { USD: 30 }, [line(60)])).toBe(false);
    expect((await store.lines())[0]).toMatchObject({ used: 30, reserved: 0 });
  });

  it('counts warn-only lines over their limit without refusing', async () => {
    const store = new MemoryStore();
    const result = await store.reserve({ id: 'w', lines: [line(150, false)], leaseMs: 1000 });
    expect(result).toMatchObject({ ok: true, lines: [{ reserved: 150, limit: 100 }] });
  });
});
