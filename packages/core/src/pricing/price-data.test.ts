import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PRICE_FILES } from './data/index';
import {
  type Erratum,
  LITELLM_PROVIDERS,
  type LiteLLMRow,
  priceFromReference,
  referenceRows,
  sizedImagePrice,
} from './litellm';
import { PriceTable } from './price-table';
import type { ModelPrice, PriceTier } from './types';
import { priceProblems } from './validate-prices';

const table = new PriceTable(PRICE_FILES);

const HERE = dirname(fileURLToPath(import.meta.url)); // packages/core/src/pricing
const DATA_DIR = resolve(HERE, 'data');
const REPO_ROOT = resolve(HERE, '../../../..');
// A dated snapshot of LiteLLM's public table, vendored in the repo (see packages/core/reference/README.md).
const REFERENCE_PATH = resolve(REPO_ROOT, 'packages/core/reference/litellm-model-prices-2026-07-24.json');
const ERRATA_PATH = resolve(HERE, 'errata.json');

const ERRATA = (JSON.parse(readFileSync(ERRATA_PATH, 'utf8')) as { errata: Erratum[] }).errata;

/** Coverage and exactness the data must keep against the reference (issue 16). */
const MIN_COVERAGE = 0.97;
const MIN_EXACT = 0.999;

const TOLERANCE = 1e-9;
const perMillion = (perToken: unknown): number | undefined =>
  typeof perToken === 'number' && Number.isFinite(perToken) ? perToken * 1e6 : undefined;

const TOKEN_FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h'] as const;

/** Our per-1M view of a row's token rates, computed here independently of the generator. */
function expectedTokenRates(row: LiteLLMRow): Record<(typeof TOKEN_FIELDS)[number], number | undefined> {
  const cacheWrite = perMillion(row.cache_creation_input_token_cost);
  return {
    input: perMillion(row.input_cost_per_token) ?? 0,
    // Image models whose only output is image tokens (gpt-image-1) list just the image-token rate.
    output: perMillion(row.output_cost_per_token) ?? perMillion(row.output_cost_per_image_token) ?? 0,
    cacheRead: perMillion(row.cache_read_input_token_cost),
    // A 0 cache-write rate (DeepSeek) means "no cache writes", not "free": left unset (defaults to input).
    cacheWrite: cacheWrite === 0 ? undefined : cacheWrite,
    cacheWrite1h: perMillion(row.cache_creation_input_token_cost_above_1hr),
  };
}

const TIER_REFERENCE_FIELD: Record<Exclude<keyof PriceTier, 'aboveInputTokens'>, string> = {
  input: 'input_cost_per_token',
  output: 'output_cost_per_token',
  cacheRead: 'cache_read_input_token_cost',
  cacheWrite: 'cache_creation_input_token_cost',
  cacheWrite1h: 'cache_creation_input_token_cost_above_1hr',
};

const same = (a: unknown, b: unknown): boolean =>
  typeof a === 'number' && typeof b === 'number'
    ? Math.abs(a - b) <= TOLERANCE
    : JSON.stringify(a) === JSON.stringify(b);

/** The fields an erratum changes for one entry (top-level names). */
function erratumFields(provider: string, model: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const erratum of ERRATA) {
    if (erratum.provider !== provider || erratum.model?.toLowerCase() !== model.toLowerCase()) continue;
    for (const field of [...Object.keys(erratum.set ?? {}), ...(erratum.unset ?? []).map((f) => f.split('.')[0]!)])
      fields.set(field, erratum.reason);
  }
  return fields;
}

