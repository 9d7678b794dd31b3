#!/usr/bin/env node
/**
 * Generates GenOps' bundled price data (`packages/core/src/pricing/data/*.json`) from a dated snapshot
 * of LiteLLM's public price table, then applies the errata (`packages/core/src/pricing/errata.json`):
 * the table's known errors, each with its reason and source.
 *
 *   node scripts/update-prices.ts                     # regenerate from the newest vendored snapshot
 *   node scripts/update-prices.ts --reference <file>  # from another snapshot (a newer download)
 *   node scripts/update-prices.ts --check             # exit 1 when the data is not what the script makes
 *
 * Entries already in the data keep what the table does not say (aliases, model limits, rates the table
 * lacks); the table's rates replace theirs. Models the table lists and the data lacks are added. Entries
 * are never deleted: remove a retired model by hand (or skip its row in the errata).
 * Runs on Node >= 23.6 (TypeScript type stripping); no dependencies.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Erratum,
  LITELLM_PROVIDERS,
  type LiteLLMRow,
  priceFromReference,
  referenceRows,
  sizedImagePrice,
} from '../packages/core/src/pricing/litellm.ts';
import type { ModelPrice, ProviderPriceFile } from '../packages/core/src/pricing/types.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REFERENCE_DIR = resolve(ROOT, 'packages/core/reference');
const DATA_DIR = resolve(ROOT, 'packages/core/src/pricing/data');
const ERRATA_PATH = resolve(ROOT, 'packages/core/src/pricing/errata.json');

const SOURCES: Record<string, string> = {
  openai: 'https://openai.com/api/pricing/',
  anthropic: 'https://www.anthropic.com/pricing#api',
  'gcp.gemini': 'https://ai.google.dev/gemini-api/docs/pricing',
  'gcp.vertex_ai': 'https://cloud.google.com/vertex-ai/generative-ai/pricing',
  'aws.bedrock': 'https://aws.amazon.com/bedrock/pricing/',
  mistral_ai: 'https://mistral.ai/pricing#api-pricing',
  cohere: 'https://cohere.com/pricing',
  groq: 'https://groq.com/pricing',
  deepseek: 'https://api-docs.deepseek.com/quick_start/pricing',
  x_ai: 'https://docs.x.ai/docs/models',
  together: 'https://www.together.ai/pricing',
  fireworks: 'https://fireworks.ai/pricing',
  perplexity: 'https://docs.perplexity.ai/getting-started/pricing',
  openrouter: 'https://openrouter.ai/models',
};

function newestReference(): string {
  const files = readdirSync(REFERENCE_DIR)
    .filter((name) => /^litellm-model-prices-\d{4}-\d{2}-\d{2}\.json$/.test(name))
    .sort();
  if (files.length === 0) throw new Error(`no litellm-model-prices-<date>.json in ${REFERENCE_DIR}`);
  return resolve(REFERENCE_DIR, files.at(-1)!);
}

function parseArgs(argv: string[]): { reference: string; check: boolean } {
  let reference: string | undefined;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--reference') reference = resolve(argv[++i] ?? '');
    else if (argv[i] === '--check') check = true;
    else throw new Error(`unknown argument ${argv[i]} (expected --reference <file> or --check)`);
  }
  return { reference: reference ?? newestReference(), check };
}

const lower = (id: string): string => id.toLowerCase();

/** The table's rates over an existing entry; what the table does not say is kept. */
function merge(existing: ModelPrice | undefined, fresh: ModelPrice): ModelPrice {
  if (!existing) return fresh;
  const merged: ModelPrice = { ...existing, ...fresh };
  // Curated model limits win: they bound reservations and were checked against the providers' docs.
  if (existing.maxOutputTokens !== undefined) merged.maxOutputTokens = existing.maxOutputTokens;
  if (existing.maxInputTokens !== undefined) merged.maxInputTokens = existing.maxInputTokens;
  if (existing.aliases) merged.aliases = existing.aliases;
  return merged;
}

