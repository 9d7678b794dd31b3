import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AuditRecord } from '@genops/core';
import { type AuditEntry, chainAuditEntries, formatAuditRecord } from '@genops/core/internal';

/** The built CLI: the root test command builds every package before vitest runs. */
export const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(cliPath))
    throw new Error(
      `${cliPath} is missing: build first (pnpm exec turbo run build --filter=@genops/cli...), as the root \`pnpm test\` does`,
    );
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The test runner's environment without what would change the CLI's output or module resolution. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['NODE_PATH', 'FORCE_COLOR', 'NO_COLOR', 'GENOPS_DEBUG', 'NODE_OPTIONS', 'GENOPS_STORE'])
    delete env[key];
  return { ...env, ...extra };
}

/** Runs `genops <args>` as a child process (stdout and stderr are pipes, not a TTY). */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath, ...args],
      { env: cleanEnv(env), ...(options.cwd ? { cwd: options.cwd } : {}) },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

/** Starts `genops <args>` and keeps it running (for `audit tail --follow`, `watch`). */
export function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
): {
  child: ChildProcess;
  output: () => string;
  errors: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => stdout, errors: () => stderr, exited };
}

/** Resolves once `check()` is true; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const AT = Date.parse('2026-11-23T10:00:00Z');

/** Eleven audit entries like the governor writes: a policy load, five calls (one blocked), an approval. */
export function sampleEntries(): AuditEntry[] {
  const entries: AuditEntry[] = [{ type: 'policy', at: AT, subject: 'ea53271b3506', data: { rules: 8, budgets: 3 } }];
  for (let index = 0; index < 5; index++) {
    const id = `${index}f2c41aa-6a1e-4c59-9a53-0b7d7b1f3c2e`;
    const blocked = index === 2;
    entries.push({
      type: 'decision',
      at: AT + index * 1000,
      subject: id,
      data: {
        result: blocked ? 'BLOCKED' : 'ALLOWED',
        ...(blocked ? { reasonCode: 'POLICY_DENY_MODEL', rule: 'approved-models' } : { reservedUsd: 0.010088 }),
        policyVersion: 'ea53271b3506',
        provider: 'openai',
        model: blocked ? 'gpt-3.5-turbo' : 'gpt-4o',
        operation: 'chat',
        attribution: { team: 'search' },
      },
    });
    if (!blocked)
      entries.push({
        type: 'settlement',
        at: AT + index * 1000 + 500,
        subject: id,
        data: { actualUsd: 0.001234, reservedUsd: 0.010088, actualTokens: 456, incomplete: false, leaseOpen: true },
      });
  }
  entries.push({
    type: 'approval',
    at: AT + 9000,
    subject: '9f2c41aa-6a1e-4c59-9a53-0b7d7b1f3c2e',
    data: { status: 'approved', rule: 'requireApprovalOver', decidedBy: 'alice' },
  });
  return entries;
}

export function sampleRecords(): AuditRecord[] {
  return chainAuditEntries(undefined, sampleEntries());
}

export function toJsonl(records: readonly AuditRecord[]): string {
  return records.map((record) => `${formatAuditRecord(record)}\n`).join('');
}

/**
 * The cells of every row of a cli-table3 table in `output` (header included), trimmed: for asserting a
 * table row by row without depending on column widths.
 */
export function tableRows(output: string): string[][] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('│')
        .map((cell) => cell.trim()),
    );
}
