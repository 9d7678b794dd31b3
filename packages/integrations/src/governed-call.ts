// Reads a GenOps AI Workload Unit back from its ended span: the one place that knows the attribute names
// the mappers (Langfuse, OpenInference, PostHog, Traceloop) translate from.
import type { AttributeValue } from '@opentelemetry/api';
import type { EndedSpan, GovernedCall } from './types';

const string = (value: AttributeValue | undefined): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
const number = (value: AttributeValue | undefined): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/**
 * The governed call a span records, or `undefined` when the span is not a GenOps unit (it has no
 * `genops.spec.version`): HTTP spans, other instrumentations' spans.
 */
export function readGovernedCall(span: EndedSpan): GovernedCall | undefined {
  const attributes = span.attributes;
  if (string(attributes['genops.spec.version']) === undefined) return undefined;
  const usd = string(attributes['genops.accounting.unit']) === 'USD';
  const budgetName = string(attributes['genops.budget.name']);
  const context = span.spanContext();
  return {
    operation: string(attributes['gen_ai.operation.name']),
    provider: string(attributes['gen_ai.provider.name']),
    model: string(attributes['gen_ai.response.model']) ?? string(attributes['gen_ai.request.model']),
    inputTokens: number(attributes['gen_ai.usage.input_tokens']),
    outputTokens: number(attributes['gen_ai.usage.output_tokens']),
    cacheReadInputTokens: number(attributes['gen_ai.usage.cache_read.input_tokens']),
    cacheWriteInputTokens: number(attributes['gen_ai.usage.cache_creation.input_tokens']),
    reasoningOutputTokens: number(attributes['gen_ai.usage.reasoning.output_tokens']),
    costUsd: usd ? number(attributes['genops.accounting.actual']) : undefined,
    reservedUsd: usd ? number(attributes['genops.accounting.reserved']) : undefined,
    result: string(attributes['genops.policy.result']) ?? 'ALLOWED',
    reasonCode: string(attributes['genops.policy.reason_code']),
    policy: string(attributes['genops.policy.name']),
    budget: budgetName ? { name: budgetName, remaining: number(attributes['genops.budget.remaining']) } : undefined,
    team: string(attributes['genops.team']),
    project: string(attributes['genops.project']),
    environment: string(attributes['genops.environment']),
    customer: string(attributes['genops.customer_id']),
    user: string(attributes['genops.user_id']),
    session: string(attributes['genops.session_id']),
    feature: string(attributes['genops.feature']),
    costCenter: string(attributes['genops.cost_center']),
    errorType: string(attributes['error.type']),
    traceId: context.traceId,
    spanId: context.spanId,
    durationSeconds: span.endTime[0] - span.startTime[0] + (span.endTime[1] - span.startTime[1]) / 1e9,
  };
}

/** The attribution of a call as `{ team, project, ... }`, without the dimensions it does not have. */
export function attributionOf(call: GovernedCall): Record<string, string> {
  const attribution: Record<string, string> = {};
  for (const key of [
    'team',
    'project',
    'environment',
    'customer',
    'user',
    'session',
    'feature',
    'costCenter',
  ] as const) {
    const value = call[key];
    if (value !== undefined) attribution[key] = value;
  }
  return attribution;
}

/** An attribution key as a snake_case property name: `costCenter` → `cost_center`. */
export const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
