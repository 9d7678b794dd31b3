import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readStoreAudit, verifyAuditChain } from '@genops/core';
import type { ApprovalRecord } from '@genops/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/sqlite-store';

// Several processes sharing one SQLite file: the promise that no budget is overspent holds across
// processes, approvals decided in one process wake waiters in another, and the audit chain stays one
// chain. Workers run the built package (../dist), as an app would.

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'store-worker.mjs');
const root = mkdtempSync(join(tmpdir(), 'genops-store-sqlite-mp-'));
let files = 0;
const freshPath = (): string => join(root, `shared-${++files}.db`);

beforeAll(() => {
  if (!existsSync(join(here, '..', 'dist', 'index.js')))
    throw new Error(
      'packages/store-sqlite/dist is missing: build first (pnpm exec turbo run build --filter=@genops/store-sqlite...)',
    );
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Worker<T> {
  ready: Promise<void>;
  result: Promise<T>;
  go(): void;
}

/** Starts a worker process; it opens the store, says ready, and runs its task once told to go. */
function startWorker<T>(args: Record<string, unknown>): Worker<T> {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const output: unknown[] = [];
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as { ready?: boolean };
    if (message.ready) onReady();
    else output.push(message);
  });
  const result = new Promise<T>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && output.length === 1) resolve(output[0] as T);
      else reject(new Error(`worker ${JSON.stringify(args)} exited with ${code}: ${stderr}`));
    });
  });
  return { ready: Promise.race([ready, result.then(() => undefined)]), result, go: () => child.stdin.end('go\n') };
}

/** Starts `count` workers, lets them all go at once, and collects their results. */
async function runWorkers<T>(count: number, args: (worker: number) => Record<string, unknown>): Promise<T[]> {
  const workers = Array.from({ length: count }, (_, worker) => startWorker<T>(args(worker)));
  await Promise.all(workers.map((worker) => worker.ready));
  for (const worker of workers) worker.go();
  return Promise.all(workers.map((worker) => worker.result));
}

