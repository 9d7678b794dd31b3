import type { GovernedRequest, Usage } from '../types';

/**
 * Slack allowed over `maxOutputTokens × n` before usage is called impossible: providers count a few
 * tokens (stop sequences, tool-call framing, a `message_start` placeholder) outside the cap. 16 tokens
 * per choice, or 1% of the cap, whichever is larger.
 */
export const OUTPUT_SLACK_TOKENS = 16;
export const OUTPUT_SLACK_RATIO = 0.01;
/** No single call reports more tokens than this (well above any context window). */
export const MAX_USAGE_TOKENS = 1e9;

/** One way the usage breaks the accounting invariant. */
export interface UsageViolation {
  /** The usage field (`outputTokens`, `cacheReadInputTokens`, ...). */
  field: string;
  code: 'NOT_FINITE' | 'NEGATIVE' | 'TOO_LARGE' | 'ABOVE_MAX_TOKENS' | 'CACHED_ABOVE_INPUT' | 'REASONING_ABOVE_OUTPUT';
  message: string;
  value: unknown;
}

export interface ValidateUsageOptions {
  /** Choices requested (`n`); default 1. */
  choices?: number;
  /**
   * The provider reports reasoning tokens outside the output count and bills them on top (Perplexity
   * Sonar Deep Research's `reasoning_tokens`). The adapter then adds them to `outputTokens` when it
   * normalizes, so the check still holds; set this only for usage that is not normalized that way.
   */
  reasoningOutsideOutput?: boolean;
}

const TOKEN_FIELDS = [
  'inputTokens',
  'outputTokens',
  'cacheReadInputTokens',
  'cacheWriteInputTokens',
  'cacheWrite1hInputTokens',
  'reasoningOutputTokens',
] as const;

/** A token field of `usage` when it is a valid count, else `undefined`. */
function tokenCount(usage: Usage, field: (typeof TOKEN_FIELDS)[number]): number | undefined {
  const v = (usage as unknown as Record<string, unknown>)[field];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_USAGE_TOKENS ? v : undefined;
}

/**
 * Checks normalized usage against the request (pure; never throws). Returns every violation, empty when
 * the usage is plausible:
 * - every count finite, non-negative and at most {@link MAX_USAGE_TOKENS};
 * - `outputTokens` ≤ `maxOutputTokens × choices` + slack ({@link OUTPUT_SLACK_TOKENS} per choice or
 *   {@link OUTPUT_SLACK_RATIO} of the cap, the larger), when the request set a cap;
 * - cache reads + cache writes ≤ `inputTokens`, and 1-hour writes ≤ cache writes;
 * - `reasoningOutputTokens` ≤ `outputTokens` (normalized usage counts reasoning inside output).
 * On any violation the pipeline settles the call at its reservation and records
 * `ACCOUNTING_INVARIANT_VIOLATION`.
 */
export function validateUsage(
  usage: Usage,
  request: Pick<GovernedRequest, 'maxOutputTokens'>,
  options: ValidateUsageOptions = {},
): UsageViolation[] {
  const violations: UsageViolation[] = [];
  for (const field of TOKEN_FIELDS) {
    const v = (usage as unknown as Record<string, unknown>)[field];
    if (v === undefined && field !== 'inputTokens' && field !== 'outputTokens') continue;
    if (typeof v !== 'number' || !Number.isFinite(v))
      violations.push({ field, code: 'NOT_FINITE', message: `${field} is not a finite number`, value: v });
    else if (v < 0) violations.push({ field, code: 'NEGATIVE', message: `${field} is negative (${v})`, value: v });
    else if (v > MAX_USAGE_TOKENS)
      violations.push({ field, code: 'TOO_LARGE', message: `${field} ${v} is above ${MAX_USAGE_TOKENS}`, value: v });
  }
  const input = tokenCount(usage, 'inputTokens');
  const output = tokenCount(usage, 'outputTokens');
  const choices = Math.max(1, Math.floor(options.choices ?? 1));
  const cap = request.maxOutputTokens;
  if (output !== undefined && typeof cap === 'number' && Number.isFinite(cap) && cap > 0) {
    const limit =
      cap * choices + Math.max(OUTPUT_SLACK_TOKENS * choices, Math.ceil(cap * choices * OUTPUT_SLACK_RATIO));
    if (output > limit)
      violations.push({
        field: 'outputTokens',
        code: 'ABOVE_MAX_TOKENS',
        message: `outputTokens ${output} is above max tokens ${cap} × ${choices} choice(s) plus slack (${limit})`,
        value: output,
      });
  }
  const cacheRead = tokenCount(usage, 'cacheReadInputTokens') ?? 0;
  const cacheWrite = tokenCount(usage, 'cacheWriteInputTokens') ?? 0;
  if (input !== undefined && cacheRead + cacheWrite > input)
    violations.push({
      field: 'cacheReadInputTokens',
      code: 'CACHED_ABOVE_INPUT',
      message: `cache reads (${cacheRead}) plus cache writes (${cacheWrite}) are above inputTokens ${input}`,
      value: cacheRead + cacheWrite,
    });
  const cacheWrite1h = tokenCount(usage, 'cacheWrite1hInputTokens');
  if (cacheWrite1h !== undefined && cacheWrite1h > cacheWrite)
    violations.push({
      field: 'cacheWrite1hInputTokens',
      code: 'CACHED_ABOVE_INPUT',
      message: `1-hour cache writes (${cacheWrite1h}) are above cache writes (${cacheWrite})`,
      value: cacheWrite1h,
    });
  const reasoning = tokenCount(usage, 'reasoningOutputTokens');
  if (!options.reasoningOutsideOutput && reasoning !== undefined && output !== undefined && reasoning > output)
    violations.push({
      field: 'reasoningOutputTokens',
      code: 'REASONING_ABOVE_OUTPUT',
      message: `reasoningOutputTokens ${reasoning} is above outputTokens ${output} (normalized usage counts reasoning inside output)`,
      value: reasoning,
    });
  return violations;
}
