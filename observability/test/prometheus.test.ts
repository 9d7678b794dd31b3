// A real Prometheus scrapes an app doing governed OpenAI calls (GenOps.init({ exporter: 'prometheus' })
// against the fake OpenAI server) and `genops metrics` serving the same SQLite store. The alert rules
// pass `promtool check rules`, and every Grafana panel query and every alert expression of the repo
// returns series from Prometheus' HTTP API.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMetricsCommand } from '@genops/cli';
import { GenOps, type GenOpsHandle, withAttribution } from '@genops/core';
import { instrumentOpenAI } from '@genops/provider-openai';
import { type FakeOpenAIServer, startFakeOpenAI } from '@genops/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  findOrInstallPrometheus,
  freePort,
  PROMETHEUS_INSTALL_TIMEOUT_MS,
  type RunningPrometheus,
  startPrometheus,
} from './prometheus-server';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ALERTS = join(root, 'prometheus', 'alerts.yml');
const dashboard = JSON.parse(readFileSync(join(root, 'grafana', 'genops.json'), 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};
const rules = (
  parse(readFileSync(ALERTS, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }
).groups.flatMap((group) => group.rules);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The series of `expr` once it has some (Prometheus scrapes every second), or [] after `timeoutMs`. */
async function seriesOf(expr: string, timeoutMs = 20_000) {
  for (const deadline = Date.now() + timeoutMs; ; await sleep(250)) {
    const series = await prometheus.query(expr);
    if (series.length > 0 || Date.now() > deadline) return series;
  }
}

/** Waits until `expr` has series; throws after 20 s (the set-up did not produce what the tests need). */
async function until(expr: string): Promise<void> {
  if ((await seriesOf(expr)).length === 0) throw new Error(`prometheus never saw: ${expr}`);
}

let binaries: { prometheus: string; promtool: string };
let fake: FakeOpenAIServer;
let genops: GenOpsHandle;
let prometheus: RunningPrometheus;
let dir: string;
let appPort: number;
let cliPort: number;
const cli = new AbortController();
let cliExit: Promise<number>;
const cliOutput: string[] = [];

beforeAll(async () => {
  binaries = findOrInstallPrometheus();
  fake = await startFakeOpenAI();
  dir = mkdtempSync(join(tmpdir(), 'genops-observability-'));
  appPort = await freePort();
  cliPort = await freePort();
  const store = `sqlite:${join(dir, 'state.db')}`;
  genops = GenOps.init({
    exporter: 'prometheus',
    prometheus: { port: appPort },
    autoInstrument: false,
    store,
    metrics: { customers: true },
    defaults: { team: 'search', project: 'assistant', environment: 'test' },
    policy: {
      version: 1,
      rules: [{ name: 'customer-rpm', type: 'rate_limit', limit: 1, window: 'minute', per: 'customer' }],
    },
    policies: { denyModels: ['gpt-3.5*'] },
    budgets: [{ name: 'team-daily', limit: 0.00002, window: 'day', per: 'team', action: 'warn', warnAt: [0.8] }],
    requireApprovalOver: 0.00001,
    approver: () => true,
  });
  const client = instrumentOpenAI(new OpenAI({ apiKey: 'not-needed', baseURL: fake.url, maxRetries: 0 }));
  const chat = (model: string, customer: string) =>
    withAttribution({ customer }, () =>
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 100 }),
    ).catch((error: Error) => error);
  // Phase 1, then phase 2 a few scrapes later, so counters grow between samples (rate and increase).
  await chat('gpt-4o-mini', 'acme');
  await chat('gpt-4o-mini', 'globex');
  await chat('gpt-3.5-turbo', 'acme'); // denied model
  await chat('gpt-4o-mini', 'spammer');
  await chat('gpt-4o-mini', 'spammer'); // rate-limited
  genops.governor.egress('refused', 'openai', 'api.openai.com');

  cliExit = runMetricsCommand(['--store', store, '--port', String(cliPort)], {
    stdout: { write: (text: string) => cliOutput.push(text) },
    stderr: { write: (text: string) => cliOutput.push(text) },
    env: {},
    signal: cli.signal,
  });
  prometheus = await startPrometheus(binaries.prometheus, {
    targets: [`127.0.0.1:${appPort}`, `127.0.0.1:${cliPort}`],
    ruleFiles: [ALERTS],
  });
  // Prometheus applies new targets a few seconds after it starts: wait until both are scraped.
  for (let waited = 0; (await prometheus.query('up == 1')).length < 2; waited += 250) {
    if (waited > 30_000) throw new Error('prometheus did not scrape both targets within 30 s');
    await sleep(250);
  }
  await until('sum(genops_policy_decisions_total{genops_policy_result=~"BLOCKED|RATE_LIMITED"}) == 2');
  await chat('gpt-4o-mini', 'acme');
  await chat('gpt-4o-mini', 'initech');
  for (let index = 0; index < 4; index++) await chat('gpt-3.5-turbo', 'acme');
  for (let index = 0; index < 3; index++) await chat('gpt-4o-mini', 'spammer');
  genops.governor.egress('refused', 'openai', 'api.openai.com');
  // Phase 2 scraped (2 denials before, 8 now: 1 + 4 + 3), then the app's store goes away: every scrape
  // now fails to read it (GenOpsStoreDown).
  await until('sum(genops_policy_decisions_total{genops_policy_result=~"BLOCKED|RATE_LIMITED"}) == 10');
  await sleep(1_500);
  await genops.governor.store.close();
  await until('genops_store_failures_total{genops_store_operation="collect"} >= 2');
}, PROMETHEUS_INSTALL_TIMEOUT_MS + 60_000);

