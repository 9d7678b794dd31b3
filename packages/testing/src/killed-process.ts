import { execFileSync } from 'node:child_process';

/** Options of {@link openCallThenKill}. */
export interface OpenCallThenKillOptions {
  /** Where the child runs: its `@genops/core` is resolved from there (the store package's directory). */
  cwd: string;
  /** ES module statements that define `const store = ...;` (a GovernanceStore; `process.env` is the child's). */
  createStore: string;
  /** `true`: the call's request left (it is marked sent) before the process dies; `false`: it never did. */
  sent: boolean;
  /** Extra environment for the child. */
  env?: Record<string, string>;
}

/**
 * Runs a child process (plain Node, the built packages) that opens one governed call with a $10 daily
 * budget `team` (gpt-4o, 1000 input + 100 output tokens at most: $0.0035 reserved, lease 60 s), waits
 * until the store has the reservation (marked sent by GenOps when `sent`), then kills itself with SIGKILL, so no exit hook runs. Returns the signal
 * that ended it.
 */
export function openCallThenKill(options: OpenCallThenKillOptions): string | undefined {
  // The budget has a rolling window: the tests read the store a lease later, when a calendar day may have
  // ended (a run in the last minute before midnight UTC read 0 used on a day line and failed).
  const script = `
import { GenOps } from '@genops/core';
import { startGovernedCall } from '@genops/core/adapter';
${options.createStore}
const handle = GenOps.init({
  autoInstrument: false,
  exporter: 'none',
  store,
  reservationLeaseMs: 60_000,
  defaults: { team: 'eng', project: 'killed', environment: 'test' },
  budgets: [{ name: 'team', limit: 10, window: '7d' }],
});
const request = { provider: 'openai', operation: 'chat', model: 'gpt-4o', estimatedInputTokens: 1000, maxOutputTokens: 100 };
const sent = ${options.sent ? 'true' : 'false'};
const { call } = await startGovernedCall(handle.governor, request, { input: {}, execute: () => ({}), sendsLater: !sent });
// Store writes run in order: once this read answered, the call's own reservation is stored, marked sent
// by GenOps itself when the request left at once (reserved sent, or markSent), unmarked when it never did.
await store.openReservations();
process.kill(process.pid, 'SIGKILL');
`;
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      timeout: 20_000,
      stdio: 'pipe',
    });
  } catch (error) {
    return (error as { signal?: string }).signal;
  }
  return undefined;
}
