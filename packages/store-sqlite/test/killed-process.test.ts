import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCallThenKill } from '@genops/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/sqlite-store';

// A process that dies (SIGKILL: no exit hook runs) after its request left: the reservation, marked sent
// in the file, is committed at its reserved amounts when its lease ends, never released. One that dies
// before sending is released. Plain Node runs the built packages, as an app would.

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

describe('a process killed with a call open', () => {
  it('sent: the store commits the reservation when its lease ends', async () => {
    const path = join(directory, 'sent.db');
    runAndKill(path, true);
    const later = new SqliteStore({ path, now: () => Date.now() + 61_000 });
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
