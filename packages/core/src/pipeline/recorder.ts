// The call recorder: the one place each lifecycle event of a governed call goes to the span, the audit
// trail, the hooks and the metrics. Stages decide; the recorder writes down what they decided.
//
// Span attributes are written per phase, straight onto the span (pipeline/attribute-target.ts): the admission
// phase's when the decision is recorded (allowed or denied), after what the stages staged in the unit's
// attribute object; the settlement phase's when the call settles.
// A span that does not record (a sampler dropped it) gets none built: no attributes, no events (the
// audit records, hooks and metrics are the same either way).
import {
  type Attributes,
  type Context,
  diag,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { errorStatusMessage } from '../adapter/error-status';
import { reportIgnored, safely } from '../adapter/safely';
import type { ApprovalAsk } from '../approval/approvals';
import type { AuditTrail } from '../audit/audit-trail';
import { decisionAuditEntry, settlementAuditEntry } from '../audit/call-records';
import type { Budget } from '../budget/budget-set';
import { errorTypeOf, httpStatusOf } from '../errors/error-type';
import type { GovernanceError } from '../errors/governance-error';
import type { WorstCase } from '../governance-steps';
import { UNPRICED_TOOL } from '../governance-steps';
import { nanosToUsd } from '../money';
import type { PolicyEvaluation } from '../policy/policy-engine';
import * as sc from '../semconv';
import type { AuditEntry, BudgetLine, LineState } from '../store/types';
import {
  compatAdmission,
  compatApprovalRequired,
  compatBegin,
  compatBudgetRemaining,
  compatCostEvent,
  compatSettlement,
} from '../telemetry/compat-attributes';
import { ControlMetrics, type EgressAction } from '../telemetry/control-metrics';
import type { Instruments } from '../telemetry/instruments';
import type { Attribution, GovernedRequest, ResponseInfo, Usage } from '../types';
import type { UsageViolation } from '../usage/validate-usage';
import { type AttributeTarget, intoObject } from './attribute-target';
import { environmentOf } from './attribution-values';
import { defer, drainPending } from './deferred';
import { MetricAttributeCache } from './metric-attributes';
import type { ApprovalInfo, BudgetAlert, CallState, Decision, DecisionRecord, Unit } from './types';

/** What the settle stage and the actual-cost stage found, for the recorder to write down. */
export interface Settlement {
  actualNanos: number;
  actualTokens: number;
  incomplete: boolean;
  estimated: boolean;
  leaseOpen: boolean;
  usage: Usage | undefined;
  error: unknown;
  latencyMs: number;
  sla: { name: string; tier?: string | undefined; latencyMs: number } | undefined;
  /** The usage or cost broke the accounting invariant (settled at the reservation). */
  violations?: readonly UsageViolation[] | undefined;
}

export interface RecorderDependencies {
  tracer: Tracer;
  instruments: Instruments | undefined;
  audit: AuditTrail | undefined;
  captureContent: boolean;
  onDecision: ((decision: DecisionRecord) => void) | undefined;
  onBudgetAlert: ((alert: BudgetAlert) => void) | undefined;
  /** `metrics.customers`: customer ids as metric attributes (default false). */
  metricCustomers?: boolean | undefined;
  /**
   * `telemetry.compatAttributes`: also the span attributes that repeat another one under the original
   * README names, and the `genops.cost.calculated` event (telemetry/compat-attributes.ts). Default false.
   */
  compatAttributes?: boolean | undefined;
}

export class CallRecorder {
  private readonly tracer: Tracer;
  private readonly instruments: Instruments | undefined;
  private readonly audit: AuditTrail | undefined;
  readonly captureContent: boolean;
  private readonly onDecision: RecorderDependencies['onDecision'];
  private readonly onBudgetAlert: RecorderDependencies['onBudgetAlert'];
  private readonly metricAttributes: MetricAttributeCache;
  /** Decisions, approvals, rate limits, alerts, reservation accuracy and egress (telemetry/control-metrics.ts). */
  private readonly control: ControlMetrics | undefined;
  /** `telemetry.compatAttributes` (telemetry/compat-attributes.ts). */
  private readonly compat: boolean;

  constructor(dependencies: RecorderDependencies) {
    this.tracer = dependencies.tracer;
    this.instruments = dependencies.instruments;
    this.audit = dependencies.audit;
    this.captureContent = dependencies.captureContent;
    this.onDecision = dependencies.onDecision;
    this.onBudgetAlert = dependencies.onBudgetAlert;
    this.compat = dependencies.compatAttributes === true;
    this.metricAttributes = new MetricAttributeCache(dependencies.metricCustomers === true);
    this.control = this.instruments ? new ControlMetrics(this.instruments, this.metricAttributes) : undefined;
  }

  // ── begin ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * The AWU span, started with the attributes a sampler may use: the GenAI conventions' sampling-relevant
   * ones (operation, provider, model, server) and the attribution. The rest of what is known at the start
   * is set with the decision ({@link admissionStart}): the OpenTelemetry SDK sanitises the attributes given
   * to `startSpan` twice and those of `setAttributes` once, so each attribute given here costs about
   * three times the allocation (a no-op span if the tracer fails).
   */
  startSpan(request: GovernedRequest, attribution: Readonly<Attribution>, parent: Context): Span {
    const attributes: Attributes = {
      [sc.ATTR_GEN_AI_OPERATION_NAME]: request.operation,
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: request.provider,
      [sc.ATTR_GEN_AI_REQUEST_MODEL]: request.model,
      [sc.ATTR_GENOPS_TEAM]: attribution.team ?? 'unattributed',
      [sc.ATTR_GENOPS_PROJECT]: attribution.project ?? 'unattributed',
      [sc.ATTR_GENOPS_ENVIRONMENT]: environmentOf(attribution),
    };
    if (request.serverAddress) attributes[sc.ATTR_SERVER_ADDRESS] = request.serverAddress;
    if (request.serverPort !== undefined) attributes[sc.ATTR_SERVER_PORT] = request.serverPort;
    if (attribution.customer) attributes[sc.ATTR_GENOPS_CUSTOMER_ID] = attribution.customer;
    if (attribution.feature) attributes[sc.ATTR_GENOPS_FEATURE] = attribution.feature;
    if (attribution.session) attributes[sc.ATTR_GENOPS_SESSION_ID] = attribution.session;
    if (attribution.costCenter) attributes[sc.ATTR_GENOPS_COST_CENTER] = attribution.costCenter;
    if (attribution.user) attributes[sc.ATTR_GENOPS_USER_ID] = attribution.user;
    const operationName = `${request.operation} ${request.model}`;
    try {
      return this.tracer.startSpan(operationName, { kind: SpanKind.CLIENT, attributes }, parent);
    } catch (error) {
      diag.warn('genops: could not start a span', error);
      return trace.wrapSpanContext(
        trace.getSpanContext(parent) ?? { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 },
      );
    }
  }

  /** Admission-phase attributes the stages found before the decision, set on its span with the decision. */
  private admission(unit: Unit): Attributes {
    return unit.attributes;
  }

  // ── evaluate / price ───────────────────────────────────────────────────────────────────────────

  /** What the price and the rules found (set afresh on each admission: a downgrade re-enters). */
  evaluated(unit: Unit, cost: WorstCase, evaluation: PolicyEvaluation): void {
    if (!unit.span.isRecording()) return;
    const attributes = this.admission(unit);
    attributes[sc.ATTR_GENOPS_RESERVATION_OUTPUT_BOUND] = cost.outputBoundSource;
    if (cost.match) attributes[sc.ATTR_GENOPS_COST_PRICE_MODEL] = cost.match.model;
    if (cost.source !== undefined) attributes[sc.ATTR_GENOPS_COST_SOURCE] = cost.source;
    else if (cost.price !== UNPRICED_TOOL) attributes[sc.ATTR_GENOPS_COST_ESTIMATED] = true;
    const counts = evaluation.redaction?.counts;
    if (counts) {
      const kinds: string[] = [];
      let total = 0;
      for (const kind in counts) {
        kinds.push(`${kind}:${counts[kind]}`);
        total += counts[kind]!;
      }
      attributes[sc.ATTR_GENOPS_CONTENT_REDACTIONS] = kinds;
      attributes[sc.ATTR_GENOPS_CONTENT_REDACTED_COUNT] = total;
    }
  }

  /** Opt-in content capture (after the rules: a denied request is never recorded, a redacted one as sent). */
  content(unit: Unit, rewrite: ((text: string) => string) | undefined): void {
    const { request } = unit;
    if (!this.captureContent || !request.content || !unit.span.isRecording()) return;
    safely(() => {
      const content = request.content!();
      const shown = (value: unknown) => JSON.stringify(rewrite ? rewriteStrings(value, rewrite) : value);
      const attributes = this.admission(unit);
      if (content.input !== undefined) attributes[sc.ATTR_GEN_AI_INPUT_MESSAGES] = shown(content.input);
      if (content.system !== undefined) attributes[sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS] = shown(content.system);
    });
  }

  // ── reserve ────────────────────────────────────────────────────────────────────────────────────

  failOpen(unit: Unit): void {
    if (unit.span.isRecording()) this.admission(unit)[sc.ATTR_GENOPS_STORE_FAIL_OPEN] = true;
  }

  /** The call is admitted again with a cheaper model (a `downgrade` budget had no room). */
  downgraded(unit: Unit, to: string, budget: string): void {
    const { span, request } = unit;
    if (!span.isRecording()) return;
    const name = `${request.operation} ${to}`;
    safely(() => span.updateName(name));
    const attributes = this.admission(unit);
    // `genops.operation.name` (and compat `genops.model`) follow with the decision (`admissionStart`).
    attributes[sc.ATTR_GEN_AI_REQUEST_MODEL] = to;
    attributes[sc.ATTR_GENOPS_DOWNGRADE_ORIGINAL_MODEL] = request.model;
    attributes[sc.ATTR_GENOPS_DOWNGRADE_BUDGET] = budget;
  }

  /** The budget line a denial ran into. */
  budgetRefused(unit: Unit, line: LineState): void {
    if (!unit.span.isRecording()) return;
    setBudgetAttributes(intoObject(this.admission(unit)), line, 0, this.compat);
  }

  reserved(unit: Unit, reservedNanos: number, lines: readonly BudgetLine[], leaseMs: number): void {
    if (unit.span.isRecording()) {
      // Its span event is added with the decision's telemetry, stamped now (see `reservationEvent`).
      this.pendingReservationEvent(unit);
      const attributes = this.admission(unit);
      attributes[sc.ATTR_GENOPS_ACCOUNTING_RESERVED] = nanosToUsd(reservedNanos);
      attributes[sc.ATTR_GENOPS_ACCOUNTING_UNIT] = 'USD';
      unit.reservedAt = performance.now();
    }
    // Audited with the decision that follows (one record per admission); see `reservationRecord`.
    if (this.audit && lines.length > 0)
      unit.reservationAudit = {
        leaseMs,
        lines: lines.map((line) => ({ amount: line.amount, enforce: line.enforce, key: line.key, unit: line.unit })),
        reservedNanos,
      };
  }

  /**
   * The `genops.budget.reservation` event, with the spec's attributes only (the budget is on the span:
   * `genops.budget.*`), stamped when the reservation was made. It is added with the decision's telemetry,
   * off the caller's path like the rest of it, or earlier when other events must follow it (an approval
   * wait's); the reserved amount is the one in the phase's attributes.
   */
  private reservationEvent(span: Span, attributes: Attributes, at: number): void {
    span.addEvent(
      sc.EVENT_GENOPS_BUDGET_RESERVATION,
      {
        [sc.ATTR_GENOPS_ACCOUNTING_RESERVED]: attributes[sc.ATTR_GENOPS_ACCOUNTING_RESERVED],
        [sc.ATTR_GENOPS_ACCOUNTING_UNIT]: 'USD',
      },
      at,
    );
  }

  /** Adds the unit's reservation event now, if one is waiting for the decision. */
  private pendingReservationEvent(unit: Unit): void {
    const at = unit.reservedAt;
    if (at === undefined) return;
    unit.reservedAt = undefined;
    const { span, attributes } = unit;
    safely(() => this.reservationEvent(span, attributes, at));
  }

  /** An approval wait comes between reservation and decision: the reservation gets a record of its own first. */
  private reservationRecord(unit: Unit): void {
    const reservation = unit.reservationAudit;
    if (!reservation) return;
    unit.reservationAudit = undefined;
    this.record({
      type: 'reservation',
      at: Date.now(),
      subject: unit.id,
      // Keys in sorted order, as the audit trail serialises them (it then takes its fast path).
      data: {
        leaseMs: reservation.leaseMs,
        lines: reservation.lines,
        // Marks the USD line amounts as nano-USD (records written before nano-USD ledgers lack it: micro-USD).
        reservedNanos: reservation.reservedNanos,
        reservedUsd: nanosToUsd(reservation.reservedNanos),
      },
    });
  }

  // ── approve ────────────────────────────────────────────────────────────────────────────────────

  /** Whether the call needed approval: on the span only as compat `genops.governance.approval_required`. */
  approvalRequired(unit: Unit, required: boolean): void {
    if (this.compat && unit.span.isRecording()) compatApprovalRequired(intoObject(this.admission(unit)), required);
  }

  approvalRequested(unit: Unit, ask: ApprovalAsk, reservedNanos: number): void {
    const { span } = unit;
    this.reservationRecord(unit);
    if (span.isRecording()) {
      this.pendingReservationEvent(unit);
      const attributes = this.admission(unit);
      attributes[sc.ATTR_GENOPS_APPROVAL_ID] = unit.id;
      if (this.compat) compatApprovalRequired(intoObject(attributes), true);
      safely(() =>
        span.addEvent(sc.EVENT_GENOPS_APPROVAL_REQUESTED, {
          [sc.ATTR_GENOPS_APPROVAL_ID]: unit.id,
          [sc.ATTR_GENOPS_ACCOUNTING_RESERVED]: nanosToUsd(reservedNanos),
          [sc.ATTR_GENOPS_POLICY_NAME]: ask.rule,
        }),
      );
    }
    this.record({
      type: 'approval',
      at: Date.now(),
      subject: unit.id,
      data: { status: 'pending', rule: ask.rule, reason: ask.reason, estimatedCostUsd: ask.estimatedCostUsd },
    });
    const control = this.control;
    if (control) safely(() => control.approvalRequested(ask.rule, unit.attribution));
  }

  approvalDecided(unit: Unit, ask: ApprovalAsk, approval: ApprovalInfo): void {
    const { span } = unit;
    if (span.isRecording()) {
      const attributes = this.admission(unit);
      attributes[sc.ATTR_GENOPS_APPROVAL_STATUS] = approval.status;
      if (approval.decidedBy) attributes[sc.ATTR_GENOPS_APPROVAL_DECIDED_BY] = approval.decidedBy;
      safely(() => {
        const event: Attributes = {
          [sc.ATTR_GENOPS_APPROVAL_ID]: unit.id,
          [sc.ATTR_GENOPS_APPROVAL_STATUS]: approval.status,
        };
        if (approval.decidedBy) event[sc.ATTR_GENOPS_APPROVAL_DECIDED_BY] = approval.decidedBy;
        span.addEvent(sc.EVENT_GENOPS_APPROVAL_DECIDED, event);
      });
    }
    this.record({
      type: 'approval',
      at: Date.now(),
      subject: unit.id,
      data: { status: approval.status, rule: ask.rule, decidedBy: approval.decidedBy, reason: approval.reason },
    });
    const control = this.control;
    if (control) safely(() => control.approvalDecided(ask.rule, approval.status, unit.attribution));
  }

  // ── decide ─────────────────────────────────────────────────────────────────────────────────────

  /** The call may run: the decision goes to the audit trail, the span, the metrics and `onDecision`. */
  admitted(unit: Unit, decision: Decision, reserved: number, approval: ApprovalInfo | undefined): void {
    this.decision(unit, decision, reserved, approval);
    this.notify(unit, decision, 'decided', reserved, approval);
  }

  /** Records a denial, ends the span, and returns the error to throw. */
  blocked(
    unit: Unit,
    decision: Decision,
    error: GovernanceError,
    reserved?: number,
    approval?: ApprovalInfo,
  ): GovernanceError {
    const { span } = unit;
    // Spans end in the order their calls finished: earlier calls' queued telemetry goes first.
    drainPending();
    this.decision(unit, decision, reserved, approval, error.name);
    safely(() => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      span.end();
      const spanContext = span.spanContext();
      error.spanContext = { traceId: spanContext.traceId, spanId: spanContext.spanId };
    });
    this.notify(unit, decision, 'decided', reserved, approval);
    return error;
  }

  private decision(
    unit: Unit,
    decision: Decision,
    reserved: number | undefined,
    approval: ApprovalInfo | undefined,
    errorType?: string,
  ): void {
    const { policy, request } = unit;
    if (this.audit) {
      // The reservation just made, when no approval wait came between (then it has its own record).
      const reservation = unit.reservationAudit;
      unit.reservationAudit = undefined;
      this.record(
        decisionAuditEntry(Date.now(), unit.id, {
          approval: approval?.status,
          attribution: sortedCopy(unit.attribution),
          downgradedFrom: unit.downgradedFrom,
          leaseMs: reservation?.leaseMs,
          lines: reservation?.lines,
          model: request.model,
          operation: request.operation,
          policyVersion: policy.version,
          provider: request.provider,
          reasonCode: decision.reasonCode,
          redactions: unit.redactions,
          reservedNanos: reservation?.reservedNanos,
          reservedUsd: reserved,
          result: decision.result,
          rule: decision.rule,
          shadow: unit.shadow,
          tool: request.tool?.name,
        }),
      );
    }
    if (!unit.span.isRecording()) {
      // Nothing to put on the span: the decision's metric only (a running total: no deferral needed).
      const control = this.control;
      if (control) safely(() => control.decision(decision, unit.attribution));
      return;
    }
    const attributes = this.admission(unit);
    unit.attributes = {};
    const reservedAt = unit.reservedAt;
    unit.reservedAt = undefined;
    const decidedAt = Date.now();
    // A denial ends the span now (the caller gets the error); an admission's telemetry is recorded right
    // after the request is on its way (pipeline/deferred.ts), timestamped now.
    if (errorType !== undefined)
      this.decisionTelemetry(unit, decision, attributes, decidedAt, undefined, reservedAt, errorType);
    else {
      const eventTime = performance.now();
      defer(() => this.decisionTelemetry(unit, decision, attributes, decidedAt, eventTime, reservedAt, undefined));
    }
  }

  /**
   * The decision's span attributes (the staged ones first, then the rest), its `genops.policy.evaluated` event (after the
   * reservation's, if one is waiting) and metric.
   */
  private decisionTelemetry(
    unit: Unit,
    decision: Decision,
    attributes: Attributes,
    decidedAt: number,
    eventTime: number | undefined,
    reservedAt: number | undefined,
    errorType: string | undefined,
  ): void {
    const { span, policy } = unit;
    // Inline rather than `safely(() => ...)`: no closure per call on this path.
    try {
      if (reservedAt !== undefined) this.reservationEvent(span, attributes, reservedAt);
      // What the stages found first, then the rest straight onto the span, in the order they always had
      // (an attribute set twice keeps its first place and takes the last value, as in one object).
      span.setAttributes(attributes);
      admissionStart(span, attributes, unit.request, this.compat);
      span.setAttribute(sc.ATTR_GENOPS_POLICY_RESULT, decision.result);
      if (decision.reasonCode) span.setAttribute(sc.ATTR_GENOPS_POLICY_REASON_CODE, decision.reasonCode);
      if (decision.rule) span.setAttribute(sc.ATTR_GENOPS_POLICY_NAME, decision.rule);
      if (decision.message) span.setAttribute(sc.ATTR_GENOPS_POLICY_REASON, decision.message);
      span.setAttribute(sc.ATTR_GENOPS_POLICY_TIMESTAMP, decidedAt);
      span.setAttribute(sc.ATTR_GENOPS_POLICY_MODE, policy.engine.mode);
      // Shadow-mode findings: what would have been decided, never enforced.
      const firstShadow = unit.shadow?.[0];
      if (firstShadow !== undefined) {
        const code = firstShadow.slice(firstShadow.lastIndexOf(':') + 1);
        span.setAttribute(sc.ATTR_GENOPS_POLICY_SHADOW_RESULT, code === 'RATE_LIMITED' ? 'RATE_LIMITED' : 'BLOCKED');
        span.setAttribute(sc.ATTR_GENOPS_POLICY_SHADOW_REASON_CODE, code);
        span.setAttribute(sc.ATTR_GENOPS_POLICY_SHADOW_RULES, unit.shadow!);
      }
      span.setAttribute(sc.ATTR_GENOPS_POLICY_VERSION, policy.version);
      if (this.compat) compatAdmission(span, decision.result, decision.constraint);
      if (errorType !== undefined) span.setAttribute(sc.ATTR_ERROR_TYPE, errorType);
      // The spec's attributes only (the rule that decided is on the span: `genops.policy.name`).
      const event: Attributes = { [sc.ATTR_GENOPS_POLICY_RESULT]: decision.result };
      if (decision.reasonCode) event[sc.ATTR_GENOPS_POLICY_REASON_CODE] = decision.reasonCode;
      span.addEvent(sc.EVENT_GENOPS_POLICY_EVALUATED, event, eventTime);
      this.control?.decision(decision, unit.attribution);
    } catch (error) {
      reportIgnored(error);
    }
  }

  // ── output guard ───────────────────────────────────────────────────────────────────────────────

  /** Output findings on the span (kinds and counts only); `canAct` is false once the stream is over. */
  outputFindings(
    span: Span,
    rule: { name: string; mode: string },
    counts: Readonly<Record<string, number>>,
    canAct: boolean,
  ): void {
    if (!span.isRecording()) return;
    // Events keep their order: the queued decision telemetry (pipeline/deferred.ts) goes first.
    drainPending();
    safely(() =>
      span.addEvent(sc.EVENT_GENOPS_POLICY_OUTPUT_EVALUATED, {
        [sc.ATTR_GENOPS_POLICY_RESULT]: rule.mode === 'enforce' && canAct ? 'BLOCKED' : 'WARNING',
        [sc.ATTR_GENOPS_POLICY_REASON_CODE]: 'POLICY_DENY_CONTENT',
        [sc.ATTR_GENOPS_POLICY_NAME]: rule.name,
        [sc.ATTR_GENOPS_POLICY_MODE]: rule.mode,
        [sc.ATTR_GENOPS_POLICY_PHASE]: canAct ? 'output' : 'output_end',
        [sc.ATTR_GENOPS_CONTENT_REDACTIONS]: Object.entries(counts).map(([kind, count]) => `${kind}:${count}`),
      }),
    );
  }

  // ── settle ─────────────────────────────────────────────────────────────────────────────────────

  /** The settlement's audit record (before alerts, as the store saw it). */
  settlementAudit(state: CallState, settlement: Settlement): void {
    if (!this.audit) return;
    const errorType = settlement.error === undefined ? undefined : errorTypeOf(settlement.error);
    this.record(
      settlementAuditEntry(Date.now(), state.id, {
        // The exact integer amounts (nano-USD); records written before nano-USD ledgers have only the USD numbers.
        actualNanos: settlement.actualNanos,
        actualTokens: settlement.actualTokens,
        actualUsd: nanosToUsd(settlement.actualNanos),
        error: errorType !== undefined && errorType !== '_OTHER' ? errorType : undefined,
        estimated: settlement.estimated,
        incomplete: settlement.incomplete,
        leaseOpen: settlement.leaseOpen,
        outputBlocked: state.outputBlocked || undefined,
        reservedNanos: state.reservedNanos,
        reservedUsd: nanosToUsd(state.reservedNanos),
        violation: settlement.violations && {
          problems: settlement.violations.map(({ field, code }) => `${field}:${code}`),
          reasonCode: 'ACCOUNTING_INVARIANT_VIOLATION',
        },
      }),
    );
  }

  /** The settlement on the span (its attributes and events), the span's end, the metrics and `onDecision`. */
  settled(state: CallState, settlement: Settlement, response: ResponseInfo | undefined): void {
    const { request } = state;
    const { actualNanos, incomplete } = settlement;
    const endTime = performance.now();
    const actualUsd = nanosToUsd(actualNanos);
    // Recorded right after the caller has its result (pipeline/deferred.ts), timestamped now.
    defer(() => this.settlementTelemetry(state, settlement, response, endTime, actualUsd));
    if (settlement.violations)
      diag.warn(
        `genops: ACCOUNTING_INVARIANT_VIOLATION on ${request.operation} ${request.model} (${state.id}): ` +
          `${settlement.violations.map((violation) => violation.message).join('; ')}. ` +
          'Settled at the reservation; the reported usage is not recorded as tokens.',
      );
    this.notify(state, state.decision, 'settled', nanosToUsd(state.reservedNanos), undefined, actualUsd, incomplete);
  }

  /** The settlement's span attributes, events, status and end (at `endTime`), and its metric recordings. */
  private settlementTelemetry(
    state: CallState,
    settlement: Settlement,
    response: ResponseInfo | undefined,
    endTime: number,
    actualUsd: number,
  ): void {
    const { span, request } = state;
    const { actualNanos, usage, incomplete, sla, latencyMs, error } = settlement;
    const durationSeconds = (endTime - state.startedAt) / 1000;
    // Inline rather than `safely(() => ...)`: no closure per call on this path.
    try {
      const errorType = error === undefined ? undefined : errorTypeOf(error);
      const violated = settlement.violations !== undefined;
      if (span.isRecording()) this.settlementSpan(state, settlement, response, endTime, actualUsd, errorType);
      else span.end(endTime);
      if (sla && latencyMs > sla.latencyMs)
        diag.warn(
          `genops: SLA_LATENCY_VIOLATION: call ${state.id} took ${Math.round(latencyMs)} ms, over the ${sla.latencyMs} ms target of rule "${sla.name}"`,
        );

      const instruments = this.instruments;
      if (instruments) {
        const metric = this.metricAttributes.call(request, response?.model, errorType);
        instruments.operationDuration.record(durationSeconds, metric.duration);
        if (usage && !violated) {
          instruments.tokenUsage.record(usage.inputTokens, metric.input);
          instruments.tokenUsage.record(usage.outputTokens, metric.output);
        }
        if (state.firstChunkAt !== undefined)
          instruments.timeToFirstChunk.record((state.firstChunkAt - state.startedAt) / 1000, metric.base);
        instruments.cost.add(actualUsd, this.metricAttributes.cost(request, state.attribution));
        // Settled at the reservation (incomplete, invariant broken): says nothing about the estimate.
        if (!incomplete && !violated)
          this.control?.accuracy(request.provider, request.model, state.reservedNanos, actualNanos);
      }
    } catch (error) {
      reportIgnored(error);
    }
  }

  /** The settlement on a recording span: its attributes, events, status and end. */
  private settlementSpan(
    state: CallState,
    settlement: Settlement,
    response: ResponseInfo | undefined,
    endTime: number,
    actualUsd: number,
    errorType: string | undefined,
  ): void {
    const { span, request } = state;
    const { actualNanos, usage, incomplete, sla, latencyMs, error } = settlement;
    const deltaUsd = nanosToUsd(state.reservedNanos - actualNanos);
    // The spec's attributes, and the flags of a settlement that is not exact (the delta is on the span).
    const reconciliation: Attributes = {
      [sc.ATTR_GENOPS_ACCOUNTING_ACTUAL]: actualUsd,
      [sc.ATTR_GENOPS_ACCOUNTING_RESERVED]: nanosToUsd(state.reservedNanos),
      [sc.ATTR_GENOPS_ACCOUNTING_UNIT]: 'USD',
    };
    if (incomplete) reconciliation[sc.ATTR_GENOPS_ACCOUNTING_INCOMPLETE] = true;
    const violations = settlement.violations?.map(({ field, code }) => `${field}:${code}`);
    if (violations) {
      reconciliation[sc.ATTR_GENOPS_ACCOUNTING_VIOLATION] = 'ACCOUNTING_INVARIANT_VIOLATION';
      reconciliation[sc.ATTR_GENOPS_ACCOUNTING_VIOLATIONS] = violations;
    }
    span.addEvent(sc.EVENT_GENOPS_BUDGET_RECONCILIATION, reconciliation, endTime);
    // Straight onto the span, one attribute at a time (see attribute-target.ts).
    span.setAttribute(sc.ATTR_GENOPS_ACCOUNTING_ACTUAL, actualUsd);
    span.setAttribute(sc.ATTR_GENOPS_ACCOUNTING_RECONCILIATION_DELTA, deltaUsd);
    if (incomplete) span.setAttribute(sc.ATTR_GENOPS_ACCOUNTING_INCOMPLETE, true);
    if (settlement.estimated) span.setAttribute(sc.ATTR_GENOPS_COST_ESTIMATED, true);
    if (violations) {
      span.setAttribute(sc.ATTR_GENOPS_ACCOUNTING_VIOLATION, 'ACCOUNTING_INVARIANT_VIOLATION');
      span.setAttribute(sc.ATTR_GENOPS_ACCOUNTING_VIOLATIONS, violations);
    }
    if (usage && !violations) {
      span.setAttribute(sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS, usage.inputTokens);
      span.setAttribute(sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, usage.outputTokens);
      // The parts of input and output are set when the provider reported some (a zero says nothing
      // the input and output counts do not: they include them).
      if (usage.cacheReadInputTokens)
        span.setAttribute(sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, usage.cacheReadInputTokens);
      if (usage.cacheWriteInputTokens)
        span.setAttribute(sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cacheWriteInputTokens);
      if (usage.reasoningOutputTokens)
        span.setAttribute(sc.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, usage.reasoningOutputTokens);
    }
    if (response?.id) span.setAttribute(sc.ATTR_GEN_AI_RESPONSE_ID, response.id);
    if (response?.model) span.setAttribute(sc.ATTR_GEN_AI_RESPONSE_MODEL, response.model);
    if (response?.finishReasons?.length)
      span.setAttribute(sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, response.finishReasons);
    if (this.captureContent && response?.output)
      span.setAttribute(sc.ATTR_GEN_AI_OUTPUT_MESSAGES, JSON.stringify(response.output()));
    if (state.firstChunkAt !== undefined)
      span.setAttribute(sc.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (state.firstChunkAt - state.startedAt) / 1000);
    if (state.firstLine) setBudgetAttributes(span, state.firstLine, actualNanos - state.reservedNanos, this.compat);
    if (sla) {
      span.setAttribute(sc.ATTR_GENOPS_SLA_TIER, sla.tier ?? sla.name);
      span.setAttribute(sc.ATTR_GENOPS_SLA_LATENCY_TARGET_MS, sla.latencyMs);
      span.setAttribute(sc.ATTR_GENOPS_SLA_ACTUAL_LATENCY_MS, Math.round(latencyMs));
      span.setAttribute(sc.ATTR_GENOPS_SLA_MET, latencyMs <= sla.latencyMs);
    }
    if (errorType) {
      span.setAttribute(sc.ATTR_ERROR_TYPE, errorType);
      span.setAttribute(
        sc.ATTR_GENOPS_EXECUTION_REASON_CODE,
        state.outputBlocked ? 'POLICY_DENY_CONTENT' : 'PROVIDER_ERROR_UPSTREAM',
      );
      const status = httpStatusOf(error);
      if (status !== undefined) span.setAttribute(sc.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    }
    if (this.compat) {
      const releasedUsd = nanosToUsd(Math.max(0, state.reservedNanos - actualNanos));
      compatSettlement(span, request, response, actualUsd, releasedUsd, violations ? undefined : usage);
      compatCostEvent(span, actualUsd, endTime);
    }
    if (sla && latencyMs > sla.latencyMs)
      span.addEvent(
        sc.EVENT_GENOPS_SLA_VIOLATION,
        {
          [sc.ATTR_GENOPS_POLICY_REASON_CODE]: 'SLA_LATENCY_VIOLATION',
          [sc.ATTR_GENOPS_POLICY_NAME]: sla.name,
          [sc.ATTR_GENOPS_SLA_LATENCY_TARGET_MS]: sla.latencyMs,
          [sc.ATTR_GENOPS_SLA_ACTUAL_LATENCY_MS]: Math.round(latencyMs),
        },
        endTime,
      );
    if (errorType)
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorStatusMessage(error, this.captureContent) });
    span.end(endTime);
  }

  /**
   * The span status of a failed call: the error's type and HTTP status, never the provider's text (a
   * 400 may echo the prompt, keys or emails), unless content capture is opted in.
   */

  // ── alerts ─────────────────────────────────────────────────────────────────────────────────────

  alert(state: CallState, budget: Budget, alert: BudgetAlert): void {
    const { span } = state;
    if (span.isRecording()) {
      // Events keep their order: the queued decision telemetry (pipeline/deferred.ts) goes first.
      drainPending();
      safely(() =>
        span.addEvent(sc.EVENT_GENOPS_BUDGET_ALERT, {
          [sc.ATTR_GENOPS_BUDGET_NAME]: budget.name,
          [sc.ATTR_GENOPS_BUDGET_THRESHOLD]: alert.threshold,
          [sc.ATTR_GENOPS_BUDGET_ALLOCATED]: alert.limit,
          [sc.ATTR_GENOPS_BUDGET_CONSUMED]: alert.used,
          [sc.ATTR_GENOPS_BUDGET_PERIOD]: alert.period,
          [sc.ATTR_GENOPS_ACCOUNTING_UNIT]: budget.unit,
        }),
      );
    }
    const control = this.control;
    if (control) safely(() => control.alert(budget.name, alert.threshold));
    const hook = this.onBudgetAlert;
    if (hook) safely(() => hook(alert));
  }

  // ── egress ─────────────────────────────────────────────────────────────────────────────────────

  /**
   * A provider request outside any governed unit, seen by egress governance: `governed` from its wire
   * format, `refused`, or only `reported` (`genops.egress.requests`). Never throws.
   */
  egress(action: EgressAction, provider: string, serverAddress?: string): void {
    const control = this.control;
    if (control) safely(() => control.egress(action, provider, serverAddress));
  }

  // ── audit and hooks ────────────────────────────────────────────────────────────────────────────

  /** An audit record; a failing trail never breaks the call. */
  record(entry: AuditEntry): void {
    if (!this.audit) return;
    try {
      this.audit.record(entry);
    } catch (error) {
      diag.error('genops: could not record an audit entry', error);
    }
  }

  private notify(
    unit: { id: string; request: GovernedRequest; attribution: Readonly<Attribution>; span: Span },
    decision: Decision,
    phase: DecisionRecord['phase'],
    reserved?: number,
    approval?: ApprovalInfo,
    actual?: number,
    incomplete?: boolean,
  ): void {
    const hook = this.onDecision;
    if (!hook) return;
    safely(() => {
      const record: DecisionRecord = {
        id: unit.id,
        provider: unit.request.provider,
        model: unit.request.model,
        operation: unit.request.operation,
        attribution: unit.attribution,
        result: decision.result,
        phase,
      };
      if (decision.reasonCode) record.reasonCode = decision.reasonCode;
      if (decision.rule) record.rule = decision.rule;
      if (decision.message) record.message = decision.message;
      if (reserved !== undefined) record.reserved = reserved;
      if (approval) record.approval = approval;
      if (actual !== undefined) record.actual = actual;
      if (incomplete !== undefined) record.incomplete = incomplete;
      const { traceId, spanId } = unit.span.spanContext();
      record.traceId = traceId;
      record.spanId = spanId;
      hook(record);
    });
  }
}

