/**
 * Converting LiteLLM's public price table (USD per token, one row per model id) into GenOps price
 * entries (USD per 1M tokens, USD per unit). Used by `scripts/update-prices.ts`, which generates
 * `data/*.json`, and by `price-data.test.ts`, which cross-checks the data against the vendored table.
 * Type-only imports: Node runs this file directly (type stripping) from the script.
 */
import type { ModelPrice, PriceMode, PriceTier, UnitPrices } from './types';

/** A known error of the reference table, fixed in our data (`errata.json`). */
export interface Erratum {
  provider: string;
  /** The id in our data the fix applies to. */
  model?: string;
  /** Rates to set instead of the table's. */
  set?: Partial<ModelPrice>;
  /** Fields to drop (`tiers`, `units.requestBySearchContext`). */
  unset?: string[];
  /** A reference key or id we deliberately do not copy. */
  skip?: string;
  reason: string;
  source: string;
}

/** A LiteLLM row: USD per token / per unit. */
export interface LiteLLMRow {
  litellm_provider?: string;
  mode?: string;
  [field: string]: unknown;
}

/** How each GenOps provider maps onto LiteLLM: its `litellm_provider` values and key prefixes. */
export const LITELLM_PROVIDERS: Readonly<Record<string, { file: string; providers: RegExp; prefixes: string[] }>> = {
  openai: { file: 'openai', providers: /^(openai|text-completion-openai)$/, prefixes: ['openai/', ''] },
  anthropic: { file: 'anthropic', providers: /^anthropic$/, prefixes: ['anthropic/', ''] },
  'gcp.gemini': { file: 'google', providers: /^gemini$/, prefixes: ['gemini/', ''] },
  'gcp.vertex_ai': { file: 'vertex', providers: /^vertex_ai/, prefixes: ['vertex_ai/', ''] },
  'aws.bedrock': { file: 'bedrock', providers: /^(bedrock|bedrock_converse)$/, prefixes: ['bedrock/', ''] },
  mistral_ai: { file: 'mistral', providers: /^mistral$/, prefixes: ['mistral/', ''] },
  cohere: { file: 'cohere', providers: /^(cohere|cohere_chat)$/, prefixes: ['cohere_chat/', 'cohere/', ''] },
  groq: { file: 'groq', providers: /^groq$/, prefixes: ['groq/', ''] },
  deepseek: { file: 'deepseek', providers: /^deepseek$/, prefixes: ['deepseek/', ''] },
  x_ai: { file: 'xai', providers: /^xai$/, prefixes: ['xai/', ''] },
  together: { file: 'together', providers: /^together_ai$/, prefixes: ['together_ai/', ''] },
  fireworks: { file: 'fireworks', providers: /^fireworks_ai$/, prefixes: ['fireworks_ai/', ''] },
  perplexity: { file: 'perplexity', providers: /^perplexity$/, prefixes: ['perplexity/', ''] },
  openrouter: { file: 'openrouter', providers: /^openrouter$/, prefixes: ['openrouter/', ''] },
};

/** LiteLLM modes GenOps prices, and the GenOps mode each becomes. */
export const PRICED_MODES: Readonly<Record<string, PriceMode>> = {
  chat: 'chat',
  responses: 'chat',
  // Realtime models (WebSocket sessions, governed per response): text, audio and cached rates per token.
  realtime: 'chat',
  completion: 'completion',
  embedding: 'embedding',
  image_generation: 'image_generation',
  audio_speech: 'audio_speech',
  audio_transcription: 'audio_transcription',
  rerank: 'rerank',
  search: 'search',
};

/** A reference row for one of our providers, with the id GenOps lists it under. */
export interface ReferenceRow {
  provider: string;
  key: string;
  /** The id in our data (the key without the provider's LiteLLM prefix). */
  id: string;
  row: LiteLLMRow;
  /** For a `<quality>/<W>-x-<H>/<model>` image row: the model it prices and the `imageBySize` key. */
  image?: { model: string; sizeKey: string };
  /** Why GenOps does not copy this row, when it does not. */
  excluded?: string;
}

const COST_FIELD = /cost/;

/** Why a row cannot be copied as a per-call price, or `undefined` when it can. */
function exclusion(key: string, row: LiteLLMRow): string | undefined {
  if (key.includes('-commitment/'))
    return 'provisioned throughput (a monthly commitment billed per model-unit hour, not per call)';
  if (!Object.keys(row).some((field) => COST_FIELD.test(field)))
    return 'the reference lists the model without any rate';
  return undefined;
}

