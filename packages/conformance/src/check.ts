import {
  ATTR_ACCOUNTING_ACTUAL,
  ATTR_ACCOUNTING_RESERVED,
  ATTR_ACCOUNTING_UNIT,
  ATTR_POLICY_REASON_CODE,
  ATTR_POLICY_RESULT,
  ATTR_SPEC_VERSION,
  EVENT_BUDGET_RECONCILIATION,
  EVENT_BUDGET_RESERVATION,
  EVENT_FIRST_CHUNK,
  EVENT_POLICY_EVALUATED,
  MEANINGFUL_STRING_ATTRIBUTES,
  NOT_EXECUTED_RESULTS,
  PLACEHOLDER_VALUES,
  POLICY_RESULTS,
  REASON_CODE_EXTENSION_PATTERN,
  REASON_CODES,
  REQUIRED_STRING_ATTRIBUTES,
  SPEC_VERSION,
} from './spec';
import type {
  CheckComplianceOptions,
  ComplianceReport,
  ConformanceEvent,
  ConformanceRule,
  ConformanceSpan,
  Violation,
} from './types';

/** Every rule `checkCompliance()` applies, by stable id. */
export const CONFORMANCE_RULES: readonly ConformanceRule[] = [
  'required-attribute',
  'spec-version',
  'policy-result',
  'reason-code',
  'accounting',
  'event-policy-evaluated',
  'event-reservation',
  'event-reconciliation',
  'reconciliation-without-execution',
  'reservation-before-execution',
  'placeholder-value',
  'awu-identity',
];

/** The GenOps Governance Specification version this checker verifies. */
export const CHECKED_SPEC_VERSION = SPEC_VERSION;

/**
 * Checks spans against the GenOps Governance Specification v0.1.0 (attributes, events, reason codes,
 * accounting, the reservation-before-execution invariant, placeholder values, AWU identity).
 *
 * AI Workload Units are the spans carrying at least one `genops.*` attribute, or the spans
 * `options.filter` accepts. A report with `checked: 0` is compliant but proves nothing.
 */
export function checkCompliance(
  spans: ReadonlyArray<ConformanceSpan>,
  options: CheckComplianceOptions = {},
): ComplianceReport {
  const isAwu = options.filter ?? hasGenOpsAttribute;
  const awus = spans.filter((span) => isAwu(span));
  const violations: Violation[] = [];
  const seenIdentities = new Set<string>();

  for (const span of awus) {
    const report = (rule: ConformanceRule, message: string) => {
      violations.push(
        span.spanId === undefined
          ? { rule, span: span.name, message }
          : { rule, span: span.name, message, spanId: span.spanId },
      );
    };
    checkRequiredAttributes(span, report);
    checkPolicy(span, report);
    checkAccounting(span, report);
    checkEvents(span, report);
    checkLifecycle(span, report);

    if (span.traceId && span.spanId) {
      const identity = `${span.traceId}/${span.spanId}`;
      if (seenIdentities.has(identity)) {
        report(
          'awu-identity',
          `another AWU has the same identity (trace_id ${span.traceId}, span_id ${span.spanId}); an AWU's identity is never reused`,
        );
      }
      seenIdentities.add(identity);
    }
  }

  return { compliant: violations.length === 0, checked: awus.length, violations };
}

type Report = (rule: ConformanceRule, message: string) => void;

function hasGenOpsAttribute(span: ConformanceSpan): boolean {
  return Object.keys(span.attributes ?? {}).some((key) => key.startsWith('genops.'));
}

