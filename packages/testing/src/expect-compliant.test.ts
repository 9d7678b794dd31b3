import type { ConformanceSpan } from '@genops/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { expectGenOpsCompliant } from './expect-compliant';
import { createTestTelemetry, type TestTelemetry } from './telemetry';

let telemetry: TestTelemetry;

afterEach(async () => {
  await telemetry.shutdown();
});

/** Emits one AWU span the way a GenOps runtime does, through the real OpenTelemetry SDK. */
function emitAwu(options: { team?: string; reconcile?: boolean } = {}): void {
  const span = telemetry.tracerProvider.getTracer('test').startSpan('chat gpt-4o', {
    attributes: {
      'genops.team': options.team ?? 'platform',
      'genops.project': 'support-bot',
      'genops.environment': 'test',
      'genops.operation.name': 'chat gpt-4o',
      'genops.operation.type': 'inference',
      'genops.policy.result': 'ALLOWED',
      'genops.spec.version': '0.1.0',
      'genops.accounting.reserved': 0.01,
      'genops.accounting.unit': 'USD',
    },
  });
  span.addEvent('genops.policy.evaluated', { 'genops.policy.result': 'ALLOWED' });
  span.addEvent('genops.budget.reservation', { 'genops.accounting.reserved': 0.01, 'genops.accounting.unit': 'USD' });
  if (options.reconcile !== false) {
    span.setAttribute('genops.accounting.actual', 0.002);
    span.addEvent('genops.budget.reconciliation', {
      'genops.accounting.actual': 0.002,
      'genops.accounting.reserved': 0.01,
      'genops.accounting.unit': 'USD',
    });
  }
  span.end();
}

describe('expectGenOpsCompliant', () => {
  it('passes compliant SDK spans and returns the report', () => {
    telemetry = createTestTelemetry();
    emitAwu();
    telemetry.tracerProvider.getTracer('test').startSpan('POST').end();
    expect(expectGenOpsCompliant(telemetry.spans())).toEqual({ compliant: true, checked: 1, violations: [] });
  });

  it('throws an Error listing every violation with rule, span name and message', () => {
    telemetry = createTestTelemetry();
    emitAwu({ team: 'unknown', reconcile: false });
    const spanId = telemetry.spans()[0]?.spanContext().spanId;
    expect(() => expectGenOpsCompliant(telemetry.spans())).toThrow(
      [
        'expected GenOps-compliant spans, but 2 violation(s) were found in 1 AI Workload Unit(s):',
        `  - [placeholder-value] "chat gpt-4o" (span ${spanId}): genops.team is the placeholder "unknown"; set a meaningful value`,
        `  - [event-reconciliation] "chat gpt-4o" (span ${spanId}): missing the genops.budget.reconciliation event; an AWU with result ALLOWED reconciles after execution (with the best data available when usage is missing)`,
      ].join('\n'),
    );
  });

  it('throws when no AWU span was checked, so a test cannot pass vacuously', () => {
    telemetry = createTestTelemetry();
    expect(() => expectGenOpsCompliant(telemetry.spans())).toThrow(/none of the 0 span\(s\) is an AI Workload Unit/);
    telemetry.tracerProvider.getTracer('test').startSpan('POST').end();
    expect(() => expectGenOpsCompliant(telemetry.spans())).toThrow(/none of the 1 span\(s\)/);
  });

  it('accepts spans already in the conformance shape', () => {
    telemetry = createTestTelemetry();
    const span: ConformanceSpan = {
      name: 'chat gpt-4o',
      attributes: {
        'genops.team': 'platform',
        'genops.project': 'p',
        'genops.environment': 'e',
        'genops.operation.name': 'chat gpt-4o',
        'genops.operation.type': 'inference',
        'genops.policy.result': 'BLOCKED',
        'genops.policy.reason_code': 'POLICY_DENY_MODEL',
        'genops.spec.version': '0.1.0',
      },
      events: [
        {
          name: 'genops.policy.evaluated',
          attributes: { 'genops.policy.result': 'BLOCKED', 'genops.policy.reason_code': 'POLICY_DENY_MODEL' },
        },
      ],
    };
    expect(expectGenOpsCompliant([span]).checked).toBe(1);
  });
});