interface CyclesResult {
  granted: number;
  refused: number;
  actualSum: number;
  settledOpen: number;
  badRefusals: number;
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

describe('zero overspend across processes', () => {
  const LIMIT = 10_000;
  const AMOUNT = 300;

  it('4 processes × 50 concurrent cycles, each call costing its worst case: exactly the 33 calls the limit allows', async () => {
    const path = freshPath();
    const results = await runWorkers<CyclesResult>(4, (worker) => ({
      task: 'cycles',
      path,
      worker,
      count: 50,
      limit: LIMIT,
      amount: AMOUNT,
      actual: 'worst',
    }));

    const store = new SqliteStore({ path });
    try {
      // Every granted call consumed 300 for good, so exactly floor(10 000 / 300) = 33 could run.
      expect(sum(results.map((result) => result.granted))).toBe(Math.floor(LIMIT / AMOUNT));
      expect(sum(results.map((result) => result.refused))).toBe(200 - 33);
      expect(sum(results.map((result) => result.badRefusals))).toBe(0);
      expect(sum(results.map((result) => result.settledOpen))).toBe(33);
      expect(await store.lines('shared')).toEqual([
        { key: 'shared', budget: 'shared', unit: 'USD', limit: LIMIT, used: 33 * AMOUNT, reserved: 0 },
      ]);
      expect(await store.openReservations()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('4 processes × 50 concurrent cycles with random actual costs: used is the sum of actuals and never over the limit', async () => {
    const path = freshPath();
    const results = await runWorkers<CyclesResult>(4, (worker) => ({
      task: 'cycles',
      path,
      worker,
      count: 50,
      limit: LIMIT,
      amount: AMOUNT,
      actual: 'random',
    }));

    const store = new SqliteStore({ path });
    try {
      const granted = sum(results.map((result) => result.granted));
      const actualSum = sum(results.map((result) => result.actualSum));
      const [line] = await store.lines('shared');
      expect(line).toEqual({
        key: 'shared',
        budget: 'shared',
        unit: 'USD',
        limit: LIMIT,
        used: actualSum,
        reserved: 0,
      });
      expect(actualSum).toBeLessThanOrEqual(LIMIT);
      // Settled calls free what they did not use, so at least the 33 worst cases fit, and every refusal
      // happened when the line really had no room for another worst case.
      expect(granted).toBeGreaterThanOrEqual(Math.floor(LIMIT / AMOUNT));
      expect(granted + sum(results.map((result) => result.refused))).toBe(200);
      expect(sum(results.map((result) => result.badRefusals))).toBe(0);
      expect(sum(results.map((result) => result.settledOpen))).toBe(granted);
      expect(await store.openReservations()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('governed calls: 4 processes × 50 concurrent calls through GenOps.init() and the governor share one budget', async () => {
    const path = freshPath();
    // $0.05 = 50,000,000 nano-USD; each call reserves its worst case of 3,500,000.
    const results = await runWorkers<{
      granted: number;
      refused: number;
      actualNanos: number;
      otherErrors: string[];
    }>(4, () => ({ task: 'governed', path, count: 50, limitUsd: 0.05 }));

    const store = new SqliteStore({ path });
    try {
      expect(results.flatMap((result) => result.otherErrors)).toEqual([]);
      const granted = sum(results.map((result) => result.granted));
      const actualNanos = sum(results.map((result) => result.actualNanos));
      const lines = await store.lines();
      expect(lines).toEqual([
        expect.objectContaining({ budget: 'shared', unit: 'USD', limit: 50_000_000, reserved: 0 }),
      ]);
      expect(lines[0]?.used).toBe(actualNanos);
      expect(actualNanos).toBeLessThanOrEqual(50_000_000);
      expect(granted).toBeGreaterThanOrEqual(Math.floor(50_000_000 / 3_500_000));
      expect(granted + sum(results.map((result) => result.refused))).toBe(200);
      expect(await store.openReservations()).toBe(0);
      // The four governors' audit trails wrote one chain.
      const verification = await verifyAuditChain(readStoreAudit(store));
      expect(verification).toMatchObject({ ok: true, problems: [] });
      expect(verification.checked).toBeGreaterThanOrEqual(100);
    } finally {
      await store.close();
    }
  });
});

describe('approvals across processes', () => {
  const pending = (id: string): ApprovalRecord => ({
    id,
    status: 'pending',
    createdAt: Date.now(),
    expiresAt: Date.now() + 3_600_000,
    reason: 'cost over $50.00 (requireApprovalOver)',
    rule: 'requireApprovalOver',
    provider: 'openai',
    model: 'gpt-4o',
    operation: 'chat',
    attribution: { team: 'engineering' },
    estimatedCostUsd: 62.5,
    requestedBy: `test:${process.pid}`,
  });

  it('a decision through one store wakes a waiter on another store of the same file', async () => {
    const path = freshPath();
    const holder = new SqliteStore({ path, approvalPollMs: 50 });
    const approver = new SqliteStore({ path });
    try {
      await holder.createApproval(pending('a1'));
      const started = performance.now();
      const waiting = holder.waitForApproval('a1', 20_000);
      setTimeout(() => void approver.decideApproval('a1', { status: 'denied', decidedBy: 'alice', reason: 'no' }), 30);
      expect(await waiting).toMatchObject({ id: 'a1', status: 'denied', decidedBy: 'alice', decisionReason: 'no' });
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await holder.close();
      await approver.close();
    }
  });

  it('a decision in another process wakes a waiter in this one', async () => {
    const path = freshPath();
    const holder = new SqliteStore({ path });
    try {
      await holder.createApproval(pending('a2'));
      const decider = startWorker<{ record: ApprovalRecord }>({
        task: 'decide',
        path,
        id: 'a2',
        delayMs: 100,
        decidedBy: 'other-process',
      });
      await decider.ready;
      const waiting = holder.waitForApproval('a2', 20_000);
      decider.go();
      const record = await waiting;
      expect(record).toMatchObject({ id: 'a2', status: 'approved', decidedBy: 'other-process' });
      expect((await decider.result).record).toEqual(record);
    } finally {
      await holder.close();
    }
  });

  // The waiting worker has nothing else to do (its stdin is closed once it goes): only the store's
  // approval poller keeps it alive until the decision arrives.
  it('a decision in this process wakes a waiter in another, which stays alive to hear it', async () => {
    const path = freshPath();
    const approver = new SqliteStore({ path });
    try {
      await approver.createApproval(pending('a3'));
      const waiter = startWorker<{ record: ApprovalRecord; waitedMs: number }>({
        task: 'wait',
        path,
        id: 'a3',
        timeoutMs: 20_000,
      });
      await waiter.ready;
      waiter.go();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const decided = await approver.decideApproval('a3', { status: 'approved', decidedBy: 'bob' });
      const { record, waitedMs } = await waiter.result;
      expect(record).toEqual(decided);
      expect(waitedMs).toBeLessThan(5_000);
    } finally {
      await approver.close();
    }
  });
});

describe('audit across processes', () => {
  it('appends from 4 processes keep one unbroken chain', async () => {
    const path = freshPath();
    const results = await runWorkers<{ appended: number }>(4, (worker) => ({
      task: 'audit',
      path,
      worker,
      batches: 60,
    }));

    const store = new SqliteStore({ path });
    try {
      const records = await store.readAudit();
      // 60 batches of 1, 2, 3, 1, 2, 3, ... entries per worker.
      expect(sum(results.map((result) => result.appended))).toBe(4 * 120);
      expect(records).toHaveLength(4 * 120);
      expect(await verifyAuditChain(records)).toMatchObject({ ok: true, checked: 480, lastSeq: 480, problems: [] });
      // Every batch is in one piece: its entries are consecutive records.
      const bySubject = new Map(records.map((record) => [record.subject, record.seq]));
      for (const record of records) {
        const { worker, batch, index } = record.data as { worker: number; batch: number; index: number };
        if (index > 0) expect(bySubject.get(`w${worker}-b${batch}-e${index - 1}`)).toBe(record.seq - 1);
      }
      expect(new Set(records.map((record) => (record.data as { worker: number }).worker))).toEqual(
        new Set([0, 1, 2, 3]),
      );
    } finally {
      await store.close();
    }
  });
});

describe('opening a new file while another process holds it', () => {
  it('waits for the lock instead of failing with "database is locked" (the switch to WAL skips the busy handler)', async () => {
    const path = freshPath();
    // Another process opens the new file in its default rollback mode and holds a write (RESERVED) lock for a
    // while: the switch to WAL needs the file to itself, and SQLite answers SQLITE_BUSY at once instead of
    // calling the busy handler. Processes racing to create one file meet this.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const { DatabaseSync } = require('node:sqlite');
         const db = new DatabaseSync(${JSON.stringify(path)});
         db.exec('CREATE TABLE IF NOT EXISTS t (x)');
         db.exec('BEGIN IMMEDIATE');
         process.stdout.write('held\\n');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
    });
    const store = new SqliteStore({ path });
    try {
      expect(store.storeId).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await store.close();
    }
    await new Promise((resolve) => holder.once('exit', resolve));
  });
});