function checkRequiredAttributes(span: ConformanceSpan, report: Report): void {
  const attributes = span.attributes ?? {};
  for (const key of REQUIRED_STRING_ATTRIBUTES) {
    const value = attributes[key];
    if (value === undefined || value === null) {
      report('required-attribute', `missing required attribute ${key}`);
    } else if (typeof value !== 'string') {
      report('required-attribute', `${key} must be a string, got ${describe(value)}`);
    } else if (value.trim() === '') {
      report('required-attribute', `${key} is empty; it must be a non-empty string`);
    }
  }

  const version = attributes[ATTR_SPEC_VERSION];
  if (typeof version === 'string' && version.trim() !== '' && version !== SPEC_VERSION) {
    report('spec-version', `${ATTR_SPEC_VERSION} is ${JSON.stringify(version)}; expected "${SPEC_VERSION}"`);
  }

  for (const key of MEANINGFUL_STRING_ATTRIBUTES) {
    const value = attributes[key];
    if (typeof value === 'string' && value.trim() !== '' && isPlaceholder(value)) {
      report('placeholder-value', `${key} is the placeholder ${JSON.stringify(value)}; set a meaningful value`);
    }
  }
}

function checkPolicy(span: ConformanceSpan, report: Report): void {
  const attributes = span.attributes ?? {};
  const result = attributes[ATTR_POLICY_RESULT];
  if (typeof result === 'string' && result.trim() !== '' && !POLICY_RESULTS.has(result)) {
    report(
      'policy-result',
      `${ATTR_POLICY_RESULT} is ${JSON.stringify(result)}; expected one of ${listOf(POLICY_RESULTS)}`,
    );
  }
  checkReasonCode(result, attributes[ATTR_POLICY_REASON_CODE], (message) =>
    report('reason-code', `${ATTR_POLICY_REASON_CODE} ${message}`),
  );
}

/** Shared by the span attributes and the `genops.policy.evaluated` events. */
function checkReasonCode(result: unknown, reasonCode: unknown, report: (message: string) => void): void {
  const present = reasonCode !== undefined && reasonCode !== null;
  if (result === 'ALLOWED') {
    if (present) report(`is ${JSON.stringify(reasonCode)} but must be absent when the result is ALLOWED`);
    return;
  }
  if (!present) {
    if (typeof result === 'string' && POLICY_RESULTS.has(result)) {
      report(`is missing; it is required when the result is ${result}`);
    }
    return;
  }
  if (typeof reasonCode !== 'string' || !isReasonCode(reasonCode)) {
    report(
      `is ${describe(reasonCode)}; expected one of ${listOf(REASON_CODES)} or an extension matching ${REASON_CODE_EXTENSION_PATTERN}`,
    );
  }
}

function checkAccounting(span: ConformanceSpan, report: Report): void {
  const attributes = span.attributes ?? {};
  const result = attributes[ATTR_POLICY_RESULT];
  const hasReservation = findEvents(span, EVENT_BUDGET_RESERVATION).length > 0;
  const hasReconciliation = findEvents(span, EVENT_BUDGET_RECONCILIATION).length > 0;
  const executes = result === 'ALLOWED' || result === 'WARNING';

  // attribute → why it is required ('' when it is only checked because it is present)
  const required = new Map<string, string>();
  if (executes) {
    const why = `the result is ${result} and a runtime reserves before executing`;
    required.set(ATTR_ACCOUNTING_RESERVED, why);
    required.set(ATTR_ACCOUNTING_UNIT, why);
  }
  if (hasReservation) {
    const why = `the span has a ${EVENT_BUDGET_RESERVATION} event`;
    required.set(ATTR_ACCOUNTING_RESERVED, why);
    required.set(ATTR_ACCOUNTING_UNIT, why);
  }
  if (hasReconciliation) {
    const why = `the span has a ${EVENT_BUDGET_RECONCILIATION} event`;
    required.set(ATTR_ACCOUNTING_RESERVED, why);
    required.set(ATTR_ACCOUNTING_ACTUAL, why);
    required.set(ATTR_ACCOUNTING_UNIT, why);
  }
  // Amounts are checked whenever present, and the unit is required alongside any amount.
  for (const key of [ATTR_ACCOUNTING_RESERVED, ATTR_ACCOUNTING_ACTUAL]) {
    if (attributes[key] !== undefined && !required.has(key)) required.set(key, '');
    if (attributes[key] !== undefined && !required.has(ATTR_ACCOUNTING_UNIT)) {
      required.set(ATTR_ACCOUNTING_UNIT, `${key} is present`);
    }
  }

  for (const [key, why] of required) {
    const problem = key === ATTR_ACCOUNTING_UNIT ? unitProblem(attributes[key]) : amountProblem(attributes[key]);
    if (problem) report('accounting', `${key} ${problem}${why ? ` (required because ${why})` : ''}`);
  }
}