function applyErratum(price: ModelPrice, erratum: Erratum): ModelPrice {
  const fixed: ModelPrice = structuredClone(price);
  for (const path of erratum.unset ?? []) {
    const [head, tail] = path.split('.') as [keyof ModelPrice, string | undefined];
    if (tail === undefined) delete fixed[head];
    else if (fixed[head] && typeof fixed[head] === 'object') {
      delete (fixed[head] as Record<string, unknown>)[tail];
      if (Object.keys(fixed[head] as object).length === 0) delete fixed[head];
    }
  }
  for (const [field, value] of Object.entries(erratum.set ?? {})) {
    const current = (fixed as Record<string, unknown>)[field];
    (fixed as Record<string, unknown>)[field] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? { ...(current as object), ...value }
        : value;
  }
  return fixed;
}

function generate(referencePath: string): Map<string, string> {
  const reference = JSON.parse(readFileSync(referencePath, 'utf8')) as Record<string, LiteLLMRow>;
  const date = /(\d{4}-\d{2}-\d{2})\.json$/.exec(referencePath)?.[1];
  if (!date) throw new Error(`the reference file name must end in <YYYY-MM-DD>.json: ${referencePath}`);
  const errata = (JSON.parse(readFileSync(ERRATA_PATH, 'utf8')) as { errata: Erratum[] }).errata;
  const out = new Map<string, string>();
  for (const [provider, map] of Object.entries(LITELLM_PROVIDERS)) {
    const path = resolve(DATA_DIR, `${map.file}.json`);
    let file: ProviderPriceFile;
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as ProviderPriceFile;
    } catch {
      file = { provider, currency: 'USD', unit: 'per_1m_tokens', effectiveDate: date, source: '', models: {} };
    }
    const models: Record<string, ModelPrice> = { ...file.models };
    const keyOf = new Map<string, string>();
    const reindex = (): void => {
      keyOf.clear();
      for (const [model, price] of Object.entries(models)) {
        keyOf.set(lower(model), model);
        for (const alias of price.aliases ?? []) if (!keyOf.has(lower(alias))) keyOf.set(lower(alias), model);
      }
    };
    reindex();
    const skips = new Set(errata.filter((e) => e.provider === provider && e.skip).map((e) => lower(e.skip!)));
    const rows = referenceRows(reference, provider).filter(
      (r) => !r.excluded && !skips.has(lower(r.id)) && !skips.has(lower(r.key)),
    );
    const seen = new Set<string>();
    for (const { id, row, image } of rows) {
      if (image) continue;
      const fresh = priceFromReference(row);
      const key = keyOf.get(lower(id));
      if (seen.has(lower(id))) continue; // the same id under two prefixes: the first (prefixed) row wins
      seen.add(lower(id));
      if (key !== undefined && lower(key) !== lower(id)) {
        // An alias of another entry: it keeps the alias when the table prices them alike.
        if (sameRates(models[key]!, fresh)) continue;
        models[key] = { ...models[key]!, aliases: models[key]!.aliases?.filter((a) => lower(a) !== lower(id)) };
        if (models[key]!.aliases?.length === 0) delete models[key]!.aliases;
        models[id] = fresh;
      } else {
        models[key ?? id] = merge(models[key ?? id], fresh);
      }
      reindex();
    }
    // `<quality>/<W>-x-<H>/<model>` rows: one entry per model, priced per image by size.
    for (const { row, image } of rows) {
      if (!image) continue;
      const price = sizedImagePrice(row, image.sizeKey);
      if (price === undefined) continue;
      const key = keyOf.get(lower(image.model)) ?? image.model;
      const entry = models[key] ?? { input: 0, output: 0, mode: 'image_generation' };
      entry.units = { ...entry.units, imageBySize: { ...entry.units?.imageBySize, [image.sizeKey]: price } };
      models[key] = entry;
      reindex();
    }
    addShortAliases(models);
    for (const erratum of errata) {
      if (erratum.provider !== provider || !erratum.model) continue;
      const key = Object.keys(models).find((model) => lower(model) === lower(erratum.model!));
      if (!key) throw new Error(`erratum for ${provider} ${erratum.model}: no such entry`);
      models[key] = { ...applyErratum(models[key]!, erratum), source: erratum.source };
    }
    const generated: ProviderPriceFile = {
      provider,
      currency: 'USD',
      unit: 'per_1m_tokens',
      effectiveDate: date,
      // The provider's pricing page: the one the data already names, else the default above.
      source: `${file.source ? file.source.split(' ')[0] : SOURCES[provider]} (generated from LiteLLM model_prices_and_context_window.json ${date} by scripts/update-prices.ts, errata applied)`,
      version: `genops-bundled@${date}`,
      models,
    };
    out.set(path, `${JSON.stringify(generated, null, 2)}\n`);
  }
  return out;
}

