import { type Attributes, metrics } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { drainPending } from '../pipeline/deferred';
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

  it('forwards the synchronous forms the inner store has, measured, and answers without a promise', () => {
    const durations: string[] = [];
    const failures: string[] = [];
    const recording = {
      storeDuration: { record: (_value: number, attributes?: Attributes) => durations.push(operationOf(attributes)) },
      storeFailures: { add: (_value: number, attributes?: Attributes) => failures.push(operationOf(attributes)) },
    } as unknown as ConstructorParameters<typeof MeasuredStore>[1];
    const store = new MeasuredStore(new MemoryStore(), recording);
    const reserved = store.reserveSync?.({ id: 'r1', lines: [LINE], leaseMs: 60_000 });
    expect(reserved).toMatchObject({ ok: true, lines: [{ key: 'team', reserved: 10 }] });
    expect(store.markSentSync?.('r1')).toBe(true);
    expect(store.settleSync?.('r1', { USD: 4 })).toMatchObject({ open: true, lines: [{ used: 4, reserved: 0 }] });
    expect(store.markOnceSync?.('alert|team|80')).toBe(true);
    // Recorded with the call's deferred telemetry, off its path.
    expect(durations).toEqual([]);
    drainPending();
    expect(durations).toEqual(['reserve', 'mark_sent', 'settle', 'mark_once']);
    // A refusal of the inner store counts as a failure and still throws.
    expect(() => store.settleSync?.('r2', { USD: Number.NaN })).toThrow();
    expect(failures).toEqual(['settle']);
    drainPending();
    expect(durations).toEqual(['reserve', 'mark_sent', 'settle', 'mark_once', 'settle']);
  });

  it("records the promise forms' durations with the deferred telemetry too", async () => {
    const durations: string[] = [];
    const recording = {
      storeDuration: { record: (_value: number, attributes?: Attributes) => durations.push(operationOf(attributes)) },
      storeFailures: { add: () => {} },
    } as unknown as ConstructorParameters<typeof MeasuredStore>[1];
    const store = new MeasuredStore(new MemoryStore(), recording);
    await store.reserve({ id: 'p1', lines: [LINE], leaseMs: 60_000 });
    await store.settle('p1', { USD: 4 });
    expect(durations).toEqual([]);
    drainPending();
    expect(durations).toEqual(['reserve', 'settle']);
  });

  it('has no synchronous forms over a store without them, so the governor uses the promise forms', () => {
    const inner = new MemoryStore();
    const withoutSync = Object.assign(Object.create(inner) as MemoryStore, {
      reserveSync: undefined,
      settleSync: undefined,
      markSentSync: undefined,
      markOnceSync: undefined,
      kind: 'custom',
    });
    const store = new MeasuredStore(withoutSync, instruments);
    expect([store.reserveSync, store.settleSync, store.markSentSync, store.markOnceSync]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

function operationOf(attributes: Attributes | undefined): string {
  return String(attributes?.['genops.store.operation']);
}