function checkEvents(span: ConformanceSpan, report: Report): void {
  const spanResult = span.attributes?.[ATTR_POLICY_RESULT];

  const evaluations = findEvents(span, EVENT_POLICY_EVALUATED);
  if (evaluations.length === 0) {
    report(
      'event-policy-evaluated',
      `missing the ${EVENT_POLICY_EVALUATED} event; every AWU records its policy decision`,
    );
  }
  evaluations.forEach((event, index) => {
    const at =
      evaluations.length > 1 ? `${EVENT_POLICY_EVALUATED} event #${index + 1}` : `${EVENT_POLICY_EVALUATED} event`;
    const result = event.attributes?.[ATTR_POLICY_RESULT];
    if (result === undefined || result === null) {
      report('event-policy-evaluated', `${at} is missing ${ATTR_POLICY_RESULT}`);
    } else if (typeof result !== 'string' || !POLICY_RESULTS.has(result)) {
      report(
        'event-policy-evaluated',
        `${at} has ${ATTR_POLICY_RESULT} ${describe(result)}; expected one of ${listOf(POLICY_RESULTS)}`,
      );
    }
    checkReasonCode(result, event.attributes?.[ATTR_POLICY_REASON_CODE], (message) =>
      report('event-policy-evaluated', `${at}: ${ATTR_POLICY_REASON_CODE} ${message}`),
    );
  });
  const finalDecision = evaluations.at(-1)?.attributes?.[ATTR_POLICY_RESULT];
  if (
    typeof spanResult === 'string' &&
    POLICY_RESULTS.has(spanResult) &&
    typeof finalDecision === 'string' &&
    POLICY_RESULTS.has(finalDecision) &&
    finalDecision !== spanResult
  ) {
    report(
      'event-policy-evaluated',
      `the last ${EVENT_POLICY_EVALUATED} event says ${finalDecision} but the span's ${ATTR_POLICY_RESULT} is ${spanResult}; decisions are immutable`,
    );
  }

  const executes = spanResult === 'ALLOWED' || spanResult === 'WARNING';
  const reservations = findEvents(span, EVENT_BUDGET_RESERVATION);
  if (executes && reservations.length === 0) {
    report(
      'event-reservation',
      `missing the ${EVENT_BUDGET_RESERVATION} event; an AWU with result ${spanResult} reserves before it executes`,
    );
  }
  for (const event of reservations) {
    const problems = [
      prefixed(ATTR_ACCOUNTING_RESERVED, amountProblem(event.attributes?.[ATTR_ACCOUNTING_RESERVED])),
      prefixed(ATTR_ACCOUNTING_UNIT, unitProblem(event.attributes?.[ATTR_ACCOUNTING_UNIT])),
    ].filter((problem) => problem !== undefined);
    for (const problem of problems) report('event-reservation', `${EVENT_BUDGET_RESERVATION} event: ${problem}`);
  }

  const reconciliations = findEvents(span, EVENT_BUDGET_RECONCILIATION);
  if (executes && reconciliations.length === 0) {
    report(
      'event-reconciliation',
      `missing the ${EVENT_BUDGET_RECONCILIATION} event; an AWU with result ${spanResult} reconciles after execution (with the best data available when usage is missing)`,
    );
  }
  for (const event of reconciliations) {
    const problems = [
      prefixed(ATTR_ACCOUNTING_ACTUAL, amountProblem(event.attributes?.[ATTR_ACCOUNTING_ACTUAL])),
      prefixed(ATTR_ACCOUNTING_RESERVED, amountProblem(event.attributes?.[ATTR_ACCOUNTING_RESERVED])),
      prefixed(ATTR_ACCOUNTING_UNIT, unitProblem(event.attributes?.[ATTR_ACCOUNTING_UNIT])),
    ].filter((problem) => problem !== undefined);
    for (const problem of problems) report('event-reconciliation', `${EVENT_BUDGET_RECONCILIATION} event: ${problem}`);
  }
}

