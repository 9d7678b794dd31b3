// Langfuse: GenOps units shown as Langfuse generations with their cost, usage, user, session and
// customer. Wraps `LangfuseSpanProcessor` (`@langfuse/otel`), which exports to Langfuse's OTLP endpoint.
//
// Langfuse already reads the OpenTelemetry GenAI attributes GenOps records (model, gen_ai.usage.*); what
// it cannot read is GenOps' own: the settled cost (`genops.accounting.actual`), the attribution and the
// policy decision. They are added in Langfuse's attribute names (`LangfuseOtelSpanAttributes` of
// `@langfuse/core`).
import type { Attributes } from '@opentelemetry/api';
import { attributionOf } from './governed-call';
import { MappingSpanProcessor } from './mapping-span-processor';
import type { GovernedCall, SpanProcessorLike } from './types';

/**
 * The Langfuse attributes of a governed call:
 * - `langfuse.observation.type` `generation`, `langfuse.observation.model.name`;
 * - `langfuse.observation.usage_details` `{"input","output","total"}` (plus `cache_read_input_tokens`,
 *   `cache_creation_input_tokens`, `reasoning_tokens` when recorded) and
 *   `langfuse.observation.cost_details` `{"total": <USD>}`: Langfuse then shows GenOps' cost instead of
 *   inferring its own from a model price table;
 * - `user.id` (attribution `user`, else `customer`), `session.id`, `langfuse.environment` (lower case,
 *   as Langfuse accepts it);
 * - `langfuse.trace.tags` `team:…`, `project:…`, `customer:…`, and every attribution dimension plus the
 *   decision as `langfuse.observation.metadata.genops_*` (filterable in Langfuse);
 * - `langfuse.observation.level` `WARNING` for a WARNING decision or an incomplete settlement, `ERROR`
 *   for a blocked or failed call, with the reason code as `langfuse.observation.status_message`.
 */
export function langfuseAttributes(call: GovernedCall): Attributes {
  const attributes: Attributes = { 'langfuse.observation.type': 'generation' };
  if (call.model) attributes['langfuse.observation.model.name'] = call.model;
  if (call.inputTokens !== undefined || call.outputTokens !== undefined) {
    const usage: Record<string, number> = {
      input: call.inputTokens ?? 0,
      output: call.outputTokens ?? 0,
      total: (call.inputTokens ?? 0) + (call.outputTokens ?? 0),
    };
    if (call.cacheReadInputTokens !== undefined) usage.cache_read_input_tokens = call.cacheReadInputTokens;
    if (call.cacheWriteInputTokens !== undefined) usage.cache_creation_input_tokens = call.cacheWriteInputTokens;
    if (call.reasoningOutputTokens !== undefined) usage.reasoning_tokens = call.reasoningOutputTokens;
    attributes['langfuse.observation.usage_details'] = JSON.stringify(usage);
  }
  if (call.costUsd !== undefined)
    attributes['langfuse.observation.cost_details'] = JSON.stringify({ total: call.costUsd });
  const user = call.user ?? call.customer;
  if (user) attributes['user.id'] = user;
  if (call.session) attributes['session.id'] = call.session;
  if (call.environment) attributes['langfuse.environment'] = call.environment.toLowerCase();
  const tags: string[] = [];
  for (const key of ['team', 'project', 'customer'] as const) {
    const value = call[key];
    if (value) tags.push(`${key}:${value}`);
  }
  if (tags.length > 0) attributes['langfuse.trace.tags'] = tags;
  for (const [key, value] of Object.entries(attributionOf(call))) {
    attributes[`langfuse.observation.metadata.genops_${key}`] = value;
  }
  attributes['langfuse.observation.metadata.genops_policy_result'] = call.result;
  if (call.reservedUsd !== undefined)
    attributes['langfuse.observation.metadata.genops_reserved_usd'] = call.reservedUsd;
  if (call.budget) attributes['langfuse.observation.metadata.genops_budget'] = call.budget.name;
  if (call.result === 'BLOCKED' || call.result === 'RATE_LIMITED' || call.errorType) {
    attributes['langfuse.observation.level'] = 'ERROR';
  } else if (call.result === 'WARNING') {
    attributes['langfuse.observation.level'] = 'WARNING';
  }
  const message = call.reasonCode ?? call.errorType;
  if (message) attributes['langfuse.observation.status_message'] = message;
  return attributes;
}

/**
 * Wraps a Langfuse span processor so that GenOps units reach Langfuse with their cost, usage and
 * attribution in Langfuse's names ({@link langfuseAttributes}); other spans pass through unchanged.
 *
 * ```ts
 * import { LangfuseSpanProcessor } from '@langfuse/otel';
 * import { withLangfuse } from '@genops/integrations/langfuse';
 * const provider = new TracerProvider({ spanProcessors: [withLangfuse(new LangfuseSpanProcessor())] });
 * GenOps.init({ tracerProvider: provider });
 * ```
 */
export function withLangfuse<P extends SpanProcessorLike>(processor: P): SpanProcessorLike {
  return new MappingSpanProcessor(processor, langfuseAttributes);
}
