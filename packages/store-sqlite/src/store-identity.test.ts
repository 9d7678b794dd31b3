import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenOps, StoreIdentityError, StoreUnavailableError } from '@genops/core';
import type { BudgetLine } from '@genops/core/internal';
import { governedCallAfterIdentityLoss } from '@genops/testing/store-contract';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store';

const root = mkdtempSync(join(tmpdir(), 'genops-store-identity-'));
let files = 0;
const freshPath = (): string => join(root, `store-${++files}.db`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const line: BudgetLine = { key: 'shared', budget: 'shared', unit: 'USD', limit: 1_000_000, amount: 100, enforce: true };

/** Deletes a database file the way `rm state.db*` would: the file and its WAL and shared-memory files. */
function deleteDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

describe('SqliteStore identity', () => {
  const opened: SqliteStore[] = [];
  const open = (path: string, failMode?: 'open' | 'closed'): SqliteStore => {
    const store = new SqliteStore({ path, identityCheckMs: 0, ...(failMode ? { failMode } : {}) });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('writes a store id into a new file, the same for every store that opens it', () => {
    const path = freshPath();
    const first = open(path);
    const second = open(path);
    expect(first.storeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.storeId).toBe(first.storeId);
    expect(open(freshPath()).storeId).not.toBe(first.storeId);
  });

  it('fails every operation with a StoreIdentityError once its file is deleted, instead of writing the deleted file', async () => {
    const path = freshPath();
    const store = open(path);
    await store.reserve({ id: 'r1', lines: [line], leaseMs: 60_000 });
    deleteDatabase(path);

    const failure = await store.reserve({ id: 'r2', lines: [line], leaseMs: 60_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreIdentityError);
    expect(failure).toMatchObject({ store: 'sqlite', location: path, reason: 'deleted', isRetryable: false });
    expect((failure as Error).message).toContain(`the SQLite store file ${path} was deleted`);
    expect((failure as Error).message).toContain(store.storeId);
    // Every operation, reads included, fails the same way from then on.
    await expect(store.settle('r1', { USD: 50 })).rejects.toBe(failure);
    await expect(store.lines()).rejects.toBe(failure);
    await expect(store.appendAudit([{ type: 'decision', at: 1, subject: 's', data: {} }])).rejects.toBe(failure);
    // A store opened on the path now starts a new file: the old process never wrote into it.
    const fresh = open(path);
    expect(fresh.storeId).not.toBe(store.storeId);
    expect(await fresh.lines()).toEqual([]);
  });

  it('fails with reason "replaced" when another file is moved over its path', async () => {
    const path = freshPath();
    const store = open(path);
    await store.reserve({ id: 'r1', lines: [line], leaseMs: 60_000 });
    const other = freshPath();
    const replacement = open(other);
    await replacement.reserve({ id: 'x', lines: [line], leaseMs: 60_000 });
    await replacement.close();
    renameSync(other, path);

    const failure = await store.settle('r1', { USD: 50 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreIdentityError);
    expect(failure).toMatchObject({ reason: 'replaced', location: path });
    expect((failure as Error).message).toMatch(/was replaced by another file \(inode \d+ → \d+\)/);
  });

  describe('by default (the file watched: no stat before each operation while nothing happens to it)', () => {
    /** Two turns of the event loop: a poll phase, where the file watcher's event is delivered, in between. */
    const pollPhase = async () => {
      for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    };
    const openWatched = (path: string): SqliteStore => {
      const store = new SqliteStore({ path });
      opened.push(store);
      return store;
    };

    const changes: [string, (path: string) => Promise<void> | void][] = [
      ['deleted', deleteDatabase],
      [
        'replaced',
        async (path) => {
          const other = freshPath();
          await openWatched(other).close();
          renameSync(other, path);
        },
      ],
    ];
    it.each(changes)('fails the first operation after the event loop saw its file %s', async (reason, change) => {
      const path = freshPath();
      const store = openWatched(path);
      await store.reserve({ id: 'r1', lines: [line], leaseMs: 60_000 });
      await change(path);
      await pollPhase();
      await expect(store.settle('r1', { USD: 50 })).rejects.toMatchObject({ name: 'StoreIdentityError', reason });
    });
  });

  it('keeps working while its file is only written by other stores', async () => {
    const path = freshPath();
    const store = open(path);
    const other = open(path);
    await other.reserve({ id: 'o1', lines: [line], leaseMs: 60_000 });
    expect(await store.reserve({ id: 'r1', lines: [line], leaseMs: 60_000 })).toMatchObject({
      ok: true,
      lines: [{ reserved: 200 }],
    });
  });

  it('a governed call is denied (failMode closed) with a StoreUnavailableError caused by the identity error', async () => {
    const path = freshPath();
    const denied = await governedCallAfterIdentityLoss(GenOps.init, new SqliteStore({ path, identityCheckMs: 0 }), () =>
      deleteDatabase(path),
    );
    expect(denied).toBeInstanceOf(StoreUnavailableError);
    expect((denied as Error).cause).toBeInstanceOf(StoreIdentityError);
    expect((denied as Error).message).toContain('was deleted');
  });
});