function checkLifecycle(span: ConformanceSpan, report: Report): void {
  const result = span.attributes?.[ATTR_POLICY_RESULT];
  const reservations = findEvents(span, EVENT_BUDGET_RESERVATION);
  const reconciliations = findEvents(span, EVENT_BUDGET_RECONCILIATION);

  if (typeof result === 'string' && NOT_EXECUTED_RESULTS.has(result) && reconciliations.length > 0) {
    report(
      'reconciliation-without-execution',
      `an AWU with result ${result} was never executed, so it must not have a ${EVENT_BUDGET_RECONCILIATION} event (release the reservation without reconciling)`,
    );
  }

  if (reconciliations.length > 0 && reservations.length === 0) {
    report(
      'reservation-before-execution',
      `has a ${EVENT_BUDGET_RECONCILIATION} event but no ${EVENT_BUDGET_RESERVATION} event; the reservation must be recorded before execution`,
    );
  }

  const reservedAt = earliestTime(reservations);
  if (reservedAt === undefined) return;
  const reconciledAt = earliestTime(reconciliations);
  if (reconciledAt !== undefined && reservedAt > reconciledAt) {
    report(
      'reservation-before-execution',
      `${EVENT_BUDGET_RESERVATION} (${iso(reservedAt)}) comes after ${EVENT_BUDGET_RECONCILIATION} (${iso(reconciledAt)})`,
    );
  }
  const firstChunkAt = findEvents(span, EVENT_FIRST_CHUNK)[0]?.time;
  if (firstChunkAt !== undefined && Number.isFinite(firstChunkAt) && reservedAt > firstChunkAt) {
    report(
      'reservation-before-execution',
      `${EVENT_BUDGET_RESERVATION} (${iso(reservedAt)}) comes after the first streamed chunk ${EVENT_FIRST_CHUNK} (${iso(firstChunkAt)}); reserve before calling the provider`,
    );
  }
}

function findEvents(span: ConformanceSpan, name: string): ConformanceEvent[] {
  return (span.events ?? []).filter((event) => event.name === name);
}

function earliestTime(events: ConformanceEvent[]): number | undefined {
  const times = events.map((event) => event.time).filter((time): time is number => Number.isFinite(time));
  return times.length > 0 ? Math.min(...times) : undefined;
}

function amountProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return 'is missing';
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a finite number, got ${describe(value)}`;
  if (value < 0) return `must be ≥ 0, got ${value}`;
  return undefined;
}

function unitProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return 'is missing';
  if (typeof value !== 'string') return `must be a string, got ${describe(value)}`;
  if (value.trim() === '') return 'is empty';
  return undefined;
}

function prefixed(key: string, problem: string | undefined): string | undefined {
  return problem === undefined ? undefined : `${key} ${problem}`;
}

function isReasonCode(value: string): boolean {
  return REASON_CODES.has(value) || REASON_CODE_EXTENSION_PATTERN.test(value);
}

function isPlaceholder(value: string): boolean {
  return PLACEHOLDER_VALUES.has(value.trim().toLowerCase());
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `an array ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function listOf(values: ReadonlySet<string>): string {
  return [...values].join(', ');
}

function iso(epochMs: number): string {
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? `${epochMs} ms` : date.toISOString();
}
