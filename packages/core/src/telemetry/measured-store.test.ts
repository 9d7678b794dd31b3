import { metrics } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store';
import type { BudgetLine } from '../store/types';
import { MeasuredStore } from './measured-store';

const meter = metrics.getMeter('measured-store-test');
const instruments = {
  storeDuration: meter.createHistogram('duration'),
  storeFailures: meter.createCounter('failures'),
};
const LINE: BudgetLine = { key: 'team', budget: 'team', unit: 'USD', limit: 100, amount: 10, enforce: true };

describe('MeasuredStore', () => {
  it('marks a reservation sent in the inner store, so an expired lease commits it instead of releasing it', async () => {
    let now = Date.UTC(2026, 11, 5);
    const inner = new MemoryStore(() => now);
    const store = new MeasuredStore(inner, instruments);
    await store.reserve({ id: 'sent', lines: [LINE], leaseMs: 1_000 });
    await store.reserve({ id: 'unsent', lines: [{ ...LINE, key: 'other', budget: 'other' }], leaseMs: 1_000 });
    expect(await store.markSent?.('sent')).toBe(true);
    now += 2_000;
    expect(await store.openReservations()).toBe(0);
    const lines = await store.lines();
    expect(lines.find((line) => line.key === 'team')).toMatchObject({ used: 10, reserved: 0 });
    expect(lines.find((line) => line.key === 'other')).toMatchObject({ used: 0, reserved: 0 });
  });
});
