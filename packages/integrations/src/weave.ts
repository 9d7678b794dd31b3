// Weights & Biases Weave: GenOps units in a Weave project's Traces view, through Weave's OTLP endpoint.
// The Weave JS SDK (`weave` on npm) has no OpenTelemetry exporter; Weave's trace server takes OTLP/HTTP
// protobuf at `/otel/v1/traces` and maps span attributes onto Weave calls (weave
// `trace_server/opentelemetry/constants.py`): the model from `gen_ai.response.model`, the tokens from
// `gen_ai.usage.input_tokens` / `output_tokens` (both recorded by GenOps already), the call's display
// name from `wandb.display_name`, its thread from `wandb.thread_id`, and custom call attributes from the
// keys under `wandb.attributes.*`. GenOps' cost, attribution and decision are added there.
import type { Attributes } from '@opentelemetry/api';
import { attributionOf, snakeCase } from './governed-call';
import { IntegrationConfigError } from './integration-config-error';
import { MappingSpanProcessor } from './mapping-span-processor';
import type { GovernedCall, SpanProcessorLike } from './types';

/**
 * The Weave attributes of a governed call:
 * - `wandb.display_name`: `chat gpt-4o`, or `chat o1-preview BLOCKED POLICY_DENY_MODEL` for a call GenOps
 *   refused (Weave shows it as the call's name);
 * - `wandb.thread_id`: the attribution `session` (Weave's Threads view groups the calls of a session);
 * - `wandb.attributes.genops_*`: the call's custom attributes in Weave (filterable columns):
 *   `genops_cost_usd` (what GenOps settled), `genops_reserved_usd`, `genops_policy_result`,
 *   `genops_reason_code`, `genops_policy`, `genops_budget`, `genops_budget_remaining` and every
 *   attribution dimension (`genops_team`, `genops_project`, `genops_customer`, `genops_user`, ...).
 *
 * Weave computes its own cost column from the tokens and its price table; `genops_cost_usd` is the
 * amount the budget was charged.
 */
export function weaveAttributes(call: GovernedCall): Attributes {
  const refused = call.result === 'BLOCKED' || call.result === 'RATE_LIMITED';
  const name = [call.operation ?? 'call', call.model].filter(Boolean).join(' ');
  const attributes: Attributes = {
    'wandb.display_name': refused ? `${name} ${call.result} ${call.reasonCode ?? ''}`.trim() : name,
    'wandb.attributes.genops_policy_result': call.result,
  };
  if (call.session) attributes['wandb.thread_id'] = call.session;
  for (const [key, value] of Object.entries(attributionOf(call))) {
    attributes[`wandb.attributes.genops_${snakeCase(key)}`] = value;
  }
  if (call.costUsd !== undefined) attributes['wandb.attributes.genops_cost_usd'] = call.costUsd;
  if (call.reservedUsd !== undefined) attributes['wandb.attributes.genops_reserved_usd'] = call.reservedUsd;
  if (call.reasonCode) attributes['wandb.attributes.genops_reason_code'] = call.reasonCode;
  if (call.policy) attributes['wandb.attributes.genops_policy'] = call.policy;
  if (call.budget) {
    attributes['wandb.attributes.genops_budget'] = call.budget.name;
    if (call.budget.remaining !== undefined)
      attributes['wandb.attributes.genops_budget_remaining'] = call.budget.remaining;
  }
  return attributes;
}

/**
 * Wraps the span processor of an OTLP exporter pointed at Weave ({@link weaveOtlpExporterConfig}) so
 * that GenOps units carry {@link weaveAttributes}; other spans pass through unchanged.
 */
export function withWeave<P extends SpanProcessorLike>(processor: P): SpanProcessorLike {
  return new MappingSpanProcessor(processor, weaveAttributes);
}

export interface WeaveOtlpOptions {
  /** W&B API key. Default: `WANDB_API_KEY`. */
  apiKey?: string;
  /** The W&B entity (team or user name) that owns the project. Default: `WANDB_ENTITY`. */
  entity?: string;
  /** The Weave project. Default: `WANDB_PROJECT`. */
  project?: string;
  /**
   * The trace server: `https://trace.wandb.ai` (multi-tenant cloud, the default), or
   * `https://<your-subdomain>.wandb.io/traces` (Dedicated Cloud, Self-Managed). `/otel/v1/traces` is
   * appended. Default: `WANDB_TRACE_SERVER_URL`, else the multi-tenant cloud.
   */
  baseUrl?: string;
}

/** What an OTLP/HTTP trace exporter needs to send to Weave: `new OTLPTraceExporter(weaveOtlpExporterConfig())`. */
export interface WeaveOtlpExporterConfig {
  url: string;
  headers: Record<string, string>;
}

const WEAVE_CLOUD = 'https://trace.wandb.ai';

/**
 * The URL and headers of Weave's OTLP endpoint for a project: `POST <baseUrl>/otel/v1/traces` with
 * `Authorization: Basic base64("api:<key>")` and `project_id: <entity>/<project>` (Weave's
 * documented headers; Weave takes protobuf bodies, so use `@opentelemetry/exporter-trace-otlp-proto`).
 * Throws an {@link IntegrationConfigError} naming the option and the environment variable when the key,
 * entity or project is missing.
 */
export function weaveOtlpExporterConfig(
  options: WeaveOtlpOptions = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): WeaveOtlpExporterConfig {
  const required = (value: string | undefined, option: string, variable: string, what: string): string => {
    if (value && value.trim().length > 0) return value.trim();
    throw new IntegrationConfigError({
      integration: 'weave',
      option,
      message: `no ${what} (pass { ${option} } to weaveOtlpExporterConfig(), or set ${variable})`,
    });
  };
  const apiKey = required(options.apiKey ?? env.WANDB_API_KEY, 'apiKey', 'WANDB_API_KEY', 'W&B API key');
  const entity = required(options.entity ?? env.WANDB_ENTITY, 'entity', 'WANDB_ENTITY', 'W&B entity (team or user)');
  const project = required(options.project ?? env.WANDB_PROJECT, 'project', 'WANDB_PROJECT', 'Weave project');
  if (entity.includes('/') || project.includes('/')) {
    throw new IntegrationConfigError({
      integration: 'weave',
      option: entity.includes('/') ? 'entity' : 'project',
      message: `entity and project are given apart, without "/" (got "${entity}" and "${project}")`,
    });
  }
  const base = options.baseUrl ?? env.WANDB_TRACE_SERVER_URL ?? WEAVE_CLOUD;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new IntegrationConfigError({
      integration: 'weave',
      option: 'baseUrl',
      message: `baseUrl is not a URL (pass e.g. ${WEAVE_CLOUD}, or https://<your-subdomain>.wandb.io/traces)`,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new IntegrationConfigError({
      integration: 'weave',
      option: 'baseUrl',
      message: `baseUrl must be an http(s) URL (got ${url.protocol})`,
    });
  }
  let path = url.pathname;
  while (path.endsWith('/')) path = path.slice(0, -1);
  return {
    url: `${url.origin}${path}/otel/v1/traces`,
    headers: {
      Authorization: `Basic ${Buffer.from(`api:${apiKey}`).toString('base64')}`,
      project_id: `${entity}/${project}`,
    },
  };
}
