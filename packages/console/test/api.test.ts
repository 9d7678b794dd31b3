import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GenOpsHandle, type GovernanceStore, MemoryStore } from '@genops/core';
import { SqliteStore } from '@genops/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningConsole, startConsole } from '../src/index';
import { eventually, heldCall, runCalls, startGenOps, TOKEN } from './fixtures';

// The JSON API behind the pages, over HTTP, against a real GenOps whose governed units wrote the store:
// once with the memory store (the console in the app's process) and once with SQLite (the same API).

const STORES: Array<[string, (directory: string) => GovernanceStore]> = [
  ['memory', () => new MemoryStore()],
  ['sqlite', (directory) => new SqliteStore({ path: join(directory, 'state.db') })],
];

describe.each(STORES)('the console API with the %s store', (_kind, openStore) => {
  let directory: string;
  let genops: GenOpsHandle;
  let running: RunningConsole;
  const get = (path: string, token = TOKEN) =>
    fetch(new URL(`api/${path}`, running.url), { headers: { authorization: `Bearer ${token}` } });
  const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(new URL(`api/${path}`, running.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'genops-console-api-'));
    genops = startGenOps(openStore(directory), { onApprovalRequired: () => undefined });
    await runCalls(genops);
    running = await startConsole({ genops, auth: { users: [{ name: 'alice', token: TOKEN }] } });
  });

  afterAll(async () => {
    await running?.close();
    await genops?.shutdown();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('answers 401 without a token or with a wrong one, in the error shape', async () => {
    const none = await fetch(new URL('api/budgets', running.url));
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    expect((await get('budgets', 'wrong-token-0123456789')).status).toBe(401);
  });

  it('budgets: each budget instance of the current period, with its utilisation', async () => {
    const response = await get('budgets');
    expect(response.status).toBe(200);
    const { budgets } = (await response.json()) as { budgets: Array<Record<string, unknown>> };
    expect(budgets.map((row) => [row.budget, row.per, row.used, row.status])).toEqual([
      ['team-daily', { team: 'ads' }, 0.0014, 'Active'],
      ['team-daily', { team: 'search' }, 0.0066, 'Active'],
      ['org-monthly', {}, 0.008, 'Active'],
    ]);
    const search = budgets[1]!;
    expect(search).toMatchObject({ limit: 20, unit: 'USD', window: 'day', reserved: 0, remaining: 19.9934 });
    expect(search.utilisation).toBeCloseTo(0.0066 / 20, 12);
  });

  it('spend: series by team, project, model and customer that add up to what the calls cost', async () => {
    const byTeam = (await (await get('spend?by=team&bucket=hour&hours=24')).json()) as {
      series: Array<{ key: string; totalUsd: number; usd: number[] }>;
      buckets: number[];
      totalUsd: number;
      calls: number;
    };
    expect(byTeam.buckets).toHaveLength(24);
    expect(byTeam.series.map(({ key, totalUsd }) => [key, totalUsd])).toEqual([
      ['search', 0.0066],
      ['ads', 0.0014],
    ]);
    expect(byTeam.totalUsd).toBeCloseTo(0.008, 12);
    expect(byTeam.calls).toBe(3);
    // This hour's bucket holds the spend.
    expect(byTeam.series[0]!.usd.at(-1)).toBeCloseTo(0.0066, 12);
    const byModel = (await (await get('spend?by=model&bucket=day&hours=168')).json()) as typeof byTeam;
    expect(byModel.buckets).toHaveLength(7);
    expect(byModel.series.map(({ key, totalUsd }) => [key, totalUsd])).toEqual([
      ['gpt-4o', 0.0059],
      ['gpt-4o-mini', 0.0021],
    ]);
    const byCustomer = (await (await get('spend?by=customer')).json()) as typeof byTeam;
    expect(byCustomer.series.map(({ key }) => key)).toEqual(['acme', '(none)', 'globex']);
    const byProject = (await (await get('spend?by=project')).json()) as typeof byTeam;
    expect(byProject.series.map(({ key }) => key)).toEqual(['ranker', 'banner']);
  });

  it('spend: a bad dimension, bucket or range is a 400 that says what is accepted', async () => {
    const bad = await get('spend?by=prompt');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(
      'by must be one of team, project, customer, environment, model, provider',
    );
    expect((await get('spend?bucket=minute')).status).toBe(400);
    expect((await get('spend?hours=-1')).status).toBe(400);
    expect((await get('spend?hours=1e9')).status).toBe(400);
  });

  it('blocked: the denied call with its result, reason code and rule', async () => {
    const { blocked } = (await (await get('blocked')).json()) as { blocked: Array<Record<string, unknown>> };
    expect(blocked).toEqual([
      expect.objectContaining({
        result: 'BLOCKED',
        reasonCode: 'POLICY_DENY_MODEL',
        rule: 'no-turbo',
        provider: 'openai',
        model: 'gpt-4-turbo',
        attribution: { team: 'ads' },
        policyVersion: genops.policyVersion,
      }),
    ]);
  });

  it('approvals: a held call is listed, and approving it through the API releases it; who decided is audited', async () => {
    const held = heldCall(genops);
    const pending = await eventually(async () => {
      const { approvals } = (await (await get('approvals')).json()) as {
        approvals: Array<{ id: string; status: string }>;
      };
      return approvals[0];
    }, 'the held call in the queue');
    expect(pending.status).toBe('pending');
    const response = await post(`approvals/${pending.id}/approve`, { reason: 'quarterly report' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { approval: Record<string, unknown> }).approval).toMatchObject({
      status: 'approved',
      decidedBy: 'alice',
      decisionReason: 'quarterly report',
    });
    await expect(held).resolves.toBe('ran');
    await genops.flushAudit();
    const { records } = (await (await get('audit')).json()) as {
      records: Array<{ type: string; subject: string; data: Record<string, unknown> }>;
    };
    expect(
      records.find(
        (record) => record.type === 'approval' && record.subject === pending.id && record.data.status === 'approved',
      )?.data,
    ).toMatchObject({
      decidedBy: 'alice',
      reason: 'quarterly report',
    });
    // A second decision loses: 409 with who decided first.
    const again = await post(`approvals/${pending.id}/deny`, { reason: 'too late' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'already_decided' }, approval: { decidedBy: 'alice' } });
    const all = (await (await get('approvals?status=all')).json()) as { approvals: Array<{ id: string }> };
    expect(all.approvals.map(({ id }) => id)).toContain(pending.id);
  });

  it('approvals: deny needs a reason, and the held call fails with ApprovalDeniedError carrying it', async () => {
    const held = heldCall(genops);
    held.catch(() => undefined); // asserted below
    const pending = await eventually(async () => {
      const { approvals } = (await (await get('approvals')).json()) as { approvals: Array<{ id: string }> };
      return approvals[0];
    }, 'the held call in the queue');
    expect((await post(`approvals/${pending.id}/deny`, {})).status).toBe(400);
    expect((await post(`approvals/${pending.id}/deny`, { reason: 'x'.repeat(501) })).status).toBe(400);
    expect((await post(`approvals/${pending.id}/maybe`, { reason: 'no' })).status).toBe(404);
    expect((await post('approvals/no-such-id/approve', {})).status).toBe(404);
    const denied = await post(`approvals/${pending.id}/deny`, { reason: 'use a smaller model' });
    expect(denied.status).toBe(200);
    await expect(held).rejects.toMatchObject({
      name: 'ApprovalDeniedError',
      decidedBy: 'alice',
      reason: 'use a smaller model',
    });
  });

  it('audit: the chain verifies, with the newest records first', async () => {
    await genops.flushAudit();
    const body = (await (await get('audit')).json()) as {
      verification: { ok: boolean; checked: number; lastSeq: number; problems: unknown[] };
      records: Array<{ seq: number }>;
    };
    expect(body.verification).toMatchObject({ ok: true, problems: [] });
    expect(body.verification.checked).toBe(body.verification.lastSeq);
    expect(body.records[0]!.seq).toBe(body.verification.lastSeq);
    expect(body.records.length).toBe(Math.min(50, body.verification.lastSeq));
  });

  it('policy: the version in force, its rules, budgets and approval settings', async () => {
    const policy = (await (await get('policy')).json()) as Record<string, unknown>;
    expect(policy).toMatchObject({
      known: true,
      version: genops.policyVersion,
      mode: 'enforce',
      rules: [{ name: 'no-turbo', type: 'model', mode: 'enforce' }],
      budgets: [
        { name: 'team-daily', limit: 20, unit: 'USD', window: 'day', per: ['team'], action: 'block' },
        { name: 'org-monthly', limit: 100, unit: 'USD', window: 'month', per: [] },
      ],
      approvals: { overUsd: 5, timeoutMs: 30_000, onTimeout: 'deny' },
    });
  });

  it('session: who is signed in, and the CSRF token writes need', async () => {
    const session = (await (await get('session')).json()) as Record<string, unknown>;
    expect(session).toMatchObject({ principal: { name: 'alice' }, via: 'bearer' });
    expect(session.csrf).toEqual(expect.any(String));
  });
});
