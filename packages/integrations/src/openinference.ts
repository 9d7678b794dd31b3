// Arize Phoenix / Arize AX: GenOps units in the OpenInference semantic conventions
// (`@arizeai/openinference-semantic-conventions`), so Phoenix shows them as LLM spans with GenOps' token
// counts, cost, user, session and governance decision.
import type { Attributes } from '@opentelemetry/api';
import { attributionOf } from './governed-call';
import { MappingSpanProcessor } from './mapping-span-processor';
import type { GovernedCall, SpanProcessorLike } from './types';

/**
 * OpenInference `llm.provider` for an OpenTelemetry `gen_ai.provider.name`.
 * @see https://github.com/Arize-ai/openinference/blob/main/spec/semantic_conventions.md
 */
function openInferenceProvider(provider: string): string {
  if (provider === 'aws.bedrock') return 'aws';
  if (provider.startsWith('gcp.')) return 'google';
  if (provider.startsWith('azure.')) return 'azure';
  if (provider === 'mistral_ai') return 'mistralai';
  if (provider === 'x_ai') return 'xai';
  return provider;
}

/**
 * The OpenInference attributes of a governed call: `openinference.span.kind` `LLM`, `llm.model_name`,
 * `llm.provider` / `llm.system`, `llm.token_count.{prompt,completion,total}` (and
 * `prompt_details.cache_read` / `cache_write`, `completion_details.reasoning`), `llm.cost.total` (USD,
 * what GenOps settled), `user.id`, `session.id`, `tag.tags` (`team:…`, `project:…`) and `metadata`, a
 * JSON object with the attribution and the decision (`genops.policy.result`, reason code, rule,
 * reserved USD, budget) that Phoenix shows and filters on.
 */
export function openInferenceAttributes(call: GovernedCall): Attributes {
  const attributes: Attributes = { 'openinference.span.kind': 'LLM' };
  if (call.model) attributes['llm.model_name'] = call.model;
  if (call.provider) {
    attributes['llm.provider'] = openInferenceProvider(call.provider);
    attributes['llm.system'] = call.provider.split('.')[0]!;
  }
  if (call.inputTokens !== undefined) attributes['llm.token_count.prompt'] = call.inputTokens;
  if (call.outputTokens !== undefined) attributes['llm.token_count.completion'] = call.outputTokens;
  if (call.inputTokens !== undefined && call.outputTokens !== undefined)
    attributes['llm.token_count.total'] = call.inputTokens + call.outputTokens;
  if (call.cacheReadInputTokens !== undefined)
    attributes['llm.token_count.prompt_details.cache_read'] = call.cacheReadInputTokens;
  if (call.cacheWriteInputTokens !== undefined)
    attributes['llm.token_count.prompt_details.cache_write'] = call.cacheWriteInputTokens;
  if (call.reasoningOutputTokens !== undefined)
    attributes['llm.token_count.completion_details.reasoning'] = call.reasoningOutputTokens;
  if (call.costUsd !== undefined) attributes['llm.cost.total'] = call.costUsd;
  if (call.user ?? call.customer) attributes['user.id'] = (call.user ?? call.customer)!;
  if (call.session) attributes['session.id'] = call.session;
  const tags = (['team', 'project', 'customer'] as const).flatMap((key) => (call[key] ? [`${key}:${call[key]}`] : []));
  if (tags.length > 0) attributes['tag.tags'] = tags;
  const metadata: Record<string, unknown> = { ...attributionOf(call), 'genops.policy.result': call.result };
  if (call.reasonCode) metadata['genops.policy.reason_code'] = call.reasonCode;
  if (call.policy) metadata['genops.policy.name'] = call.policy;
  if (call.reservedUsd !== undefined) metadata['genops.accounting.reserved'] = call.reservedUsd;
  if (call.budget) {
    metadata['genops.budget.name'] = call.budget.name;
    if (call.budget.remaining !== undefined) metadata['genops.budget.remaining'] = call.budget.remaining;
  }
  attributes.metadata = JSON.stringify(metadata);
  return attributes;
}

/**
 * Wraps a span processor (an OTLP exporter's processor pointed at Phoenix, or `@arizeai/phoenix-otel`'s)
 * so that GenOps units carry the OpenInference attributes ({@link openInferenceAttributes}); other spans
 * pass through unchanged.
 */
export function withOpenInference<P extends SpanProcessorLike>(processor: P): SpanProcessorLike {
  return new MappingSpanProcessor(processor, openInferenceAttributes);
}
