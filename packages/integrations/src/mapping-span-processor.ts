// A span processor that hands another processor each GenOps unit with extra attributes, computed when the
// span has ended (cost and usage are known only then, and an ended span's attributes cannot be set).
import type { Attributes, Context } from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';
import { readGovernedCall } from './governed-call';
import type { EndedSpan, GovernedCall, SpanProcessorLike } from './types';

/** The attributes a mapping adds to a governed call's span. */
export type GovernedCallMapper = (call: GovernedCall, span: EndedSpan) => Attributes;

/**
 * Wraps `inner` (any OpenTelemetry JS span processor): spans that are not GenOps units pass through
 * unchanged; a GenOps unit is passed on as a view of the same span whose attributes also carry what
 * `map` returns (the span's own attributes win on a clash, so nothing GenOps recorded is overwritten). A
 * mapper that throws never loses the span: it is passed on unmapped.
 */
export class MappingSpanProcessor implements SpanProcessorLike {
  constructor(
    private readonly inner: SpanProcessorLike,
    private readonly map: GovernedCallMapper,
  ) {}

  onStart(span: unknown, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: EndedSpan): void {
    this.inner.onEnd(this.mapped(span));
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  private mapped(span: EndedSpan): EndedSpan {
    try {
      const call = readGovernedCall(span);
      return call ? withAttributes(span, this.map(call, span)) : span;
    } catch (error) {
      diag.error('genops: could not map a span for an integration', error);
      return span;
    }
  }
}

/**
 * The same span with `extra` attributes added (its own win): its other fields and methods are read
 * through the prototype chain, so every SDK's exporter sees the span it expects.
 */
export function withAttributes<S extends EndedSpan>(span: S, extra: Attributes): S {
  const view = Object.create(span) as S;
  Object.defineProperty(view, 'attributes', { value: { ...extra, ...span.attributes }, enumerable: true });
  return view;
}
