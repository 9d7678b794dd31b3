import {
  type CheckComplianceOptions,
  type ComplianceReport,
  type ConformanceSpan,
  checkCompliance,
  fromReadableSpans,
  type ReadableSpanLike,
} from '@genops/conformance';

/**
 * Asserts that spans meet the GenOps Governance Specification v0.1 and returns the report. Throws an
 * `Error` listing every violation (rule, span name, message), and also when no span was checked as an AI
 * Workload Unit, so that a test cannot pass on empty telemetry. Works under any test runner.
 *
 * @param spans OpenTelemetry SDK `ReadableSpan`s (e.g. `telemetry.spans()`) or already-converted spans.
 */
export function expectGenOpsCompliant(
  spans: ReadonlyArray<ReadableSpanLike> | ReadonlyArray<ConformanceSpan>,
  options?: CheckComplianceOptions,
): ComplianceReport {
  const converted = spans.map((span) => (isReadableSpan(span) ? fromReadableSpans([span])[0]! : span));
  const report = checkCompliance(converted, options);
  if (report.checked === 0) {
    throw new Error(
      `expected GenOps-compliant spans, but none of the ${spans.length} span(s) is an AI Workload Unit ` +
        `(no span carries a genops.* attribute${options?.filter ? ' or passes the filter' : ''})`,
    );
  }
  if (!report.compliant) {
    const lines = report.violations.map(
      (violation) =>
        `  - [${violation.rule}] "${violation.span}"${violation.spanId ? ` (span ${violation.spanId})` : ''}: ${violation.message}`,
    );
    throw new Error(
      `expected GenOps-compliant spans, but ${report.violations.length} violation(s) were found in ${report.checked} AI Workload Unit(s):\n${lines.join('\n')}`,
    );
  }
  return report;
}

function isReadableSpan(span: ReadableSpanLike | ConformanceSpan): span is ReadableSpanLike {
  return typeof (span as ReadableSpanLike).spanContext === 'function';
}
