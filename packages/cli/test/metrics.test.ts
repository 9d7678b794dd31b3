// `genops metrics` as users run it (the built CLI in a child process) against a real SQLite store file.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, startCli } from './helpers';
import { hold, pendingApproval, spend, sqliteStore, usdLine } from './stores';

let directory: string;
let url: string;

beforeAll(async () => {
  assertBuilt();
  directory = await mkdtemp(join(tmpdir(), 'genops-cli-metrics-'));
  const opened = sqliteStore(directory);
  url = opened.url;
  await spend(opened.store, usdLine('team-daily|team=search|2026-12-05', 10, 2), 7_500_000);
  await hold(opened.store, usdLine('team-daily|team=search|2026-12-05', 10, 1));
  await spend(opened.store, usdLine('per-customer|customer=acme|2026-12', 5, 1), 1_000_000);
  await spend(opened.store, usdLine('per-customer|customer=globex|2026-12', 5, 4), 4_000_000);
  await opened.store.createApproval(pendingApproval('held-1'));
  await opened.store.close();
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A port taken by a listener of this process until `release()`. */
async function takenPort(): Promise<{ port: number; release(): Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    release: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function scrape(port: number): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('genops metrics', () => {
  it("serves the store's gauges on 127.0.0.1 until Ctrl-C, and exits 0", async () => {
    const reserved = await takenPort();
    const { port } = reserved;
    await reserved.release();
    const cli = startCli(['metrics', '--store', url, '--port', String(port)]);
    try {
      const text = await scrape(port);
      const labels =
        'genops_budget_name="team-daily",genops_budget_period="2026-12-05",genops_budget_unit="USD",genops_team="search"';
      expect(text).toContain(`genops_budget_limit{${labels}`);
      expect(text).toMatch(new RegExp(`^genops_budget_used\\{${labels}.*\\} 7\\.5$`, 'm'));
      expect(text).toMatch(new RegExp(`^genops_budget_reserved\\{${labels}.*\\} 1$`, 'm'));
      expect(text).toMatch(new RegExp(`^genops_budget_remaining\\{${labels}.*\\} 1\\.5$`, 'm'));
      expect(text).toMatch(new RegExp(`^genops_budget_utilization\\{${labels}.*\\} 0\\.75$`, 'm'));
      expect(text).toMatch(/^genops_reservations_open\{.*\} 1$/m);
      expect(text).toMatch(/^genops_approvals_pending\{.*\} 1$/m);
      // Per-customer instances fold into the most used one (globex, 4 of 5) without --customers.
      const perCustomer = text
        .split('\n')
        .filter((line) => line.startsWith('genops_budget_used{genops_budget_name="per-customer"'));
      expect(perCustomer).toHaveLength(1);
      expect(perCustomer[0]).toMatch(/ 4$/);
      expect(perCustomer[0]).not.toContain('customer_id');
      expect(cli.output()).toContain(`serving http://127.0.0.1:${port}/metrics`);
    } finally {
      cli.child.kill('SIGINT');
    }
    expect(await cli.exited).toBe(0);
  });

  it('with --customers, one series per customer', async () => {
    const reserved = await takenPort();
    const { port } = reserved;
    await reserved.release();
    const cli = startCli(['metrics', '--store', url, '--port', String(port), '--customers']);
    try {
      const text = await scrape(port);
      expect(text).toMatch(/^genops_budget_used\{.*genops_customer_id="acme".*\} 1$/m);
      expect(text).toMatch(/^genops_budget_used\{.*genops_customer_id="globex".*\} 4$/m);
    } finally {
      cli.child.kill('SIGINT');
    }
    expect(await cli.exited).toBe(0);
  });

  it('exits 2 naming the port when it is in use', async () => {
    const taken = await takenPort();
    try {
      const result = await runCli(['metrics', '--store', url, '--port', String(taken.port)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`genops: error: cannot listen on 127.0.0.1:${taken.port}`);
      expect(result.stderr).toContain('Pass another --port');
    } finally {
      await taken.release();
    }
  });

  it('exits 2 on a bad port and on a store that does not exist', async () => {
    const badPort = await runCli(['metrics', '--store', url, '--port', '70000']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('expected a port number from 1 to 65535');
    const missing = await runCli(['metrics', '--store', `sqlite:${join(directory, 'nothing.db')}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no store at');
  });
});