// `hd/1024-x-1792/dall-e-3`, `1024-x-1024/dall-e-2`, `1024-x-1024/50-steps/bedrock/amazon.nova-canvas-v1:0`.
const SIZED_IMAGE = /^(?:([a-z]+)\/)?(\d+|max)-x-(\d+|max)\/(?:(\d+-steps|max-steps)\/)?(?:bedrock\/)?(.+)$/;

/** Every reference row of a GenOps provider, in a mode GenOps prices. */
export function referenceRows(reference: Record<string, LiteLLMRow>, provider: string): ReferenceRow[] {
  const map = LITELLM_PROVIDERS[provider];
  if (!map) return [];
  const rows: ReferenceRow[] = [];
  for (const [key, row] of Object.entries(reference)) {
    if (!map.providers.test(String(row.litellm_provider))) continue;
    if (PRICED_MODES[String(row.mode)] === undefined) continue;
    const prefix = map.prefixes.find((p) => p !== '' && key.startsWith(p)) ?? '';
    const id = key.slice(prefix.length);
    const sized = row.mode === 'image_generation' ? SIZED_IMAGE.exec(id) : null;
    const entry: ReferenceRow = { provider, key, id, row };
    const excluded = exclusion(key, row);
    if (excluded) entry.excluded = excluded;
    if (sized) {
      const [, quality, width, height, steps, model] = sized;
      const qualifier = quality ?? steps;
      entry.image = { model: model!, sizeKey: `${qualifier ? `${qualifier}/` : ''}${width}x${height}` };
    }
    rows.push(entry);
  }
  return rows;
}

/** USD per token → USD per 1M tokens, without float noise. */
export const perMillion = (perToken: unknown): number | undefined =>
  typeof perToken === 'number' && Number.isFinite(perToken) ? clean(perToken * 1e6) : undefined;

/** USD per unit, without float noise. */
const perUnit = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? clean(value) : undefined;

/** Rounds away binary noise (`2.4999999999999996` → `2.5`) keeping 12 significant digits. */
export function clean(value: number): number {
  return Number(value.toPrecision(12));
}

const positiveInteger = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;

/** The price of one sized image row (`hd/1024-x-1792/dall-e-3`), USD per image. */
export function sizedImagePrice(row: LiteLLMRow, sizeKey: string): number | undefined {
  const perImage = perUnit(row.output_cost_per_image) ?? perUnit(row.input_cost_per_image);
  if (perImage !== undefined) return perImage;
  const perPixel = row.input_cost_per_pixel ?? row.output_cost_per_pixel;
  const size = /(\d+)x(\d+)$/.exec(sizeKey);
  if (typeof perPixel !== 'number' || !size) return undefined;
  // Per-pixel rates in the table are per-image prices divided by the pixel count, rounded: round back
  // to the tenth of a cent the prices are published in.
  return Number((perPixel * Number(size[1]) * Number(size[2])).toFixed(3));
}

/** The GenOps price entry of a reference row (not a sized image row). */
export function priceFromReference(row: LiteLLMRow): ModelPrice {
  const requestFee = String(row.litellm_provider) === 'perplexity';
  const mode = PRICED_MODES[String(row.mode)] ?? 'chat';
  const input = perMillion(row.input_cost_per_token) ?? 0;
  // Image models whose only output is image tokens (gpt-image-1) list no text output rate.
  const imageOutput = perMillion(row.output_cost_per_image_token);
  const output = perMillion(row.output_cost_per_token) ?? imageOutput ?? 0;
  const price: ModelPrice = { input, output };
  const cacheRead = perMillion(row.cache_read_input_token_cost);
  if (cacheRead !== undefined) price.cacheRead = cacheRead;
  // A 0 cache-write rate (DeepSeek) means "no cache writes", not "free": left unset (defaults to input).
  const cacheWrite = perMillion(row.cache_creation_input_token_cost);
  if (cacheWrite !== undefined && cacheWrite !== 0) price.cacheWrite = cacheWrite;
  const cacheWrite1h = perMillion(row.cache_creation_input_token_cost_above_1hr);
  if (cacheWrite1h !== undefined) price.cacheWrite1h = cacheWrite1h;
  const reasoning = perMillion(row.output_cost_per_reasoning_token);
  if (reasoning !== undefined && reasoning !== output) price.reasoning = reasoning;
  const citation = perMillion(row.citation_cost_per_token);
  if (citation !== undefined) price.citation = citation;
  const audioInput = perMillion(row.input_cost_per_audio_token);
  if (audioInput !== undefined && audioInput !== input) price.audioInput = audioInput;
  const audioOutput = perMillion(row.output_cost_per_audio_token);
  if (audioOutput !== undefined && audioOutput !== output) price.audioOutput = audioOutput;
  if (imageOutput !== undefined && imageOutput !== output) price.imageOutput = imageOutput;
  const imageInput = perMillion(row.input_cost_per_image_token);
  if (imageInput !== undefined && imageInput !== input) price.imageInput = imageInput;
  const batchInput = perMillion(row.input_cost_per_token_batches);
  const batchOutput = perMillion(row.output_cost_per_token_batches);
  if (batchInput !== undefined && batchOutput !== undefined) price.batch = { input: batchInput, output: batchOutput };
  const tiers = tiersFromReference(row);
  if (tiers.length > 0) price.tiers = tiers;
  const units = unitsFromReference(row, mode, requestFee);
  if (Object.keys(units).length > 0) price.units = units;
  const maxInput = positiveInteger(row.max_input_tokens);
  if (maxInput !== undefined) price.maxInputTokens = maxInput;
  const maxOutput = positiveInteger(row.max_output_tokens);
  if (maxOutput !== undefined && mode !== 'embedding') price.maxOutputTokens = maxOutput;
  if (mode !== 'chat') price.mode = mode;
  return price;
}

