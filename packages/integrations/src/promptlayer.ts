// PromptLayer: every governed call becomes a PromptLayer request log (`POST /log-request`, through the
// app's own `promptlayer` client's `logRequest()`), with GenOps' settled cost as the request's price, the
// tokens, the model, the attribution as tags and metadata, and the decision as the request's status.
// PromptLayer's request log wants the prompt and the completion (Prompt Blueprint `input` / `output`):
// GenOps sends empty chat templates, so no content leaves the app.
import type { Context } from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';
import { attributionOf, readGovernedCall, snakeCase } from './governed-call';
import type { EndedSpan, GovernedCall, SpanProcessorLike } from './types';

/**
 * The body of a PromptLayer `logRequest()` (the `LogRequest` type of the `promptlayer` SDK, the fields
 * GenOps fills).
 */
export interface PromptLayerRequestLog {
  provider: string;
  model: string;
  input: { type: 'chat'; messages: never[] };
  output: { type: 'chat'; messages: never[] };
  /** Unix time, seconds. */
  request_start_time: number;
  request_end_time: number;
  tags: string[];
  metadata: Record<string, string>;
  input_tokens?: number;
  output_tokens?: number;
  /** USD. */
  price?: number;
  status: 'SUCCESS' | 'WARNING' | 'ERROR';
  error_type?: string;
  error_message?: string;
}

/** What the processor needs of a `promptlayer` `PromptLayer` client. */
export interface PromptLayerClientLike {
  logRequest(body: PromptLayerRequestLog): Promise<unknown>;
}

const seconds = (time: EndedSpan['startTime']): number => time[0] + Math.round(time[1] / 1e6) / 1e3;

/**
 * The PromptLayer request log of a governed call:
 * - `provider`, `model`, `input_tokens`, `output_tokens`, `price` (USD, what GenOps settled), the call's
 *   start and end;
 * - `status` `SUCCESS`, `WARNING` for a WARNING decision, `ERROR` for a blocked, rate-limited or failed
 *   call, with `error_type` the reason code (else `error.type`) and `error_message` the decision;
 * - `tags` `team:…`, `project:…`, `customer:…` and `genops:<result>`;
 * - `metadata` (strings, filterable in PromptLayer): `user_id` (attribution `user`, else `customer`),
 *   `session_id`, `genops_<dimension>` for every attribution dimension, `genops_policy_result`,
 *   `genops_reason_code`, `genops_policy`, `genops_cost_usd`, `genops_reserved_usd`, `genops_budget`,
 *   `trace_id`, `span_id`;
 * - `input` / `output`: empty chat templates (no prompt or completion content).
 */
export function promptLayerRequestLog(call: GovernedCall, span: EndedSpan): PromptLayerRequestLog {
  const refused = call.result === 'BLOCKED' || call.result === 'RATE_LIMITED';
  const metadata: Record<string, string> = { trace_id: call.traceId, span_id: call.spanId };
  const user = call.user ?? call.customer;
  if (user) metadata.user_id = user;
  if (call.session) metadata.session_id = call.session;
  for (const [key, value] of Object.entries(attributionOf(call))) metadata[`genops_${snakeCase(key)}`] = value;
  metadata.genops_policy_result = call.result;
  if (call.reasonCode) metadata.genops_reason_code = call.reasonCode;
  if (call.policy) metadata.genops_policy = call.policy;
  if (call.costUsd !== undefined) metadata.genops_cost_usd = String(call.costUsd);
  if (call.reservedUsd !== undefined) metadata.genops_reserved_usd = String(call.reservedUsd);
  if (call.budget) metadata.genops_budget = call.budget.name;
  const tags = (['team', 'project', 'customer'] as const).flatMap((key) => (call[key] ? [`${key}:${call[key]}`] : []));
  tags.push(`genops:${call.result}`);
  const log: PromptLayerRequestLog = {
    provider: call.provider ?? 'unknown',
    model: call.model ?? 'unknown',
    input: { type: 'chat', messages: [] },
    output: { type: 'chat', messages: [] },
    request_start_time: seconds(span.startTime),
    request_end_time: seconds(span.endTime),
    tags,
    metadata,
    status: refused || call.errorType ? 'ERROR' : call.result === 'WARNING' ? 'WARNING' : 'SUCCESS',
  };
  if (call.inputTokens !== undefined) log.input_tokens = call.inputTokens;
  if (call.outputTokens !== undefined) log.output_tokens = call.outputTokens;
  if (call.costUsd !== undefined) log.price = call.costUsd;
  const errorType = call.reasonCode ?? call.errorType;
  if (errorType) log.error_type = errorType;
  if (refused || call.result === 'WARNING') {
    log.error_message = `GenOps ${call.result}${call.reasonCode ? ` ${call.reasonCode}` : ''}${call.policy ? ` (rule ${call.policy})` : ''}`;
  } else if (call.errorType) {
    log.error_message = `provider call failed: ${call.errorType}`;
  }
  return log;
}

export interface PromptLayerProcessorOptions {
  /** The app's PromptLayer client (`new PromptLayer({ apiKey })` of `promptlayer`). */
  client: PromptLayerClientLike;
}

/**
 * A span processor that logs one PromptLayer request per governed call when its span ends. Add it
 * beside your exporter's processor; it exports nothing else and never throws into the app (a failed
 * `logRequest()` is reported on the OpenTelemetry diag logger). `forceFlush()` waits for the logs in
 * flight.
 */
export class PromptLayerSpanProcessor implements SpanProcessorLike {
  private readonly client: PromptLayerClientLike;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(options: PromptLayerProcessorOptions) {
    this.client = options.client;
  }

  onStart(_span: unknown, _parentContext: Context): void {}

  onEnd(span: EndedSpan): void {
    try {
      const call = readGovernedCall(span);
      if (!call) return;
      const sent = this.client
        .logRequest(promptLayerRequestLog(call, span))
        .catch((error: unknown) => diag.error('genops: PromptLayer did not take a request log', error))
        .finally(() => this.inFlight.delete(sent));
      this.inFlight.add(sent);
    } catch (error) {
      diag.error('genops: could not log a PromptLayer request', error);
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
  }
}
