import type { Usage } from '@genops/core/adapter';

/** The `LanguageModelV4Usage` shape (`@ai-sdk/provider` 4), read defensively. */
interface LanguageModelUsageV4 {
  inputTokens?: { total?: number; noCache?: number; cacheRead?: number; cacheWrite?: number };
  outputTokens?: { total?: number; text?: number; reasoning?: number };
  raw?: unknown;
}

/**
 * Converts the AI SDK's V4 usage to GenOps' {@link Usage}. `inputTokens.total` already includes the
 * cache reads and writes and `outputTokens.total` the reasoning tokens (the V4 spec; the provider
 * packages compute them so, e.g. `@ai-sdk/anthropic` adds Anthropic's separate cache counts back in).
 * When a provider leaves a total out, it is rebuilt from its parts. Usage with no input and no output
 * count at all (a provider that reported none) gives `undefined`: the call then settles from its
 * reservation, flagged incomplete. `raw` keeps the V4 usage object, with the provider's own usage in
 * its `raw`.
 */
export function convertVercelUsage(usage: unknown): Usage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const { inputTokens: input, outputTokens: output } = usage as LanguageModelUsageV4;
  const inputTotal =
    count(input?.total) ?? sum(count(input?.noCache), count(input?.cacheRead), count(input?.cacheWrite));
  const outputTotal = count(output?.total) ?? sum(count(output?.text), count(output?.reasoning));
  if (inputTotal === undefined && outputTotal === undefined) return undefined;
  const converted: Usage = { inputTokens: inputTotal ?? 0, outputTokens: outputTotal ?? 0, raw: usage };
  const cacheRead = count(input?.cacheRead);
  const cacheWrite = count(input?.cacheWrite);
  const reasoning = count(output?.reasoning);
  if (cacheRead) converted.cacheReadInputTokens = cacheRead;
  if (cacheWrite) converted.cacheWriteInputTokens = cacheWrite;
  if (reasoning) converted.reasoningOutputTokens = reasoning;
  return converted;
}

/** Embedding usage (`{ tokens }`): all input. */
export function convertVercelEmbeddingUsage(usage: unknown): Usage | undefined {
  const tokens = count((usage as { tokens?: unknown } | undefined)?.tokens);
  return tokens === undefined ? undefined : { inputTokens: tokens, outputTokens: 0, raw: usage };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function sum(...values: Array<number | undefined>): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length === 0 ? undefined : known.reduce((total, value) => total + value, 0);
}
