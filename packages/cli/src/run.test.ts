import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditRecord } from '@genops/core';
import { chainAuditEntries, formatAuditRecord } from '@genops/core/internal';
import { SqliteStore } from '@genops/store-sqlite';
import { describe, expect, it } from 'vitest';
import { formatAge } from './commands/approvals';
import { lastSeq as lastAuditSeq, runAuditCommand } from './commands/audit';
import { runPolicyCommand } from './commands/policy';
import { parseInterval, runWatchCommand } from './commands/status';
import { formatAmount, formatNanos, formatUsdNumber, padColumns, visibleLength } from './format';
import type { CliIo } from './io';
import { run } from './run';
import { DEFAULT_STORE, redactUrl, resolveStoreUrl } from './store';

// The commands as functions: argv and streams in, exit code out (no child process).
const POLICY = fileURLToPath(new URL('../test/fixtures/genops.policy.yaml', import.meta.url));

function memoryIo(options: { tty?: boolean; env?: Record<string, string>; signal?: AbortSignal } = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string) => (stdout += chunk), isTTY: options.tty ?? false },
    stderr: { write: (chunk: string) => (stderr += chunk), isTTY: options.tty ?? false },
    env: options.env ?? {},
    ...(options.signal ? { signal: options.signal } : {}),
  };
  return { io, stdout: () => stdout, stderr: () => stderr };
}

