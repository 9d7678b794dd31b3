/**
 * GenOps in the observability tools people already use. One subpath per tool, each a span processor
 * (or a wrapper of the tool's own) that reads GenOps units back from their spans:
 *
 * - `@genops/integrations/langfuse`: `withLangfuse(new LangfuseSpanProcessor())`
 * - `@genops/integrations/posthog`: `new PostHogSpanProcessor({ client })`
 * - `@genops/integrations/openinference`: `withOpenInference(processor)` (Arize Phoenix, Arize AX)
 * - `@genops/integrations/traceloop`: `withTraceloop(processor)`
 * - `@genops/integrations/promptlayer`: `new PromptLayerSpanProcessor({ client })`
 * - `@genops/integrations/weave`: `withWeave(processor)` and `weaveOtlpExporterConfig()` (W&B Weave's OTLP endpoint)
 * - `@genops/integrations/raindrop`: `raindropSpanProcessor(raindrop)`
 *
 * @module
 */
export { attributionOf, readGovernedCall } from './governed-call';
export { IntegrationConfigError } from './integration-config-error';
export { type GovernedCallMapper, MappingSpanProcessor, withAttributes } from './mapping-span-processor';
export type { EndedSpan, GovernedCall, SpanProcessorLike } from './types';
export { VERSION } from './version';
