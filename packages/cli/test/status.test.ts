import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentPeriod } from '@genops/core/internal';
import type { SqliteStore } from '@genops/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, fixture, runCli, startCli, tableRows, waitFor } from './helpers';
import { hold, spend, sqliteStore, usdLine } from './stores';

// `genops status` and `genops watch`, run as the built bin against a real SQLite store file that this
// test process writes through @genops/store-sqlite, as a governed app would.
const POLICY = fixture('status.policy.yaml');
/** Nano-USD per USD (budget lines count nano-USD). */
const M = 1_000_000_000;

let directory: string;
let url: string;
let store: SqliteStore;
let today: string;
let month: string;

beforeAll(async () => {
  assertBuilt();
  directory = await mkdtemp(join(tmpdir(), 'genops-cli-status-'));
  ({ url, store } = sqliteStore(directory));
  today = currentPeriod('day', Date.now()).id;
  month = currentPeriod('month', Date.now()).id;
  const daily = (team: string, period = today) => usdLine(`team-daily|team=${team}|${period}`, 100, 20);
  await spend(store, daily('engineering'), 76.58 * M);
  await hold(store, usdLine(`team-daily|team=engineering|${today}`, 100, 1.2));
  await spend(store, daily('marketing'), 85 * M);
  await spend(store, daily('product'), 60 * M);
  // A call that cost more than its reservation: settled in full, past the limit.
  await spend(store, daily('sales'), 100.5 * M);
  // An old period: history, never shown.
  await spend(store, daily('engineering', '2020-01-01'), 99 * M);
  // A budget whose only line is from an old month.
  await spend(store, usdLine('org-monthly||2020-01', 2000, 10), 1500 * M);
  await spend(
    store,
    {
      key: 'search-tokens||rolling',
      budget: 'search-tokens',
      unit: 'tokens',
      limit: 50_000,
      amount: 2_000,
      enforce: true,
      rolling: { windowMs: 86_400_000, bucketMs: 1_440_000 },
    },
    1_035,
  );
  for (let index = 0; index < 3; index++)
    await spend(
      store,
      {
        key: 'rate:per-team-rate|team=search|rolling',
        budget: 'rate:per-team-rate',
        unit: 'requests',
        limit: 60,
        amount: 1,
        enforce: true,
        rolling: { windowMs: 60_000, bucketMs: 1_000 },
      },
      1,
    );
});