/** One comparison per rate the reference row gives; each either exact, a listed erratum, or a problem. */
function compareRow(
  provider: string,
  model: string,
  price: ModelPrice,
  row: LiteLLMRow,
): { comparisons: number; exact: number; deliberate: string[]; problems: string[] } {
  const errata = erratumFields(provider, model);
  const result = { comparisons: 0, exact: 0, deliberate: [] as string[], problems: [] as string[] };
  const check = (field: string, errataField: string, ours: unknown, theirs: unknown): void => {
    if (theirs === undefined && ours === undefined) return;
    result.comparisons++;
    if (same(ours, theirs)) result.exact++;
    else if (errata.has(errataField)) result.deliberate.push(`${field}: ${errata.get(errataField)}`);
    else result.problems.push(`${field}: ours ${JSON.stringify(ours)}, reference ${JSON.stringify(theirs)}`);
  };
  const tokens = expectedTokenRates(row);
  for (const field of TOKEN_FIELDS) {
    // A rate the reference leaves unset defaults to another one; ours may set it only through an erratum.
    if (tokens[field] === undefined && price[field] !== undefined && !errata.has(field))
      result.problems.push(`${field}: ${price[field]} has no counterpart in the reference`);
    if (tokens[field] !== undefined || errata.has(field)) check(field, field, price[field], tokens[field]);
  }
  // Long-context tiers: each `*_above_<N>k_tokens` rate of the reference against our tier.
  for (const field of Object.keys(row)) {
    const m = /^input_cost_per_token_above_(\d+)k_tokens$/.exec(field);
    if (!m) continue;
    const above = Number(m[1]) * 1000;
    const tier = price.tiers?.find((t) => t.aboveInputTokens === above);
    for (const [name, base] of Object.entries(TIER_REFERENCE_FIELD)) {
      const theirs = perMillion(row[`${base}_above_${m[1]}k_tokens`]);
      const ours = tier?.[name as keyof typeof TIER_REFERENCE_FIELD];
      if (theirs === undefined && ours !== undefined && !errata.has('tiers'))
        result.problems.push(`tier >${above} ${name}: ${ours} has no counterpart in the reference`);
      if (theirs !== undefined || (ours !== undefined && errata.has('tiers')))
        check(`tier >${above} ${name}`, 'tiers', ours, theirs);
    }
  }
  // Everything else the generator derives (reasoning, citation, audio, batch, units).
  const derived = priceFromReference(row);
  for (const field of [
    'reasoning',
    'citation',
    'audioInput',
    'audioOutput',
    'imageInput',
    'imageOutput',
    'batch',
  ] as const)
    if (derived[field] !== undefined || errata.has(field)) check(field, field, price[field], derived[field]);
  for (const [unit, value] of Object.entries(derived.units ?? {}))
    check(`units.${unit}`, 'units', price.units?.[unit as keyof NonNullable<ModelPrice['units']>], value);
  return result;
}

interface ProviderReport {
  provider: string;
  rows: number;
  excluded: number;
  priced: number;
  comparisons: number;
  exact: number;
  deliberate: string[];
  problems: string[];
  unpriced: string[];
}

let reportCache: ProviderReport[] | undefined;
function crossCheck(): ProviderReport[] {
  if (reportCache) return reportCache;
  const reference = JSON.parse(readFileSync(REFERENCE_PATH, 'utf8')) as Record<string, LiteLLMRow>;
  reportCache = Object.keys(LITELLM_PROVIDERS).map((provider) => {
    const report: ProviderReport = {
      provider,
      rows: 0,
      excluded: 0,
      priced: 0,
      comparisons: 0,
      exact: 0,
      deliberate: [],
      problems: [],
      unpriced: [],
    };
    const skips = new Map(
      ERRATA.filter((e) => e.provider === provider && e.skip).map((e) => [e.skip!.toLowerCase(), e.reason]),
    );
    for (const { key, id, row, image, excluded } of referenceRows(reference, provider)) {
      if (excluded) {
        report.excluded++;
        continue;
      }
      report.rows++;
      if (image) {
        const hit = table.lookup(provider, image.model);
        const ours = hit?.price.units?.imageBySize?.[image.sizeKey];
        if (ours === undefined) {
          report.unpriced.push(key);
          continue;
        }
        report.priced++;
        report.comparisons++;
        if (same(ours, sizedImagePrice(row, image.sizeKey))) report.exact++;
        else
          report.problems.push(
            `${key}: image ${image.sizeKey} ours ${ours}, reference ${sizedImagePrice(row, image.sizeKey)}`,
          );
        continue;
      }
      const hit = table.lookup(provider, id);
      if (!hit) {
        report.unpriced.push(key);
        continue;
      }
      report.priced++;
      const skipped = skips.get(id.toLowerCase()) ?? skips.get(key.toLowerCase());
      const result = compareRow(provider, hit.model, hit.price, row);
      report.comparisons += result.comparisons;
      report.exact += result.exact;
      report.deliberate.push(...result.deliberate.map((d) => `${key} (priced as ${hit.model}): ${d}`));
      if (skipped) {
        // Deliberately not copied: every difference is this erratum's.
        report.deliberate.push(...result.problems.map((p) => `${key} (priced as ${hit.model}): ${p}: ${skipped}`));
      } else report.problems.push(...result.problems.map((p) => `${key} (priced as ${hit.model}): ${p}`));
    }
    return report;
  });
  return reportCache;
}

