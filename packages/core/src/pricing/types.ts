import type { Usage } from '../types';

/**
 * Prices are USD per 1M tokens, exactly as providers publish them. Conveniently, USD per 1M tokens is
 * numerically micro-USD per token, which is how the cost code reads them. Non-token units
 * ({@link UnitPrices}) are USD per unit (per image, per second, per character, per search).
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
  /** Citation input tokens (Perplexity Sonar Deep Research), part of input; defaults to `input`. */
  citation?: number;
  /** Audio input tokens (part of input); defaults to `input`. */
  audioInput?: number;
  /** Audio output tokens (part of output); defaults to `output`. */
  audioOutput?: number;
  /** Image input tokens (part of input); defaults to `input`. */
  imageInput?: number;
  /** Image output tokens (part of output); defaults to `output`. */
  imageOutput?: number;
  /** Batch-API rates, when offered (usually 50% of the interactive rates). */
  batch?: BatchPrice;
  /**
   * Long-context tiers: when a request's input tokens exceed `aboveInputTokens`, the whole request is
   * priced at the tier's rates (how Gemini and Anthropic bill). Unset rates fall back to the base.
   */
  tiers?: PriceTier[];
  /** Prices of units that are not tokens: images, audio seconds, characters, searches, requests. */
  units?: UnitPrices;
  /** Maximum output tokens the model can produce (used to bound a reservation without `max_tokens`). */
  maxOutputTokens?: number;
  /** Context window in tokens. */
  maxInputTokens?: number;
  /** What the model does; `chat` by default. */
  mode?: PriceMode;
  /** Other ids that mean this model (e.g. `gpt-4o-latest`). */
  aliases?: string[];
  /** Where this entry's rates come from, when not the file's `source` (an erratum, a provider page). */
  source?: string;
  /** When this entry's rates were read (YYYY-MM-DD), when not the file's `effectiveDate`. */
  effectiveDate?: string;
}

export type PriceMode =
  | 'chat'
  | 'completion'
  | 'embedding'
  | 'image_generation'
  | 'audio_speech'
  | 'audio_transcription'
  | 'rerank'
  | 'search';

/** Batch-API rates, USD per 1M tokens. */
export interface BatchPrice {
  input: number;
  output: number;
  cacheRead?: number;
}

/** USD per unit. */
export interface UnitPrices {
  /** USD per generated image when the price does not depend on size or quality. */
  image?: number;
  /**
   * USD per generated image by `<quality>/<width>x<height>` (`hd/1024x1792`), `<width>x<height>`
   * (`1024x1024`), or `<steps>/<width>x<height>` (Stability on Bedrock: `50-steps/1024x1024`).
   */
  imageBySize?: Record<string, number>;
  /** USD per input image (image understanding / editing). */
  inputImage?: number;
  /** USD per second of input audio (transcription; per minute = 60 ×). */
  audioInputSecond?: number;
  /** USD per second of generated audio. */
  audioOutputSecond?: number;
  /** USD per input character (text-to-speech). */
  character?: number;
  /** USD per search query the model runs (Perplexity Deep Research, web-search tools). */
  search?: number;
  /** USD per request: a flat fee per call (rerank per query, Perplexity's older online models). */
  request?: number;
  /**
   * USD per request by search context size (Perplexity Sonar's request fee, OpenAI's web-search
   * models); `medium` when the usage does not say.
   */
  requestBySearchContext?: { low: number; medium: number; high: number };
  /** USD per second of compute (Replicate-style, per-second billed hardware). */
  computeSecond?: number;
  /** USD per second of generated video (OpenAI Sora). */
  videoSecond?: number;
  /** USD per second of generated video by `<width>x<height>`, when the rate depends on the size. */
  videoSecondBySize?: Record<string, number>;
  /** USD per trained token of a fine-tuning job (file tokens × epochs). */
  trainingToken?: number;
}

export interface PriceTier {
  aboveInputTokens: number;
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
}

/**
 * Usage beyond tokens, as adapters report it for pricing. Everything is optional; token fields keep
 * the {@link Usage} conventions (cache and citation tokens inside `inputTokens`, reasoning and audio
 * output inside `outputTokens`).
 */
export interface BillableUsage extends Usage {
  /** Citation tokens (part of `inputTokens`). */
  citationInputTokens?: number;
  /** Audio input tokens (part of `inputTokens`). */
  audioInputTokens?: number;
  /** Audio output tokens (part of `outputTokens`). */
  audioOutputTokens?: number;
  /** Image input tokens (part of `inputTokens`). */
  imageInputTokens?: number;
  /** Image output tokens (part of `outputTokens`). */
  imageOutputTokens?: number;
  /** Generated images, each with its size/quality key when the price depends on it. */
  images?: readonly ImageUnit[];
  /** Input images. */
  inputImages?: number;
  /** Seconds of input audio. */
  audioInputSeconds?: number;
  /** Seconds of generated audio. */
  audioOutputSeconds?: number;
  /** Input characters (text-to-speech). */
  characters?: number;
  /** Search queries the provider ran. */
  searchQueries?: number;
  /**
   * Billable requests: 1 for a call to a model with a per-request fee (`units.request`,
   * `units.requestBySearchContext`). Unset, no request fee is charged (token-only usage).
   */
  requests?: number;
  /** Compute seconds. */
  computeSeconds?: number;
  /** Seconds of generated video, and their size (`1280x720`) for `units.videoSecondBySize`. */
  videoSeconds?: number;
  videoSize?: string;
  /** Tokens a fine-tuning job trained on. */
  trainingTokens?: number;
  /** Search context size of a request with a per-request search fee (Perplexity `search_context_size`). */
  searchContextSize?: 'low' | 'medium' | 'high';
  /** The call went through the provider's batch API: batch rates apply where the model has them. */
  batch?: boolean;
}

/** One or more generated images of one size/quality. */
export interface ImageUnit {
  /** How many images (default 1). */
  count?: number;
  /** `1024x1024`. */
  size?: string;
  /** `hd`, `standard`, `low`, `medium`, `high`. */
  quality?: string;
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
  /**
   * The table version that priced a call (`genops.cost.source`), e.g. `genops-bundled@2026-07-24`
   * for the bundled data; defaults to `genops-bundled@<effectiveDate>`.
   */
  version?: string;
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
  /**
   * Which price table priced the call, recorded as `genops.cost.source`: `genops-bundled@2026-07-24`
   * (the bundled data), `prices-option` (`GenOps.init({ prices: {...} })`) or
   * `prices-file:<version>` (a file from `prices: './prices.json'`, `GENOPS_PRICES` or
   * `genops pricing update`).
   */
  source: string;
  /** The URL the entry's rates come from (the entry's own `source`, else its file's). */
  sourceUrl?: string;
  /** When the rates were read (YYYY-MM-DD), when known. */
  effectiveDate?: string;
}
