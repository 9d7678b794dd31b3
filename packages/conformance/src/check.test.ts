import { describe, expect, it } from 'vitest';
import { allowedSpan, blockedSpan, compliantSet, httpSpan, rateLimitedSpan, warningSpan } from './__fixtures__/spans';
import { CONFORMANCE_RULES, checkCompliance } from './check';
import type { ConformanceRule, ConformanceSpan } from './types';

function rulesOf(spans: ConformanceSpan[]): ConformanceRule[] {
  return checkCompliance(spans).violations.map((violation) => violation.rule);
}

function eventOf(span: ConformanceSpan, name: string) {
  const found = span.events.find((event) => event.name === name);
  if (!found) throw new Error(`fixture has no ${name} event`);
  return found;
}

function withoutEvent(span: ConformanceSpan, name: string): ConformanceSpan {
  return { ...span, events: span.events.filter((event) => event.name !== name) };
}

describe('checkCompliance', () => {
  it('passes a compliant set and checks only spans with genops.* attributes', () => {
    const report = checkCompliance(compliantSet());
    expect(report.violations).toEqual([]);
    expect(report).toEqual({ compliant: true, checked: 4, violations: [] });
  });

  it('reports checked: 0 (still compliant) when no span is an AWU', () => {
    expect(checkCompliance([httpSpan()])).toEqual({ compliant: true, checked: 0, violations: [] });
  });

  it('checks exactly the spans a filter accepts', () => {
    const report = checkCompliance([allowedSpan(), httpSpan()], { filter: () => true });
    expect(report.checked).toBe(2);
    expect(report.violations.filter((violation) => violation.span === 'POST').length).toBeGreaterThan(0);
    expect(checkCompliance([allowedSpan(), httpSpan()], { filter: (span) => span.name === 'nothing' }).checked).toBe(0);
  });

  it('names the span and its id in each violation', () => {
    const span = allowedSpan();
    delete span.attributes['genops.team'];
    expect(checkCompliance([span]).violations).toEqual([
      {
        rule: 'required-attribute',
        span: 'chat gpt-4o',
        spanId: span.spanId,
        message: 'missing required attribute genops.team',
      },
    ]);
  });

  describe('required-attribute', () => {
    it.each([
      'genops.team',
      'genops.project',
      'genops.environment',
      'genops.operation.name',
      'genops.operation.type',
      'genops.policy.result',
      'genops.spec.version',
    ])('flags a missing %s', (key) => {
      const span = blockedSpan();
      delete span.attributes[key];
      const report = checkCompliance([span]);
      expect(report.compliant).toBe(false);
      expect(report.violations).toContainEqual(
        expect.objectContaining({ rule: 'required-attribute', message: `missing required attribute ${key}` }),
      );
    });

    it('flags empty and non-string values', () => {
      const span = allowedSpan();
      span.attributes['genops.project'] = '  ';
      span.attributes['genops.operation.type'] = 7;
      const messages = checkCompliance([span]).violations.map((violation) => `${violation.rule}: ${violation.message}`);
      expect(messages).toEqual([
        'required-attribute: genops.project is empty; it must be a non-empty string',
        'required-attribute: genops.operation.type must be a string, got number 7',
      ]);
    });
  });

  it('spec-version: the version must be 0.1.0', () => {
    const span = allowedSpan();
    span.attributes['genops.spec.version'] = '0.2.0';
    expect(rulesOf([span])).toEqual(['spec-version']);
  });

  it('policy-result: the result must be one of the four values', () => {
    const span = blockedSpan();
    span.attributes['genops.policy.result'] = 'DENIED';
    expect(rulesOf([span])).toContain('policy-result');
    expect(checkCompliance([span]).violations[0]?.message).toContain('ALLOWED, BLOCKED, WARNING, RATE_LIMITED');
  });

  describe('reason-code', () => {
    it('is required when the result is not ALLOWED', () => {
      const span = blockedSpan();
      delete span.attributes['genops.policy.reason_code'];
      expect(rulesOf([span])).toEqual(['reason-code']);
    });

    it('must be absent when the result is ALLOWED', () => {
      const span = allowedSpan();
      span.attributes['genops.policy.reason_code'] = 'BUDGET_EXCEEDED';
      expect(rulesOf([span])).toEqual(['reason-code']);
    });

    it('must be in the closed set or an x_ extension', () => {
      for (const code of ['budget_exceeded', 'OVER_BUDGET', 'x_Bad-Code', 'x_']) {
        const span = blockedSpan();
        span.attributes['genops.policy.reason_code'] = code;
        expect(rulesOf([span])).toEqual(['reason-code']);
      }
      for (const code of ['POLICY_DENY_MODEL', 'ACCOUNTING_INVARIANT_VIOLATION', 'x_attribution_missing', 'x_2fa']) {
        const span = blockedSpan();
        span.attributes['genops.policy.reason_code'] = code;
        span.events[0]!.attributes['genops.policy.reason_code'] = code;
        expect(rulesOf([span])).toEqual([]);
      }
    });
  });

  describe('accounting', () => {
    it('requires reserved and unit on an ALLOWED or WARNING span', () => {
      for (const make of [allowedSpan, warningSpan]) {
        const span = make();
        delete span.attributes['genops.accounting.reserved'];
        delete span.attributes['genops.accounting.unit'];
        const accounting = checkCompliance([span]).violations.filter((violation) => violation.rule === 'accounting');
        expect(accounting.map((violation) => violation.message.split(' (')[0])).toEqual([
          'genops.accounting.reserved is missing',
          'genops.accounting.unit is missing',
        ]);
      }
    });

    it('requires actual once the span has a reconciliation event', () => {
      const span = allowedSpan();
      delete span.attributes['genops.accounting.actual'];
      expect(rulesOf([span])).toEqual(['accounting']);
      expect(checkCompliance([span]).violations[0]?.message).toBe(
        'genops.accounting.actual is missing (required because the span has a genops.budget.reconciliation event)',
      );
    });

    it('requires reserved and unit once the span has a reservation event, whatever the result', () => {
      const span = rateLimitedSpan();
      delete span.attributes['genops.accounting.unit'];
      expect(rulesOf([span])).toEqual(['accounting']);
    });

    it('checks an amount that is present even when nothing requires it', () => {
      const span = blockedSpan();
      span.attributes['genops.accounting.actual'] = -1;
      span.attributes['genops.accounting.unit'] = 'USD';
      expect(checkCompliance([span]).violations).toEqual([
        expect.objectContaining({ rule: 'accounting', message: 'genops.accounting.actual must be ≥ 0, got -1' }),
      ]);
      delete span.attributes['genops.accounting.unit'];
      span.attributes['genops.accounting.actual'] = 0;
      expect(checkCompliance([span]).violations[0]?.message).toBe(
        'genops.accounting.unit is missing (required because genops.accounting.actual is present)',
      );
    });

    it('rejects negative, non-finite and string amounts', () => {
      for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, '0.01']) {
        const span = allowedSpan();
        span.attributes['genops.accounting.reserved'] = value;
        expect(rulesOf([span])).toEqual(['accounting']);
      }
    });

    it('lets a BLOCKED or RATE_LIMITED span without a reservation omit all three', () => {
      const span = rateLimitedSpan();
      span.events = span.events.filter((event) => event.name !== 'genops.budget.reservation');
      delete span.attributes['genops.accounting.reserved'];
      delete span.attributes['genops.accounting.unit'];
      expect(rulesOf([span, blockedSpan()])).toEqual([]);
    });
  });

  describe('event-policy-evaluated', () => {
    it('is required on every AWU, blocked ones too', () => {
      expect(rulesOf([withoutEvent(blockedSpan(), 'genops.policy.evaluated')])).toEqual(['event-policy-evaluated']);
      expect(rulesOf([withoutEvent(allowedSpan(), 'genops.policy.evaluated')])).toEqual(['event-policy-evaluated']);
    });

    it('carries the result, and the reason code unless ALLOWED', () => {
      const noResult = allowedSpan();
      delete eventOf(noResult, 'genops.policy.evaluated').attributes['genops.policy.result'];
      expect(rulesOf([noResult])).toEqual(['event-policy-evaluated']);

      const noReason = blockedSpan();
      delete eventOf(noReason, 'genops.policy.evaluated').attributes['genops.policy.reason_code'];
      expect(checkCompliance([noReason]).violations).toEqual([
        expect.objectContaining({
          rule: 'event-policy-evaluated',
          message:
            'genops.policy.evaluated event: genops.policy.reason_code is missing; it is required when the result is BLOCKED',
        }),
      ]);
    });

    it('must agree with the span result in its last decision', () => {
      const span = allowedSpan();
      eventOf(span, 'genops.policy.evaluated').attributes['genops.policy.result'] = 'WARNING';
      eventOf(span, 'genops.policy.evaluated').attributes['genops.policy.reason_code'] = 'x_max_cost_exceeded';
      expect(rulesOf([span])).toEqual(['event-policy-evaluated']);
    });

    it('accepts several evaluations', () => {
      const span = allowedSpan();
      span.events.unshift({ ...eventOf(span, 'genops.policy.evaluated'), time: (span.startTime ?? 0) + 0.5 });
      expect(rulesOf([span])).toEqual([]);
    });
  });

  describe('event-reservation', () => {
    it('requires reserved and unit on the event', () => {
      const span = allowedSpan();
      delete eventOf(span, 'genops.budget.reservation').attributes['genops.accounting.unit'];
      eventOf(span, 'genops.budget.reservation').attributes['genops.accounting.reserved'] = -0.5;
      expect(checkCompliance([span]).violations.map((violation) => violation.message)).toEqual([
        'genops.budget.reservation event: genops.accounting.reserved must be ≥ 0, got -0.5',
        'genops.budget.reservation event: genops.accounting.unit is missing',
      ]);
    });

    it('requires the event on an executed (ALLOWED or WARNING) span', () => {
      expect(rulesOf([withoutEvent(warningSpan(), 'genops.budget.reservation')])).toEqual([
        'event-reservation',
        'reservation-before-execution',
      ]);
    });
  });

  describe('event-reconciliation', () => {
    it('requires actual, reserved and unit on the event', () => {
      const span = allowedSpan();
      const reconciliation = eventOf(span, 'genops.budget.reconciliation');
      reconciliation.attributes = {};
      expect(checkCompliance([span]).violations.map((violation) => violation.message)).toEqual([
        'genops.budget.reconciliation event: genops.accounting.actual is missing',
        'genops.budget.reconciliation event: genops.accounting.reserved is missing',
        'genops.budget.reconciliation event: genops.accounting.unit is missing',
      ]);
      expect(rulesOf([span])).toEqual(Array(3).fill('event-reconciliation'));
    });

    it('requires the event on an executed span', () => {
      const span = withoutEvent(allowedSpan(), 'genops.budget.reconciliation');
      delete span.attributes['genops.accounting.actual'];
      expect(rulesOf([span])).toEqual(['event-reconciliation']);
    });
  });

  it('reconciliation-without-execution: a BLOCKED or RATE_LIMITED span must not reconcile', () => {
    const span = rateLimitedSpan();
    span.attributes['genops.accounting.actual'] = 0;
    span.events.push({
      name: 'genops.budget.reconciliation',
      time: (span.events[0]?.time ?? 0) + 5,
      attributes: {
        'genops.accounting.actual': 0,
        'genops.accounting.reserved': 0.002,
        'genops.accounting.unit': 'USD',
      },
    });
    expect(rulesOf([span])).toEqual(['reconciliation-without-execution']);
  });

  describe('reservation-before-execution', () => {
    it('flags a reservation recorded after the reconciliation', () => {
      const span = allowedSpan();
      const reservation = eventOf(span, 'genops.budget.reservation');
      reservation.time = (eventOf(span, 'genops.budget.reconciliation').time ?? 0) + 1;
      const report = checkCompliance([span]);
      expect(report.violations.map((violation) => violation.rule)).toContain('reservation-before-execution');
      expect(report.violations[0]?.message).toMatch(/comes after genops\.budget\.reconciliation/);
    });

    it('flags a reservation recorded after the first streamed chunk', () => {
      const span = allowedSpan();
      eventOf(span, 'genops.budget.reservation').time = (eventOf(span, 'gen_ai.first_chunk').time ?? 0) + 1;
      expect(rulesOf([span])).toEqual(['reservation-before-execution']);
      expect(checkCompliance([span]).violations[0]?.message).toContain('gen_ai.first_chunk');
    });

    it('ignores a missing first-chunk event and missing times', () => {
      const span = withoutEvent(allowedSpan(), 'gen_ai.first_chunk');
      for (const event of span.events) delete event.time;
      expect(rulesOf([span])).toEqual([]);
    });

    it('flags a reconciliation with no reservation at all', () => {
      const span = withoutEvent(rateLimitedSpan(), 'genops.budget.reservation');
      span.attributes['genops.policy.result'] = 'ALLOWED';
      delete span.attributes['genops.policy.reason_code'];
      span.events = [
        { name: 'genops.policy.evaluated', attributes: { 'genops.policy.result': 'ALLOWED' } },
        {
          name: 'genops.budget.reconciliation',
          attributes: {
            'genops.accounting.actual': 0.001,
            'genops.accounting.reserved': 0.002,
            'genops.accounting.unit': 'USD',
          },
        },
      ];
      span.attributes['genops.accounting.actual'] = 0.001;
      expect(rulesOf([span])).toEqual(['event-reservation', 'reservation-before-execution']);
    });
  });

  describe('placeholder-value', () => {
    it.each([
      ['genops.team', 'unknown'],
      ['genops.project', 'Unknown'],
      ['genops.environment', 'unknown'],
      ['genops.operation.name', 'TODO'],
      ['genops.operation.type', 'placeholder'],
      ['genops.team', 'n/a'],
      ['genops.accounting.unit', 'N/A'],
    ])('flags %s = %j', (key, value) => {
      const span = allowedSpan();
      span.attributes[key] = value;
      expect(rulesOf([span])).toEqual(['placeholder-value']);
    });

    it('reports an empty value once, as a missing required attribute', () => {
      const span = allowedSpan();
      span.attributes['genops.team'] = '';
      expect(rulesOf([span])).toEqual(['required-attribute']);
    });
  });

  it('awu-identity: two AWUs must not share (trace_id, span_id)', () => {
    const first = allowedSpan();
    const second = { ...blockedSpan(), traceId: first.traceId, spanId: first.spanId };
    const report = checkCompliance([first, second]);
    expect(report.violations).toEqual([expect.objectContaining({ rule: 'awu-identity', span: 'chat gpt-4o' })]);
    // The same span id in another trace is another AWU.
    expect(rulesOf([first, { ...second, traceId: 'f'.repeat(32) }])).toEqual([]);
  });

  it('has a failing case above for every rule it lists', () => {
    expect(CONFORMANCE_RULES).toHaveLength(12);
    expect(new Set(CONFORMANCE_RULES).size).toBe(12);
  });
});
