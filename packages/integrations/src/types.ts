import type { Attributes, Context, HrTime, SpanContext } from '@opentelemetry/api';

/**
 * What the mappers read of an ended span: the fields every OpenTelemetry JS `ReadableSpan` (1.x, 2.x
 * and 3.x SDKs) has. Typed structurally, so a processor of any of those SDKs fits.
 */
export interface EndedSpan {
  readonly name: string;
  readonly attributes: Attributes;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  spanContext(): SpanContext;
}

/** A span processor of any OpenTelemetry JS SDK (`LangfuseSpanProcessor`, `BatchSpanProcessor`, ...). */
export interface SpanProcessorLike {
  // Method syntax: parameters are compared bivariantly, so each SDK's own span types are accepted.
  onStart(span: unknown, parentContext: Context): void;
  onEnd(span: EndedSpan): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** One governed call (a GenOps AI Workload Unit), as its span recorded it. */
export interface GovernedCall {
  /** `gen_ai.operation.name`: `chat`, `embeddings`, ... */
  operation: string | undefined;
  /** `gen_ai.provider.name`: `openai`, `anthropic`, ... */
  provider: string | undefined;
  /** The model that answered (`gen_ai.response.model`), else the one requested. */
  model: string | undefined;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  cacheReadInputTokens: number | undefined;
  cacheWriteInputTokens: number | undefined;
  reasoningOutputTokens: number | undefined;
  /** Settled cost in USD (`genops.accounting.actual` when the unit is USD). */
  costUsd: number | undefined;
  /** Worst-case cost reserved before the call, USD. */
  reservedUsd: number | undefined;
  /** `ALLOWED`, `WARNING`, `BLOCKED` or `RATE_LIMITED`. */
  result: string;
  reasonCode: string | undefined;
  /** The rule or budget that decided (`genops.policy.name`). */
  policy: string | undefined;
  /** The first matching budget line and what is left of it after this call. */
  budget: { name: string; remaining: number | undefined } | undefined;
  /** Attribution. */
  team: string | undefined;
  project: string | undefined;
  environment: string | undefined;
  customer: string | undefined;
  user: string | undefined;
  session: string | undefined;
  feature: string | undefined;
  costCenter: string | undefined;
  /** `error.type` when the provider call failed. */
  errorType: string | undefined;
  traceId: string;
  spanId: string;
  /** Wall time of the unit, seconds. */
  durationSeconds: number;
}