describe('run() and the command-group functions', () => {
  it('runs a command and returns its exit code', async () => {
    const output = memoryIo();
    expect(await run(['policy', 'validate', POLICY], output.io)).toBe(0);
    expect(output.stdout()).toContain('is valid: 8 rules');
    expect(output.stdout()).not.toContain('\u001b[');
  });

  it('runs one command group on its own', async () => {
    const output = memoryIo();
    expect(await runPolicyCommand(['validate', POLICY, '--json'], output.io)).toBe(0);
    expect(JSON.parse(output.stdout())).toMatchObject({ valid: true });
    const audit = memoryIo({ env: { GENOPS_STORE: 'sqlite:/nonexistent/genops/state.db' } });
    expect(await runAuditCommand(['verify'], audit.io)).toBe(2);
    expect(audit.stderr()).toContain(
      'genops: error: no store at /nonexistent/genops/state.db (GENOPS_STORE=sqlite:/nonexistent/genops/state.db)',
    );
  });

  it('colours output on a TTY, and not with NO_COLOR', async () => {
    const tty = memoryIo({ tty: true });
    await run(['policy', 'validate', POLICY], tty.io);
    expect(tty.stdout()).toContain('\u001b[32m✔\u001b[39m');
    const noColor = memoryIo({ tty: true, env: { NO_COLOR: '1' } });
    await run(['policy', 'validate', POLICY], noColor.io);
    expect(noColor.stdout()).not.toContain('\u001b[');
  });

  it('returns 0 from help and version without exiting the process', async () => {
    const help = memoryIo();
    expect(await run(['audit', '--help'], help.io)).toBe(0);
    expect(help.stdout()).toContain('Usage: genops audit');
    const version = memoryIo();
    expect(await run(['-v'], version.io)).toBe(0);
    expect(version.stdout()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('stops `audit tail --follow` when the signal aborts, printing what was appended meanwhile', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'genops-cli-run-'));
    try {
      const file = join(directory, 'audit.jsonl');
      const [first, second] = chainAuditEntries(undefined, [
        { type: 'policy', at: 0, subject: 'v1', data: { rules: 1, budgets: 0 } },
        { type: 'policy', at: 1000, subject: 'v2', data: { previous: 'v1', rules: 2, budgets: 0 } },
      ]);
      await writeFile(file, `${formatAuditRecord(first!)}\n`);
      const controller = new AbortController();
      const output = memoryIo({ signal: controller.signal });
      const done = run(['audit', 'tail', file, '--follow'], output.io);
      await waitUntil(() => output.stdout().includes('policy loaded'));
      await appendFile(file, `${formatAuditRecord(second!)}\n`);
      await waitUntil(() => output.stdout().includes('policy changed from v1'));
      controller.abort();
      expect(await done).toBe(0);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('store-backed commands in-process', () => {
  it('redraws `watch` in place on a terminal, and stops with exit 0 when the signal aborts', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'genops-cli-watch-'));
    try {
      const path = join(directory, 'state.db');
      const store = new SqliteStore({ path });
      await store.reserve({
        id: 'r1',
        lines: [{ key: 'daily||total', budget: 'daily', unit: 'USD', limit: 10_000_000, amount: 1, enforce: true }],
        leaseMs: 60_000,
      });
      await store.close();
      const controller = new AbortController();
      const output = memoryIo({ tty: true, signal: controller.signal });
      const done = runWatchCommand(['--store', `sqlite:${path}`, '--interval', '100ms'], output.io);
      await waitUntil(() => output.stdout().split('\u001b[H\u001b[2J').length >= 4);
      controller.abort();
      expect(await done).toBe(0);
      const frames = output.stdout().split('\u001b[H\u001b[2J').slice(1);
      expect(frames.length).toBeGreaterThanOrEqual(3);
      for (const frame of frames) {
        expect(frame).toContain('Open reservations: 1');
        expect(frame).toContain('\u001b[32mActive\u001b[39m');
      }
      expect(output.stderr()).toBe('');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('finds the last audit seq in a logarithmic number of reads', async () => {
    for (const size of [0, 1, 2, 3, 7, 1000, 1025, 4097]) {
      let reads = 0;
      const store = {
        readAudit: async ({ fromSeq = 1, limit = Infinity }: { fromSeq?: number; limit?: number } = {}) => {
          reads += 1;
          const records = [];
          for (let seq = Math.max(1, fromSeq); seq <= size && records.length < limit; seq++)
            records.push({ seq } as AuditRecord);
          return records;
        },
      };
      expect(await lastAuditSeq(store)).toBe(size === 0 ? undefined : size);
      expect(reads).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size + 2)) + 2);
    }
  });

  it('picks --store, else GENOPS_STORE, else the default, and never prints a password', () => {
    expect(resolveStoreUrl('sqlite:a.db', { GENOPS_STORE: 'sqlite:b.db' })).toEqual({
      url: 'sqlite:a.db',
      source: '--store',
    });
    expect(resolveStoreUrl(undefined, { GENOPS_STORE: ' sqlite:b.db ' })).toEqual({
      url: 'sqlite:b.db',
      source: 'GENOPS_STORE',
    });
    expect(resolveStoreUrl(undefined, { GENOPS_STORE: '' })).toEqual({ url: DEFAULT_STORE, source: 'default' });
    expect(redactUrl('redis://user:p%40ss@cache:6379/2')).toBe('redis://user:***@cache:6379/2');
    expect(redactUrl('rediss://:secret@cache:6380')).toBe('rediss://:***@cache:6380');
    expect(redactUrl('sqlite:./.genops/state.db')).toBe('sqlite:./.genops/state.db');
  });

  it('parses watch intervals and formats approval ages', () => {
    expect(parseInterval('2s')).toBe(2000);
    expect(parseInterval('500ms')).toBe(500);
    expect(parseInterval('1m')).toBe(60_000);
    expect(parseInterval('1.5')).toBe(1500);
    expect(() => parseInterval('50ms')).toThrow('at least 100ms');
    expect(formatAge(45_000)).toBe('45s');
    expect(formatAge(725_000)).toBe('12m 05s');
    expect(formatAge(3 * 3_600_000 + 7 * 60_000)).toBe('3h 07m');
    expect(formatAge(52 * 3_600_000)).toBe('2d 04h');
  });
});

describe('formatting', () => {
  it('shows money to the micro-dollar (to the nano-dollar when it has one), and limits trimmed to cents', () => {
    expect(formatNanos(10_088_000)).toBe('$0.010088');
    expect(formatNanos(1_234_567_890_000)).toBe('$1,234.567890');
    expect(formatNanos(-5_000)).toBe('-$0.000005');
    expect(formatNanos(480)).toBe('$0.000000480');
    expect(formatNanos(480_000_000)).toBe('$0.480000');
    expect(formatNanos(1_250_000_481)).toBe('$1.250000481');
    expect(formatNanos(500_000_000_000, true)).toBe('$500.00');
    expect(formatNanos(12_500_000, true)).toBe('$0.0125');
    expect(formatNanos(480, true)).toBe('$0.00000048');
    expect(formatUsdNumber(4.8e-7)).toBe('$0.000000480');
    expect(formatAmount(480, 'USD')).toBe('$0.000000480');
    expect(formatAmount(1, 'requests')).toBe('1 request');
    expect(formatAmount(1_035, 'tokens')).toBe('1,035 tokens');
  });

  it('pads coloured cells by their visible width', () => {
    const red = '\u001b[31mBLOCKED\u001b[39m';
    expect(visibleLength(red)).toBe(7);
    expect(padColumns([red, 'x'], [9])).toBe(`${red}    x`);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