function sameRates(a: ModelPrice, b: ModelPrice): boolean {
  const rates = (p: ModelPrice) =>
    JSON.stringify([p.input, p.output, p.cacheRead, p.cacheWrite, p.cacheWrite1h, p.tiers, p.units, p.batch]);
  return rates(a) === rates(b);
}

/**
 * Short ids callers send: the last segment of a vendor path (`accounts/fireworks/models/deepseek-v3p2`
 * → `deepseek-v3p2`, `openai/gpt-oss-120b` → `gpt-oss-120b`) and the undated id of a dated snapshot
 * (`claude-sonnet-4` → `claude-sonnet-4-20250514`, `ft:gpt-4o-mini` → `ft:gpt-4o-mini-2024-07-18`; the
 * newest snapshot), when no other entry claims them.
 */
function addShortAliases(models: Record<string, ModelPrice>): void {
  const taken = new Set<string>();
  for (const [model, price] of Object.entries(models)) {
    taken.add(lower(model));
    for (const alias of price.aliases ?? []) taken.add(lower(alias));
  }
  const candidates = new Map<string, string[]>();
  const propose = (alias: string, model: string): void => {
    if (taken.has(lower(alias))) return;
    candidates.set(lower(alias), [...(candidates.get(lower(alias)) ?? []), model]);
  };
  for (const model of Object.keys(models)) {
    const slash = model.lastIndexOf('/');
    if (slash > 0 && slash < model.length - 1 && !/^[a-z]{2}-[a-z-]+-\d\//.test(model))
      propose(model.slice(slash + 1), model);
    // A dated snapshot (`claude-sonnet-4-20250514`, `ft:gpt-4o-mini-2024-07-18`) answers to its undated id.
    const dated = /^(.+?)(?:-\d{4}-\d{2}-\d{2}|-\d{8})$/.exec(model);
    if (dated) propose(dated[1]!, model);
  }
  for (const [alias, owners] of candidates) {
    // A vendor-path alias must be unambiguous; an undated id goes to its newest snapshot.
    const dated = owners.every((owner) => /\d{4}-?\d{2}-?\d{2}$/.test(owner));
    const owner = dated ? [...owners].sort().at(-1)! : owners.length === 1 ? owners[0]! : undefined;
    if (!owner) continue;
    const price = models[owner]!;
    models[owner] = { ...price, aliases: [...(price.aliases ?? []), alias] };
  }
}

/** Formatting aside (the repository's formatter may lay JSON out differently), the same data. */
function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

const { reference, check } = parseArgs(process.argv.slice(2));
const files = generate(reference);
let stale = 0;
for (const [path, text] of files) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {}
  if (current === text || (check && sameJson(current, text))) continue;
  stale++;
  if (check) console.error(`out of date: ${path}`);
  else writeFileSync(path, text);
}
if (check && stale > 0) {
  console.error('run `node scripts/update-prices.ts` (then `pnpm format`) and commit the result');
  process.exit(1);
}
console.log(`${check ? 'checked' : 'wrote'} ${files.size} price files from ${reference} (${stale} changed)`);
