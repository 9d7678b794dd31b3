// Traceloop / OpenLLMetry: GenOps attribution as Traceloop association properties, so Traceloop's views
// (filtered by `userId`, `team`, ...) group GenOps units with the spans of its own instrumentations.
import type { Attributes } from '@opentelemetry/api';
import { attributionOf } from './governed-call';
import { MappingSpanProcessor } from './mapping-span-processor';
import type { GovernedCall, SpanProcessorLike } from './types';

/** Traceloop's attribute prefix for association properties (`@traceloop/ai-semantic-conventions`). */
export const ASSOCIATION_PROPERTIES = 'traceloop.association.properties';

/**
 * `traceloop.association.properties.<key>` for every attribution dimension of the call (`team`,
 * `project`, `customer`, `user`, `session`, ...), and `userId` / `sessionId` (the keys Traceloop's own
 * `withAssociationProperties({ userId })` examples use) from `user` and `session`.
 */
export function traceloopAttributes(call: GovernedCall): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(attributionOf(call))) {
    attributes[`${ASSOCIATION_PROPERTIES}.${key}`] = value;
  }
  if (call.user) attributes[`${ASSOCIATION_PROPERTIES}.userId`] = call.user;
  if (call.session) attributes[`${ASSOCIATION_PROPERTIES}.sessionId`] = call.session;
  return attributes;
}

/** Wraps the span processor that exports to Traceloop so GenOps units carry {@link traceloopAttributes}. */
export function withTraceloop<P extends SpanProcessorLike>(processor: P): SpanProcessorLike {
  return new MappingSpanProcessor(processor, traceloopAttributes);
}
