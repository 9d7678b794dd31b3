export { CHECKED_SPEC_VERSION, CONFORMANCE_RULES, checkCompliance } from './check';
export { ConformanceInputError } from './conformance-input-error';
export { fromOtlpJson, OTLP_JSON_FORMAT_HINT } from './from-otlp';
export { fromReadableSpan, fromReadableSpans, type HrTimeLike, type ReadableSpanLike } from './from-readable-span';
export type {
  CheckComplianceOptions,
  ComplianceReport,
  ConformanceEvent,
  ConformanceRule,
  ConformanceSpan,
  Violation,
} from './types';
export { VERSION } from './version';
