// Pure steps of the governed-call pipeline, shared by the governor and by `genops policy explain`, so a
// preview can never drift from what a real call does.
import { describeCounts, type PolicyEvaluation } from './policy/policy-engine';
import { worstCaseNanos } from './pricing/cost';
import type { PriceTable } from './pricing/price-table';
import type { ModelPrice, PriceMatch } from './pricing/types';
import type { PolicyResult, ReasonCode } from './semconv';
import type { GovernedRequest } from './types';

/** Output bound when neither the request nor the price data gives one (`defaultMaxOutputTokens`). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

/** What the reservation holds for a call: its price, output bound and worst-case cost. */
export interface WorstCase {
  /** The price-table entry, when the model has one. */
  match: PriceMatch | undefined;
  /** The price used: the table's, else the `unknownModel` fallback price, else (under `unknownModel: 'warn'`) the provider's highest rates. */
  price: ModelPrice | undefined;
  /** Where the price came from (`genops.cost.source`): the table's version, or how an unknown model was priced. */
  source: string | undefined;
  outputBound: number;
  /** Where the output bound came from (recorded as `genops.reservation.output_bound`). */
  outputBoundSource: 'request' | 'price_data' | 'default';
  /** Worst-case cost in nano-USD; `undefined` without a price. */
  worstNanos: number | undefined;
  /** Worst-case tokens: input bound + output bound. */
  worstTokens: number;
}

/** What a tool call costs when the price table has no entry for the tool: nothing (it is not a model). */
export const UNPRICED_TOOL: ModelPrice = Object.freeze({ input: 0, output: 0 });

/**
 * The worst case of a call: the output is bounded by the request's cap, else the model's output limit
 * from the price data, else `defaultMaxOutputTokens`; priced at the model's highest rates. A tool call
 * (`execute_tool`) has no output bound of its own and costs nothing unless `prices` has an entry for
 * its provider and tool name; budgets count it with `unit: requests`.
 */
export function worstCaseOf(
  prices: PriceTable,
  request: GovernedRequest,
  options: {
    fallbackPrice?: ModelPrice | undefined;
    defaultMaxOutputTokens?: number;
    /** `unknownModel: 'warn'`: an unknown model is reserved and charged at the provider's highest rates. */
    conservative?: boolean;
  } = {},
): WorstCase {
  const match = prices.lookup(request.provider, request.model);
  const tool = request.operation === 'execute_tool';
  let price = match?.price ?? (tool ? UNPRICED_TOOL : options.fallbackPrice);
  let source = match ? match.source : price && !tool ? 'unknownModel-fallback' : undefined;
  if (!price && options.conservative) {
    price = prices.ceiling(request.provider, request.operation === 'embeddings' ? 'embedding' : 'chat');
    if (price) source = 'conservative-estimate';
  }
  const outputBound = tool
    ? (request.maxOutputTokens ?? 0)
    : (request.maxOutputTokens ??
      price?.maxOutputTokens ??
      options.defaultMaxOutputTokens ??
      DEFAULT_MAX_OUTPUT_TOKENS);
  const outputBoundSource =
    request.maxOutputTokens !== undefined ? 'request' : price?.maxOutputTokens !== undefined ? 'price_data' : 'default';
  if (request.batch && !tool) return batchWorstCase(request, request.batch, price, options, { match, source });
  if (request.modelRequests !== undefined && request.modelRequests > 1 && !tool)
    return repeatedWorstCase(request, request.modelRequests, price, { match, source, outputBound, outputBoundSource });
  return {
    match,
    price,
    source,
    outputBound,
    outputBoundSource,
    worstNanos: price ? worstCaseNanos(price, request.estimatedInputTokens, outputBound, request.units) : undefined,
    worstTokens: request.estimatedInputTokens + outputBound,
  };
}

/**
 * The worst case of a unit that makes `requests` model requests (an agent turn): each request's input
 * estimate and output bound, that many times, priced as one request of the sum (its highest tier).
 */
function repeatedWorstCase(
  request: GovernedRequest,
  requests: number,
  price: ModelPrice | undefined,
  found: Pick<WorstCase, 'match' | 'source' | 'outputBound' | 'outputBoundSource'>,
): WorstCase {
  const input = request.estimatedInputTokens * requests;
  const outputBound = found.outputBound * requests;
  return {
    ...found,
    price,
    outputBound,
    worstNanos: price ? worstCaseNanos(price, input, outputBound, request.units) : undefined,
    worstTokens: input + outputBound,
  };
}

/**
 * A batch job's worst case: the capped requests' caps (`maxOutputTokens`) plus the model's output limit
 * for each uncapped request, at the model's batch rates (its interactive rates when it has none).
 */
function batchWorstCase(
  request: GovernedRequest,
  batch: NonNullable<GovernedRequest['batch']>,
  price: ModelPrice | undefined,
  options: { defaultMaxOutputTokens?: number },
  found: Pick<WorstCase, 'match' | 'source'>,
): WorstCase {
  const perRequest = price?.maxOutputTokens ?? options.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  const outputBound = Math.max(0, batch.cappedOutputTokens) + Math.max(0, batch.uncappedRequests) * perRequest;
  const rates =
    price?.batch === undefined
      ? price
      : {
          ...price,
          input: price.batch.input,
          output: price.batch.output,
          cacheRead: price.batch.cacheRead ?? price.cacheRead,
          tiers: undefined,
        };
  return {
    ...found,
    price,
    outputBound,
    outputBoundSource:
      batch.uncappedRequests > 0 ? (price?.maxOutputTokens !== undefined ? 'price_data' : 'default') : 'request',
    worstNanos: rates ? worstCaseNanos(rates, request.estimatedInputTokens, outputBound, request.units) : undefined,
    worstTokens: request.estimatedInputTokens + outputBound,
  };
}

/** The pre-budget decision the rules make: a blocking rule, else a warning rule, else a redaction, else ALLOWED. */
export interface RuleDecision {
  result: PolicyResult;
  reasonCode?: ReasonCode;
  rule?: string;
  message?: string;
}

export function ruleDecisionOf(evaluation: PolicyEvaluation): RuleDecision {
  const violation = evaluation.blocking ?? evaluation.warning;
  if (violation)
    return {
      result: evaluation.blocking ? 'BLOCKED' : 'WARNING',
      reasonCode: violation.reasonCode,
      rule: violation.rule,
      message: violation.message,
    };
  if (evaluation.redaction)
    return {
      result: 'WARNING',
      reasonCode: 'POLICY_DENY_CONTENT',
      rule: evaluation.redaction.rule,
      message: `redacted ${describeCounts(evaluation.redaction.counts)} before sending`,
    };
  return { result: 'ALLOWED' };
}
