import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chainAuditEntries, formatAuditRecord } from '@genops/core';
import { describe, expect, it } from 'vitest';
import { runAuditCommand } from './commands/audit';
import { runPolicyCommand } from './commands/policy';
import { formatAmount, formatMicros, padColumns, visibleLength } from './format';
import type { CliIo } from './io';
import { run } from './run';

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
    const audit = memoryIo();
    expect(await runAuditCommand(['verify'], audit.io)).toBe(2);
    expect(audit.stderr()).toContain('missing the audit file');
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

describe('formatting', () => {
  it('shows money to the micro-dollar, and limits trimmed to cents', () => {
    expect(formatMicros(10_088)).toBe('$0.010088');
    expect(formatMicros(1_234_567_890)).toBe('$1,234.567890');
    expect(formatMicros(-5)).toBe('-$0.000005');
    expect(formatMicros(500_000_000, true)).toBe('$500.00');
    expect(formatMicros(12_500, true)).toBe('$0.0125');
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
