// Raindrop: GenOps units in Raindrop's traces, through the span processor of the app's own `raindrop-ai`
// client (`new Raindrop({ writeKey, useExternalOtel: true }).createSpanProcessor()`, which exports OTLP
// to Raindrop's `/v1/traces` with the write key as a Bearer token).
//
// Raindrop's processor is built on Traceloop's SDK: it exports only the spans of the instrumentation
// scopes it knows (`allowedInstrumentationLibraries`), and Raindrop links spans to users, conversations
// and interactions through Traceloop association properties (`traceloop.association.properties.user_id`,
// `convo_id`, `event_id`: what `raindrop.begin()` sets). GenOps' scope is added to the allowed ones, and
// each unit carries its attribution, cost and decision as association properties, plus the token counts
// in Traceloop's names.
import type { Attributes, Context } from '@opentelemetry/api';
import { attributionOf, snakeCase } from './governed-call';
import { MappingSpanProcessor } from './mapping-span-processor';
import { ASSOCIATION_PROPERTIES } from './traceloop';
import type { EndedSpan, GovernedCall, SpanProcessorLike } from './types';

/** The instrumentation scope of GenOps' spans (the tracer `@genops/core` creates). */
export const GENOPS_INSTRUMENTATION_SCOPE = '@genops/core';

/**
 * The Raindrop attributes of a governed call:
 * - `traceloop.association.properties.user_id` (attribution `user`, else `customer`) and `convo_id`
 *   (`session`): the keys `raindrop.begin({ userId, convoId })` sets, so Raindrop files the call under
 *   the user and the conversation;
 * - `traceloop.association.properties.genops_<dimension>` for every attribution dimension, and
 *   `genops_cost_usd`, `genops_reserved_usd`, `genops_policy_result`, `genops_reason_code`,
 *   `genops_policy`, `genops_budget`;
 * - `gen_ai.usage.prompt_tokens`, `gen_ai.usage.completion_tokens`, `llm.usage.total_tokens`,
 *   `gen_ai.system`, `llm.request.type`: the tokens, provider and operation in the names of Traceloop's
 *   own instrumentations (GenOps records the current OpenTelemetry names, which stay on the span too).
 */
export function raindropAttributes(call: GovernedCall): Attributes {
  const property = (key: string) => `${ASSOCIATION_PROPERTIES}.${key}`;
  const attributes: Attributes = { [property('genops_policy_result')]: call.result };
  const user = call.user ?? call.customer;
  if (user) attributes[property('user_id')] = user;
  if (call.session) attributes[property('convo_id')] = call.session;
  for (const [key, value] of Object.entries(attributionOf(call)))
    attributes[property(`genops_${snakeCase(key)}`)] = value;
  if (call.costUsd !== undefined) attributes[property('genops_cost_usd')] = call.costUsd;
  if (call.reservedUsd !== undefined) attributes[property('genops_reserved_usd')] = call.reservedUsd;
  if (call.reasonCode) attributes[property('genops_reason_code')] = call.reasonCode;
  if (call.policy) attributes[property('genops_policy')] = call.policy;
  if (call.budget) attributes[property('genops_budget')] = call.budget.name;
  if (call.inputTokens !== undefined) attributes['gen_ai.usage.prompt_tokens'] = call.inputTokens;
  if (call.outputTokens !== undefined) attributes['gen_ai.usage.completion_tokens'] = call.outputTokens;
  if (call.inputTokens !== undefined && call.outputTokens !== undefined)
    attributes['llm.usage.total_tokens'] = call.inputTokens + call.outputTokens;
  if (call.provider) attributes['gen_ai.system'] = call.provider;
  if (call.operation) attributes['llm.request.type'] = call.operation;
  return attributes;
}

/**
 * Raindrop's processor is built on OpenTelemetry JS 1.x, whose exporter reads a span's scope from
 * `instrumentationLibrary` and its parent from `parentSpanId`; spans of a 2.x/3.x SDK have
 * `instrumentationScope` and `parentSpanContext`. The view handed to it has both.
 */
function withLegacySpanFields<S extends EndedSpan>(span: S): S {
  const source = span as S & {
    instrumentationScope?: unknown;
    instrumentationLibrary?: unknown;
    parentSpanContext?: { spanId?: string };
    parentSpanId?: string;
  };
  if (source.instrumentationLibrary !== undefined || source.instrumentationScope === undefined) return span;
  const view = Object.create(span) as S;
  Object.defineProperty(view, 'instrumentationLibrary', { value: source.instrumentationScope, enumerable: true });
  if (source.parentSpanId === undefined && source.parentSpanContext?.spanId) {
    Object.defineProperty(view, 'parentSpanId', { value: source.parentSpanContext.spanId, enumerable: true });
  }
  return view;
}

/** A processor that hands OpenTelemetry 1.x processors spans they can read (see {@link withLegacySpanFields}). */
class LegacySpanFieldsProcessor implements SpanProcessorLike {
  constructor(private readonly inner: SpanProcessorLike) {}
  onStart(span: unknown, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }
  onEnd(span: EndedSpan): void {
    this.inner.onEnd(withLegacySpanFields(span));
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * Wraps a Raindrop span processor (`raindrop.createSpanProcessor({ allowedInstrumentationLibraries:
 * [GENOPS_INSTRUMENTATION_SCOPE] })`) so that GenOps units carry {@link raindropAttributes}; other spans
 * pass through unchanged.
 */
export function withRaindrop<P extends SpanProcessorLike>(processor: P): SpanProcessorLike {
  return new MappingSpanProcessor(new LegacySpanFieldsProcessor(processor), raindropAttributes);
}

/** What {@link raindropSpanProcessor} needs of a `raindrop-ai` `Raindrop` client. */
export interface RaindropClientLike {
  createSpanProcessor(options?: { allowedInstrumentationLibraries?: string[] }): SpanProcessorLike;
}

/**
 * The Raindrop span processor of `raindrop` (created with `useExternalOtel: true`) with GenOps' scope
 * allowed, wrapped by {@link withRaindrop}. `allowedInstrumentationLibraries` adds further scopes.
 *
 * ```ts
 * const raindrop = new Raindrop({ writeKey: process.env.RAINDROP_WRITE_KEY, useExternalOtel: true });
 * const tracerProvider = new TracerProvider({ spanProcessors: [raindropSpanProcessor(raindrop)] });
 * GenOps.init({ tracerProvider });
 * ```
 */
export function raindropSpanProcessor(
  raindrop: RaindropClientLike,
  options: { allowedInstrumentationLibraries?: string[] } = {},
): SpanProcessorLike {
  return withRaindrop(
    raindrop.createSpanProcessor({
      allowedInstrumentationLibraries: [
        GENOPS_INSTRUMENTATION_SCOPE,
        ...(options.allowedInstrumentationLibraries ?? []),
      ],
    }),
  );
}
