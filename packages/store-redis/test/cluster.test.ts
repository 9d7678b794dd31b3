import { readStoreAudit, verifyAuditChain } from '@genops/core';
import type { ApprovalRecord, BudgetLine } from '@genops/core/internal';
import { describeGovernanceStore } from '@genops/testing/store-contract';
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index';
import { useRedisServer } from './redis-server';

// A one-node Redis Cluster: scripts run under cluster rules, through ioredis' Cluster client.
const redis = useRedisServer({ cluster: true });
let namespaces = 0;
const clusterClient = (): Cluster => new Cluster([{ host: '127.0.0.1', port: redis.server().port }]);

describeGovernanceStore(
  'RedisStore on Redis Cluster',
  (clock) => new RedisStore({ client: clusterClient(), prefix: `cluster-${++namespaces}`, now: () => clock.now() }),
  {
    cleanup: async (store) => {
      await store.close();
      // The store leaves a client it was given open: its owner quits it.
      await (store as unknown as { client: Cluster }).client.quit();
    },
  },
);

describe('cluster safety', () => {
  it('writes every key of a namespace under one hash tag, so all of them are in one slot', async () => {
    const client = clusterClient();
    const store = new RedisStore({ client, prefix: 'tagged' });
    const other = new RedisStore({ client, prefix: 'tagged-2' });
    try {
      await exercise(store);
      await exercise(other);

      const admin = new Redis(redis.url());
      try {
        const keys = await admin.keys('*');
        const ours = keys.filter((key) => key.startsWith('{tagged}:'));
        const theirs = keys.filter((key) => key.startsWith('{tagged-2}:'));
        // Lines, buckets, leases, reservations, settled ids, marks, approvals, the audit stream and tip, the
        // epoch and the money unit marker.
        expect(ours.length).toBeGreaterThanOrEqual(12);
        // `sweep` (the line index sweep's cursor) is written by about one settlement in 8 only.
        expect(new Set(ours.map(kind).filter((name) => name !== 'sweep'))).toEqual(
          new Set([
            'line',
            'buckets',
            'lines',
            'leases',
            'res',
            'settled',
            'mark',
            'approval',
            'approvals',
            'approvals:seq',
            'audit',
            'audit:tip',
            'epoch',
            'money',
          ]),
        );
        // Every key on the server (these stores' and the contract tests' above) carries a namespace's
        // hash tag, and all the keys of one namespace are in one slot.
        const byTag = new Map<string, string[]>();
        for (const key of keys) {
          expect(key).toMatch(/^\{[^{}]+\}:/);
          const tag = key.slice(0, key.indexOf('}') + 1);
          byTag.set(tag, [...(byTag.get(tag) ?? []), key]);
        }
        expect(byTag.size).toBeGreaterThan(30);
        const slotsOf = async (group: string[]) =>
          new Set(await Promise.all(group.map((key) => admin.call('CLUSTER', 'KEYSLOT', key))));
        for (const group of byTag.values()) expect((await slotsOf(group)).size).toBe(1);
        expect(await slotsOf(ours)).not.toEqual(await slotsOf(theirs));
      } finally {
        await admin.quit();
      }
    } finally {
      await store.close();
      await other.close();
      await client.quit();
    }
  });
});

/** Uses every kind of state the store keeps. */
async function exercise(store: RedisStore): Promise<void> {
  const calendar: BudgetLine = {
    key: 'team|a|d1',
    budget: 'team',
    unit: 'USD',
    limit: 1_000,
    amount: 100,
    enforce: true,
    expiresAt: Date.now() + 60_000,
  };
  const rolling: BudgetLine = {
    key: 'rate:rpm|team=a',
    budget: 'rate:rpm',
    unit: 'requests',
    limit: 10,
    amount: 1,
    enforce: true,
    rolling: { windowMs: 60_000, bucketMs: 1_000 },
  };
  expect(await store.reserve({ id: 'r1', lines: [calendar, rolling], leaseMs: 60_000 })).toMatchObject({ ok: true });
  expect(await store.settle('r1', { USD: 40, requests: 1 })).toMatchObject({ open: true });
  expect(await store.reserve({ id: 'r2', lines: [calendar], leaseMs: 60_000 })).toMatchObject({ ok: true });
  expect(await store.markOnce('alert|team|80', Date.now() + 60_000)).toBe(true);
  const approval: ApprovalRecord = {
    id: 'ap1',
    status: 'pending',
    createdAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    reason: 'cost over $1.00',
    rule: 'team',
    provider: 'openai',
    model: 'gpt-4o',
    operation: 'chat',
    attribution: { team: 'a' },
    estimatedCostUsd: 2,
  };
  await store.createApproval(approval);
  const waiting = store.waitForApproval('ap1', 10_000);
  await store.decideApproval('ap1', { status: 'approved', decidedBy: 'alice' });
  expect(await waiting).toMatchObject({ status: 'approved' });
  await store.appendAudit([{ type: 'decision', at: Date.now(), subject: 'r1', data: { ok: true } }]);
  expect(await verifyAuditChain(readStoreAudit(store))).toMatchObject({ ok: true, checked: 1 });
  expect(await store.lines()).toHaveLength(2);
}

/** `line`, `audit:tip`, ...: what follows the hash tag, without the caller's own key. */
function kind(key: string): string {
  const rest = key.slice(key.indexOf('}:') + 2);
  for (const prefix of ['line:', 'buckets:', 'res:', 'mark:', 'approval:'])
    if (rest.startsWith(prefix)) return prefix.slice(0, -1);
  return rest;
}