describe('price data files', () => {
  it('registers every JSON file in data/ exactly once, one file per provider', () => {
    const jsonFiles = readdirSync(DATA_DIR).filter((name) => name.endsWith('.json'));
    expect(PRICE_FILES).toHaveLength(jsonFiles.length);
    const providers = PRICE_FILES.map((file) => file.provider);
    expect(new Set(providers).size).toBe(providers.length);
    expect([...providers].sort()).toEqual(Object.keys(LITELLM_PROVIDERS).sort());
  });

  for (const file of PRICE_FILES) {
    describe(file.provider, () => {
      it('has provider, currency, unit, an effective date, a source URL and a version', () => {
        expect(file.provider).toMatch(/^[a-z][a-z0-9_.]*$/);
        expect(file.currency).toBe('USD');
        expect(file.unit).toBe('per_1m_tokens');
        expect(file.effectiveDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(new Date(`${file.effectiveDate}T00:00:00Z`).toISOString().slice(0, 10)).toBe(file.effectiveDate);
        expect(file.source).toMatch(/^https:\/\/[^\s]+/);
        expect(file.version).toBe(`genops-bundled@${file.effectiveDate}`);
        expect(Object.keys(file.models).length).toBeGreaterThan(0);
      });

      it('passes price validation for every model (finite, non-negative, sane, tiers ordered)', () => {
        const problems = Object.entries(file.models).flatMap(([model, price]) =>
          priceProblems(price).map((problem) => `${model}.${problem.field}: ${problem.message}`),
        );
        expect(problems).toEqual([]);
      });

      it('lists no id or alias twice', () => {
        const seen = new Map<string, string>();
        const duplicates: string[] = [];
        for (const [model, price] of Object.entries(file.models)) {
          for (const id of [model, ...(price.aliases ?? [])]) {
            const key = id.toLowerCase();
            const previous = seen.get(key);
            if (previous !== undefined) duplicates.push(`${id} (in ${previous} and ${model})`);
            else seen.set(key, model);
          }
        }
        expect(duplicates).toEqual([]);
      });
    });
  }

  it('is exactly what scripts/update-prices.ts generates from the vendored reference and the errata', () => {
    const run = spawnSync(process.execPath, [resolve(REPO_ROOT, 'scripts/update-prices.ts'), '--check'], {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('lists every erratum with a reason and an https source, and tags the entry with that source', () => {
    for (const erratum of ERRATA) {
      expect(erratum.reason.length).toBeGreaterThan(20);
      expect(erratum.source).toMatch(/^https:\/\//);
      expect(Boolean(erratum.model) !== Boolean(erratum.skip)).toBe(true);
      if (!erratum.model) continue;
      const file = PRICE_FILES.find((f) => f.provider === erratum.provider)!;
      expect(file.models[erratum.model]?.source, `${erratum.provider} ${erratum.model}`).toBe(erratum.source);
    }
  });
});

describe('price data cross-check against the LiteLLM reference table', () => {
  it('finds the reference table', () => {
    expect(existsSync(REFERENCE_PATH), `LiteLLM reference price table not found at ${REFERENCE_PATH}`).toBe(true);
  });

  it(`prices at least ${MIN_COVERAGE * 100}% of the reference's rows per provider, and ${MIN_EXACT * 100}% of comparisons exactly`, () => {
    const reports = crossCheck();
    const lines = reports.map(
      (r) =>
        `${r.provider}: ${r.priced}/${r.rows} rows priced (${((100 * r.priced) / r.rows).toFixed(1)}%), ` +
        `${r.exact}/${r.comparisons} comparisons exact, ${r.deliberate.length} deliberate differences, ${r.excluded} rows excluded`,
    );
    const total = reports.reduce(
      (sum, r) => ({
        rows: sum.rows + r.rows,
        priced: sum.priced + r.priced,
        comparisons: sum.comparisons + r.comparisons,
        exact: sum.exact + r.exact,
      }),
      { rows: 0, priced: 0, comparisons: 0, exact: 0 },
    );
    console.info(
      `price-data cross-check:\n  ${lines.join('\n  ')}\n  total: ${total.priced}/${total.rows} rows priced, ${total.exact}/${total.comparisons} comparisons exact`,
    );
    // Every difference is either listed in errata.json (deliberate) or a failure.
    expect(reports.flatMap((r) => r.problems)).toEqual([]);
    for (const r of reports) {
      expect(r.priced / r.rows, `${r.provider} unpriced: ${r.unpriced.join(', ')}`).toBeGreaterThanOrEqual(
        MIN_COVERAGE,
      );
      // Agreement with the reference, a listed erratum counted as agreement: no unexplained difference.
      expect((r.exact + r.deliberate.length) / r.comparisons, r.provider).toBeGreaterThanOrEqual(MIN_EXACT);
    }
    expect(total.priced / total.rows).toBeGreaterThanOrEqual(MIN_COVERAGE);
    // Raw agreement, errata counted as differences: 99.5% on the 2026-07-24 snapshot.
    expect(total.exact / total.comparisons).toBeGreaterThanOrEqual(0.99);
  });

  it('lists every deliberate difference by its erratum reason', () => {
    const deliberate = crossCheck().flatMap((r) => r.deliberate);
    // Each one comes from errata.json; the list is what docs/pricing.md and the errata describe.
    expect(deliberate.length).toBeGreaterThan(0);
    for (const line of deliberate) expect(ERRATA.some((e) => line.includes(e.reason))).toBe(true);
  });
});

describe('ids callers send resolve to a price', () => {
  it.each([
    ['gcp.vertex_ai', 'claude-sonnet-4@20250514'],
    ['gcp.vertex_ai', 'claude-opus-4@20250514'],
    ['gcp.vertex_ai', 'claude-3-7-sonnet@20250219'],
    ['gcp.vertex_ai', 'claude-3-5-haiku@20241022'],
    ['openrouter', 'anthropic/claude-sonnet-4'],
    ['anthropic', 'anthropic/claude-sonnet-4'],
    ['openrouter', 'deepseek/deepseek-r1'],
    ['deepseek', 'deepseek/deepseek-r1'],
    ['groq', 'gpt-oss-120b'],
    ['fireworks', 'gpt-oss-120b'],
    ['mistral_ai', 'codestral-latest'],
    ['x_ai', 'grok-4-1-fast'],
    ['fireworks', 'deepseek-v3p2'],
    ['fireworks', 'accounts/fireworks/models/deepseek-v3p2'],
    ['together', 'Qwen/Qwen3-235B-A22B-Instruct-2507-tput'],
    ['together', 'deepseek-ai/DeepSeek-V3'],
    ['together', 'moonshotai/Kimi-K2-Instruct'],
    ['openai', 'ft:gpt-4o-mini-2024-07-18:acme::abc123'],
    ['openai', 'ft:gpt-4o-mini:acme:custom:abc123'],
    ['openai', 'dall-e-3'],
    ['openai', 'whisper-1'],
    ['openai', 'tts-1'],
    ['cohere', 'rerank-v3.5'],
  ])('%s %s', (provider, model) => {
    const match = table.lookup(provider, model);
    expect(match, `${provider} ${model}`).toBeDefined();
    expect(match!.source).toBe('genops-bundled@2026-07-24');
  });

  it('prices an OpenAI fine-tune at its base model fine-tune rates, not the base rates', () => {
    const fineTune = table.lookup('openai', 'ft:gpt-4o-mini-2024-07-18:acme::abc123')!;
    expect(fineTune.model).toBe('ft:gpt-4o-mini-2024-07-18');
    expect(fineTune.price.input).toBeGreaterThan(table.lookup('openai', 'gpt-4o-mini')!.price.input);
    expect(table.lookup('openai', 'ft:gpt-imaginary:acme::x')).toBeUndefined();
  });
});
