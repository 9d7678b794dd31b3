import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GenOps } from '@genops/core';
import { createTestTelemetry, openCallThenKill } from '@genops/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/sqlite-store';

// A process that dies (SIGKILL: no exit hook runs) after its request left: the reservation, marked sent
// in the file, is committed at its reserved amounts when its lease ends, never released. One that dies
// before sending is released. Plain Node runs the built packages, as an app would. A mark made through
// GenOps with metrics on (the store is then wrapped to be measured) reaches the file too.

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const directory = mkdtempSync(join(tmpdir(), 'genops-killed-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function runAndKill(path: string, sent: boolean): void {
  const signal = openCallThenKill({
    cwd: packageDirectory,
    createStore: `import { SqliteStore } from '@genops/store-sqlite';
const store = new SqliteStore({ path: process.env.DB });`,
    sent,
    env: { DB: path },
  });
  expect(signal).toBe('SIGKILL');
}

/** Opened `laterMs` in the future, the file holds the call's reservation committed: nothing open, nothing reserved. */
async function expectCommittedLater(path: string, laterMs: number): Promise<void> {
  const later = new SqliteStore({ path, now: () => Date.now() + laterMs });
  try {
    expect(await later.openReservations()).toBe(0);
    // gpt-4o, 1000 input + 100 output tokens at most: $0.0035 of the $10 budget reserved, now committed
    // (compared as a share of the limit, whatever integer unit the store counts money in).
    const [line] = await later.lines('team|');
    expect(line!.reserved).toBe(0);
    expect(line!.used / line!.limit).toBeCloseTo(0.0035 / 10, 12);
  } finally {
    await later.close();
  }
}

describe('a process killed with a call open', () => {
  it('sent: the store commits the reservation when its lease ends', async () => {
    const path = join(directory, 'sent.db');
    runAndKill(path, true);
    await expectCommittedLater(path, 61_000);
  });

  it('never sent: the store releases the reservation when its lease ends', async () => {
    const path = join(directory, 'unsent.db');
    runAndKill(path, false);
    const before = new SqliteStore({ path });
    expect(await before.openReservations()).toBe(1);
    await before.close();
    const later = new SqliteStore({ path, now: () => Date.now() + 61_000 });
    try {
      expect(await later.openReservations()).toBe(0);
      const [line] = await later.lines('team|');
      expect(line).toMatchObject({ used: 0, reserved: 0 });
    } finally {
      await later.close();
    }
  });
});

describe('marked sent through GenOps with metrics on (the store measured)', () => {
  it('markSent of a call begun without sendsAtOnce reaches the file: its lease end commits it', async () => {
    const telemetry = createTestTelemetry({ serviceName: 'sqlite-mark-sent' });
    const path = join(directory, 'marked.db');
    const store = new SqliteStore({ path });
    const genops = GenOps.init({
      autoInstrument: false,
      store,
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
      defaults: { team: 'eng', project: 'tests', environment: 'test' },
      // A rolling window: the checks read the store a lease later, and a calendar day would have ended for a
      // run in the last minutes before midnight UTC (its line then reads 0 used).
      budgets: [{ name: 'team', limit: 10, window: '7d' }],
    });
    try {
      const call = await genops.governor.begin({
        provider: 'openai',
        operation: 'chat',
        model: 'gpt-4o',
        estimatedInputTokens: 1000,
        maxOutputTokens: 100,
      });
      call.markSent();
      // Store writes run in order: once this read answered, the mark is in the file.
      expect(await store.openReservations()).toBe(1);
      // The default lease is 10 minutes.
      await expectCommittedLater(path, 10 * 60_000);
      await call.end({ usage: { inputTokens: 1, outputTokens: 1 } });
    } finally {
      await genops.shutdown();
      await telemetry.shutdown();
    }
  });
});
