import { describe, expect, it } from 'vitest';
import { startGovernedCall } from './adapter/run-governed-call';
import { ApprovalDeniedError } from './errors/approval-denied-error';
import { microsToUsd } from './money';
import { MemoryStore } from './store/memory-store';
import { chatRequest, useCoreTestSetup } from './test-support/core-test-setup';

// A request the adapter kit sends at once is reserved already marked sent: the store holds the mark from
// the reservation's own write (no second write), so a process that dies before settling still has the
// reservation committed at its lease end. A call that waits for an approval after its reservation is
// not marked until it is sent. Real Governor, real memory store on a clock the test moves.

const setup = useCoreTestSetup();
// A rolling window: the checks read the store a lease later, and a calendar day would have ended for a
// run in the last minutes before midnight UTC (its line then reads 0 used).
const BUDGETS = [{ name: 'team', limit: 10, window: '7d' }];
/** chatRequest(): 1000 in + 100 out worst case at gpt-4o prices = 3500 µ$. */
const RESERVED_USD = microsToUsd(3_500);
const LEASE_MS = 60_000;

/** The real memory store, counting the `markSent` writes made after the reservation. */
class CountingStore extends MemoryStore {
  sentMarks = 0;
  override markSentSync(id: string): boolean {
    this.sentMarks += 1;
    return super.markSentSync(id);
  }
}

function clockedStore(): { store: CountingStore; advance(ms: number): void } {
  let offset = 0;
  return {
    store: new CountingStore(() => Date.now() + offset),
    advance(ms) {
      offset += ms;
    },
  };
}

describe('reserved sent', () => {
  it('a request sent at once is committed at its lease end though nothing marked it afterwards', async () => {
    const { store, advance } = clockedStore();
    const genops = setup.init({ budgets: BUDGETS, store, reservationLeaseMs: LEASE_MS });
    // The process "dies" after sending: the call is never ended, and the in-process lease timer (real
    // time) has not fired; only the store's own lease expiry acts.
    const { call } = await startGovernedCall(genops.governor, chatRequest(), { input: {}, execute: () => ({}) });
    expect(store.sentMarks).toBe(0);
    advance(LEASE_MS);
    expect(await store.openReservations()).toBe(0);
    expect((await store.lines('team|'))[0]).toMatchObject({ used: 3_500_000, reserved: 0 });
    // The late settlement commits nothing more.
    await call.end({ usage: { inputTokens: 10, outputTokens: 1 } });
    expect((await genops.status()).budgets[0]).toMatchObject({ used: RESERVED_USD, reserved: 0 });
  });

  it('a call begun without sendsAtOnce is released at its lease end unless markSent marked it', async () => {
    const { store, advance } = clockedStore();
    const genops = setup.init({ budgets: BUDGETS, store, reservationLeaseMs: LEASE_MS });
    const unsent = await genops.governor.begin(chatRequest());
    const sent = await genops.governor.begin(chatRequest());
    sent.markSent();
    expect(store.sentMarks).toBe(1);
    advance(LEASE_MS);
    expect(await store.openReservations()).toBe(0);
    // Only the one marked sent is committed.
    expect((await store.lines('team|'))[0]).toMatchObject({ used: 3_500_000, reserved: 0 });
    await unsent.fail(new Error('never sent'));
    await sent.end({ usage: { inputTokens: 10, outputTokens: 1 } });
  });

  it('a call held for approval is not reserved sent: its lease ending during the wait releases it', async () => {
    const { store, advance } = clockedStore();
    const genops = setup.init({
      budgets: BUDGETS,
      store,
      reservationLeaseMs: LEASE_MS,
      requireApprovalOver: 0.001,
    });
    const started = startGovernedCall(genops.governor, chatRequest(), { input: {}, execute: () => ({}) });
    let pending = await genops.governor.approvals.list({ status: 'pending' });
    for (let attempt = 0; attempt < 100 && pending.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      pending = await genops.governor.approvals.list({ status: 'pending' });
    }
    expect(pending).toHaveLength(1);
    expect(store.sentMarks).toBe(0);
    expect((await store.lines('team|'))[0]).toMatchObject({ reserved: 3_500_000 });
    advance(LEASE_MS);
    expect(await store.openReservations()).toBe(0);
    expect((await store.lines('team|'))[0]).toMatchObject({ used: 0, reserved: 0 });
    await genops.governor.approvals.deny(pending[0]!.id);
    await expect(started).rejects.toBeInstanceOf(ApprovalDeniedError);
  });
});
