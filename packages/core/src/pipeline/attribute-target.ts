// Where the recorder writes a phase's span attributes: straight onto the span (`Span.setAttribute`: the
// OpenTelemetry SDK copies each value into the span's own attribute object, so a gathered object per phase
// would be garbage at once), or, for attributes a stage finds before the decision's telemetry is recorded,
// into the unit's attribute object through {@link intoObject}.
import type { Attributes, AttributeValue } from '@opentelemetry/api';

/** What attributes are written to: a `Span`, or an object through {@link intoObject}. */
export interface AttributeTarget {
  setAttribute(key: string, value: AttributeValue): unknown;
}

/** `attributes` as an {@link AttributeTarget}: each attribute written is a member of it. */
export function intoObject(attributes: Attributes): AttributeTarget {
  return {
    setAttribute(key, value) {
      attributes[key] = value;
    },
  };
}
