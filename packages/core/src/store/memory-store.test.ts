import { describe, expect, it } from 'vitest';
// Relative import: the contract suite lives in @genops/testing, which core cannot depend on (it would be a cycle).
import { describeGovernanceStore } from '../../../testing/src/store-contract';
import { hashAuditRecord } from '../audit/hash';
import { MemoryStore } from './memory-store';
import type { ApprovalRecord, BudgetLine } from './types';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

describeGovernanceStore('MemoryStore', (clock) => new MemoryStore(() => clock.now()));

const line = (key: string, amount: number, extra: Partial<BudgetLine> = {}): BudgetLine => ({
  key,
  budget: key,
  unit: 'USD',
  limit: 100,
  amount,
  enforce: true,
  ...extra,
});

const approval = (id: string, createdAt: number): ApprovalRecord => ({
  id,
  status: 'pending',
  createdAt,
  expiresAt: createdAt + 3_600_000,
  reason: 'tool "deploy" (rule tools)',
  rule: 'tools',
  provider: 'openai',
  model: 'gpt-4o',
  operation: 'chat',
  attribution: { team: 'engineering' },
  estimatedCostUsd: 1,
});

/** A store on a clock the test moves with `store.at(ms)`. */
function storeAt(start = T0, options?: ConstructorParameters<typeof MemoryStore>[1]) {
  let now = start;
  const store = new MemoryStore(() => now, options);
  return Object.assign(store, {
    at(ms: number) {
      now = ms;
    },
  });
}

