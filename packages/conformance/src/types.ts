/**
 * One span, in the neutral shape the checker reads. Convert OTLP/JSON exports with `fromOtlpJson()` and
 * OpenTelemetry SDK spans with `fromReadableSpans()`, or build it yourself from any other source.
 */
export interface ConformanceSpan {
  name: string;
  /** Hex trace id. Used with `spanId` for the AWU identity rule. */
  traceId?: string;
  /** Hex span id. */
  spanId?: string;
  /** OpenTelemetry span kind, as the source spells it (`3`, `'SPAN_KIND_CLIENT'`, ...). */
  kind?: string | number;
  attributes: Record<string, unknown>;
  events: ConformanceEvent[];
  /** Epoch milliseconds. */
  startTime?: number;
  /** Epoch milliseconds. */
  endTime?: number;
  status?: { code: number | string; message?: string };
}

/** A span event. */
export interface ConformanceEvent {
  name: string;
  /** Epoch milliseconds. */
  time?: number;
  attributes: Record<string, unknown>;
}

/** Stable ids of the rules the checker applies. */
export type ConformanceRule =
  | 'required-attribute'
  | 'spec-version'
  | 'policy-result'
  | 'reason-code'
  | 'accounting'
  | 'event-policy-evaluated'
  | 'event-reservation'
  | 'event-reconciliation'
  | 'reconciliation-without-execution'
  | 'reservation-before-execution'
  | 'placeholder-value'
  | 'awu-identity';

/** One broken rule on one span. */
export interface Violation {
  /** Stable rule id, e.g. `required-attribute`. */
  rule: ConformanceRule;
  /** The span's name. */
  span: string;
  /** What is wrong and what the spec expects. */
  message: string;
  /** The span's id, when the source had one (tells apart spans with the same name). */
  spanId?: string;
}

/** The result of `checkCompliance()`. */
export interface ComplianceReport {
  /** `true` when no rule was broken. Also `true` when no span was checked: look at `checked`. */
  compliant: boolean;
  /** How many spans were checked as AI Workload Units. */
  checked: number;
  violations: Violation[];
}

/** Options for `checkCompliance()`. */
export interface CheckComplianceOptions {
  /**
   * Which spans are AI Workload Units. By default, every span that carries at least one `genops.*`
   * attribute; with a filter, exactly the spans it accepts.
   */
  filter?: (span: ConformanceSpan) => boolean;
}
