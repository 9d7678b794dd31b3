import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqliteStore } from '@genops/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, tableRows } from './helpers';
import { pendingApproval, sqliteStore } from './stores';

// `genops approvals ...` as the built bin against a SQLite store file this test process shares with it:
// the test holds calls for approval (createApproval + waitForApproval, as the governor does) and the CLI
// decides them from another process.
let directory: string;
let url: string;
let store: SqliteStore;
/** When the approvals were created (their ages count from about here). */
let createdAt: number;

const ID = {
  report: '3f2c41aa-6a1e-4c59-9a53-0b7d7b1f3c2e',
  deploy: '7a9e0c12-8b4d-4e2f-9c1a-5d6e7f8a9b0c',
  old: '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9',
};

beforeAll(async () => {
  assertBuilt();
  directory = await mkdtemp(join(tmpdir(), 'genops-cli-approvals-'));
  ({ url, store } = sqliteStore(directory));
  const now = Date.now();
  createdAt = now;
  await store.createApproval(
    pendingApproval(ID.old, {
      createdAt: now - 3 * 3_600_000,
      expiresAt: now - 3 * 3_600_000 + 300_000,
      model: 'gpt-4o',
      attribution: { team: 'search' },
      estimatedCostUsd: 0.5,
      rule: 'agent-tools',
      reason: 'tool "deploy" requires approval (rule "agent-tools")',
    }),
  );
  await store.decideApproval(ID.old, { status: 'denied', decidedBy: 'bob@ops', reason: 'not on a Friday' });
  await store.createApproval(
    pendingApproval(ID.deploy, {
      createdAt: now - 30_000,
      rule: 'agent-tools',
      reason: 'tool "deploy" requires approval (rule "agent-tools")',
      model: 'gpt-4o',
      operation: 'execute_tool',
      attribution: { team: 'ops', project: 'infra' },
      estimatedCostUsd: 0.010088,
    }),
  );
  await store.createApproval(pendingApproval(ID.report));
});

