import type { ProviderPriceFile } from '../types';
import anthropic from './anthropic.json' with { type: 'json' };
import bedrock from './bedrock.json' with { type: 'json' };
import cohere from './cohere.json' with { type: 'json' };
import deepseek from './deepseek.json' with { type: 'json' };
import fireworks from './fireworks.json' with { type: 'json' };
import google from './google.json' with { type: 'json' };
import groq from './groq.json' with { type: 'json' };
import mistral from './mistral.json' with { type: 'json' };
import openai from './openai.json' with { type: 'json' };
import perplexity from './perplexity.json' with { type: 'json' };
import together from './together.json' with { type: 'json' };
import xai from './xai.json' with { type: 'json' };

/**
 * The bundled price tables, one per provider (USD per 1M tokens). JSON literals widen `currency`, `unit`
 * and `mode` to `string`, hence the casts; `price-data.test.ts` checks the shape and cross-checks the
 * numbers against the LiteLLM reference table.
 */
export const PRICE_FILES: readonly ProviderPriceFile[] = [
  openai as ProviderPriceFile,
  anthropic as ProviderPriceFile,
  google as ProviderPriceFile,
  bedrock as ProviderPriceFile,
  mistral as ProviderPriceFile,
  cohere as ProviderPriceFile,
  groq as ProviderPriceFile,
  deepseek as ProviderPriceFile,
  xai as ProviderPriceFile,
  together as ProviderPriceFile,
  fireworks as ProviderPriceFile,
  perplexity as ProviderPriceFile,
];
