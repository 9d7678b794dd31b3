// The OpenTelemetry context a governed call runs in: its parent's, plus the AWU span and one more value
// (the active call), as ONE object. `trace.setSpan(parent, span).setValue(key, value)` makes two
// `BaseContext`s, each a copy of the parent's whole Map and three closures, on every call; this context
// answers `getValue` for its two keys itself and asks its parent for the rest. Only when something derives
// a context from it (an HTTP instrumentation's span, `suppressTracing`) is the equivalent `BaseContext`
// built, once, and the derived one made from it: what is read through either is the same.
import { type Context, INVALID_SPAN_CONTEXT, ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api';

/** The key `trace.setSpan` uses (the API's `createContextKey` is `Symbol.for` of its description). */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

class CallContext implements Context {
  private derivable: Context | undefined;

  constructor(
    private readonly parent: Context,
    private readonly span: Span,
    private readonly key: symbol,
    private readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    if (key === this.key) return this.value;
    if (key === SPAN_KEY) return this.span;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.base().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.base().deleteValue(key);
  }

  /** The same values as an API context (built on the first derivation, then reused). */
  private base(): Context {
    this.derivable ??= this.parent.setValue(SPAN_KEY, this.span).setValue(this.key, this.value);
    return this.derivable;
  }
}

/**
 * `parent` with `span` as the active span and `value` under `key`: what
 * `trace.setSpan(parent, span).setValue(key, value)` gives, in one object.
 */
export function callContext(parent: Context, span: Span, key: symbol, value: unknown): Context {
  return SPAN_KEY_HOLDS ? new CallContext(parent, span, key, value) : trace.setSpan(parent, span).setValue(key, value);
}

/**
 * Whether `trace.getSpan` reads the span under {@link SPAN_KEY} in this version of the API (checked once):
 * if a later API names its key otherwise, calls take the two-context path instead of losing their span.
 */
const SPAN_KEY_HOLDS = ((): boolean => {
  const probe = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  return trace.getSpan(new CallContext(ROOT_CONTEXT, probe, Symbol('probe'), undefined)) === probe;
})();
