import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqliteStore } from '@genops/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, startCli, waitFor } from './helpers';
import { pendingApproval, sqliteStore } from './stores';

// `genops console` as the built bin, on a SQLite store this test process shares with it: it prints where
// it listens and how to sign in, serves the API with that token, decides a pending approval as --user,
// shows the --policy file (and follows its changes), and stops cleanly on Ctrl-C.
let directory: string;
let url: string;
let store: SqliteStore;
const ID = '3f2c41aa-6a1e-4c59-9a53-0b7d7b1f3c2e';

beforeAll(async () => {
  assertBuilt();
  directory = await mkdtemp(join(tmpdir(), 'genops-cli-console-'));
  ({ url, store } = sqliteStore(directory));
  await store.createApproval(pendingApproval(ID));
  await writeFile(
    join(directory, 'policy.yaml'),
    'version: 1\nbudgets:\n  - name: daily\n    limit: 5\n    window: day\n',
  );
});

afterAll(async () => {
  await store?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('genops console', () => {
  it('prints its URL and a sign-in link, serves the API with the token, reloads --policy, decides as --user, stops on SIGINT', async () => {
    const run = startCli([
      'console',
      '--store',
      url,
      '--port',
      '0',
      '--user',
      'bob',
      '--policy',
      join(directory, 'policy.yaml'),
    ]);
    try {
      await waitFor(
        () => run.output().includes('#token='),
        () => `${run.output()}${run.errors()}`,
      );
      const [first = '', second = ''] = run.output().split('\n');
      expect(first).toMatch(
        new RegExp(`^GenOps console on http://127\\.0\\.0\\.1:\\d+/console/ · store ${url} · policy .*policy\\.yaml$`),
      );
      const link = /^Sign in as bob: (http:\/\/127\.0\.0\.1:\d+\/console\/)#token=([0-9a-f]{48})$/.exec(second);
      expect(link).not.toBeNull();
      const [, base = '', token = ''] = link!;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      expect((await fetch(`${base}api/approvals`)).status).toBe(401);
      const listed = (await (await fetch(`${base}api/approvals`, { headers })).json()) as {
        approvals: Array<{ id: string }>;
      };
      expect(listed.approvals.map(({ id }) => id)).toEqual([ID]);
      const policy = (await (await fetch(`${base}api/policy`, { headers })).json()) as Record<string, unknown>;
      expect(policy).toMatchObject({ known: true, budgets: [{ name: 'daily', limit: 5, window: 'day' }] });
      // The file changes: the console follows it (the policy page and the budget table's windows).
      await writeFile(
        join(directory, 'policy.yaml'),
        'version: 1\nbudgets:\n  - name: daily\n    limit: 7\n    window: day\n',
      );
      await waitFor(
        () => run.output().includes('reloaded: version'),
        () => `${run.output()}${run.errors()}`,
      );
      const reloaded = (await (await fetch(`${base}api/policy`, { headers })).json()) as Record<string, unknown>;
      expect(reloaded).toMatchObject({ budgets: [{ name: 'daily', limit: 7 }] });
      expect(reloaded.version).not.toBe(policy.version);
      const decided = await fetch(`${base}api/approvals/${ID}/approve`, {
        method: 'POST',
        headers,
        body: '{"reason":"ok"}',
      });
      expect(decided.status).toBe(200);
      expect(await store.getApproval(ID)).toMatchObject({ status: 'approved', decidedBy: 'bob', decisionReason: 'ok' });
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('Console stopped.\n');
    expect(run.errors()).toBe('');
  });

  it('refuses a short GENOPS_CONSOLE_TOKEN and --public-url without a link secret (exit 2)', async () => {
    const short = startCli(['console', '--store', url, '--port', '0'], { GENOPS_CONSOLE_TOKEN: 'short' });
    expect(await short.exited).toBe(2);
    expect(short.errors()).toContain('GENOPS_CONSOLE_TOKEN is shorter than 16 characters');
    const links = startCli([
      'console',
      '--store',
      url,
      '--port',
      '0',
      '--public-url',
      'https://genops.example.com/console',
    ]);
    expect(await links.exited).toBe(2);
    expect(links.errors()).toContain('set GENOPS_CONSOLE_LINK_SECRET too');
  });
});