/**
 * The attributes known when the span started that a sampler does not need (see `startSpan`), written into
 * the decision's attributes: the spec version, `genops.operation.*`, `gen_ai.request.stream` and the
 * adapter's request attributes (`gen_ai.request.max_tokens`, ...). `request` is the one admitted (after a
 * downgrade, the cheaper model). An attribute the stages already set for this phase keeps its value.
 */
function admissionStart(span: Span, staged: Attributes, request: GovernedRequest, compat: boolean): void {
  const extra = request.requestAttributes;
  if (extra) {
    for (const key in extra) {
      const value = extra[key];
      if (value !== undefined && staged[key] === undefined) span.setAttribute(key, value);
    }
  }
  span.setAttribute(sc.ATTR_GENOPS_SPEC_VERSION, sc.GENOPS_SPEC_VERSION);
  span.setAttribute(sc.ATTR_GENOPS_OPERATION_NAME, `${request.operation} ${request.model}`);
  span.setAttribute(sc.ATTR_GENOPS_OPERATION_TYPE, operationType(request.operation));
  if (request.stream !== undefined) span.setAttribute(sc.ATTR_GEN_AI_REQUEST_STREAM, request.stream);
  if (compat) compatBegin(span, request);
}

/** What `safely` logs, for the per-call paths that catch inline. */