afterAll(async () => {
  await store?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('genops status', () => {
  it('prints the budget table (Team | Budget | Used | Status) with the newest period of each budget', async () => {
    const result = await runCli(['status', '--store', url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^AI Governance Status · store ${url} \\(sqlite\\) · \\d{4}-`));
    const [budgets, rates] = result.stdout.split('Rate limits');
    expect(tableRows(budgets!)).toEqual([
      ['Team', 'Budget', 'Used', 'Status'],
      ['(all)', '$2,000.00 org-monthly 2020-01', '$1,500.00 · 75%', 'Active'],
      ['(all)', '50,000 tokens search-tokens rolling', '1,035 tokens · 2%', 'Active'],
      ['engineering', `$100.00 team-daily ${today}`, '$76.58 (+$1.20 reserved) · 76%', 'Active'],
      ['marketing', `$100.00 team-daily ${today}`, '$85.00 · 85%', 'Warning'],
      ['product', `$100.00 team-daily ${today}`, '$60.00 · 60%', 'Active'],
      ['sales', `$100.00 team-daily ${today}`, '$100.50 · 100%', 'Exceeded'],
    ]);
    expect(tableRows(rates!)).toEqual([
      ['Rule', 'Per', 'Limit', 'Used', 'Status'],
      ['per-team-rate', 'search', '60 requests', '3 requests · 5%', 'Active'],
    ]);
    expect(result.stdout).toContain('Open reservations: 1\n');
    expect(result.stdout).not.toContain('2020-01-01');
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('with --policy: current periods only, its warnAt thresholds, windows, and unused shared budgets', async () => {
    const result = await runCli(['status', '--store', url, '--policy', POLICY]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/policy .*status\.policy\.yaml \(version [0-9a-f]{12}\)/);
    const [budgets, rates] = result.stdout.split('Rate limits');
    expect(tableRows(budgets!)).toEqual([
      ['Team', 'Budget', 'Used', 'Status'],
      // warnAt: [0.5, 0.9]: the lowest threshold turns 76% and 60% to Warning.
      ['engineering', `$100.00 team-daily ${today}`, '$76.58 (+$1.20 reserved) · 76%', 'Warning'],
      ['marketing', `$100.00 team-daily ${today}`, '$85.00 · 85%', 'Warning'],
      ['product', `$100.00 team-daily ${today}`, '$60.00 · 60%', 'Warning'],
      ['sales', `$100.00 team-daily ${today}`, '$100.50 · 100%', 'Exceeded'],
      // This month's period has no line yet: the whole limit is left. The 2020-01 line is history.
      ['(all)', `$2,000.00 org-monthly ${month}`, '$0.00 · 0%', 'Active'],
      ['(all)', '50,000 tokens search-tokens rolling 24h', '1,035 tokens · 2%', 'Active'],
    ]);
    expect(tableRows(rates!)).toEqual([
      ['Rule', 'Per', 'Limit', 'Used', 'Status'],
      ['per-team-rate', 'search', '60 requests per minute', '3 requests · 5%', 'Active'],
    ]);
  });

  it('prints { store, budgets, rateLimits, openReservations } with --json, amounts in integer units', async () => {
    const result = await runCli(['status', '--store', url, '--policy', POLICY, '--json']);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.store).toEqual({ url, kind: 'sqlite' });
    expect(output.openReservations).toBe(1);
    expect(output.budgets).toHaveLength(6);
    expect(output.budgets[0]).toEqual({
      budget: 'team-daily',
      key: `team-daily|team=engineering|${today}`,
      per: { team: 'engineering' },
      team: 'engineering',
      period: today,
      window: 'day',
      unit: 'USD',
      limit: 100 * M,
      used: 76.58 * M,
      reserved: 1.2 * M,
      remaining: 100 * M - 76.58 * M - 1.2 * M,
      percent: 76,
      warnAt: 0.5,
      status: 'Warning',
    });
    expect(output.budgets.map((row: { team: string; status: string }) => `${row.team}:${row.status}`)).toEqual([
      'engineering:Warning',
      'marketing:Warning',
      'product:Warning',
      'sales:Exceeded',
      '(all):Active',
      '(all):Active',
    ]);
    expect(output.rateLimits).toEqual([
      {
        rule: 'per-team-rate',
        key: 'rate:per-team-rate|team=search|rolling',
        per: { team: 'search' },
        team: 'search',
        window: 'minute',
        unit: 'requests',
        limit: 60,
        used: 3,
        reserved: 0,
        percent: 5,
        status: 'Active',
      },
    ]);
  });

  it('colours the status words with FORCE_COLOR (a terminal): green, yellow, red', async () => {
    const result = await runCli(['status', '--store', url], { FORCE_COLOR: '1' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('\u001b[32mActive\u001b[39m');
    expect(result.stdout).toContain('\u001b[33mWarning\u001b[39m');
    expect(result.stdout).toContain('\u001b[31mExceeded\u001b[39m');
  });

  it('reads GENOPS_STORE when there is no --store, and --store wins over it', async () => {
    const fromEnv = await runCli(['status', '--json'], { GENOPS_STORE: url });
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout).store.url).toBe(url);
    const missing = `sqlite:${join(directory, 'nope.db')}`;
    const both = await runCli(['status', '--store', url, '--json'], { GENOPS_STORE: missing });
    expect(both.code).toBe(0);
    expect(JSON.parse(both.stdout).store.url).toBe(url);
    const badEnv = await runCli(['status'], { GENOPS_STORE: missing });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toBe(
      `genops: error: no store at ${join(directory, 'nope.db')} (GENOPS_STORE=${missing}). Pass --store <url> or set GENOPS_STORE to the store your app uses (GenOps.init({ store }), e.g. sqlite:./.genops/state.db or redis://127.0.0.1:6379)\n`,
    );
  });

  it('reads the default store sqlite:./.genops/state.db of the working directory', async () => {
    const app = join(directory, 'app');
    await mkdir(join(app, '.genops'), { recursive: true });
    const local = sqliteStore(join(app, '.genops'));
    await spend(local.store, usdLine(`daily||${today}`, 10, 1), 2.5 * M);
    await local.store.close();
    const result = await runCli(['status'], {}, { cwd: app });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('store sqlite:./.genops/state.db (sqlite)');
    expect(tableRows(result.stdout)[1]).toEqual(['(all)', `$10.00 daily ${today}`, '$2.50 · 25%', 'Active']);
    expect(result.stdout).toContain('Open reservations: 0');
  });

  it('exits 2 when the default store does not exist, and does not create it', async () => {
    const empty = await mkdtemp(join(directory, 'empty-'));
    const result = await runCli(['status'], {}, { cwd: empty });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'genops: error: no store at ./.genops/state.db (the default store, sqlite:./.genops/state.db). Pass --store <url> or set GENOPS_STORE',
    );
    const again = await runCli(['status'], {}, { cwd: empty });
    expect(again.code).toBe(2);
  });

  it('exits 2 with core’s message for an unknown store URL, never printing its password', async () => {
    const result = await runCli(['status', '--store', 'postgres://admin:hunter2@db.internal:5432/genops']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'genops: error: cannot open the store postgres://admin:***@db.internal:5432/genops: Invalid GenOps option `store`: unknown store "postgres://admin:***@db.internal:5432/genops"',
    );
    expect(result.stderr).not.toContain('hunter2');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for a Redis store that cannot be used, without printing its password', async () => {
    // Port 1 refuses connections; without @genops/store-redis the message says to install it.
    const result = await runCli(['status', '--store', 'redis://admin:hunter2@127.0.0.1:1/0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^genops: error: cannot (open|read) the store redis:\/\/admin:\*\*\*@127\.0\.0\.1:1\/0/,
    );
    expect(result.stderr).not.toContain('hunter2');
  });

  it('never prints a password with a raw @ or a ?password= in a store URL', async () => {
    for (const url of [
      'redis://admin:hun@ter2@127.0.0.1:1/0',
      'redis://127.0.0.1:1/0?password=hunter2',
      'redis://admin:hunter2@127.0.0.1:notaport/0',
      'postgres://admin:hun@ter2@db.internal:5432/genops?pass=hunter2',
    ]) {
      const result = await runCli(['status', '--store', url]);
      expect(result.code).toBe(2);
      expect(result.stderr).not.toContain('ter2');
      expect(result.stderr).not.toContain('hunter2');
    }
  });

  it('exits 2 for a file that is not a store; the stack only with GENOPS_DEBUG=1', async () => {
    const file = join(directory, 'notes.txt');
    await writeFile(file, 'this is not a database, just some text that is long enough to have a header\n'.repeat(20));
    const result = await runCli(['status', '--store', `sqlite:${file}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^genops: error: cannot open the store sqlite:${file}: cannot open the SQLite store at ${file}: .+\\n$`,
      ),
    );
    const debug = await runCli(['status', '--store', `sqlite:${file}`], { GENOPS_DEBUG: '1' });
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('exits 1 for an invalid policy file and 2 for a missing one', async () => {
    const invalid = await runCli(['status', '--store', url, '--policy', fixture('invalid.policy.yaml')]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('rules[0].allow[0]: bad glob');
    const missing = await runCli(['status', '--store', url, '--policy', fixture('nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the policy file');
  });

  it('says so when the store has no budget lines yet', async () => {
    const fresh = sqliteStore(directory, 'fresh.db');
    await fresh.store.close();
    const result = await runCli(['status', '--store', fresh.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No budget has been used in this store yet.');
    expect(result.stdout).toContain('Open reservations: 0');
  });
});

describe('genops watch', () => {
  it('prints a new table every interval while another process spends, and exits 0 on Ctrl-C', async () => {
    const watched = sqliteStore(directory, 'watched.db');
    const line = usdLine(`team-daily|team=search|${today}`, 100, 5);
    await spend(watched.store, line, 1 * M);
    const watch = startCli(['watch', '--store', watched.url, '--interval', '200ms']);
    const frames = () => watch.output().split('AI Governance Status').length - 1;
    try {
      await waitFor(
        () => watch.output().includes('$1.00 · 1%'),
        () => `first frame: ${watch.output()} ${watch.errors()}`,
      );
      await spend(watched.store, line, 49 * M);
      await waitFor(
        () => watch.output().includes('$50.00 · 50%'),
        () => `after spending: ${watch.output()} ${watch.errors()}`,
      );
      await spend(watched.store, line, 40 * M);
      await waitFor(
        () => watch.output().includes('$90.00 · 90%'),
        () => `after spending more: ${watch.output()} ${watch.errors()}`,
      );
      const seen = frames();
      await waitFor(
        () => frames() >= seen + 2,
        () => `two more frames: ${watch.output()}`,
      );
    } finally {
      watch.child.kill('SIGINT');
    }
    expect(await watch.exited).toBe(0);
    expect(watch.errors()).toBe('');
    const output = watch.output();
    // Piped: no screen clearing, each frame a complete table with its row.
    expect(output).not.toContain('\u001b[');
    const rows = tableRows(output).filter((row) => row[0] === 'search');
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows.at(-1)).toEqual(['search', `$100.00 team-daily ${today}`, '$90.00 · 90%', 'Warning']);
    expect(output).toContain('Every 200ms · Ctrl-C to stop');
    await watched.store.close();
  });

  it('exits 2 at once when the store cannot be opened', async () => {
    const result = await runCli(['watch', '--store', `sqlite:${join(directory, 'missing.db')}`, '--interval', '1s']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('genops: error: no store at');
  });

  it('exits 2 for a bad interval', async () => {
    const result = await runCli(['watch', '--interval', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("option '--interval <duration>' argument 'soon' is invalid");
  });
});
