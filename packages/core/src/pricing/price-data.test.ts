import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PRICE_FILES } from './data/index';
import { PriceTable } from './price-table';

const table = new PriceTable(PRICE_FILES);

import type { ModelPrice, PriceTier, ProviderPriceFile } from './types';

const HERE = dirname(fileURLToPath(import.meta.url)); // packages/core/src/pricing
const DATA_DIR = resolve(HERE, 'data');
const REPO_ROOT = resolve(HERE, '../../../..');
// A dated snapshot of LiteLLM's public table, vendored in the repo (see packages/core/reference/README.md).
const REFERENCE_PATH = resolve(REPO_ROOT, 'packages/core/reference/litellm-model-prices-2026-07-24.json');

/** A LiteLLM row: USD per token. */
interface LiteLLMRow {
  litellm_provider?: string;
  mode?: string;
  input_cost_per_token?: number;
  output_cost_per_token?: number;
  cache_read_input_token_cost?: number;
  cache_creation_input_token_cost?: number;
  cache_creation_input_token_cost_above_1hr?: number;
  [field: string]: unknown;
}

/** How each of our provider files maps onto LiteLLM: its `litellm_provider` values and key prefixes. */
const LITELLM: Record<string, { providers: string[]; prefixes: string[] }> = {
  openai: { providers: ['openai', 'text-completion-openai'], prefixes: ['', 'openai/'] },
  anthropic: { providers: ['anthropic'], prefixes: ['', 'anthropic/'] },
  'gcp.gemini': { providers: ['gemini'], prefixes: ['gemini/', ''] },
  'aws.bedrock': { providers: ['bedrock', 'bedrock_converse'], prefixes: ['', 'bedrock/'] },
  mistral_ai: { providers: ['mistral'], prefixes: ['mistral/', ''] },
  cohere: { providers: ['cohere', 'cohere_chat'], prefixes: ['', 'cohere/', 'cohere_chat/'] },
  groq: { providers: ['groq'], prefixes: ['groq/', ''] },
  deepseek: { providers: ['deepseek'], prefixes: ['deepseek/', ''] },
  x_ai: { providers: ['xai'], prefixes: ['xai/', ''] },
  together: { providers: ['together_ai'], prefixes: ['together_ai/'] },
  fireworks: { providers: ['fireworks_ai'], prefixes: ['fireworks_ai/'] },
  perplexity: { providers: ['perplexity'], prefixes: ['perplexity/'] },
};

/** Rates we deliberately leave unset because the reference row is wrong (keep in sync with the report). */
const REFERENCE_ERRATA: Record<string, Partial<Record<PriceField | 'tiers', string>>> = {
  'anthropic:claude-3-opus-20240229': { cacheWrite1h: 'reference says 6; the 1-hour rate is 2x input (30)' },
  'anthropic:claude-3-haiku-20240307': { cacheWrite1h: 'reference says 6; the 1-hour rate is 2x input (0.5)' },
  'aws.bedrock:anthropic.claude-3-5-sonnet-20240620-v1:0': { tiers: 'Claude 3.5 Sonnet never had a >200k tier' },
  'aws.bedrock:anthropic.claude-3-5-sonnet-20241022-v2:0': { tiers: 'Claude 3.5 Sonnet never had a >200k tier' },
};

/** Bedrock cross-region profiles in the reference that we do not list (their bare id prices them instead). */
const BEDROCK_PROFILE_SKIPS = new Set([
  'eu.anthropic.claude-3-5-haiku-20241022-v1:0', // priced like Claude 3 Haiku in the reference
  'eu.anthropic.claude-opus-4-5-20251101-v1:0', // lacks the regional premium every sibling profile carries
]);
const BEDROCK_REGIONS = ['global', 'us', 'eu', 'apac', 'au', 'jp', 'us-gov'];

const PRICE_FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h'] as const;
type PriceField = (typeof PRICE_FIELDS)[number];

const TOLERANCE = 1e-9;
const perMillion = (perToken: unknown): number | undefined =>
  typeof perToken === 'number' && Number.isFinite(perToken) ? perToken * 1e6 : undefined;

