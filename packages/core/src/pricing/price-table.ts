import type { ModelPrice, PriceMatch, PriceMode, ProviderPriceFile } from './types';

// Dated-snapshot and version suffixes providers append to a model id. Stripped one at a time, so
// `gpt-4o-2024-08-06` finds `gpt-4o` and `anthropic.claude-3-haiku-20240307-v1:0` finds its base.
const SNAPSHOT_SUFFIXES: readonly RegExp[] = [
  /-v\d+(:\d+)?$/, // Bedrock `-v1:0`, `-v2`
  /:\d+$/, // Bedrock `:0`
  /-\d{4}-\d{2}-\d{2}$/, // OpenAI `-2024-08-06`
  /[-@]\d{8}$/, // Anthropic `-20241022`, Vertex `@20241022`
  /-\d{4}$/, // OpenAI `-0613`, Mistral `-2411`
  /-\d{2}-\d{4}$/, // Gemini preview `-05-2025` style
  /-latest$/,
  /-preview(-\d{2}-\d{2})?$/,
  /-\d{3}$/, // Gemini `-001`
];

// Providers that serve other vendors' models under a prefix: `us.anthropic.claude-...` (Bedrock
// cross-region inference profiles), `openai/gpt-4o` (routers), `models/gemini-2.5-pro` (Gemini REST).
const PREFIXES: readonly RegExp[] = [/^(us|eu|apac|jp|au|ca|global|us-gov)\./, /^models\//, /^[a-z0-9_.-]+\//];

// Providers that bill other providers' models at those providers' list prices, tried in order: Azure
// OpenAI, and Vertex AI's Gemini models (the Gemini API's paid-tier rates) and its Claude models
// (`claude-sonnet-4-5@20250929`, at Anthropic's rates).
const SAME_PRICES_AS: Readonly<Record<string, readonly string[]>> = {
  'azure.ai.openai': ['openai'],
  'gcp.vertex_ai': ['gcp.gemini', 'anthropic'],
  'gcp.gen_ai': ['gcp.gemini'],
};

// A version written with a dot where the price data has a hyphen: OpenRouter's `claude-sonnet-4.5`.
const DOTTED_VERSION = /(\d)\.(\d)/g;

interface Entry {
  model: string;
  price: ModelPrice;
  override: boolean;
  source: string;
  sourceUrl: string | undefined;
  effectiveDate: string | undefined;
}

/** Where prices given to the {@link PriceTable} constructor's `overrides` come from. */
export interface OverrideSource {
  /** Recorded as the match's `source` (`genops.cost.source`); default `prices-option`. */
  source?: string;
  sourceUrl?: string;
  effectiveDate?: string;
}

/** The `source` of bundled data: the file's `version`, else `genops-bundled@<effectiveDate>`. */
export function bundledVersion(file: ProviderPriceFile): string {
  return file.version ?? `genops-bundled@${file.effectiveDate}`;
}

// An OpenAI fine-tune id: `ft:<base model>:<org>:<suffix>:<id>`. Priced as the base model's fine-tune
// rates (`ft:gpt-4o-mini-2024-07-18`), never as the base model's plain rates.
const FINE_TUNE = /^ft:([^:]+):/;

/** Prices per provider, looked up by exact id, alias, dated snapshot and prefix rules. */
export class PriceTable {
  private readonly exact = new Map<string, Map<string, Entry>>();
  private readonly aliases = new Map<string, Map<string, Entry>>();
  /**
   * Results of {@link lookup} by region (`''` for none), provider and model: maps of maps, so a repeated
   * lookup (every call) builds no key string. `null` records "no price".
   */
  private readonly cache = new Map<string, Map<string, Map<string, PriceMatch | null>>>();
  private cached = 0;
  private readonly ceilings = new Map<string, ModelPrice | null>();

  constructor(
    files: readonly ProviderPriceFile[],
    overrides: Readonly<Record<string, Record<string, ModelPrice>>> = {},
    overrideSource: OverrideSource = {},
  ) {
    for (const file of files)
      this.addAll(file.provider, file.models, {
        override: false,
        source: bundledVersion(file),
        sourceUrl: file.source,
        effectiveDate: file.effectiveDate,
      });
    for (const [provider, models] of Object.entries(overrides))
      this.addAll(provider, models, {
        override: true,
        source: overrideSource.source ?? 'prices-option',
        sourceUrl: overrideSource.sourceUrl,
        effectiveDate: overrideSource.effectiveDate,
      });
  }

  private addAll(
    provider: string,
    models: Readonly<Record<string, ModelPrice>>,
    origin: Omit<Entry, 'model' | 'price'>,
  ): void {
    let exact = this.exact.get(provider);
    if (!exact) this.exact.set(provider, (exact = new Map()));
    let aliases = this.aliases.get(provider);
    if (!aliases) this.aliases.set(provider, (aliases = new Map()));
    for (const [model, price] of Object.entries(models)) {
      const entry: Entry = {
        model,
        price,
        ...origin,
        sourceUrl: price.source ?? origin.sourceUrl,
        effectiveDate: price.effectiveDate ?? origin.effectiveDate,
      };
      exact.set(model.toLowerCase(), entry);
      for (const alias of price.aliases ?? []) aliases.set(alias.toLowerCase(), entry);
    }
    this.cache.clear();
    this.cached = 0;
    this.ceilings.clear();
  }

  /**
   * Finds the price for `model` as served by `provider`, or `undefined` when it has none. With a
   * `region` (Bedrock `us-east-1`), a per-region entry `<region>/<model>` is preferred.
   */
  lookup(provider: string, model: string, region?: string): PriceMatch | undefined {
    const byProvider = this.cache.get(region ?? '');
    const byModel = byProvider?.get(provider);
    const cached = byModel?.get(model);
    if (cached !== undefined) return cached ?? undefined;
    const found = (region ? this.find(provider, `${region}/${model}`) : undefined) ?? this.find(provider, model);
    if (this.cached >= 10_000) {
      this.cache.clear();
      this.cached = 0;
    }
    let providers = this.cache.get(region ?? '');
    if (!providers) this.cache.set(region ?? '', (providers = new Map()));
    let models = providers.get(provider);
    if (!models) providers.set(provider, (models = new Map()));
    models.set(model, found ?? null);
    this.cached++;
    return found;
  }

  /** The provider's own price (bundled or supplied), else the list price of a provider it resells. */
  private find(provider: string, model: string): PriceMatch | undefined {
    const own = this.findOwn(provider, model);
    if (own) return own;
    for (const other of SAME_PRICES_AS[provider] ?? []) {
      const found = this.findOwn(other, model);
      if (found) return found;
    }
    return undefined;
  }

  private findOwn(provider: string, model: string): PriceMatch | undefined {
    const exact = this.exact.get(provider);
    const aliases = this.aliases.get(provider);
    if (!exact) return undefined;
    const match = (id: string, matchedBy: PriceMatch['matchedBy']): PriceMatch | undefined => {
      const hit = exact.get(id);
      if (hit) return this.result(provider, hit, hit.override ? 'override' : matchedBy);
      const alias = aliases?.get(id);
      if (alias) return this.result(provider, alias, 'alias');
      return undefined;
    };
    const id = model.trim().toLowerCase();
    const direct = match(id, 'exact');
    if (direct) return direct;
    const fineTune = FINE_TUNE.exec(id);
    if (fineTune) return match(`ft:${fineTune[1]}`, 'snapshot');
    for (const candidate of this.candidates(id)) {
      const hit = match(candidate.id, candidate.by);
      if (hit) return hit;
    }
    return undefined;
  }

  private *candidates(id: string): Generator<{ id: string; by: PriceMatch['matchedBy'] }> {
    const bases = [id];
    for (const prefix of PREFIXES) {
      const stripped = id.replace(prefix, '');
      if (stripped !== id && !bases.includes(stripped)) bases.push(stripped);
    }
    for (const base of [...bases]) {
      const hyphenated = base.replace(DOTTED_VERSION, '$1-$2');
      if (hyphenated !== base && !bases.includes(hyphenated)) bases.push(hyphenated);
    }
    for (const [index, base] of bases.entries()) {
      const by = index === 0 ? 'snapshot' : 'prefix';
      if (index > 0) yield { id: base, by };
      let current = base;
      for (let round = 0; round < 3; round++) {
        let changed = false;
        for (const suffix of SNAPSHOT_SUFFIXES) {
          const next = current.replace(suffix, '');
          if (next !== current && next.length > 0) {
            current = next;
            changed = true;
            yield { id: current, by };
          }
        }
        if (!changed) break;
      }
    }
  }

  private result(provider: string, entry: Entry, matchedBy: PriceMatch['matchedBy']): PriceMatch {
    const match: PriceMatch = { provider, model: entry.model, price: entry.price, matchedBy, source: entry.source };
    if (entry.sourceUrl !== undefined) match.sourceUrl = entry.sourceUrl;
    if (entry.effectiveDate !== undefined) match.effectiveDate = entry.effectiveDate;
    return match;
  }

  /**
   * The highest known rates of a provider for one kind of model (`chat` and `completion` together, or
   * `embedding`, ...), long-context tiers included: what a model the table does not know is reserved and
   * charged at under `unknownModel: 'warn'`, so that it cannot slip past a budget at $0. A provider
   * without prices of that kind gets the highest rates of every provider. `undefined` only when the
   * table has no prices of that kind at all.
   */
  ceiling(provider: string, mode: PriceMode): ModelPrice | undefined {
    const key = `${provider}\u0000${mode}`;
    const cached = this.ceilings.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.ceilingOf([provider], mode) ?? this.ceilingOf([...this.exact.keys()], mode);
    this.ceilings.set(key, found ?? null);
    return found;
  }

  private ceilingOf(providers: readonly string[], mode: PriceMode): ModelPrice | undefined {
    const family = (m: PriceMode | undefined): PriceMode => (m === undefined || m === 'completion' ? 'chat' : m);
    let input = -1;
    let output = -1;
    for (const provider of providers)
      for (const { price } of this.exact.get(provider)?.values() ?? []) {
        if (family(price.mode) !== family(mode)) continue;
        const inputs = [price.input, price.cacheWrite, price.cacheWrite1h, ...(price.tiers ?? []).map((t) => t.input)];
        const outputs = [price.output, price.reasoning, ...(price.tiers ?? []).map((t) => t.output)];
        for (const rate of inputs) if (rate !== undefined && rate > input) input = rate;
        for (const rate of outputs) if (rate !== undefined && rate > output) output = rate;
      }
    return input < 0 && output < 0 ? undefined : { input: Math.max(0, input), output: Math.max(0, output), mode };
  }

  /** Every provider the table has prices for. */
  providers(): string[] {
    return [...this.exact.keys()];
  }

  /** Every model id of a provider. */
  models(provider: string): string[] {
    return [...(this.exact.get(provider)?.values() ?? [])].map((entry) => entry.model);
  }
}
