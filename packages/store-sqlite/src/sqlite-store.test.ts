import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type GovernanceStore, MemoryStore, StoreAmountError, verifyAuditChain } from '@genops/core';
import type { BudgetLine } from '@genops/core/internal';
import { describeGovernanceStore, expectMigratedMicroUsdLedger } from '@genops/testing/store-contract';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { SCHEMA4_T0, schema4Daily } from '../test/fixtures/schema4-ledger';
import { openStore, parseSqliteUrl } from './open-store';
import { SCHEMA_VERSION } from './schema';
import { SqliteStore } from './sqlite-store';

const root = mkdtempSync(join(tmpdir(), 'genops-store-sqlite-'));
let files = 0;
/** A path for a new, empty database file. */
const freshPath = (): string => join(root, `store-${++files}.db`);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A schema 2 database written by the package before nano-USD ledgers (test/fixtures/make-micro-usd-fixture.mjs). */
const MICRO_USD_FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'micro-usd-v2.db');
const FIXTURE_T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
/** A schema 4 database, settled reservations still in their table (test/fixtures/make-schema4-fixture.mjs), written at FIXTURE_T0. */
const SCHEMA4_FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'schema4.db');

// Each contract test gets its own empty file.
describeGovernanceStore('SqliteStore', (clock) => new SqliteStore({ path: freshPath(), now: () => clock.now() }));

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const usd = (key: string, limit: number, amount: number, extra: Partial<BudgetLine> = {}): BudgetLine => ({
  key,
  budget: key,
  unit: 'USD',
  limit,
  amount,
  enforce: true,
  ...extra,
});

