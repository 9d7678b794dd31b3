/**
 * Prices are USD per 1M tokens, exactly as providers publish them. Conveniently, USD per 1M tokens is
 * numerically micro-USD per token, which is how the cost code reads them.
 */
export interface ModelPrice {
  /** Input tokens that are neither cache reads nor cache writes. */
  input: number;
  /** Output tokens (reasoning included unless `reasoning` is set). */
  output: number;
  /** Cache-read input tokens; defaults to `input`. */
  cacheRead?: number;
  /** Cache-write input tokens (5-minute / default TTL); defaults to `input`. */
  cacheWrite?: number;
  /** Cache-write input tokens with a 1-hour (or longer) TTL; defaults to `cacheWrite`. */
  cacheWrite1h?: number;
  /** Reasoning output tokens, when billed differently from other output; defaults to `output`. */
  reasoning?: number;
  /** Batch-API rates, when offered. */
  batch?: { input: number; output: number };
  /**
   * Long-context tiers: when a request's input tokens exceed `aboveInputTokens`, the whole request is
   * priced at the tier's rates (how Gemini and Anthropic bill). Unset rates fall back to the base.
   */
  tiers?: PriceTier[];
  /** Maximum output tokens the model can produce (used to bound a reservation without `max_tokens`). */
  maxOutputTokens?: number;
  /** Context window in tokens. */
  maxInputTokens?: number;
  /** `chat` (default) or `embedding`. */
  mode?: 'chat' | 'embedding' | 'completion';
  /** Other ids that mean this model (e.g. `gpt-4o-latest`). */
  aliases?: string[];
}

export interface PriceTier {
  aboveInputTokens: number;
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
}

/** One provider's price file, `pricing/data/<provider>.json`. */
export interface ProviderPriceFile {
  /** `gen_ai.provider.name` value this file prices, e.g. `openai`, `aws.bedrock`, `gcp.gemini`. */
  provider: string;
  currency: 'USD';
  unit: 'per_1m_tokens';
  /** Date the prices were read (YYYY-MM-DD). */
  effectiveDate: string;
  /** Where the prices come from (URL). */
  source: string;
  models: Record<string, ModelPrice>;
}

/** Result of a price lookup. */
export interface PriceMatch {
  provider: string;
  /** The price-table id that matched (may differ from the requested id). */
  model: string;
  price: ModelPrice;
  /** How the id matched. */
  matchedBy: 'exact' | 'alias' | 'snapshot' | 'prefix' | 'override';
}