describe('MemoryStore (memory-specific)', () => {
  it('reserves, settles and releases synchronously', () => {
    const store = new MemoryStore(() => T0);
    expect(store.reserveSync({ id: 'r1', lines: [line('b', 60)], leaseMs: 1_000 })).toEqual({
      ok: true,
      lines: [{ key: 'b', budget: 'b', unit: 'USD', limit: 100, used: 0, reserved: 60 }],
    });
    expect(store.reserveSync({ id: 'r2', lines: [line('b', 41)], leaseMs: 1_000 })).toMatchObject({
      ok: false,
      requested: 41,
    });
    expect(store.settleSync('r1', { USD: 25 })).toEqual({
      open: true,
      lines: [{ key: 'b', budget: 'b', unit: 'USD', limit: 100, used: 25, reserved: 0 }],
    });
    expect(store.reserveSync({ id: 'r3', lines: [line('b', 75)], leaseMs: 1_000 })).toMatchObject({ ok: true });
    expect(store.releaseSync('r3')).toBe(true);
    expect(store.releaseSync('r3')).toBe(false);
    expect(store.settleSync('r3', { USD: 5 })).toEqual({ open: false, lines: [] });
  });

  it('refuses a second reservation with the id of an open one', () => {
    const store = new MemoryStore(() => T0);
    store.reserveSync({ id: 'r1', lines: [line('b', 10)], leaseMs: 1_000 });
    expect(() => store.reserveSync({ id: 'r1', lines: [line('b', 10)], leaseMs: 1_000 })).toThrow(
      'reservation "r1" is already open',
    );
    expect(store.stats()).toMatchObject({ reservations: 1 });
  });

  it('adds up a key named twice in one request', () => {
    const store = new MemoryStore(() => T0);
    expect(store.reserveSync({ id: 'r1', lines: [line('b', 60), line('b', 41)], leaseMs: 1_000 })).toEqual({
      ok: false,
      failed: { key: 'b', budget: 'b', unit: 'USD', limit: 100, used: 0, reserved: 0 },
      requested: 41,
    });
    expect(store.reserveSync({ id: 'r2', lines: [line('b', 60), line('b', 40)], leaseMs: 1_000 })).toMatchObject({
      ok: true,
      lines: [{ reserved: 100 }, { reserved: 100 }],
    });
  });

  it('adds up a key named twice among many frozen lines, and refuses over the limit among many distinct ones', () => {
    const store = new MemoryStore(() => T0);
    const many = (keys: string[], amount: number) =>
      Object.freeze(keys.map((key) => Object.freeze(line(key, amount)))) as BudgetLine[];
    const distinct = many(
      Array.from({ length: 20 }, (_, index) => `k${index}`),
      30,
    );
    // The same frozen lines three times: the third would take every key to 90 + 30 > 100.
    expect(store.reserveSync({ id: 'd1', lines: distinct, leaseMs: 1_000 }).ok).toBe(true);
    expect(store.reserveSync({ id: 'd2', lines: distinct, leaseMs: 1_000 }).ok).toBe(true);
    expect(store.reserveSync({ id: 'd3', lines: distinct, leaseMs: 1_000 }).ok).toBe(true);
    expect(store.reserveSync({ id: 'd4', lines: distinct, leaseMs: 1_000 })).toMatchObject({
      ok: false,
      failed: { key: 'k0', reserved: 90 },
    });
    const twice = many([...Array.from({ length: 19 }, (_, index) => `t${index}`), 't0'], 60);
    expect(store.reserveSync({ id: 't1', lines: twice, leaseMs: 1_000 })).toMatchObject({
      ok: false,
      failed: { key: 't0', reserved: 0 },
      requested: 60,
    });
    expect(store.reserveSync({ id: 't2', lines: twice, leaseMs: 1_000 })).toMatchObject({ ok: false });
  });

  it('keeps its own copy of the lines a reservation was made with', () => {
    const store = new MemoryStore(() => T0);
    const lines = [line('b', 60)];
    store.reserveSync({ id: 'r1', lines, leaseMs: 1_000 });
    (lines[0] as BudgetLine).amount = 1;
    expect(store.settleSync('r1', { USD: 0 })).toMatchObject({ lines: [{ used: 0, reserved: 0 }] });
  });

  it('commits a late settlement of a rolling line into the bucket of the settlement time', () => {
    const store = storeAt();
    const rolling = line('rate', 10, { unit: 'requests', rolling: { windowMs: 60_000, bucketMs: 1_000 } });
    store.reserveSync({ id: 'slow', lines: [rolling], leaseMs: 1_000 });
    store.at(T0 + 30_000);
    expect(store.settleSync('slow', { requests: 1 }, [rolling])).toMatchObject({ open: false, lines: [{ used: 1 }] });
    store.at(T0 + 90_999);
    expect(store.settleSync('none', {}, [rolling])).toMatchObject({ lines: [{ used: 1 }] });
    store.at(T0 + 91_000);
    expect(store.settleSync('none', {}, [rolling])).toMatchObject({ lines: [{ used: 0 }] });
  });

  it('drops counters of ended periods and idle rolling lines a day later, never lines without a period', async () => {
    const store = storeAt();
    for (let index = 0; index < 1_000; index += 1) {
      store.reserveSync({ id: `d${index}`, lines: [line(`daily|${index}`, 1, { expiresAt: T0 + 1_000 })], leaseMs: 1 });
      store.settleSync(`d${index}`, { USD: 1 });
    }
    store.reserveSync({
      id: 'r',
      lines: [line('rolling', 1, { rolling: { windowMs: 60_000, bucketMs: 1_000 } }), line('total', 1)],
      leaseMs: 1,
    });
    store.settleSync('r', { USD: 1 });
    expect(store.stats()).toMatchObject({ lines: 1_002, reservations: 0 });

    store.at(T0 + DAY_MS - 1);
    await store.openReservations();
    expect(store.stats().lines).toBe(1_002);
    store.at(T0 + 1_000 + DAY_MS + 60_000);
    expect((await store.lines()).map((state) => state.key)).toEqual(['total']);
    expect(store.stats()).toMatchObject({ lines: 1, leaseQueue: 0 });
  });

  it('keeps a counter with an open reservation past its period until the reservation ends', async () => {
    const store = storeAt();
    store.reserveSync({ id: 'r', lines: [line('daily', 10, { expiresAt: T0 + 1_000 })], leaseMs: 10 * DAY_MS });
    store.at(T0 + 2 * DAY_MS);
    expect(await store.lines()).toMatchObject([{ key: 'daily', used: 0, reserved: 10 }]);
    store.releaseSync('r');
    store.at(T0 + 3 * DAY_MS);
    expect(await store.lines()).toEqual([]);
  });

  it('forgets expired markOnce keys and keeps keys without an expiry', async () => {
    const store = storeAt();
    for (let index = 0; index < 500; index += 1) await store.markOnce(`alert|${index}`, T0 + 1_000);
    await store.markOnce('forever');
    expect(store.stats().marks).toBe(501);
    store.at(T0 + 120_000);
    await store.openReservations();
    expect(store.stats().marks).toBe(1);
    expect(await store.markOnce('forever')).toBe(false);
  });

  it('drops decided approvals a day after their decision and abandoned pending ones a day after they expire', async () => {
    const store = storeAt();
    await store.createApproval(approval('decided', T0));
    await store.createApproval(approval('abandoned', T0));
    await store.decideApproval('decided', { status: 'approved', decidedBy: 'alice' });
    store.at(T0 + DAY_MS - 1);
    expect((await store.listApprovals()).map((record) => record.id)).toEqual(['abandoned', 'decided']);
    store.at(T0 + DAY_MS + 60_000);
    expect((await store.listApprovals()).map((record) => record.id)).toEqual(['abandoned']);
    store.at(T0 + 3_600_000 + DAY_MS + 60_000);
    expect(await store.listApprovals()).toEqual([]);
    expect(store.stats().approvals).toBe(0);
  });

  it('does not leave a waiter behind after a timeout or a decision', async () => {
    const store = new MemoryStore(() => T0);
    await store.createApproval(approval('a', T0));
    await store.createApproval(approval('b', T0));
    const decided = store.waitForApproval('b', 60_000);
    expect(store.stats().approvalWaiters).toBe(1);
    await store.decideApproval('b', { status: 'denied', decidedBy: 'alice' });
    expect(await decided).toMatchObject({ status: 'denied' });
    expect(await store.waitForApproval('a', 10)).toMatchObject({ status: 'pending' });
    expect(store.stats().approvalWaiters).toBe(0);
  });

  it('resolves pending waits on close', async () => {
    const store = new MemoryStore(() => T0);
    await store.createApproval(approval('a', T0));
    const waiting = store.waitForApproval('a', 60_000);
    await store.close();
    expect(await waiting).toMatchObject({ id: 'a', status: 'pending' });
  });

  it('keeps at most maxAuditRecords, newest, with seq still counting', async () => {
    const store = new MemoryStore(() => T0, { maxAuditRecords: 3 });
    const entry = (n: number) => ({ type: 'decision' as const, at: T0 + n, subject: `awu-${n}`, data: { n } });
    await store.appendAudit([entry(1), entry(2)]);
    const last = await store.appendAudit([entry(3), entry(4), entry(5)]);
    expect(last.map((record) => record.seq)).toEqual([3, 4, 5]);
    expect((await store.readAudit()).map((record) => record.seq)).toEqual([3, 4, 5]);
    expect((await store.readAudit({ fromSeq: 4, limit: 1 })).map((record) => record.seq)).toEqual([4]);
    const [next] = await store.appendAudit([entry(6)]);
    expect(next).toMatchObject({ seq: 6, prevHash: last[2]?.hash });
    expect(store.stats().auditRecords).toBe(3);
  });

  it('stores audit data as JSON reads it back, hashed as stored', async () => {
    const store = new MemoryStore(() => T0);
    const at = new Date(T0);
    const [record] = await store.appendAudit([
      { type: 'policy', at: T0, subject: 'v2', data: { at, missing: undefined, ratio: Number.NaN } },
    ]);
    expect(record?.data).toEqual({ at: at.toISOString(), ratio: null });
    expect(record && hashAuditRecord(record.prevHash, record.seq, record)).toBe(record?.hash);
  });

  it('appends a batch whole or not at all: an entry that cannot be stored leaves the chain as it was', async () => {
    const store = new MemoryStore(() => T0);
    await expect(
      store.appendAudit([
        { type: 'policy', at: T0, subject: 'v1', data: { ok: true } },
        { type: 'policy', at: T0, subject: 'v2', data: { big: 1n } },
      ]),
    ).rejects.toThrow(TypeError);
    expect(store.stats().auditRecords).toBe(0);
    const [record] = await store.appendAudit([{ type: 'policy', at: T0, subject: 'v1', data: { ok: true } }]);
    expect(record).toMatchObject({ seq: 1, prevHash: '0'.repeat(64) });
    expect(await store.readAudit()).toEqual([record]);
  });

  it('stays bounded over many audit appends', async () => {
    const store = new MemoryStore(() => T0, { maxAuditRecords: 100 });
    for (let index = 0; index < 5_000; index += 1) {
      await store.appendAudit([{ type: 'settlement', at: T0, subject: `awu-${index}`, data: {} }]);
    }
    expect(store.stats().auditRecords).toBe(100);
    const records = await store.readAudit();
    expect(records.map((record) => record.seq)).toEqual(Array.from({ length: 100 }, (_, index) => 4_901 + index));
  });

  it('expires leases in order whatever their lengths', async () => {
    const store = storeAt();
    const leases = [5_000, 1_000, 3_000, 2_000, 4_000];
    for (const [index, leaseMs] of leases.entries()) {
      store.reserveSync({ id: `r${index}`, lines: [line('b', 10)], leaseMs });
    }
    const open: number[] = [];
    for (const offset of [999, 1_000, 2_000, 3_000, 4_000, 5_000]) {
      store.at(T0 + offset);
      open.push(await store.openReservations());
    }
    expect(open).toEqual([5, 4, 3, 2, 1, 0]);
    expect(await store.lines()).toMatchObject([{ key: 'b', reserved: 0 }]);
  });
});

