/**
 * GenOps in the observability tools people already use. One subpath per tool, each a span processor
 * (or a wrapper of the tool's own) that reads GenOps units back from their spans:
 *
 * - `@genops/integrations/langfuse`: `withLangfuse(new LangfuseSpanProcessor())`
 * - `@genops/integrations/posthog`: `new PostHogSpanProcessor({ client })`
 * - `@genops/integrations/openinference`: `withOpenInference(processor)` (Arize Phoenix, Arize AX)
 * - `@genops/integrations/traceloop`: `withTraceloop(processor)`
 *
 * @module
 */
export { attributionOf, readGovernedCall } from './governed-call';
export { type GovernedCallMapper, MappingSpanProcessor, withAttributes } from './mapping-span-processor';
export type { EndedSpan, GovernedCall, SpanProcessorLike } from './types';
export { VERSION } from './version';