/** The budget line's `genops.budget.*` attributes, written to `target` (values in the line's unit). */
function setBudgetAttributes(target: AttributeTarget, line: LineState, settledDelta: number, compat: boolean): void {
  const usd = line.unit === 'USD';
  const consumed = line.used + line.reserved + settledDelta;
  const remaining = usd ? nanosToUsd(line.limit - consumed) : line.limit - consumed;
  target.setAttribute(sc.ATTR_GENOPS_BUDGET_NAME, line.budget);
  target.setAttribute(sc.ATTR_GENOPS_BUDGET_ALLOCATED, usd ? nanosToUsd(line.limit) : line.limit);
  target.setAttribute(sc.ATTR_GENOPS_BUDGET_CONSUMED, usd ? nanosToUsd(consumed) : consumed);
  target.setAttribute(sc.ATTR_GENOPS_BUDGET_REMAINING, remaining);
  target.setAttribute(sc.ATTR_GENOPS_BUDGET_PERIOD, line.key.slice(line.key.lastIndexOf('|') + 1));
  if (compat) compatBudgetRemaining(target, remaining);
}

/** The last frozen attribution {@link sortedCopy} copied, and its copy (calls without a context share the defaults). */
let lastSortedRecord: object | undefined;
let lastSortedCopy: Record<string, unknown> | undefined;
/**
 * The copy of every frozen attribution {@link sortedCopy} copied, for calls of several attributions
 * interleaved (the gateway's virtual keys, an app's teams); an entry lives as long as its record does.
 */