const TIER_FIELDS: Readonly<Record<Exclude<keyof PriceTier, 'aboveInputTokens'>, string>> = {
  input: 'input_cost_per_token',
  output: 'output_cost_per_token',
  cacheRead: 'cache_read_input_token_cost',
  cacheWrite: 'cache_creation_input_token_cost',
  cacheWrite1h: 'cache_creation_input_token_cost_above_1hr',
};

/** Long-context tiers from `*_above_<N>k_tokens` fields. */
export function tiersFromReference(row: LiteLLMRow): PriceTier[] {
  const thresholds = new Set<number>();
  for (const field of Object.keys(row)) {
    const m = /^input_cost_per_token_above_(\d+)k_tokens$/.exec(field);
    if (m) thresholds.add(Number(m[1]));
  }
  return [...thresholds]
    .sort((a, b) => a - b)
    .map((k) => {
      const tier: PriceTier = { aboveInputTokens: k * 1000 };
      for (const [field, base] of Object.entries(TIER_FIELDS)) {
        const value = perMillion(row[`${base}_above_${k}k_tokens`]);
        if (value !== undefined) tier[field as keyof typeof TIER_FIELDS] = value;
      }
      return tier;
    });
}

/**
 * Non-token units of a row. `search_context_cost_per_query` is a per-request fee by search context size
 * for Perplexity's Sonar models (`requestFee`), and the price of one web-search tool call elsewhere
 * (OpenAI, Anthropic, Gemini grounding), recorded as `search` at the default `medium` context size.
 */
export function unitsFromReference(row: LiteLLMRow, mode: PriceMode, requestFee: boolean): UnitPrices {
  const units: UnitPrices = {};
  const outputImage = perUnit(row.output_cost_per_image);
  const inputImage = perUnit(row.input_cost_per_image);
  // LiteLLM puts some image-generation prices in `input_cost_per_image` (DALL·E, gpt-image sizes).
  if (outputImage !== undefined) units.image = outputImage;
  else if (mode === 'image_generation' && inputImage !== undefined) units.image = inputImage;
  if (inputImage !== undefined && (outputImage !== undefined || mode !== 'image_generation'))
    units.inputImage = inputImage;
  const audioIn = perUnit(row.input_cost_per_second) ?? perUnit(row.input_cost_per_audio_per_second);
  if (audioIn !== undefined) units.audioInputSecond = audioIn;
  const audioOut = perUnit(row.output_cost_per_second);
  if (audioOut !== undefined) units.audioOutputSecond = audioOut;
  const character = perUnit(row.input_cost_per_character);
  if (character !== undefined) units.character = character;
  const request = perUnit(row.input_cost_per_request) ?? perUnit(row.input_cost_per_query);
  if (request !== undefined) units.request = request;
  const search = row.search_context_cost_per_query as Record<string, unknown> | undefined;
  if (search && typeof search === 'object') {
    const low = perUnit(search.search_context_size_low);
    const medium = perUnit(search.search_context_size_medium);
    const high = perUnit(search.search_context_size_high);
    if (requestFee && low !== undefined && medium !== undefined && high !== undefined)
      units.requestBySearchContext = { low, medium, high };
    else if (!requestFee && medium !== undefined) units.search = medium;
  }
  return units;
}