/** Our per-1M view of a LiteLLM row. */
function expectedFromReference(row: LiteLLMRow): Record<PriceField, number | undefined> {
  const cacheWrite = perMillion(row.cache_creation_input_token_cost);
  return {
    input: perMillion(row.input_cost_per_token),
    // LiteLLM omits the output rate of some embedding models; ours is 0.
    output: perMillion(row.output_cost_per_token) ?? (row.mode === 'embedding' ? 0 : undefined),
    cacheRead: perMillion(row.cache_read_input_token_cost),
    // A 0 cache-write rate (DeepSeek) means "no cache writes", not "free": we leave it unset (defaults to input).
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

let referenceCache: Record<string, LiteLLMRow> | undefined;
function loadReference(): Record<string, LiteLLMRow> {
  if (referenceCache) return referenceCache;
  if (!existsSync(REFERENCE_PATH)) {
    throw new Error(
      `LiteLLM reference price table not found at ${REFERENCE_PATH} (vendored in the repo; see packages/core/reference/README.md)`,
    );
  }
  referenceCache = JSON.parse(readFileSync(REFERENCE_PATH, 'utf8')) as Record<string, LiteLLMRow>;
  return referenceCache;
}

/** The reference row for one of our ids, under the provider's LiteLLM prefixes and `litellm_provider`. */
function findReference(
  reference: Record<string, LiteLLMRow>,
  provider: string,
  id: string,
): { key: string; row: LiteLLMRow } | undefined {
  const map = LITELLM[provider];
  if (!map) return undefined;
  for (const prefix of map.prefixes) {
    const row = reference[prefix + id];
    if (row && map.providers.includes(String(row.litellm_provider))) return { key: prefix + id, row };
  }
  return undefined;
}

/** Every id (key or alias) of a file, lower-cased, mapped to its entry. */
function idsOf(file: ProviderPriceFile): Map<string, { model: string; price: ModelPrice }> {
  const ids = new Map<string, { model: string; price: ModelPrice }>();
  for (const [model, price] of Object.entries(file.models)) {
    ids.set(model.toLowerCase(), { model, price });
    for (const alias of price.aliases ?? []) ids.set(alias.toLowerCase(), { model, price });
  }
  return ids;
}

/** Differences between one of our prices and a reference row (empty when they agree). */
function compare(provider: string, model: string, price: ModelPrice, row: LiteLLMRow, checkTiers = true): string[] {
  const errata = REFERENCE_ERRATA[`${provider}:${model}`] ?? {};
  const expected = expectedFromReference(row);
  const problems: string[] = [];
  for (const field of PRICE_FIELDS) {
    const ours = price[field];
    const theirs = expected[field];
    if (errata[field]) {
      if (ours !== undefined) problems.push(`${field}: listed as a reference erratum but set to ${ours}`);
      continue;
    }
    if (theirs === undefined) {
      if (ours !== undefined && field !== 'input' && field !== 'output')
        problems.push(`${field}: ${ours} has no counterpart in the reference`);
      if (field === 'input' || field === 'output') problems.push(`${field}: reference row has no rate`);
      continue;
    }
    if (ours === undefined || Math.abs(ours - theirs) > TOLERANCE)
      problems.push(`${field}: ours ${ours}, reference ${theirs}`);
  }
  // Long-context tiers: every tier rate we set must match the reference's `*_above_<N>k_tokens` rate when it
  // has one, and every reference tier must be present.
  if (checkTiers && !errata.tiers) {
    for (const tier of price.tiers ?? []) {
      const suffix = `_above_${tier.aboveInputTokens / 1000}k_tokens`;
      for (const [field, base] of Object.entries(TIER_REFERENCE_FIELD)) {
        const ours = tier[field as keyof typeof TIER_REFERENCE_FIELD];
        const theirs = perMillion(row[`${base}${suffix}`]);
        if (ours !== undefined && theirs !== undefined && Math.abs(ours - theirs) > TOLERANCE)
          problems.push(`tier >${tier.aboveInputTokens} ${field}: ours ${ours}, reference ${theirs}`);
      }
    }
    for (const field of Object.keys(row)) {
      const m = /^input_cost_per_token_above_(\d+)k_tokens$/.exec(field);
      if (!m) continue;
      const above = Number(m[1]) * 1000;
      if (!price.tiers?.some((tier) => tier.aboveInputTokens === above))
        problems.push(`reference has a >${above} input tier that we lack`);
    }
  }
  return problems;
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const hasNoFloatNoise = (value: number): boolean => Number(value.toFixed(6)) === value;

describe('price data files', () => {
  it('registers every JSON file in data/ exactly once, one file per provider', () => {
    const jsonFiles = readdirSync(DATA_DIR).filter((name) => name.endsWith('.json'));
    expect(PRICE_FILES).toHaveLength(jsonFiles.length);
    const providers = PRICE_FILES.map((file) => file.provider);
    expect(new Set(providers).size).toBe(providers.length);
    expect([...providers].sort()).toEqual(
      [
        'anthropic',
        'aws.bedrock',
        'cohere',
        'deepseek',
        'fireworks',
        'gcp.gemini',
        'groq',
        'mistral_ai',
        'openai',
        'perplexity',
        'together',
        'x_ai',
      ].sort(),
    );
  });

  for (const file of PRICE_FILES) {
    describe(file.provider, () => {
      it('has provider, currency, unit, an effective date and a source URL', () => {
        expect(file.provider).toMatch(/^[a-z][a-z0-9_.]*$/);
        expect(file.currency).toBe('USD');
        expect(file.unit).toBe('per_1m_tokens');
        expect(file.effectiveDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(new Date(`${file.effectiveDate}T00:00:00Z`).toISOString().slice(0, 10)).toBe(file.effectiveDate);
        expect(file.source).toMatch(/^https:\/\/[^\s]+/);
        expect(Object.keys(file.models).length).toBeGreaterThan(0);
      });

      it('prices every model with finite, non-negative, noise-free numbers', () => {
        const problems: string[] = [];
        for (const [model, price] of Object.entries(file.models)) {
          const numbers: [string, unknown][] = [
            ['input', price.input],
            ['output', price.output],
            ['cacheRead', price.cacheRead],
            ['cacheWrite', price.cacheWrite],
            ['cacheWrite1h', price.cacheWrite1h],
            ['reasoning', price.reasoning],
            ['batch.input', price.batch?.input],
            ['batch.output', price.batch?.output],
            ...(price.tiers ?? []).flatMap((tier): [string, unknown][] =>
              PRICE_FIELDS.map((field) => [`tier>${tier.aboveInputTokens}.${field}`, tier[field]]),
            ),
          ];
          for (const [field, value] of numbers) {
            if (value === undefined && field !== 'input' && field !== 'output') continue;
            if (!isNumber(value) || value < 0) problems.push(`${model}.${field} = ${String(value)}`);
            else if (!hasNoFloatNoise(value)) problems.push(`${model}.${field} = ${value} has more than 6 decimals`);
          }
          if (price.batch && !(isNumber(price.batch.input) && isNumber(price.batch.output)))
            problems.push(`${model}.batch needs input and output`);
          if (price.mode === 'embedding' && price.output !== 0) problems.push(`${model}: embedding output must be 0`);
          if (price.mode !== undefined && !['chat', 'embedding', 'completion'].includes(price.mode))
            problems.push(`${model}: mode ${price.mode}`);
          for (const field of ['maxOutputTokens', 'maxInputTokens'] as const) {
            const value = price[field];
            if (value !== undefined && !(Number.isInteger(value) && value > 0))
              problems.push(`${model}.${field} = ${value}`);
          }
          if (price.cacheRead !== undefined && price.cacheRead > price.input)
            problems.push(`${model}: cacheRead ${price.cacheRead} above input ${price.input}`);
          if (
            price.cacheWrite !== undefined &&
            price.cacheWrite1h !== undefined &&
            price.cacheWrite1h < price.cacheWrite
          )
            problems.push(`${model}: cacheWrite1h ${price.cacheWrite1h} below cacheWrite ${price.cacheWrite}`);
          const thresholds = (price.tiers ?? []).map((tier) => tier.aboveInputTokens);
          if (
            thresholds.some((t) => !(Number.isInteger(t) && t > 0)) ||
            thresholds.some((t, i) => i > 0 && t <= thresholds[i - 1]!)
          )
            problems.push(`${model}: tier thresholds must be positive integers in ascending order (${thresholds})`);
        }
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
});

describe('price data cross-check against the LiteLLM reference table', () => {
  it('finds the reference table', () => {
    expect(existsSync(REFERENCE_PATH), `LiteLLM reference price table not found at ${REFERENCE_PATH}`).toBe(true);
  });

  it('matches the reference input/output/cache rates for every entry and alias it lists', () => {
    const reference = loadReference();
    const problems: string[] = [];
    let entries = 0;
    let checkedEntries = 0;
    let checkedIds = 0;
    for (const file of PRICE_FILES) {
      expect(LITELLM[file.provider], `no LiteLLM mapping for ${file.provider}`).toBeDefined();
      for (const [model, price] of Object.entries(file.models)) {
        entries++;
        let checked = false;
        for (const id of [model, ...(price.aliases ?? [])]) {
          const found = findReference(reference, file.provider, id);
          if (!found) continue;
          checked = true;
          checkedIds++;
          for (const problem of compare(file.provider, model, price, found.row))
            problems.push(`${file.provider} ${id} (reference ${found.key}): ${problem}`);
        }
        if (checked) checkedEntries++;
      }
    }
    expect(problems).toEqual([]);
    // Guard against a silently empty cross-check (e.g. a prefix mapping gone wrong).
    expect(checkedEntries).toBeGreaterThanOrEqual(Math.ceil(entries * 0.8));
    console.info(
      `price-data cross-check: ${checkedEntries}/${entries} entries (${checkedIds} ids) matched the reference`,
    );
  });

  it('gives dated snapshots their own entry when the reference prices them differently from the id they strip to', () => {
    const reference = loadReference();
    const problems: string[] = [];
    for (const file of PRICE_FILES) {
      const map = LITELLM[file.provider]!;
      const ours = idsOf(file);
      for (const [key, row] of Object.entries(reference)) {
        if (!map.providers.includes(String(row.litellm_provider))) continue;
        if (!['chat', 'responses', 'embedding', 'completion'].includes(String(row.mode))) continue;
        if (!isNumber(row.input_cost_per_token)) continue;
        const prefix = map.prefixes.find((p) => p !== '' && key.startsWith(p)) ?? '';
        const id = key.slice(prefix.length).toLowerCase();
        if (ours.has(id)) continue; // listed itself: covered by the cross-check above
        // `bedrock/<region>/<model>` rows are per-region prices, not ids a caller sends; per-region
        // Bedrock pricing is not modelled yet (it comes with Bedrock region support).
        if (id.includes('/')) continue;
        if (file.provider === 'aws.bedrock' && BEDROCK_PROFILE_SKIPS.has(id)) continue; // known reference errors
        // Ask the real lookup (snapshot, alias and prefix rules) which entry would price this id.
        const hit = table.lookup(file.provider, id);
        if (!hit) continue;
        for (const problem of compare(file.provider, hit.model, hit.price, row, false))
          problems.push(`${file.provider} ${key} would be priced as ${hit.model}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lists every Bedrock cross-region inference profile the reference prices for a model we list', () => {
    const reference = loadReference();
    const bedrock = PRICE_FILES.find((file) => file.provider === 'aws.bedrock')!;
    const ours = idsOf(bedrock);
    const missing: string[] = [];
    for (const model of Object.keys(bedrock.models)) {
      if (BEDROCK_REGIONS.some((region) => model.startsWith(`${region}.`))) continue;
      for (const region of BEDROCK_REGIONS) {
        const profile = `${region}.${model}`;
        if (BEDROCK_PROFILE_SKIPS.has(profile) || ours.has(profile)) continue;
        if (findReference(reference, 'aws.bedrock', profile)) missing.push(profile);
      }
    }
    expect(missing).toEqual([]);
  });
});