afterAll(async () => {
  cli.abort();
  await cliExit;
  await prometheus?.stop();
  await genops?.shutdown().catch(() => undefined);
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus alert rules and the Grafana dashboard', () => {
  it('pass promtool check rules', () => {
    const output = execFileSync(binaries.promtool, ['check', 'rules', ALERTS], { encoding: 'utf8' });
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('every Grafana panel query returns series', async () => {
    const empty: string[] = [];
    for (const panel of dashboard.panels)
      for (const target of panel.targets) {
        const expr = target.expr
          .replaceAll('$__rate_interval', '1m')
          .replaceAll('$__range', '5m')
          .replaceAll('$team', '.*');
        if ((await prometheus.query(expr)).length === 0) empty.push(`${panel.title}: ${target.expr}`);
      }
    expect(empty).toEqual([]);
  });

  it('every alert fires in the scenario: budget at 80% and used up, a deny spike, the store down', async () => {
    const silent: string[] = [];
    for (const rule of rules) if ((await seriesOf(rule.expr)).length === 0) silent.push(rule.alert);
    expect(silent).toEqual([]);
    const exhausted = await prometheus.query(rules.find((rule) => rule.alert === 'GenOpsBudgetExhausted')!.expr);
    expect(exhausted[0]?.metric).toMatchObject({ genops_budget_name: 'team-daily', genops_team: 'search' });
  });

  it('answers "which calls were blocked today and why?" by reason code and rule', async () => {
    const panel = dashboard.panels.find((candidate) => candidate.title === 'Blocked calls by reason')!;
    const rows = await prometheus.query(panel.targets[0]!.expr.replaceAll('$__range', '1d').replaceAll('$team', '.*'));
    expect(rows.map((row) => [row.metric.genops_policy_reason_code, row.metric.genops_policy_name]).sort()).toEqual([
      ['POLICY_DENY_MODEL', 'denyModels'],
      ['RATE_LIMITED', 'customer-rpm'],
    ]);
  });
});

describe('genops metrics', () => {
  it("serves the store's budget gauges with the values the app reported", async () => {
    expect(cliOutput.join('')).toContain(`serving http://127.0.0.1:${cliPort}/metrics`);
    const series = await prometheus.query('genops_budget_used{genops_budget_name="team-daily"}');
    const byTarget = new Map(series.map((row) => [row.metric.instance, row.value[1]]));
    expect(byTarget.get(`127.0.0.1:${cliPort}`)).toBeDefined();
    expect(byTarget.get(`127.0.0.1:${cliPort}`)).toBe(byTarget.get(`127.0.0.1:${appPort}`));
  });
});

describe('the Datadog dashboard', () => {
  it('queries only metrics the app emits (OTLP names: the exposition names with dots)', async () => {
    const datadog = JSON.parse(readFileSync(join(root, 'datadog', 'genops-dashboard.json'), 'utf8')) as {
      widgets: Array<{ definition: { requests: Array<{ q: string }> } }>;
    };
    const names = new Set(
      datadog.widgets.flatMap((widget) =>
        widget.definition.requests.map((request) => /^[a-z0-9]+:([a-z0-9_.]+)\{/.exec(request.q)?.[1] ?? request.q),
      ),
    );
    const exposition = await (await fetch(`http://127.0.0.1:${appPort}/metrics`)).text();
    const emitted = new Set(
      [...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) =>
        type === 'counter' ? name!.replace(/_total$/, '') : name!,
      ),
    );
    const missing = [...names].filter((name) => !emitted.has(name.replaceAll('.', '_')));
    expect(names.size).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});