describe('MemoryStore lease queue', () => {
  it('stays bounded by open reservations when calls settle long before their leases end', async () => {
    const store = new MemoryStore(() => T0);
    const budget = line('b', 1, { limit: 1_000_000 });
    for (let index = 0; index < 20_000; index++) {
      expect(store.reserveSync({ id: `r${index}`, lines: [budget], leaseMs: 600_000 }).ok).toBe(true);
      store.settleSync(`r${index}`, { USD: 1 });
    }
    await expect(store.lines()).resolves.toEqual([expect.objectContaining({ used: 20_000 })]);
    // A settled reservation leaves the lease queue at once.
    expect(store.stats().leaseQueue).toBe(0);
    expect(store.stats().reservations).toBe(0);
  });

  it('remembers at most 100,000 settled ids, forgetting the oldest: a replay of a forgotten one commits again', () => {
    const store = new MemoryStore(() => T0);
    const budget = line('b', 1, { limit: 1_000_000 });
    const count = 100_001;
    for (let index = 0; index < count; index++) {
      store.reserveSync({ id: `r${index}`, lines: [budget], leaseMs: 600_000 });
      store.settleSync(`r${index}`, { USD: 1 });
    }
    expect(store.stats().reservations).toBe(0);
    // A replay (the reservation's lines, as the journal sends them) of the newest commits nothing; the
    // oldest was forgotten, so its replay counts as a late settlement.
    expect(store.settleSync(`r${count - 1}`, { USD: 1 }, [budget]).lines[0]!.used).toBe(count);
    expect(store.settleSync('r0', { USD: 1 }, [budget]).lines[0]!.used).toBe(count + 1);
    // An id settled and reserved again is open again, and settles once more.
    expect(store.reserveSync({ id: `r${count - 1}`, lines: [budget], leaseMs: 600_000 }).ok).toBe(true);
    expect(store.stats().reservations).toBe(1);
    expect(store.settleSync(`r${count - 1}`, { USD: 1 }).lines[0]!.used).toBe(count + 2);
  });

  it('recognises a replayed settlement whatever came between, until the id is released', () => {
    const store = new MemoryStore(() => T0);
    const budget = line('b', 1, { limit: 1_000_000 });
    const settle = (id: string) => store.settleSync(id, { USD: 1 }, [budget]).lines[0]!.used;
    store.reserveSync({ id: 'a', lines: [budget], leaseMs: 600_000 });
    expect(settle('a')).toBe(1);
    // Replays right away, and after enough other settlements to fill several batches.
    expect(settle('a')).toBe(1);
    for (let index = 0; index < 2_000; index++) {
      store.reserveSync({ id: `r${index}`, lines: [budget], leaseMs: 600_000 });
      store.settleSync(`r${index}`, { USD: 1 });
    }
    expect(settle('a')).toBe(2_001);
    expect(settle('r1999')).toBe(2_001);
    // Reserved again: open (a second reserve is refused), then settled once more, then recognised again.
    store.reserveSync({ id: 'a', lines: [budget], leaseMs: 600_000 });
    expect(() => store.reserveSync({ id: 'a', lines: [budget], leaseMs: 600_000 })).toThrow(/already open/);
    expect(store.settleSync('a', { USD: 1 }).lines[0]!.used).toBe(2_002);
    expect(settle('a')).toBe(2_002);
    // Reserved again and released: nothing of it was settled, so a settlement with lines counts (late).
    store.reserveSync({ id: 'a', lines: [budget], leaseMs: 600_000 });
    expect(store.releaseSync('a')).toBe(true);
    expect(settle('a')).toBe(2_003);
    expect(settle('a')).toBe(2_003);
    expect(store.stats().reservations).toBe(0);
  });

  it('expires exactly the open leases that ended, in any order of lease lengths and settlements', async () => {
    const store = storeAt(T0);
    const budget = line('b', 1, { limit: 1_000_000 });
    // A fixed pseudo-random sequence: lease lengths 1..1,000 ms; about half the calls settle or release.
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    const open = new Map<string, number>();
    for (let index = 0; index < 2_000; index++) {
      const id = `c${index}`;
      const leaseMs = 1 + (next() % 1_000);
      store.reserveSync({ id, lines: [budget], leaseMs });
      open.set(id, T0 + leaseMs);
      const fate = next() % 4;
      if (fate === 0) store.settleSync(id, { USD: 1 });
      else if (fate === 1) store.releaseSync(id);
      if (fate <= 1) open.delete(id);
    }
    expect(store.stats().leaseQueue).toBe(open.size);
    for (let at = T0; at <= T0 + 1_000; at += 37) {
      store.at(at);
      const expected = [...open.values()].filter((end) => end > at).length;
      expect(await store.openReservations()).toBe(expected);
      expect(store.stats().leaseQueue).toBe(expected);
    }
  });

  it('forgets a settled id once its lease (on time) or its retention (late) has passed', () => {
    const store = storeAt(T0, { retentionMs: 3_600_000 });
    const budget = line('b', 1, { limit: 1_000_000 });
    const settle = (id: string) => store.settleSync(id, { USD: 1 }, [budget]).lines[0]!.used;
    store.reserveSync({ id: 'on-time', lines: [budget], leaseMs: 1_000 });
    expect(settle('on-time')).toBe(1);
    // A late settlement (no open reservation): remembered for the retention.
    expect(settle('late')).toBe(2);
    store.at(T0 + 500);
    expect([settle('on-time'), settle('late')]).toEqual([2, 2]);
    // The lease has passed (and the once-a-minute sweep ran): the on-time one counts again, the late one not.
    store.at(T0 + 61_000);
    expect([settle('on-time'), settle('late')]).toEqual([3, 3]);
    // Past the retention of both late settlements: each counts once more, then is remembered afresh.
    store.at(T0 + 3_700_000);
    expect([settle('late'), settle('late'), settle('on-time'), settle('on-time')]).toEqual([4, 4, 5, 5]);
  });
});