describe('SqliteStore', () => {
  const opened: GovernanceStore[] = [];
  const open = (options: Partial<ConstructorParameters<typeof SqliteStore>[0]> & { path: string }): SqliteStore => {
    const store = new SqliteStore(options);
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('keeps its state in the file: a store opened later sees it', async () => {
    const path = freshPath();
    const first = open({ path, now: () => T0 });
    await first.reserve({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 60_000 });
    await first.reserve({ id: 'r2', lines: [usd('b', 100, 20)], leaseMs: 60_000 });
    await first.settle('r1', { USD: 25 });
    await first.markOnce('alert|b|80');
    await first.appendAudit([{ type: 'decision', at: T0, subject: 'r1', data: { n: 1 } }]);
    await first.close();

    const second = open({ path, now: () => T0 + 1 });
    expect(await second.lines()).toEqual([{ key: 'b', budget: 'b', unit: 'USD', limit: 100, used: 25, reserved: 20 }]);
    expect(await second.openReservations()).toBe(1);
    expect(await second.markOnce('alert|b|80')).toBe(false);
    expect(await second.settle('r2', { USD: 5 })).toMatchObject({ open: true, lines: [{ used: 30, reserved: 0 }] });
    const [record] = await second.appendAudit([{ type: 'settlement', at: T0 + 1, subject: 'r2', data: { n: 2 } }]);
    expect(record?.seq).toBe(2);
    expect(await verifyAuditChain(await second.readAudit())).toMatchObject({ ok: true, checked: 2 });
  });

  it('shares one budget between two stores on the same file, never over the limit', async () => {
    const path = freshPath();
    const a = open({ path, now: () => T0 });
    const b = open({ path, now: () => T0 });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        (index % 2 ? a : b).reserve({ id: `c${index}`, lines: [usd('shared', 1_000, 100)], leaseMs: 60_000 }),
      ),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(10);
    expect(await a.lines('shared')).toEqual([
      { key: 'shared', budget: 'shared', unit: 'USD', limit: 1_000, used: 0, reserved: 1_000 },
    ]);
    expect(await b.openReservations()).toBe(10);
  });

  it('releases an expired lease of another instance inside its own transaction', async () => {
    const path = freshPath();
    let now = T0;
    const a = open({ path, now: () => now });
    const b = open({ path, now: () => now });
    await a.reserve({ id: 'dead', lines: [usd('b', 100, 100)], leaseMs: 1_000 });
    expect(await b.reserve({ id: 'x', lines: [usd('b', 100, 1)], leaseMs: 1_000 })).toMatchObject({ ok: false });
    now = T0 + 1_000;
    expect(await b.reserve({ id: 'y', lines: [usd('b', 100, 100)], leaseMs: 1_000 })).toMatchObject({
      ok: true,
      lines: [{ used: 0, reserved: 100 }],
    });
    // The process that held it settles late: the cost still counts, and it is reported as no longer open.
    expect(await a.settle('dead', { USD: 40 }, [usd('b', 100, 100)])).toMatchObject({
      open: false,
      lines: [{ used: 40, reserved: 100 }],
    });
  });

  it('throws when a reservation with the same id is still open', async () => {
    const store = open({ path: freshPath(), now: () => T0 });
    await store.reserve({ id: 'r1', lines: [usd('b', 100, 10)], leaseMs: 60_000 });
    await expect(store.reserve({ id: 'r1', lines: [usd('b', 100, 10)], leaseMs: 60_000 })).rejects.toThrow(
      'reservation "r1" is already open',
    );
    expect(await store.lines()).toMatchObject([{ reserved: 10 }]);
  });

  it('turns a calendar line into a rolling one and back without losing what it committed', async () => {
    let now = T0;
    const store = open({ path: freshPath(), now: () => now });
    await store.reserve({ id: 'r1', lines: [usd('b', 100, 50)], leaseMs: 60_000 });
    await store.settle('r1', { USD: 30 });
    const rolling = { windowMs: 10_000, bucketMs: 1_000 };
    expect(await store.reserve({ id: 'r2', lines: [usd('b', 100, 70, { rolling })], leaseMs: 60_000 })).toMatchObject({
      ok: true,
      lines: [{ used: 30, reserved: 70 }],
    });
    await store.release('r2');
    now = T0 + 5_000;
    expect(await store.reserve({ id: 'r3', lines: [usd('b', 100, 10)], leaseMs: 60_000 })).toMatchObject({
      ok: true,
      lines: [{ used: 30, reserved: 10 }],
    });
  });

  it('sweeps state past its retention, keeping what is still in use', async () => {
    let now = T0;
    const store = open({ path: freshPath(), now: () => now, retentionMs: 1_000 });
    await store.reserve({ id: 'old', lines: [usd('day1', 100, 10, { expiresAt: T0 + 100 })], leaseMs: 60_000 });
    await store.settle('old', { USD: 10 });
    await store.reserve({ id: 'open', lines: [usd('day1-held', 100, 10, { expiresAt: T0 + 100 })], leaseMs: 600_000 });
    await store.markOnce('alert|x', T0 + 50);
    await store.createApproval({
      id: 'a1',
      status: 'pending',
      createdAt: T0,
      expiresAt: T0 + 10,
      reason: 'r',
      rule: 'rule',
      provider: 'openai',
      model: 'gpt-4o',
      operation: 'chat',
      attribution: {},
      estimatedCostUsd: 1,
    });
    now = T0 + 120_000;
    expect((await store.lines()).map((line) => line.key)).toEqual(['day1-held']);
    expect(await store.getApproval('a1')).toBeUndefined();
    expect(await store.markOnce('alert|x')).toBe(true);
  });

  it('closes its checkpoint thread (started after 256 writes) and keeps every commit', async () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    // Past the write count at which checkpoints move to the worker thread.
    for (let index = 0; index < 200; index++) {
      await store.reserve({ id: `c${index}`, lines: [usd('busy', 1_000_000, 10)], leaseMs: 60_000 });
      await store.settle(`c${index}`, { USD: 3 });
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    await store.close();
    const reopened = open({ path });
    expect(await reopened.lines()).toMatchObject([{ key: 'busy', used: 600, reserved: 0 }]);
  });

  it('commits concurrent writes together, one refusal failing only its own operation', async () => {
    const path = freshPath();
    const store = open({ path });
    const other = open({ path });
    const line = usd('group', 100, 30);
    // Issued in one tick: one transaction, each operation all or nothing on its own.
    const outcomes = await Promise.allSettled([
      store.reserve({ id: 'g1', lines: [line], leaseMs: 60_000 }),
      store.reserve({ id: 'g1', lines: [line], leaseMs: 60_000 }),
      store.reserve({ id: 'g2', lines: [line], leaseMs: 60_000 }),
      store.appendAudit([{ type: 'decision', at: T0, subject: 'g', data: { n: 1 } }]),
      store.reserve({ id: 'g3', lines: [line], leaseMs: 60_000 }),
      store.reserve({ id: 'g4', lines: [line], leaseMs: 60_000 }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toContain('reservation "g1" is already open');
    expect((outcomes[5] as PromiseFulfilledResult<unknown>).value).toMatchObject({
      ok: false,
      failed: { used: 0, reserved: 90 },
    });
    // Another instance on the file sees exactly the committed state.
    expect(await other.lines()).toMatchObject([{ key: 'group', used: 0, reserved: 90 }]);
    expect(await other.openReservations()).toBe(3);
    expect(await other.readAudit()).toHaveLength(1);
  });

  it('carries its failMode (closed by default)', () => {
    expect(open({ path: freshPath() }).failMode).toBe('closed');
    expect(open({ path: freshPath(), failMode: 'open' }).failMode).toBe('open');
  });

  it('rejects calls once closed, and close is idempotent', async () => {
    const store = new SqliteStore({ path: freshPath() });
    await store.close();
    await store.close();
    await expect(store.lines()).rejects.toThrow('is closed');
  });

  it('resolves waiters with the current record when closed', async () => {
    const store = new SqliteStore({ path: freshPath(), now: () => T0 });
    await store.createApproval({
      id: 'a1',
      status: 'pending',
      createdAt: T0,
      expiresAt: T0 + 3_600_000,
      reason: 'r',
      rule: 'rule',
      provider: 'openai',
      model: 'gpt-4o',
      operation: 'chat',
      attribution: {},
      estimatedCostUsd: 1,
    });
    const waiting = store.waitForApproval('a1', 60_000);
    await store.close();
    expect(await waiting).toMatchObject({ id: 'a1', status: 'pending' });
  });

  describe('writes that commit together', () => {
    /**
     * What another process sees in the file: its own connection, outside any store. An open reservation
     * with its sent mark, or a settled id (its own table, see schema.ts).
     */
    const peek = (path: string, id: string) => {
      const db = new DatabaseSync(path);
      try {
        const row = db.prepare('SELECT sent FROM reservations WHERE id = ?').get(id) as { sent: number } | undefined;
        if (row) return { sent: row.sent, settled: 0 };
        return db.prepare('SELECT 1 AS found FROM settled WHERE id = ?').get(id) ? { settled: 1 } : undefined;
      } finally {
        db.close();
      }
    };
    const turnEnd = () => new Promise((resolve) => setImmediate(resolve));

    it('reserveSync answers without `sent`: the mark comes with markSentSync, which commits the reservation before it returns', () => {
      const path = freshPath();
      const store = open({ path, now: () => T0 });
      const reserved = store.reserveSync({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 60_000, sent: true });
      expect(reserved).toEqual({
        ok: true,
        lines: [{ key: 'b', budget: 'b', unit: 'USD', limit: 100, used: 0, reserved: 60 }],
      });
      // Not committed yet: another process does not see it (and cannot reserve: the write lock is held).
      expect(peek(path, 'r1')).toBeUndefined();
      expect(store.markSentSync('r1')).toBe(true);
      expect(peek(path, 'r1')).toEqual({ sent: 1, settled: 0 });
    });

    it('a settled id reserved again and released: its late settlement commits, and a replay of that commits nothing (as MemoryStore)', async () => {
      let now = T0;
      const sqlite = open({ path: freshPath(), now: () => now });
      const memory = new MemoryStore(() => now);
      const lines = [usd('b', 1_000, 100)];
      const run = async (store: GovernanceStore) => {
        await store.reserve({ id: 'r1', lines, leaseMs: 60_000 });
        await store.settle('r1', { USD: 10 });
        now += 1;
        await store.reserve({ id: 'r1', lines, leaseMs: 60_000 });
        expect(await store.release('r1')).toBe(true);
        const late = await store.settle('r1', { USD: 20 }, lines);
        const replay = await store.settle('r1', { USD: 20 }, lines);
        now -= 1;
        return [late, replay];
      };
      const expected = await run(memory);
      expect(expected).toMatchObject([
        { open: false, lines: [{ used: 30, reserved: 0 }] },
        { open: false, lines: [{ used: 30, reserved: 0 }] },
      ]);
      expect(await run(sqlite)).toEqual(expected);
    });

    it('markSentSync of a reservation another call’s markSentSync already committed (stored sent) writes nothing', () => {
      const path = freshPath();
      const store = open({ path, now: () => T0, busyTimeoutMs: 0 });
      // Two concurrent calls reserve in one transaction; the first one's markSentSync commits both.
      store.reserveSync({ id: 'r1', lines: [usd('b', 100, 10)], leaseMs: 60_000, sent: true });
      store.reserveSync({ id: 'r2', lines: [usd('b', 100, 10)], leaseMs: 60_000, sent: true });
      expect(store.markSentSync('r1')).toBe(true);
      expect(peek(path, 'r2')).toEqual({ sent: 1, settled: 0 });
      // Another process holds the write lock: a write would fail at once (busyTimeoutMs 0).
      const other = new DatabaseSync(path);
      other.exec('BEGIN IMMEDIATE');
      try {
        expect(store.markSentSync('r2')).toBe(true);
        // Asked again, it is an ordinary markSent: it needs the write lock.
        expect(() => store.markSentSync('r2')).toThrow(/locked|busy/i);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      expect(store.markSentSync('r2')).toBe(true);
    });

    it('a reservation never marked sent commits at the end of the event-loop turn, unmarked', async () => {
      const path = freshPath();
      const store = open({ path, now: () => T0 });
      store.reserveSync({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 60_000 });
      await turnEnd();
      expect(peek(path, 'r1')).toEqual({ sent: 0, settled: 0 });
    });

    it('commits at the end of the event-loop turn even when the process then only waits for I/O (no write lock held meanwhile)', () => {
      const path = freshPath();
      // In a process of its own (nothing else wakes its event loop): written in a callback (a timer here,
      // a response in an app), then it only waits for another process that needs the write lock.
      const script = `
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { SqliteStore } from '@genops/store-sqlite';
const store = new SqliteStore({ path: process.env.DB });
const line = { key: 'b', budget: 'b', unit: 'USD', limit: 100, amount: 60, enforce: true };
await new Promise((resolve) => setTimeout(resolve, 1));
store.reserveSync({ id: 'r1', lines: [line], leaseMs: 60_000 });
store.markSentSync('r1');
store.settleSync('r1', { USD: 25 });
const writer = spawn(process.execPath, ['-e', WRITER], { env: process.env, stdio: 'ignore' });
const [code] = await once(writer, 'exit');
process.stdout.write(String(code));
await store.close();
`.replace(
        'WRITER',
        JSON.stringify(`const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(process.env.DB);
db.exec('PRAGMA busy_timeout = 1000');
try { db.exec('BEGIN IMMEDIATE'); db.exec('COMMIT'); } catch { process.exit(3); }`),
      );
      const writerExit = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: join(import.meta.dirname, '..'),
        env: { ...process.env, DB: path },
        encoding: 'utf8',
        timeout: 20_000,
      });
      // 3: the other process waited a second for the lock and gave up.
      expect(writerExit).toBe('0');
      expect(peek(path, 'r1')).toEqual({ settled: 1 });
    });

    /** The audit records another process reads from the file, by seq. */
    const peekAudit = (path: string) => {
      const db = new DatabaseSync(path);
      try {
        return (db.prepare('SELECT seq, subject FROM audit ORDER BY seq').all() as { subject: string }[]).map(
          (row) => row.subject,
        );
      } finally {
        db.close();
      }
    };
    const entry = (subject: string) => ({ type: 'decision' as const, at: T0, subject, data: { n: 1 } });

    it('an audit append waits 10 ms, then commits with the next write (no transaction of its own), in order', async () => {
      const path = freshPath();
      const store = open({ path, now: () => T0 });
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        const first = store.appendAudit([entry('a1'), entry('a2')]);
        const second = store.appendAudit([entry('a3')]);
        // Not yet: the records of calls made meanwhile go in the audit trail's next batch.
        store.reserveSync({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 60_000 });
        store.markSentSync('r1');
        expect(peekAudit(path)).toEqual([]);
        vi.advanceTimersByTime(10);
        expect(peekAudit(path)).toEqual([]);
        // A call's settlement begins a transaction: the waiting records join it, and the next
        // reservation's markSent commits them.
        store.settleSync('r1', { USD: 25 });
        store.reserveSync({ id: 'r2', lines: [usd('b', 100, 10)], leaseMs: 60_000 });
        expect(peekAudit(path)).toEqual([]);
        store.markSentSync('r2');
        expect(peekAudit(path)).toEqual(['a1', 'a2', 'a3']);
        expect((await first).map((record) => record.seq)).toEqual([1, 2]);
        expect((await second).map((record) => record.seq)).toEqual([3]);

        // Due while a transaction is open: it joins that one.
        store.reserveSync({ id: 'r3', lines: [usd('b', 100, 10)], leaseMs: 60_000 });
        const joined = store.appendAudit([entry('a4')]);
        vi.advanceTimersByTime(10);
        expect(peekAudit(path)).toEqual(['a1', 'a2', 'a3']);
        store.markSentSync('r3');
        expect(peekAudit(path)).toEqual(['a1', 'a2', 'a3', 'a4']);
        expect((await joined).map((record) => record.seq)).toEqual([4]);

        // No write comes: it commits on its own 10 ms later.
        const alone = store.appendAudit([entry('a5')]);
        vi.advanceTimersByTime(10);
        expect(peekAudit(path)).toEqual(['a1', 'a2', 'a3', 'a4']);
        vi.advanceTimersByTime(10);
        expect((await alone).map((record) => record.seq)).toEqual([5]);
        expect(peekAudit(path)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
      } finally {
        vi.useRealTimers();
      }
      expect(await verifyAuditChain(await store.readAudit())).toMatchObject({ ok: true, checked: 5 });
    });

    it('a full batch of audit records (100) waits for no timer: the next write commits it', async () => {
      const path = freshPath();
      const store = open({ path, now: () => T0 });
      const full = store.appendAudit(Array.from({ length: 100 }, (_, index) => entry(`a${index}`)));
      store.reserveSync({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 60_000 });
      store.markSentSync('r1');
      expect(peekAudit(path)).toHaveLength(100);
      expect((await full).at(-1)?.seq).toBe(100);
    });

    it('an audit append with no write after it commits on its own; a read sees it at once', async () => {
      const path = freshPath();
      const store = open({ path, now: () => T0 });
      const appended = store.appendAudit([entry('a1')]);
      expect((await appended).map((record) => record.seq)).toEqual([1]);
      expect(peekAudit(path)).toEqual(['a1']);
      const waiting = store.appendAudit([entry('a2')]);
      expect((await store.readAudit()).map((record) => record.subject)).toEqual(['a1', 'a2']);
      expect((await waiting).map((record) => record.seq)).toEqual([2]);
    });

    it('chains audit appends of two stores on one file, each reading the other’s records (no stale cached tip)', async () => {
      const path = freshPath();
      const a = open({ path, now: () => T0 });
      const b = open({ path, now: () => T0 });
      for (let round = 0; round < 3; round++) {
        await a.appendAudit([entry(`a${round}`)]);
        await b.appendAudit([entry(`b${round}`), entry(`b${round}'`)]);
      }
      const records = await a.readAudit();
      expect(records.map((record) => record.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await verifyAuditChain(records)).toMatchObject({ ok: true, checked: 9 });
    });

    it('a process that exits with audit appends waiting commits them', () => {
      const path = freshPath();
      const script = `
import { SqliteStore } from '@genops/store-sqlite';
const store = new SqliteStore({ path: process.env.DB });
void store.appendAudit([{ type: 'decision', at: 1, subject: 'a1', data: {} }]);
process.exit(0);
`;
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: join(import.meta.dirname, '..'),
        env: { ...process.env, DB: path },
        timeout: 20_000,
      });
      expect(peekAudit(path)).toEqual(['a1']);
    });

    it('settleSync commits at the end of the event-loop turn, or with the next write', async () => {
      const path = freshPath();
      const store = open({ path, now: () => T0 });
      store.reserveSync({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 60_000 });
      store.markSentSync('r1');
      expect(store.settleSync('r1', { USD: 25 })).toMatchObject({ open: true, lines: [{ used: 25, reserved: 0 }] });
      expect(peek(path, 'r1')).toEqual({ sent: 1, settled: 0 });
      await turnEnd();
      expect(peek(path, 'r1')).toEqual({ settled: 1 });

      store.reserveSync({ id: 'r2', lines: [usd('b', 100, 10)], leaseMs: 60_000 });
      store.markSentSync('r2');
      store.settleSync('r2', { USD: 5 });
      store.reserveSync({ id: 'r3', lines: [usd('b', 100, 10)], leaseMs: 60_000 });
      // r3's markSent commits r2's settlement with it.
      store.markSentSync('r3');
      expect(peek(path, 'r2')).toEqual({ settled: 1 });
    });

    /** A line's row as another process reads it from the file. */
    const peekLine = (path: string, key: string) => {
      const db = new DatabaseSync(path);
      try {
        return db.prepare('SELECT used, reserved, limit_value AS "limit" FROM lines WHERE key = ?').get(key) as
          | { used: number; reserved: number; limit: number }
          | undefined;
      } finally {
        db.close();
      }
    };

    it('writes a line changed by several operations of a transaction once, with its last state, at the commit', () => {
      const path = freshPath();
      const store = open({ path, now: () => T0 });
      store.reserveSync({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 60_000 });
      store.markSentSync('r1');
      store.settleSync('r1', { USD: 25 });
      store.reserveSync({ id: 'r2', lines: [usd('b', 200, 10)], leaseMs: 60_000 });
      // Nothing of the open transaction is in the file yet.
      expect(peekLine(path, 'b')).toEqual({ used: 0, reserved: 60, limit: 100 });
      store.markSentSync('r2');
      // The settlement, and r2's reservation with the line's new limit, in one write of the row.
      expect(peekLine(path, 'b')).toEqual({ used: 25, reserved: 10, limit: 200 });
    });

    /** A store whose open transaction holds r1 (lease ended, never sent) and r2 on line b, neither written yet. */
    const endedLeaseInOpenTransaction = () => {
      const path = freshPath();
      let now = T0;
      const store = open({ path, now: () => now });
      store.reserveSync({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 10 });
      store.reserveSync({ id: 'r2', lines: [usd('b', 100, 5)], leaseMs: 60_000 });
      now += 20;
      return { path, store };
    };

    it('an operation that fails in a shared transaction undoes its own line changes only', async () => {
      const { path, store } = endedLeaseInOpenTransaction();
      // Releases r1's ended lease on line b (not written yet), then fails: r2 is open. Both undone.
      expect(() => store.reserveSync({ id: 'r2', lines: [usd('b', 100, 1)], leaseMs: 60_000 })).toThrow(/already open/);
      expect(peek(path, 'r1')).toBeUndefined();
      // The next operation releases r1 once: 60 + 5 - 60 + 1.
      expect(store.reserveSync({ id: 'r3', lines: [usd('b', 100, 1)], leaseMs: 60_000 })).toMatchObject({
        ok: true,
        lines: [{ reserved: 6 }],
      });
      await turnEnd();
      expect(peekLine(path, 'b')).toEqual({ used: 0, reserved: 6, limit: 100 });
      expect(await store.lines()).toMatchObject([{ key: 'b', used: 0, reserved: 6 }]);
    });

    it('releases an expired lease on a line the open transaction changed and has not written', async () => {
      const { path, store } = endedLeaseInOpenTransaction();
      // r1's lease ended, never sent: this reservation's transaction releases it first.
      expect(store.reserveSync({ id: 'r3', lines: [usd('b', 100, 90)], leaseMs: 60_000 })).toMatchObject({
        ok: true,
        lines: [{ reserved: 95 }],
      });
      await turnEnd();
      expect(peekLine(path, 'b')).toEqual({ used: 0, reserved: 95, limit: 100 });
      expect(peek(path, 'r1')).toBeUndefined();
    });

    it('settles from the file when another connection ended the reservation since', async () => {
      const path = freshPath();
      let now = T0;
      const a = open({ path, now: () => now });
      const b = open({ path, now: () => now });
      a.reserveSync({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 10, sent: true });
      a.markSentSync('r1');
      now += 20;
      // b's reservation ends r1's lease first: sent, so it is committed at its reserved 60.
      await b.reserve({ id: 'r2', lines: [usd('b', 100, 10)], leaseMs: 60_000 });
      // r1's own settlement comes late: it commits nothing more, and r2 stays reserved.
      expect(a.settleSync('r1', { USD: 25 })).toMatchObject({ open: false });
      expect(await a.lines()).toMatchObject([{ key: 'b', used: 60, reserved: 10 }]);
      expect(await b.lines()).toMatchObject([{ key: 'b', used: 60, reserved: 10 }]);
    });

    it('refuses a reservation whose id another connection holds open, changing nothing', async () => {
      const path = freshPath();
      const a = open({ path, now: () => T0 });
      const b = open({ path, now: () => T0 });
      await a.reserve({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 60_000 });
      expect(() => b.reserveSync({ id: 'r1', lines: [usd('b', 100, 10)], leaseMs: 60_000 })).toThrow(/already open/);
      // Over the limit and open: the open reservation is what it reports, as MemoryStore does.
      expect(() => b.reserveSync({ id: 'r1', lines: [usd('b', 100, 90)], leaseMs: 60_000 })).toThrow(/already open/);
      await a.settle('r1', { USD: 5 });
      expect(await b.lines()).toMatchObject([{ key: 'b', used: 5, reserved: 0 }]);
    });

    it.each([
      ['this connection', false],
      ['another connection', true],
    ])('ends a short lease %s wrote after a longer one this connection wrote', async (_who, other) => {
      const path = freshPath();
      let now = T0;
      const store = open({ path, now: () => now });
      const writer = other ? open({ path, now: () => now }) : store;
      await store.reserve({ id: 'r1', lines: [usd('b', 100, 30)], leaseMs: 60_000 });
      await writer.reserve({ id: 'r2', lines: [usd('b', 100, 20)], leaseMs: 10 });
      now += 20;
      // r2's lease ended (never sent): released before this reservation checks the limit.
      expect(store.reserveSync({ id: 'r3', lines: [usd('b', 100, 70)], leaseMs: 60_000 })).toMatchObject({
        ok: true,
        lines: [{ reserved: 100 }],
      });
      expect(await store.openReservations()).toBe(2);
    });

    it('a promise form or a read commits what is open first, in call order', async () => {
      const path = freshPath();
      const store = open({ path, now: () => T0 });
      store.reserveSync({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 60_000 });
      store.settleSync('r1', { USD: 25 });
      const appended = store.appendAudit([{ type: 'settlement', at: T0, subject: 'r1', data: { usd: 25 } }]);
      expect(await store.lines()).toEqual([{ key: 'b', budget: 'b', unit: 'USD', limit: 100, used: 25, reserved: 0 }]);
      expect(peek(path, 'r1')).toEqual({ settled: 1 });
      expect((await appended).map((record) => record.seq)).toEqual([1]);
    });

    it('another store of the process commits what one holds open before it writes (no wait on its own lock)', () => {
      const path = freshPath();
      const first = open({ path, now: () => T0 });
      const second = open({ path, now: () => T0, busyTimeoutMs: 50 });
      first.reserveSync({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 60_000 });
      expect(second.reserveSync({ id: 'r2', lines: [usd('b', 100, 60)], leaseMs: 60_000 })).toMatchObject({
        ok: false,
        failed: { reserved: 60 },
      });
    });

    it('a store opened in the process while another holds a transaction open opens at once (that one commits first)', () => {
      const path = freshPath();
      const first = open({ path, now: () => T0 });
      first.reserveSync({ id: 'r1', lines: [usd('b', 100, 60)], leaseMs: 60_000 });
      const second = open({ path, now: () => T0, busyTimeoutMs: 50 });
      expect(peek(path, 'r1')).toEqual({ sent: 0, settled: 0 });
      expect(second.storeId).toBe(first.storeId);
    });

    it('reads a line from the file again once another connection committed to it (no stale cached row)', () => {
      const path = freshPath();
      const first = open({ path, now: () => T0 });
      const second = open({ path, now: () => T0 });
      // The first connection's transactions remember line b as they wrote it (reserved 60, then used 25).
      first.reserveSync({ id: 'a1', lines: [usd('b', 100, 60)], leaseMs: 60_000 });
      first.markSentSync('a1');
      first.settleSync('a1', { USD: 25 });
      first.reserveSync({ id: 'a2', lines: [usd('b', 100, 10)], leaseMs: 60_000 });
      first.markSentSync('a2');
      // Another connection reserves on the same line in between.
      second.reserveSync({ id: 'b1', lines: [usd('b', 100, 50)], leaseMs: 60_000 });
      second.markSentSync('b1');
      // 25 used + 10 + 50 reserved: 20 more does not fit, 15 does.
      expect(first.reserveSync({ id: 'a3', lines: [usd('b', 100, 20)], leaseMs: 60_000 })).toMatchObject({
        ok: false,
        failed: { used: 25, reserved: 60 },
      });
      expect(first.reserveSync({ id: 'a4', lines: [usd('b', 100, 15)], leaseMs: 60_000 })).toMatchObject({
        ok: true,
        lines: [{ used: 25, reserved: 75 }],
      });
    });

    it('a run of writes that never lets the event loop turn commits every 64 writes', () => {
      const path = freshPath();
      const store = open({ path, now: () => T0 });
      for (let index = 0; index < 63; index++)
        store.reserveSync({ id: `r${index}`, lines: [usd('b', 1_000, 1)], leaseMs: 60_000 });
      expect(peek(path, 'r0')).toBeUndefined();
      store.reserveSync({ id: 'r63', lines: [usd('b', 1_000, 1)], leaseMs: 60_000 });
      expect(peek(path, 'r0')).toEqual({ sent: 0, settled: 0 });
      expect(peek(path, 'r63')).toEqual({ sent: 0, settled: 0 });
    });

    it('the process commits what is open when it exits', () => {
      const path = freshPath();
      const script = `
import { SqliteStore } from '@genops/store-sqlite';
const store = new SqliteStore({ path: process.env.DB });
store.reserveSync({ id: 'r1', lines: [{ key: 'b', budget: 'b', unit: 'USD', limit: 100, amount: 60, enforce: true }], leaseMs: 60_000 });
store.settleSync('r1', { USD: 25 });
process.exit(0);
`;
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: join(import.meta.dirname, '..'),
        env: { ...process.env, DB: path },
        timeout: 20_000,
      });
      expect(peek(path, 'r1')).toEqual({ settled: 1 });
    });
  });

  describe('opening', () => {
    it('names the path and the cause when the file cannot be opened', () => {
      const directory = join(root, `dir-${++files}`);
      mkdirSync(directory);
      expect(() => new SqliteStore({ path: directory })).toThrow(`cannot open the SQLite store at ${directory}: `);
      const notADatabase = join(root, `garbage-${++files}.db`);
      writeFileSync(notADatabase, 'this is not a SQLite database, just text that is long enough to have a header');
      expect(() => new SqliteStore({ path: notADatabase })).toThrow(
        `cannot open the SQLite store at ${notADatabase}: `,
      );
    });

    it('refuses a file written by a newer schema version', () => {
      const path = freshPath();
      new SqliteStore({ path }).close();
      const db = new DatabaseSync(path);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION + 1));
      db.close();
      expect(() => new SqliteStore({ path })).toThrow(
        `it has schema version ${SCHEMA_VERSION + 1}, written by a newer @genops/store-sqlite`,
      );
    });

    it('migrates a schema 2 file (micro-USD, written by the old package) to nano-USD: every old amount reads the same in USD', async () => {
      const path = freshPath();
      copyFileSync(MICRO_USD_FIXTURE, path);
      const store = open({ path, now: () => FIXTURE_T0 + 1_000 });
      await expectMigratedMicroUsdLedger(store);
      const db = new DatabaseSync(path);
      expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({
        value: String(SCHEMA_VERSION),
      });
      db.close();
    });

    it('migrates a schema 4 file (settled reservations in their table, written by the old package): open ones stay open, settled ones remembered', async () => {
      const path = freshPath();
      copyFileSync(SCHEMA4_FIXTURE, path);
      const lease = 3_600_000;
      let now = SCHEMA4_T0 + 1_000;
      const store = open({ path, now: () => now });
      // $1.25 settled, $0.10 settled late; $0.50 (sent) and $0.30 (held) reserved.
      expect(await store.lines()).toMatchObject([{ used: 1_350_000_000, reserved: 800_000_000 }]);
      expect(await store.openReservations()).toBe(2);
      // Replays of the settlements the old package remembered commit nothing.
      expect(await store.settle('settled-1', { USD: 1_250_000_000 }, [schema4Daily(2_000_000_000)])).toMatchObject({
        open: false,
      });
      expect(await store.settle('late-1', { USD: 100_000_000 }, [schema4Daily(0)])).toMatchObject({ open: false });
      expect(await store.lines()).toMatchObject([{ used: 1_350_000_000, reserved: 800_000_000 }]);
      // The held one settles on time; the sent one is committed at its reserved amount when its lease ends.
      expect(await store.settle('open-held', { USD: 200_000_000 })).toMatchObject({
        open: true,
        lines: [{ used: 1_550_000_000, reserved: 500_000_000 }],
      });
      now = SCHEMA4_T0 + lease;
      expect(await store.lines()).toMatchObject([{ used: 2_050_000_000, reserved: 0 }]);
      expect(await store.openReservations()).toBe(0);
      const db = new DatabaseSync(path);
      expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({
        value: String(SCHEMA_VERSION),
      });
      // Open reservations only in their table; settled ids in theirs, settled-1 forgotten one lease after
      // its settlement (the sweep that ran now), late-1 kept for the retention.
      expect(db.prepare('SELECT id FROM reservations').all()).toEqual([]);
      expect(
        db
          .prepare('SELECT id FROM settled ORDER BY id')
          .all()
          .map((row) => row.id),
      ).toEqual(['late-1', 'open-held', 'open-sent']);
      db.close();
    });

    it('refuses (changing nothing) to migrate an old amount that nano-USD cannot hold exactly', () => {
      const path = freshPath();
      copyFileSync(MICRO_USD_FIXTURE, path);
      const db = new DatabaseSync(path);
      // $9,007,200 in micro-USD: ×1000 passes 2^53 - 1.
      db.prepare("UPDATE lines SET used = 9007200000000 WHERE key = 'daily||2026-11-23'").run();
      db.close();
      let error: Error | undefined;
      try {
        new SqliteStore({ path });
      } catch (thrown) {
        error = thrown as Error;
      }
      expect(error?.cause).toBeInstanceOf(StoreAmountError);
      expect(error?.message).toContain('refused migrate "schema 2 to 3"');
      const after = new DatabaseSync(path);
      expect(after.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({ value: '2' });
      expect(after.prepare("SELECT used FROM lines WHERE key = 'daily||2026-11-23'").get()).toEqual({
        used: 9_007_200_000_000,
      });
      after.close();
    });

    it('reads a file written before reservations could be marked sent: its reservations expire released', async () => {
      const path = freshPath();
      let now = T0;
      const writer = new SqliteStore({ path, now: () => now });
      await writer.reserve({ id: 'old', lines: [usd('b', 100, 60)], leaseMs: 1_000 });
      await writer.close();
      // The file as schema version 3 left it: no `sent` column, settled reservations in their table.
      const db = new DatabaseSync(path);
      db.exec('ALTER TABLE reservations DROP COLUMN sent');
      db.exec('ALTER TABLE reservations ADD COLUMN settled INTEGER NOT NULL DEFAULT 0');
      db.exec('DROP TABLE settled');
      db.exec('DROP TABLE released');
      db.prepare("UPDATE meta SET value = '3' WHERE key = 'schema_version'").run();
      db.close();
      const store = open({ path, now: () => now });
      expect(await store.openReservations()).toBe(1);
      now = T0 + 1_000;
      expect(await store.lines('b')).toMatchObject([{ used: 0, reserved: 0 }]);
      // A reservation made after the migration and marked sent is committed at lease end.
      await store.reserve({ id: 'new', lines: [usd('b', 100, 40)], leaseMs: 1_000 });
      expect(await store.markSent('new')).toBe(true);
      now = T0 + 2_000;
      expect(await store.lines('b')).toMatchObject([{ used: 40, reserved: 0 }]);
    });

    it('creates the schema once and records its version', async () => {
      const path = freshPath();
      await new SqliteStore({ path }).close();
      await new SqliteStore({ path }).close();
      const db = new DatabaseSync(path);
      expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({
        value: String(SCHEMA_VERSION),
      });
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      db.close();
    });
  });

  describe('openStore', () => {
    it('opens sqlite:<relative>, sqlite:<absolute> and sqlite:///<absolute> paths, creating the directory', async () => {
      const absolute = join(root, `nested-${++files}`, 'deeper', 'state.db');
      const store = openStore(`sqlite:${absolute}`);
      opened.push(store);
      expect(store).toBeInstanceOf(SqliteStore);
      expect(store.kind).toBe('sqlite');
      expect(store.path).toBe(absolute);
      expect(parseSqliteUrl(`sqlite://${absolute}`).path).toBe(absolute);
      expect(parseSqliteUrl('sqlite:./x/state.db').path).toBe(join(process.cwd(), 'x', 'state.db'));
      expect(parseSqliteUrl('sqlite:x.db').path).toBe(join(process.cwd(), 'x.db'));
    });

    it('opens sqlite::memory:, a private database', async () => {
      const a = openStore('sqlite::memory:');
      const b = openStore('sqlite::memory:');
      opened.push(a, b);
      await a.markOnce('k');
      expect(await b.markOnce('k')).toBe(true);
      expect(a.path).toBe(':memory:');
    });

    it('takes failMode and busyTimeoutMs from the query, and options over the URL', () => {
      expect(parseSqliteUrl('sqlite:./a.db?failMode=open&busyTimeoutMs=250')).toEqual({
        path: join(process.cwd(), 'a.db'),
        options: { failMode: 'open', busyTimeoutMs: 250 },
      });
      const store = openStore(`sqlite:${freshPath()}?failMode=open`);
      opened.push(store);
      expect(store.failMode).toBe('open');
      const overridden = openStore(`sqlite:${freshPath()}?failMode=open`, { failMode: 'closed' });
      opened.push(overridden);
      expect(overridden.failMode).toBe('closed');
    });

    it('explains a URL it does not understand', () => {
      expect(() => openStore('redis://localhost')).toThrow('"redis://localhost" is not a SQLite store URL');
      expect(() => openStore('sqlite:')).toThrow('names no file');
      expect(() => openStore('sqlite:./a.db?mode=ro')).toThrow('unknown or invalid parameter mode=ro');
      expect(() => openStore('sqlite:./a.db?failMode=maybe')).toThrow('unknown or invalid parameter failMode=maybe');
    });
  });
});
