import { currentPeriod } from '@genops/core/internal';
import { RedisStore } from '@genops/store-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The store package's own helper: a real redis-server on a free port for this file, stopped afterwards.
import { useRedisServer } from '../../store-redis/test/redis-server';
import { assertBuilt, runCli, sampleEntries, startCli, tableRows, waitFor } from './helpers';
import { hold, pendingApproval, spend, usdLine } from './stores';

// The store-reading commands against a real Redis server, written by this process through
// @genops/store-redis: the same code paths as SQLite, through `redis://` URLs.
const redis = useRedisServer();
/** Nano-USD per USD (budget lines count nano-USD). */
const M = 1_000_000_000;
const PREFIX = 'cli-test';

let store: RedisStore;
let url: string;
let today: string;

beforeAll(async () => {
  assertBuilt();
  url = `${redis.url()}/0?prefix=${PREFIX}`;
  store = new RedisStore({ url: redis.url(), prefix: PREFIX });
  today = currentPeriod('day', Date.now()).id;
  await spend(store, usdLine(`team-daily|team=engineering|${today}`, 100, 10), 76.58 * M);
  await spend(store, usdLine(`team-daily|team=marketing|${today}`, 100, 10), 85 * M);
  await hold(store, usdLine(`team-daily|team=engineering|${today}`, 100, 1.2));
  await store.appendAudit(sampleEntries());
});

afterAll(async () => {
  await store?.close();
});

describe('genops with a Redis store', () => {
  it('prints the status table from Redis, with the store kind', async () => {
    const result = await runCli(['status', '--store', url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`store ${url} (redis)`);
    expect(tableRows(result.stdout)).toEqual([
      ['Team', 'Budget', 'Used', 'Status'],
      ['engineering', `$100.00 team-daily ${today}`, '$76.58 (+$1.20 reserved) · 76%', 'Active'],
      ['marketing', `$100.00 team-daily ${today}`, '$85.00 · 85%', 'Warning'],
    ]);
    expect(result.stdout).toContain('Open reservations: 1');
  });

  it('another namespace of the same server is another store', async () => {
    const result = await runCli(['status', '--json'], { GENOPS_STORE: `${redis.url()}/0?prefix=elsewhere` });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ store: { kind: 'redis' }, budgets: [], openReservations: 0 });
  });

  it('approves from the CLI and wakes a call waiting on Redis in this process', async () => {
    const id = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
    await store.createApproval(pendingApproval(id));
    const list = await runCli(['approvals', 'list', '--store', url]);
    expect(list.code).toBe(0);
    expect(tableRows(list.stdout)[1]?.slice(0, 1)).toEqual([id]);
    const waiting = store.waitForApproval(id, 20_000);
    const result = await runCli(['approvals', 'approve', id, '--store', url, '--by', 'alice']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await waiting).toMatchObject({ status: 'approved', decidedBy: 'alice' });
    const again = await runCli(['approvals', 'deny', id, '--store', url, '--reason', 'no']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`approval ${id} was already approved by alice`);
  });

  it('verifies and follows the audit chain kept in Redis', async () => {
    const verify = await runCli(['audit', 'verify', '--store', url]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('✔ 11 records, chain intact (seq 1–11');
    const tail = startCli(['audit', 'tail', '--store', url, '-n', '2', '--follow']);
    try {
      await waitFor(
        () => tail.output().includes('approved by alice · rule requireApprovalOver'),
        () => `initial output: ${tail.output()} ${tail.errors()}`,
      );
      await store.appendAudit([{ type: 'decision', at: Date.now(), subject: 'c1', data: { result: 'WARNING' } }]);
      await waitFor(
        () => tail.output().includes('WARNING'),
        () => `after appending: ${tail.output()} ${tail.errors()}`,
      );
    } finally {
      tail.child.kill('SIGINT');
    }
    expect(await tail.exited).toBe(0);
    expect(
      tail
        .output()
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/)[0]),
    ).toEqual(['10', '11', '12']);
  });

  it("reports spend from the audit chain kept in Redis (the fleet's ledger)", async () => {
    // sampleEntries(): four gpt-4o calls settled at $0.001234 and 456 tokens each, one gpt-3.5-turbo call blocked.
    const result = await runCli(['report', '--store', url, '--period', '2026-11', '--by', 'team,model', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      rows: [
        { team: 'search', model: 'gpt-4o', calls: 4, blocked: 0, tokens: 1824, costUsd: '0.004936' },
        { team: 'search', model: 'gpt-3.5-turbo', calls: 0, blocked: 1, tokens: 0, costUsd: '0.000000' },
      ],
      total: { calls: 4, blocked: 1, costUsd: '0.004936' },
    });
  });

  it('exits 2 when the server is down, never printing the password', async () => {
    const down = redis.url().replace('redis://', 'redis://admin:hunter2@').replace(/:\d+$/, ':1');
    const result = await runCli(['status', '--store', down]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^genops: error: cannot read the store redis:\/\/admin:\*\*\*@127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
    expect(result.stderr).not.toContain('hunter2');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
