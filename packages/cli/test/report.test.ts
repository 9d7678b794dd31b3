import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenOps, withAttribution } from '@genops/core';
import { SqliteStore } from '@genops/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOCUS_COLUMNS } from '../src/commands/export';
import { assertBuilt, runCli, tableRows } from './helpers';

// `genops report` and `genops export focus` over the audit trail that real governed calls wrote: an app
// (GenOps.init with a SQLite store and an audit file) runs five calls, one of them blocked; the CLI reads
// the file and the store. Prices are set here, so every amount below is exact:
//   search  ranker  "acme, Inc."  openai/gpt-4o            1000 in, 200 out  → $0.004500
//   search  ranker                openai/gpt-4o-mini      10000 in, 1000 out → $0.002100
//   search  ranker                anthropic/claude-sonnet-4 100 in, 10 out   → $0.000450
//   ads     say "hi"              openai/gpt-4o             400 in, 40 out   → $0.001400
//   ads                           openai/gpt-4-turbo        blocked (denyModels)
let directory: string;
let auditFile: string;
let storeUrl: string;

beforeAll(async () => {
  assertBuilt();
  directory = await mkdtemp(join(tmpdir(), 'genops-cli-report-'));
  auditFile = join(directory, 'audit.jsonl');
  const storePath = join(directory, 'state.db');
  storeUrl = `sqlite:${storePath}`;
  const genops = GenOps.init({
    store: new SqliteStore({ path: storePath }),
    audit: { file: auditFile },
    exporter: 'none',
    autoInstrument: false,
    policies: { denyModels: ['gpt-4-turbo'] },
    prices: {
      openai: { 'gpt-4o': { input: 2.5, output: 10 }, 'gpt-4o-mini': { input: 0.15, output: 0.6 } },
      anthropic: { 'claude-sonnet-4': { input: 3, output: 15 } },
    },
  });
  const calls: Array<[Record<string, string>, string, string, number, number]> = [
    [{ team: 'search', project: 'ranker', customer: 'acme, Inc.' }, 'openai', 'gpt-4o', 1000, 200],
    [{ team: 'search', project: 'ranker' }, 'openai', 'gpt-4o-mini', 10_000, 1000],
    [{ team: 'search', project: 'ranker' }, 'anthropic', 'claude-sonnet-4', 100, 10],
    [{ team: 'ads', project: 'say "hi"' }, 'openai', 'gpt-4o', 400, 40],
  ];
  for (const [attribution, provider, model, inputTokens, outputTokens] of calls) {
    const call = await withAttribution(attribution, () =>
      genops.governor.begin({
        provider,
        operation: 'chat',
        model,
        estimatedInputTokens: inputTokens,
        maxOutputTokens: outputTokens,
      }),
    );
    await call.end({ usage: { inputTokens, outputTokens } });
  }
  await expect(
    withAttribution({ team: 'ads' }, () =>
      genops.governor.begin({
        provider: 'openai',
        operation: 'chat',
        model: 'gpt-4-turbo',
        estimatedInputTokens: 10,
        maxOutputTokens: 10,
      }),
    ),
  ).rejects.toMatchObject({ reasonCode: 'POLICY_DENY_MODEL' });
  await genops.flushAudit();
  await genops.shutdown();
});

afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('genops report', () => {
  it('spend by team from an audit file: exact costs, blocked calls counted, the total is the sum', async () => {
    const result = await runCli(['report', '--file', auditFile, '--period', 'all']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('Spend of all time (the beginning to now, UTC)');
    expect(tableRows(result.stdout)).toEqual([
      ['team', 'calls', 'blocked', 'tokens', 'cost'],
      ['search', '3', '0', '12,310', '$0.007050'],
      ['ads', '1', '1', '440', '$0.001400'],
      ['total', '4', '1', '12,750', '$0.008450'],
    ]);
  });

  it('"what did team search spend this week, by model?" from the shared store, as JSON', async () => {
    const result = await runCli([
      'report',
      '--store',
      storeUrl,
      '--period',
      'week',
      '--where',
      'team=search',
      '--by',
      'model',
      '--format',
      'json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { period: { label: string }; rows: unknown[]; total: unknown };
    expect(json.period.label).toBe('week');
    expect(json.rows).toEqual([
      { model: 'gpt-4o', calls: 1, blocked: 0, tokens: 1200, costUsd: '0.004500' },
      { model: 'gpt-4o-mini', calls: 1, blocked: 0, tokens: 11_000, costUsd: '0.002100' },
      { model: 'claude-sonnet-4', calls: 1, blocked: 0, tokens: 110, costUsd: '0.000450' },
    ]);
    expect(json.total).toEqual({ calls: 3, blocked: 0, tokens: 12_310, costUsd: '0.007050' });
  });

  it('CSV by any attribution key, with RFC 4180 quoting of commas and quotes', async () => {
    const result = await runCli([
      'report',
      auditFile,
      '--by',
      'customer,project,provider',
      '--period',
      'month',
      '--format',
      'csv',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\r\n')).toEqual([
      'customer,project,provider,calls,blocked,tokens,cost_usd',
      '"acme, Inc.",ranker,openai,1,0,1200,0.004500',
      ',ranker,openai,1,0,11000,0.002100',
      ',"say ""hi""",openai,1,0,440,0.001400',
      ',ranker,anthropic,1,0,110,0.000450',
      // The blocked call (team ads, no project): counted, at no cost.
      ',,openai,0,1,0,0.000000',
      '',
    ]);
  });

  it('"which calls were blocked today, and why?": by reason code and rule, blocked calls only', async () => {
    const result = await runCli([
      'report',
      '--file',
      auditFile,
      '--period',
      'today',
      '--by',
      'reason,rule,team,model',
      '--where',
      'result=BLOCKED',
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).rows).toEqual([
      {
        reason: 'POLICY_DENY_MODEL',
        rule: 'denyModels',
        team: 'ads',
        model: 'gpt-4-turbo',
        calls: 0,
        blocked: 1,
        tokens: 0,
        costUsd: '0.000000',
      },
    ]);
  });

  it('a period with no calls: no rows', async () => {
    const result = await runCli(['report', '--file', auditFile, '--period', '2020-01', '--format', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      period: { label: '2020-01', start: '2020-01-01T00:00:00.000Z', end: '2020-02-01T00:00:00.000Z' },
      rows: [],
      total: { calls: 0, costUsd: '0.000000' },
    });
  });

  it.each([
    [
      ['--period', 'fortnight'],
      'genops: error: --period "fortnight" is not a period (use today, yesterday, week, last-week, month, last-month, all, YYYY-MM or YYYY-MM-DD)\n',
    ],
    [
      ['--by', 'team;drop'],
      'genops: error: --by "team;drop" is not a dimension (use provider, model, operation, result, reason, rule, day, month or an attribution key such as team, project, customer)\n',
    ],
    [
      ['--since', '2026-02-30'],
      'genops: error: --since "2026-02-30" is not a date (use YYYY-MM-DD or an ISO time such as 2026-11-03T12:00:00Z)\n',
    ],
    [
      ['--since', '2026-11-05', '--until', '2026-11-01'],
      'genops: error: --until 2026-11-01 is not after --since 2026-11-05 (give an end after the start)\n',
    ],
    [
      ['--where', '=x'],
      "genops: error: option '--where <key=value>' argument '=x' is invalid. expected key=value, e.g. environment=prod\n",
    ],
  ])('bad arguments %j: exit 2 with what and how to fix', async (args, message) => {
    const result = await runCli(['report', '--file', auditFile, ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toBe(message.trimEnd());
  });

  it('an audit file that does not exist: exit 2 naming it', async () => {
    const missing = join(directory, 'nope.jsonl');
    const result = await runCli(['report', '--file', missing]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`genops: error: cannot read ${missing} (ENOENT: no such file)\n`);
  });
});

describe('genops export focus', () => {
  it('writes FOCUS 1.2 columns, one row per day, provider, model and attribution; costs sum exactly', async () => {
    const result = await runCli(['export', 'focus', '--file', auditFile, '--period', 'all']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\r\n').filter((line) => line !== '');
    expect(lines[0]).toBe(FOCUS_COLUMNS.join(','));
    expect(lines).toHaveLength(5);

    const json = await runCli(['export', 'focus', '--store', storeUrl, '--period', 'all', '--format', 'json']);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<Record<string, string | null>>;
    expect(rows).toHaveLength(4);
    const micros = rows.reduce((sum, row) => sum + Math.round(Number(row.BilledCost) * 1_000_000), 0);
    expect(micros).toBe(8450);
    const today = new Date().toISOString().slice(0, 10);
    const acme = rows.find((row) => row.Tags?.includes('acme'));
    expect(acme).toMatchObject({
      BilledCost: '0.004500',
      EffectiveCost: '0.004500',
      ListCost: '0.004500',
      ContractedCost: '0.004500',
      BillingCurrency: 'USD',
      BillingAccountId: 'openai',
      ProviderName: 'OpenAI',
      PublisherName: 'OpenAI',
      InvoiceIssuerName: 'OpenAI',
      ServiceName: 'OpenAI API',
      ServiceCategory: 'AI and Machine Learning',
      ServiceSubcategory: 'Generative AI',
      ChargeCategory: 'Usage',
      ChargeFrequency: 'Usage-Based',
      ChargeClass: null,
      ChargePeriodStart: `${today}T00:00:00Z`,
      SkuId: 'gpt-4o',
      ConsumedQuantity: '1200',
      ConsumedUnit: 'Tokens',
      PricingQuantity: '1200',
      PricingUnit: 'Tokens',
      Tags: '{"customer":"acme, Inc.","project":"ranker","team":"search"}',
      x_GenOpsCalls: '1',
    });
    expect(acme?.BillingPeriodStart).toBe(`${today.slice(0, 7)}-01T00:00:00Z`);
    expect(rows.find((row) => row.SkuId === 'claude-sonnet-4')).toMatchObject({
      ProviderName: 'Anthropic',
      ServiceName: 'Claude API',
    });
    // The blocked call is not a charge.
    expect(rows.some((row) => row.SkuId === 'gpt-4-turbo')).toBe(false);

    // The CSV quotes the Tags JSON (it has commas and quotes) so a CSV reader gets it back whole.
    expect(
      lines.some((line) => line.includes('"{""customer"":""acme, Inc."",""project"":""ranker"",""team"":""search""}"')),
    ).toBe(true);
  });

  it('--format xml is a usage error', async () => {
    const result = await runCli(['export', 'focus', '--file', auditFile, '--format', 'xml']);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(
      "genops: error: option '--format <format>' argument 'xml' is invalid. expected csv or json",
    );
  });

  it('the audit file the app wrote is the source of truth: it has the settlement of every allowed call', async () => {
    const text = await readFile(auditFile, 'utf8');
    expect(text.match(/"type":"settlement"/g)).toHaveLength(4);
  });
});