afterAll(async () => {
  await store?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('genops approvals list', () => {
  it('lists pending approvals, newest first: id, age, rule, model, team, estimated cost, reason', async () => {
    const result = await runCli(['approvals', 'list', '--store', url]);
    const elapsed = Date.now() - createdAt;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows = tableRows(result.stdout);
    expect(rows[0]).toEqual(['ID', 'Age', 'Rule', 'Model', 'Team', 'Est. cost', 'Reason']);
    expect(rows.slice(1).map((row) => row[0])).toEqual([ID.deploy, ID.report]);
    expect(rows[1]).toEqual([
      ID.deploy,
      expect.stringMatching(/^\d+s$/),
      'agent-tools',
      'openai/gpt-4o',
      'ops',
      '$0.010088',
      'tool "deploy" requires approval (rule "agent-tools")',
    ]);
    expect(rows[2]).toEqual([
      ID.report,
      expect.stringMatching(/^2m \d\ds$/),
      'requireApprovalOver',
      'openai/o1-pro',
      'product',
      '$60.02',
      'may cost $60.02, over the approval threshold of $50 (requireApprovalOver / approvals.over)',
    ]);
    // Created 30 s and 125 s before the test's clock read `createdAt`; the CLI ran some seconds later.
    expect(ageSeconds(rows[1]![1]!)).toBeGreaterThanOrEqual(30);
    expect(ageSeconds(rows[1]![1]!)).toBeLessThanOrEqual(30 + Math.ceil(elapsed / 1000));
    expect(ageSeconds(rows[2]![1]!)).toBeGreaterThanOrEqual(125);
    expect(ageSeconds(rows[2]![1]!)).toBeLessThanOrEqual(125 + Math.ceil(elapsed / 1000));
  });

  it('lists decided ones too with --all, with who decided and why', async () => {
    const result = await runCli(['approvals', 'list', '--all', '--store', url]);
    const elapsed = Date.now() - createdAt;
    expect(result.code).toBe(0);
    const rows = tableRows(result.stdout);
    expect(rows[0]).toEqual(['ID', 'Age', 'Status', 'Rule', 'Model', 'Team', 'Est. cost', 'Reason']);
    const old = rows.find((row) => row[0] === ID.old)!;
    expect(old.slice(1, 7)).toEqual([
      expect.stringMatching(/^3h \d\dm$/),
      'denied',
      'agent-tools',
      'openai/gpt-4o',
      'search',
      '$0.50',
    ]);
    // Created 3 h before `createdAt`: the age is in whole minutes.
    expect(ageSeconds(old[1]!)).toBeGreaterThanOrEqual(3 * 3600);
    expect(ageSeconds(old[1]!)).toBeLessThanOrEqual(3 * 3600 + 60 * Math.ceil(elapsed / 60_000));
    expect(old[7]).toMatch(
      /^tool "deploy" requires approval \(rule "agent-tools"\) — denied by bob@ops \d+s ago: not on a Friday$/,
    );
  });

  it('prints the records as stored with --json', async () => {
    const result = await runCli(['approvals', 'list', '--store', url, '--json']);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.store).toEqual({ url, kind: 'sqlite' });
    expect(output.approvals).toHaveLength(2);
    expect(output.approvals[1]).toEqual(pendingApprovalShape(ID.report));
  });
});

describe('genops approvals approve / deny', () => {
  it('approves from the CLI and wakes the call waiting in another process', async () => {
    const waiting = store.waitForApproval(ID.report, 20_000);
    const result = await runCli([
      'approvals',
      'approve',
      ID.report,
      '--store',
      url,
      '--by',
      'alice',
      '--reason',
      'quarterly report',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `✔ approved ${ID.report} (openai/o1-pro for team product, $60.02) as alice: "quarterly report"\n`,
    );
    const decided = await waiting;
    expect(decided).toMatchObject({
      id: ID.report,
      status: 'approved',
      decidedBy: 'alice',
      decisionReason: 'quarterly report',
    });
    expect(decided!.decidedAt).toBeGreaterThan(decided!.createdAt);
  });

  it('exits 1 and says who decided first when the approval is already decided', async () => {
    const result = await runCli(['approvals', 'deny', ID.report, '--store', url, '--reason', 'too late']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(
        `^genops: error: approval ${ID.report} was already approved by alice \\d+s ago \\(\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\): "quarterly report"\\n$`,
      ),
    );
    expect((await store.getApproval(ID.report))?.status).toBe('approved');
    const again = await runCli(['approvals', 'approve', ID.report, '--store', url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('was already approved by alice');
  });

  it('denies by a unique id prefix, by $USER@hostname by default; the waiting call gets the reason', async () => {
    const waiting = store.waitForApproval(ID.deploy, 20_000);
    const result = await runCli(['approvals', 'deny', ID.deploy.slice(0, 8), '--store', url, '--reason', 'freeze'], {
      USER: 'carol',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `✘ denied ${ID.deploy} (openai/gpt-4o for team ops, project infra, $0.010088) as carol@${hostname()}: "freeze"\n`,
    );
    expect(await waiting).toMatchObject({
      status: 'denied',
      decidedBy: `carol@${hostname()}`,
      decisionReason: 'freeze',
    });
  });

  it('exits 1 for an unknown id, and for a prefix that matches several', async () => {
    const unknown = await runCli(['approvals', 'approve', 'ffffffff-0000', '--store', url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      `genops: error: no approval "ffffffff-0000" in ${url}. \`genops approvals list\` shows the pending ones (\`--all\` every one the store keeps; decided and expired approvals are dropped after a while).\n`,
    );
    const second = '3f2c0000-0000-4000-8000-000000000000';
    await store.createApproval(pendingApproval(second));
    const ambiguous = await runCli(['approvals', 'approve', '3f2c', '--store', url]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('"3f2c" matches 2 approvals');
    expect((await store.getApproval(second))?.status).toBe('pending');
  });

  it('exits 2 for deny without --reason, and for a store that does not exist', async () => {
    const noReason = await runCli(['approvals', 'deny', ID.report, '--store', url]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");
    const missing = await runCli(['approvals', 'list', '--store', `sqlite:${join(directory, 'nope.db')}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`genops: error: no store at ${join(directory, 'nope.db')}`);
  });
});

function pendingApprovalShape(id: string) {
  return {
    id,
    status: 'pending',
    createdAt: expect.any(Number),
    expiresAt: expect.any(Number),
    reason: 'may cost $60.02, over the approval threshold of $50 (requireApprovalOver / approvals.over)',
    rule: 'requireApprovalOver',
    provider: 'openai',
    model: 'o1-pro',
    operation: 'chat',
    attribution: { team: 'product' },
    estimatedCostUsd: 60.02,
    requestedBy: 'app-host:4242',
  };
}

/** The seconds an Age cell says: `38s`, `2m 05s`, `3h 02m`. */
function ageSeconds(cell: string): number {
  const match = /^(?:(\d+)h ?)?(?:(\d+)m ?)?(?:(\d+)s)?$/.exec(cell);
  if (!match || cell === '') throw new Error(`not an age: ${cell}`);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}
