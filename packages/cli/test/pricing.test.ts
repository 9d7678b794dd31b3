import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './helpers';

// `genops pricing show` as the built bin: the entry of the bundled price data the runtime would use.
beforeAll(assertBuilt);

describe('genops pricing show', () => {
  it('shows the rates per 1M tokens, defaults, limits and source of an exact id', async () => {
    const result = await runCli(['pricing', 'show', 'gpt-4o']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 14)).toEqual([
      'openai/gpt-4o (provider from the price data; pass --provider for another)',
      '  matched             exact id',
      'USD per 1M tokens',
      '  input               $2.50',
      '  output              $10.00',
      '  cache read          $1.25',
      '  cache write         $2.50 (as input)',
      '  reasoning           $10.00 (as output)',
      '  batch               input $1.25, output $5.00',
      '  long context        no tiers: one rate at any input size',
      'Limits',
      '  max output tokens   16,384',
      '  context window      128,000 tokens',
      'Source',
    ]);
    expect(lines[14]).toMatch(/^ {2}price data {10}openai, effective \d{4}-\d{2}-\d{2}$/);
    expect(lines[15]).toMatch(/^ {2}from {16}https:\/\/platform\.openai\.com\/docs\/pricing/);
  });

  it('says how a dated snapshot matched, and shows long-context tiers and 1h cache writes', async () => {
    // A snapshot date the data does not list (the listed ones match exactly).
    const result = await runCli(['pricing', 'show', 'claude-sonnet-4-5-20991231']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('anthropic/claude-sonnet-4-5 (provider from the price data');
    expect(result.stdout).toContain(
      '  matched             dated snapshot or version of claude-sonnet-4-5 (suffix stripped) for "claude-sonnet-4-5-20991231"',
    );
    expect(result.stdout).toContain('  cost source         genops-bundled@2026-07-24');
    expect(result.stdout).toContain('  cache write (1h)    $6.00');
    expect(result.stdout).toContain(
      '  long context        above 200,000 input tokens: input $6.00, output $22.50, cache read $0.60, cache write $7.50, cache write (1h) $12.00 (for the whole request)',
    );
  });

  it('matches aliases and provider prefixes (Bedrock cross-region profiles)', async () => {
    const result = await runCli(['pricing', 'show', 'us.anthropic.claude-3-haiku-20240307-v1:0']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('aws.bedrock/anthropic.claude-3-haiku-20240307-v1:0');
    expect(result.stdout).toMatch(/matched {13}alias of anthropic\.claude-3-haiku-20240307-v1:0/);
    expect(result.stdout).toContain('  cache read          $0.025');
  });

  it('uses --provider, and says when a provider bills at another provider’s list prices', async () => {
    const result = await runCli(['pricing', 'show', 'gpt-4o-2099-01-01', '--provider', 'azure.ai.openai', '--json']);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({
      requested: 'gpt-4o-2099-01-01',
      provider: 'azure.ai.openai',
      providerSource: 'option',
      pricedAs: 'openai',
      model: 'gpt-4o',
      matchedBy: 'snapshot',
      prices: {
        input: 2.5,
        output: 10,
        cacheRead: 1.25,
        cacheWrite: 2.5,
        cacheWrite1h: 2.5,
        reasoning: 10,
        batch: { input: 1.25, output: 5 },
      },
      tiers: [],
      maxOutputTokens: 16384,
      maxInputTokens: 128000,
      mode: 'chat',
    });
    expect(output.effectiveDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(output.source).toContain('platform.openai.com');
    expect(output.entry).toEqual({
      input: 2.5,
      output: 10,
      cacheRead: 1.25,
      batch: { input: 1.25, output: 5 },
      maxInputTokens: 128000,
      maxOutputTokens: 16384,
      // Fine-tuning's training rate (an erratum, with the page it comes from).
      units: { trainingToken: 0.000025 },
      source: 'https://platform.openai.com/docs/pricing#fine-tuning',
    });
    const text = await runCli(['pricing', 'show', 'gpt-4o-2024-08-06', '--provider', 'azure.ai.openai']);
    expect(text.stdout).toContain('  priced as           openai list prices (azure.ai.openai bills at them)');
  });

  it('exits 1 for an unknown model, suggesting close ids and saying how to add a price', async () => {
    const result = await runCli(['pricing', 'show', 'gpt-4x']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `genops: error: no provider's price data has model "gpt-4x", so GenOps cannot reserve its cost (unknownModel: 'deny', the default, refuses such calls). Did you mean "gpt-4", "gpt-4o", "gpt-4.1"? Add a price in your app: GenOps.init({ prices: { '<provider>': { 'gpt-4x': { input: <USD per 1M>, output: <USD per 1M> } } } }), or set unknownModel to 'warn' or a fallback price, or pass --provider if another provider serves it.\n`,
    );
    const provider = await runCli(['pricing', 'show', 'my-model', '--provider', 'openai', '--json']);
    expect(provider.code).toBe(1);
    expect(JSON.parse(provider.stdout)).toMatchObject({ requested: 'my-model', provider: 'openai', found: false });
    expect(JSON.parse(provider.stdout).message).toContain(
      "GenOps.init({ prices: { 'openai': { 'my-model': { input: <USD per 1M>, output: <USD per 1M> } } } })",
    );
  });

  it('says when the price data has no output limit for a model (embeddings)', async () => {
    const result = await runCli(['pricing', 'show', 'text-embedding-3-small']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  mode                embedding');
    expect(result.stdout).toContain(
      "  max output tokens   not in the price data (reservations use the request's max_tokens, else 4,096)",
    );
  });

  it('exits 2 without a model', async () => {
    const result = await runCli(['pricing', 'show']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("genops: error: missing required argument 'model'");
  });
});

describe('genops pricing update', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'genops-pricing-update-'));
    dirs.push(dir);
    return dir;
  };

  it('validates a prices file and writes it to .genops/prices.json, where GenOps.init() picks it up', async () => {
    const dir = tempDir();
    const document = {
      version: 'acme-2026-08-01',
      prices: { openai: { 'gpt-4o': { input: 2, output: 8 } }, anthropic: { 'my-claude': { input: 1, output: 5 } } },
    };
    writeFileSync(join(dir, 'new.json'), JSON.stringify(document));
    const result = await runCli(['pricing', 'update', '--from', 'new.json'], {}, { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('2 price(s) for 2 provider(s) (version acme-2026-08-01) written to');
    expect(JSON.parse(readFileSync(join(dir, '.genops/prices.json'), 'utf8'))).toEqual(document);
  });

  it('refuses an invalid price with exit 1 and writes nothing', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({ prices: { openai: { m: { input: 1, output: 1, cacheRead: -1 } } } }),
    );
    const result = await runCli(['pricing', 'update', '--from', 'bad.json', '--to', 'out.json'], {}, { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('prices file.prices.openai.m.cacheRead');
    expect(result.stderr).toContain('negative');
    expect(existsSync(join(dir, 'out.json'))).toBe(false);
  });

  it('refuses a plain-http URL and a missing file with exit 2', async () => {
    const dir = tempDir();
    expect((await runCli(['pricing', 'update', '--from', 'http://example.com/p.json'], {}, { cwd: dir })).code).toBe(2);
    expect((await runCli(['pricing', 'update', '--from', 'missing.json'], {}, { cwd: dir })).code).toBe(2);
  });
});