const sortedCopies = new WeakMap<object, Record<string, unknown>>();

/**
 * A copy of `record` with its keys in sorted order (members that are `undefined` left out). The copy
 * of a frozen record is frozen and reused while the record lives. Exported for its tests.
 */
export function sortedCopy(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (record === lastSortedRecord) return lastSortedCopy!;
  const frozen = Object.isFrozen(record);
  let copy = frozen ? sortedCopies.get(record) : undefined;
  if (copy === undefined) {
    const keys = Object.keys(record).sort();
    copy = {};
    for (const key of keys) if (record[key] !== undefined) copy[key] = record[key];
    if (!frozen) return copy;
    Object.freeze(copy);
    sortedCopies.set(record, copy);
  }
  lastSortedRecord = record;
  lastSortedCopy = copy;
  return copy;
}

/** A copy of a JSON-like value with every string rewritten (captured content, redacted as sent). */
function rewriteStrings(value: unknown, rewrite: (text: string) => string): unknown {
  if (typeof value === 'string') return rewrite(value);
  if (Array.isArray(value)) return value.map((item) => rewriteStrings(item, rewrite));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) out[key] = rewriteStrings(member, rewrite);
    return out;
  }
  return value;
}

function operationType(operation: sc.GenAIOperationName): string {
  switch (operation) {
    case 'embeddings':
      return 'embedding';
    case 'execute_tool':
      return 'tool';
    case 'invoke_agent':
    case 'create_agent':
    case 'invoke_workflow':
      return 'agent';
    case 'retrieval':
      return 'retrieval';
    default:
      return 'inference';
  }
}
