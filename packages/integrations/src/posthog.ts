// PostHog LLM analytics: every governed call that ran becomes a `$ai_generation` event with GenOps'
// settled cost, tokens, model and attribution; a blocked or rate-limited call becomes a
// `genops_call_blocked` event. Events are captured with the app's own `posthog-node` client.
import type { Context } from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';
import { attributionOf, readGovernedCall, snakeCase } from './governed-call';
import type { EndedSpan, GovernedCall, SpanProcessorLike } from './types';

/** What the processor needs of a `posthog-node` `PostHog` client. */
export interface PostHogClientLike {
  capture(message: { distinctId: string; event: string; properties?: Record<string, unknown> }): void;
  flush?(): Promise<unknown>;
}

export interface PostHogProcessorOptions {
  /** The app's PostHog client (`new PostHog(key, { host })` of `posthog-node`). */
  client: PostHogClientLike;
  /**
   * The person an event belongs to. Default: the call's `user`, else its `customer`; a call with
   * neither is captured as the anonymous `genops` without creating a person profile.
   */
  distinctId?: (call: GovernedCall) => string | undefined;
}

/**
 * The `$ai_generation` properties of a governed call (PostHog's LLM analytics names: `$ai_model`,
 * `$ai_provider`, `$ai_input_tokens`, `$ai_output_tokens`, `$ai_total_cost_usd`, `$ai_latency` in
 * seconds, `$ai_trace_id`, `$ai_span_id`, `$ai_is_error`), plus GenOps' attribution and decision as
 * `genops_team`, `genops_project`, ..., `genops_policy_result`, `genops_reserved_usd`.
 */
export function postHogProperties(call: GovernedCall): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    $ai_trace_id: call.traceId,
    $ai_span_id: call.spanId,
    $ai_latency: call.durationSeconds,
    $ai_is_error: call.errorType !== undefined,
  };
  if (call.model) properties.$ai_model = call.model;
  if (call.provider) properties.$ai_provider = call.provider;
  if (call.inputTokens !== undefined) properties.$ai_input_tokens = call.inputTokens;
  if (call.outputTokens !== undefined) properties.$ai_output_tokens = call.outputTokens;
  if (call.cacheReadInputTokens !== undefined) properties.$ai_cache_read_input_tokens = call.cacheReadInputTokens;
  if (call.cacheWriteInputTokens !== undefined) properties.$ai_cache_creation_input_tokens = call.cacheWriteInputTokens;
  if (call.reasoningOutputTokens !== undefined) properties.$ai_reasoning_tokens = call.reasoningOutputTokens;
  if (call.costUsd !== undefined) properties.$ai_total_cost_usd = call.costUsd;
  if (call.errorType) properties.$ai_error = call.errorType;
  for (const [key, value] of Object.entries(attributionOf(call))) properties[`genops_${snakeCase(key)}`] = value;
  properties.genops_policy_result = call.result;
  if (call.reasonCode) properties.genops_reason_code = call.reasonCode;
  if (call.policy) properties.genops_policy = call.policy;
  if (call.reservedUsd !== undefined) properties.genops_reserved_usd = call.reservedUsd;
  if (call.budget) properties.genops_budget = call.budget.name;
  return properties;
}

/**
 * A span processor that captures one PostHog event per governed call when its span ends. Add it beside
 * your exporter's processor; it exports nothing else and never throws into the app.
 */
export class PostHogSpanProcessor implements SpanProcessorLike {
  private readonly client: PostHogClientLike;
  private readonly distinctId: (call: GovernedCall) => string | undefined;

  constructor(options: PostHogProcessorOptions) {
    this.client = options.client;
    this.distinctId = options.distinctId ?? ((call) => call.user ?? call.customer);
  }

  onStart(_span: unknown, _parentContext: Context): void {}

  onEnd(span: EndedSpan): void {
    try {
      const call = readGovernedCall(span);
      if (!call) return;
      const properties = postHogProperties(call);
      let distinctId = this.distinctId(call);
      if (!distinctId) {
        distinctId = 'genops';
        properties.$process_person_profile = false;
      }
      const blocked = call.result === 'BLOCKED' || call.result === 'RATE_LIMITED';
      this.client.capture({ distinctId, event: blocked ? 'genops_call_blocked' : '$ai_generation', properties });
    } catch (error) {
      diag.error('genops: could not capture a PostHog event', error);
    }
  }

  async forceFlush(): Promise<void> {
    await this.client.flush?.();
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
  }
}
