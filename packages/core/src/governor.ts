import { randomUUID } from 'node:crypto';
import {
  type Attributes,
  type Context,
  context,
  diag,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { resolveAttribution } from './attribution';
import { type Budget, compileBudget, linesFor } from './budget/budget-set';
import type { ApprovalDecision, DecisionRecord, ResolvedOptions } from './config';
import { ApprovalDeniedError } from './errors/approval-denied-error';
import { BudgetExceededError } from './errors/budget-exceeded-error';
import type { GovernanceError } from './errors/governance-error';
import { PolicyViolationError } from './errors/policy-violation-error';
import { ReservationFailedError } from './errors/reservation-failed-error';
import { formatUsd, microsToUsd } from './money';
import { type PolicyDecision, PolicyEngine } from './policy/policy-engine';
import { costMicros, worstCaseMicros } from './pricing/cost';
import type { PriceTable } from './pricing/price-table';
import type { ModelPrice, PriceMatch } from './pricing/types';
import * as sc from './semconv';
import type { BudgetLine, GovernanceStore, LineState, ReserveResult } from './store/types';
import type { Instruments } from './telemetry/instruments';
import type { Attribution, GovernedRequest, ResponseInfo, Usage } from './types';

/** How a call ended, as the adapter reports it. */
export interface CallOutcome {
  usage?: Usage | undefined;
  response?: ResponseInfo | undefined;
  /** The response was cut short (aborted stream, early `break`, broken connection, malformed body). */
  incomplete?: boolean;
  /** A cost the provider or a proxy reported for this call, USD; used instead of the price table. */
  reportedCostUsd?: number | undefined;
}

/**
 * A call that passed governance and holds a reservation. The adapter runs the SDK call, then reports
 * exactly one of {@link end} or {@link fail}; both settle the reservation and end the span.
 */
export interface GovernedCall {
  readonly id: string;
  readonly attribution: Readonly<Attribution>;
  readonly span: Span;
  /** Runs `fn` with the AWU span active, so spans the SDK creates nest under it. */
  runInContext<T>(fn: () => T): T;
  /** Marks the first streamed chunk (time to first chunk). */
  firstChunk(): void;
  end(outcome: CallOutcome): Promise<void>;
  /**
   * The call failed. Without `partial`, the provider produced nothing billable (actual = 0). With a
   * `partial` outcome (a stream that broke after it started), the call settles from that outcome's
   * usage, or from the reservation when it has none, flagged incomplete.
   */
  fail(error: unknown, partial?: CallOutcome): Promise<void>;
}

interface Decision {
  result: sc.PolicyResult;
  reasonCode?: sc.ReasonCode;
  rule?: string;
  message?: string;
  constraint: 'none' | 'policy' | 'budget_limit' | 'approval' | 'pricing';
}

export interface GovernorDependencies {
  options: ResolvedOptions;
  store: GovernanceStore;
  prices: PriceTable;
  tracer: Tracer;
  instruments: Instruments | undefined;
  captureContent: boolean;
}

/** The governed-call pipeline: attribution → policy → reservation → approval → (execute) → settle → telemetry. */
export class Governor {
  readonly store: GovernanceStore;
  readonly budgets: readonly Budget[];
  private readonly options: ResolvedOptions;
  private readonly policy: PolicyEngine;
  private readonly prices: PriceTable;
  private readonly tracer: Tracer;
  private readonly instruments: Instruments | undefined;
  private readonly defaults: Readonly<Attribution>;
  private readonly captureContent: boolean;
  private readonly approvalThresholdMicros: number | undefined;
  private readonly fallbackPrice: ModelPrice | undefined;

  constructor(dependencies: GovernorDependencies) {
    const { options } = dependencies;
    this.options = options;
    this.store = dependencies.store;
    this.prices = dependencies.prices;
    this.tracer = dependencies.tracer;
    this.instruments = dependencies.instruments;
    this.captureContent = dependencies.captureContent;
    this.defaults = Object.freeze({ ...(options.defaults ?? {}) });
    this.policy = new PolicyEngine(options.policies, options.enablePolicyEnforcement);
    const budgets = options.budgets.map(compileBudget);
    if (options.dailyBudgetLimit !== undefined) {
      budgets.unshift(compileBudget({ name: 'daily', limit: options.dailyBudgetLimit, window: 'day' }));
    }
    this.budgets = budgets;
    this.approvalThresholdMicros =
      options.requireApprovalOver === undefined ? undefined : Math.round(options.requireApprovalOver * 1_000_000);
    this.fallbackPrice = typeof options.unknownModel === 'object' ? (options.unknownModel as ModelPrice) : undefined;
  }

  /** The price the governor uses for a model, or `undefined` when it has none. */
  priceOf(provider: string, model: string): PriceMatch | undefined {
    return this.prices.lookup(provider, model);
  }

  /**
   * Runs the pre-execution half of the pipeline. Resolves to a {@link GovernedCall} when the call may
   * proceed; rejects with a {@link GovernanceError} (recorded on a finished span) when it may not.
   */
  async begin(request: GovernedRequest): Promise<GovernedCall> {
    const startedAt = performance.now();
    const unit: Unit = {
      id: randomUUID(),
      request,
      attribution: resolveAttribution(this.defaults),
      parent: context.active(),
      span: undefined as unknown as Span,
    };
    unit.span = this.startSpan(request, unit.attribution, unit.parent);

    const cost = this.worstCase(request);
    const policy = this.policy.evaluate({
      request,
      attribution: unit.attribution,
      outputBound: cost.outputBound,
      worstCaseMicros: cost.worstMicros,
    });
    const decision = this.decide(policy);
    safely(() => {
      unit.span.setAttribute(sc.ATTR_GENOPS_RESERVATION_OUTPUT_BOUND, cost.outputBoundSource);
      if (cost.match) unit.span.setAttribute(sc.ATTR_GENOPS_COST_PRICE_MODEL, cost.match.model);
      else unit.span.setAttribute(sc.ATTR_GENOPS_COST_ESTIMATED, true);
      if (policy.violation && policy.mode === 'shadow') {
        unit.span.setAttribute(sc.ATTR_GENOPS_POLICY_SHADOW_RESULT, 'BLOCKED');
        unit.span.setAttribute(sc.ATTR_GENOPS_POLICY_SHADOW_REASON_CODE, policy.violation.reasonCode);
      }
    });
    if (decision.result === 'BLOCKED') {
      const error = new PolicyViolationError({
        rule: decision.rule!,
        reasonCode: decision.reasonCode!,
        message: decision.message!,
      });
      throw this.block(unit, decision, error);
    }
    if (!cost.price) this.handleUnknownPrice(unit, decision);

    // Reservation: the worst case, in every matching budget, all or nothing.
    const reservedMicros = cost.worstMicros ?? 0;
    const lines =
      this.budgets.length === 0
        ? []
        : linesFor(
            this.budgets,
            { ...unit.attribution, provider: request.provider, model: request.model },
            { micros: reservedMicros, tokens: cost.worstTokens },
            Date.now(),
          );
    const reserved = lines.length === 0 ? [] : await this.reserve(unit, lines, decision);
    safely(() => {
      unit.span.addEvent(sc.EVENT_GENOPS_BUDGET_RESERVATION, {
        [sc.ATTR_GENOPS_ACCOUNTING_RESERVED]: microsToUsd(reservedMicros),
        [sc.ATTR_GENOPS_ACCOUNTING_UNIT]: 'USD',
        ...(reserved[0] ? { [sc.ATTR_GENOPS_BUDGET_NAME]: reserved[0].budget } : {}),
      });
      unit.span.setAttribute(sc.ATTR_GENOPS_ACCOUNTING_RESERVED, microsToUsd(reservedMicros));
      unit.span.setAttribute(sc.ATTR_GENOPS_ACCOUNTING_UNIT, 'USD');
    });

    // Approval over a cost threshold: the reservation is held while a person or program decides.
    const needsApproval = this.approvalThresholdMicros !== undefined && reservedMicros > this.approvalThresholdMicros;
    safely(() => unit.span.setAttribute(sc.ATTR_GENOPS_GOVERNANCE_APPROVAL_REQUIRED, needsApproval));
    const approval = needsApproval ? await this.approve(unit, reservedMicros, lines.length > 0) : undefined;
    if (approval && decision.constraint === 'none') decision.constraint = 'approval';

    this.recordDecision(unit.span, decision);
    this.notify({ ...unit, decision, reserved: microsToUsd(reservedMicros), approval, phase: 'decided' });
    return new Call(this, {
      ...unit,
      price: cost.price,
      priced: cost.match !== undefined,
      reservedMicros,
      reservedTokens: cost.worstTokens,
      hasLines: lines.length > 0,
      lines,
      firstLine: tightest(reserved),
      startedAt,
      decision,
    });
  }

  /** The price, the output bound and the worst-case cost the reservation holds. */
  private worstCase(request: GovernedRequest) {
    const match = this.prices.lookup(request.provider, request.model);
    const price = match?.price ?? this.fallbackPrice;
    const outputBound = request.maxOutputTokens ?? price?.maxOutputTokens ?? this.options.defaultMaxOutputTokens;
    const outputBoundSource =
      request.maxOutputTokens !== undefined
        ? 'request'
        : price?.maxOutputTokens !== undefined
          ? 'price_data'
          : 'default';
    return {
      match,
      price,
      outputBound,
      outputBoundSource,
      worstMicros: price ? worstCaseMicros(price, request.estimatedInputTokens, outputBound) : undefined,
      worstTokens: request.estimatedInputTokens + outputBound,
    };
  }

  /** A model without a price: deny (the default), or run with a warning and zero cost. */
  private handleUnknownPrice(unit: Unit, decision: Decision): void {
    const { request } = unit;
    if (this.options.unknownModel === 'deny') {
      const message =
        `No price is known for model "${request.model}" of provider "${request.provider}", so its cost cannot be reserved. ` +
        `Add it with GenOps.init({ prices: { '${request.provider}': { '${request.model}': { input: <USD per 1M>, output: <USD per 1M> } } } }), ` +
        `or set unknownModel to 'warn' or a fallback price.`;
      const blocked: Decision = {
        result: 'BLOCKED',
        reasonCode: 'BUDGET_RESERVATION_FAILED',
        rule: 'unknownModel',
        message,
        constraint: 'pricing',
      };
      throw this.block(unit, blocked, new ReservationFailedError({ message }));
    }
    if (decision.result === 'ALLOWED') {
      Object.assign(decision, {
        result: 'WARNING',
        reasonCode: 'x_price_unknown',
        rule: 'unknownModel',
        message: `no price for ${request.model}; cost recorded as 0`,
        constraint: 'pricing',
      });
    }
  }

  /** Reserves in the store, all or nothing; denies (fail-closed) when a budget has no room or the store fails. */
  private async reserve(unit: Unit, lines: BudgetLine[], decision: Decision): Promise<LineState[]> {
    let outcome: ReserveResult;
    try {
      outcome = await this.store.reserve({ id: unit.id, lines, leaseMs: this.options.reservationLeaseMs });
    } catch (cause) {
      const message = `The governance store (${this.store.kind}) could not reserve this call's budget: ${(cause as Error)?.message ?? cause}. The call was denied (fail-closed).`;
      const blocked: Decision = {
        result: 'BLOCKED',
        reasonCode: 'BUDGET_RESERVATION_FAILED',
        rule: 'store',
        message,
        constraint: 'budget_limit',
      };
      throw this.block(unit, blocked, new ReservationFailedError({ message, cause }));
    }
    if (!outcome.ok) {
      const { failed, requested } = outcome;
      const budget = this.budgets.find((candidate) => candidate.name === failed.budget)!;
      const unitValue = (value: number) => (failed.unit === 'USD' ? microsToUsd(value) : value);
      const error = new BudgetExceededError({
        budget: failed.budget,
        budgetKey: failed.key,
        limit: unitValue(failed.limit),
        used: unitValue(failed.used + failed.reserved),
        requested: unitValue(requested),
        unit: failed.unit,
        period: budget.window === 'total' ? 'budget' : budget.window,
      });
      const blocked: Decision = {
        result: 'BLOCKED',
        reasonCode: 'BUDGET_EXCEEDED',
        rule: `budget:${failed.budget}`,
        message: error.message,
        constraint: 'budget_limit',
      };
      safely(() => this.setBudgetAttributes(unit.span, failed, 0));
      throw this.block(unit, blocked, error);
    }
    // A budget with action `warn` is reserved even over its limit; the call runs with a warning.
    const over = outcome.lines.find((line) => line.used + line.reserved > line.limit);
    if (over && decision.result === 'ALLOWED') {
      Object.assign(decision, {
        result: 'WARNING',
        reasonCode: 'BUDGET_EXCEEDED',
        rule: `budget:${over.budget}`,
        message: `budget "${over.budget}" is over its limit (action: warn)`,
        constraint: 'budget_limit',
      });
    }
    return outcome.lines;
  }

  /** Holds the call for approval; on a denial or timeout, releases the reservation and denies. */
  private async approve(
    unit: Unit,
    reservedMicros: number,
    hasLines: boolean,
  ): Promise<NonNullable<DecisionRecord['approval']>> {
    const approval = await this.requestApproval(unit.span, unit.id, unit.request, unit.attribution, reservedMicros);
    if (approval.status === 'approved') return approval;
    await this.releaseQuietly(unit.id, hasLines);
    const timedOut = approval.status === 'timed_out';
    const threshold = `over requireApprovalOver $${this.options.requireApprovalOver}`;
    const message = timedOut
      ? `Approval ${unit.id} for a call that may cost ${formatUsd(reservedMicros)} (${threshold}) timed out after ${this.options.approvalTimeoutMs} ms; the default decision is deny. Raise approvalTimeoutMs or set approvalTimeoutDecision.`
      : `Approval ${unit.id} for a call that may cost ${formatUsd(reservedMicros)} (${threshold}) was denied${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}${approval.reason ? `: ${approval.reason}` : this.options.approver ? '' : ': no approver is configured (GenOps.init({ approver }))'}.`;
    const blocked: Decision = {
      result: 'BLOCKED',
      reasonCode: timedOut ? 'x_approval_timeout' : 'x_approval_denied',
      rule: 'requireApprovalOver',
      message,
      constraint: 'approval',
    };
    const error = new ApprovalDeniedError({
      approvalId: unit.id,
      message,
      timedOut,
      ...(approval.decidedBy ? { decidedBy: approval.decidedBy } : {}),
      ...(approval.reason ? { reason: approval.reason } : {}),
    });
    throw this.block(unit, blocked, error, microsToUsd(reservedMicros), approval);
  }

  private decide(policy: PolicyDecision): Decision {
    const violation = policy.violation;
    if (!violation || policy.mode === 'shadow') return { result: 'ALLOWED', constraint: 'none' };
    const base = {
      reasonCode: violation.reasonCode,
      rule: violation.rule,
      message: violation.message,
      constraint: 'policy' as const,
    };
    return policy.mode === 'enforce' ? { result: 'BLOCKED', ...base } : { result: 'WARNING', ...base };
  }

  private startSpan(request: GovernedRequest, attribution: Readonly<Attribution>, parent: Context): Span {
    const operationName = `${request.operation} ${request.model}`;
    const attributes: Attributes = {
      [sc.ATTR_GEN_AI_OPERATION_NAME]: request.operation,
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: request.provider,
      [sc.ATTR_GEN_AI_REQUEST_MODEL]: request.model,
      [sc.ATTR_GENOPS_SPEC_VERSION]: sc.GENOPS_SPEC_VERSION,
      [sc.ATTR_GENOPS_OPERATION_NAME]: operationName,
      [sc.ATTR_GENOPS_OPERATION_TYPE]: operationType(request.operation),
      [sc.ATTR_GENOPS_TEAM]: attribution.team ?? 'unattributed',
      [sc.ATTR_GENOPS_PROJECT]: attribution.project ?? 'unattributed',
      [sc.ATTR_GENOPS_ENVIRONMENT]: environmentOf(attribution),
      [sc.ATTR_GENOPS_PROVIDER]: request.provider,
      [sc.ATTR_GENOPS_MODEL]: request.model,
    };
    if (request.stream !== undefined) attributes[sc.ATTR_GEN_AI_REQUEST_STREAM] = request.stream;
    if (request.serverAddress) attributes[sc.ATTR_SERVER_ADDRESS] = request.serverAddress;
    if (request.serverPort !== undefined) attributes[sc.ATTR_SERVER_PORT] = request.serverPort;
    if (attribution.customer) attributes[sc.ATTR_GENOPS_CUSTOMER_ID] = attribution.customer;
    if (attribution.feature) attributes[sc.ATTR_GENOPS_FEATURE] = attribution.feature;
    if (attribution.session) attributes[sc.ATTR_GENOPS_SESSION_ID] = attribution.session;
    if (attribution.costCenter) attributes[sc.ATTR_GENOPS_COST_CENTER] = attribution.costCenter;
    if (attribution.user) attributes[sc.ATTR_GENOPS_USER_ID] = attribution.user;
    if (request.requestAttributes) {
      for (const [key, value] of Object.entries(request.requestAttributes))
        if (value !== undefined) attributes[key] = value;
    }
    if (this.captureContent && request.content) {
      safely(() => {
        const content = request.content!();
        if (content.input !== undefined) attributes[sc.ATTR_GEN_AI_INPUT_MESSAGES] = JSON.stringify(content.input);
        if (content.system !== undefined)
          attributes[sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS] = JSON.stringify(content.system);
      });
    }
    try {
      return this.tracer.startSpan(operationName, { kind: SpanKind.CLIENT, attributes }, parent);
    } catch (error) {
      diag.warn('genops: could not start a span', error);
      return trace.wrapSpanContext(
        trace.getSpanContext(parent) ?? { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 },
      );
    }
  }

  private recordDecision(span: Span, decision: Decision): void {
    safely(() => {
      const attributes: Attributes = { [sc.ATTR_GENOPS_POLICY_RESULT]: decision.result };
      if (decision.reasonCode) attributes[sc.ATTR_GENOPS_POLICY_REASON_CODE] = decision.reasonCode;
      if (decision.rule) attributes[sc.ATTR_GENOPS_POLICY_NAME] = decision.rule;
      if (decision.message) attributes[sc.ATTR_GENOPS_POLICY_REASON] = decision.message;
      attributes[sc.ATTR_GENOPS_POLICY_TIMESTAMP] = Date.now();
      span.setAttributes(attributes);
      span.setAttribute(sc.ATTR_GENOPS_POLICY_MODE, this.policy.mode);
      span.setAttribute(
        sc.ATTR_GENOPS_GOVERNANCE_POLICY_CHECK,
        decision.result === 'ALLOWED' ? 'passed' : decision.result === 'WARNING' ? 'warning' : 'blocked',
      );
      span.setAttribute(sc.ATTR_GENOPS_GOVERNANCE_AUTHORITY_CONSTRAINT, decision.constraint);
      span.addEvent(sc.EVENT_GENOPS_POLICY_EVALUATED, {
        [sc.ATTR_GENOPS_POLICY_RESULT]: decision.result,
        ...(decision.reasonCode ? { [sc.ATTR_GENOPS_POLICY_REASON_CODE]: decision.reasonCode } : {}),
        ...(decision.rule ? { [sc.ATTR_GENOPS_POLICY_NAME]: decision.rule } : {}),
      });
      this.instruments?.decisions.add(1, {
        [sc.ATTR_GENOPS_POLICY_RESULT]: decision.result,
        ...(decision.reasonCode ? { [sc.ATTR_GENOPS_POLICY_REASON_CODE]: decision.reasonCode } : {}),
      });
    });
  }

  /** Records a denial on the span, ends it, and returns the error to throw. */
  private block(
    unit: Unit,
    decision: Decision,
    error: GovernanceError,
    reserved?: number,
    approval?: DecisionRecord['approval'],
  ): GovernanceError {
    const { span } = unit;
    this.recordDecision(span, decision);
    safely(() => {
      span.setAttribute(sc.ATTR_ERROR_TYPE, error.name);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      span.end();
      const spanContext = span.spanContext();
      error.spanContext = { traceId: spanContext.traceId, spanId: spanContext.spanId };
    });
    this.notify({ ...unit, decision, reserved, approval, phase: 'decided' });
    return error;
  }

  private async requestApproval(
    span: Span,
    id: string,
    request: GovernedRequest,
    attribution: Readonly<Attribution>,
    reservedMicros: number,
  ): Promise<NonNullable<DecisionRecord['approval']>> {
    const approver = this.options.approver;
    safely(() => {
      span.setAttribute(sc.ATTR_GENOPS_APPROVAL_ID, id);
      span.addEvent(sc.EVENT_GENOPS_APPROVAL_REQUESTED, {
        [sc.ATTR_GENOPS_APPROVAL_ID]: id,
        [sc.ATTR_GENOPS_ACCOUNTING_RESERVED]: microsToUsd(reservedMicros),
      });
    });
    let approval: NonNullable<DecisionRecord['approval']>;
    if (!approver) {
      approval = {
        status: 'denied',
        decidedBy: 'genops',
        reason: 'no approver is configured (GenOps.init({ approver }))',
      };
    } else {
      const timeout = this.options.approvalTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeout);
        timer.unref?.();
      });
      try {
        const answer = await Promise.race([
          Promise.resolve(
            approver({
              id,
              request,
              attribution,
              estimatedCost: microsToUsd(reservedMicros),
              threshold: this.options.requireApprovalOver ?? 0,
            }),
          ),
          timedOut,
        ]);
        if (answer === 'timeout') {
          approval =
            this.options.approvalTimeoutDecision === 'approve'
              ? { status: 'approved', decidedBy: 'timeout', reason: `no decision within ${timeout} ms` }
              : { status: 'timed_out', decidedBy: 'timeout', reason: `no decision within ${timeout} ms` };
        } else {
          approval = normalizeApproval(answer);
        }
      } catch (error) {
        approval = {
          status: 'denied',
          decidedBy: 'genops',
          reason: `the approver threw: ${(error as Error)?.message ?? error}`,
        };
      } finally {
        clearTimeout(timer);
      }
    }
    safely(() => {
      span.setAttribute(sc.ATTR_GENOPS_APPROVAL_STATUS, approval.status);
      if (approval.decidedBy) span.setAttribute(sc.ATTR_GENOPS_APPROVAL_DECIDED_BY, approval.decidedBy);
      span.addEvent(sc.EVENT_GENOPS_APPROVAL_DECIDED, {
        [sc.ATTR_GENOPS_APPROVAL_ID]: id,
        [sc.ATTR_GENOPS_APPROVAL_STATUS]: approval.status,
        ...(approval.decidedBy ? { [sc.ATTR_GENOPS_APPROVAL_DECIDED_BY]: approval.decidedBy } : {}),
      });
    });
    return approval;
  }

  private setBudgetAttributes(span: Span, line: LineState, settledDelta: number): void {
    const value = (amount: number) => (line.unit === 'USD' ? microsToUsd(amount) : amount);
    const consumed = line.used + line.reserved + settledDelta;
    const remaining = line.limit - consumed;
    span.setAttributes({
      [sc.ATTR_GENOPS_BUDGET_NAME]: line.budget,
      [sc.ATTR_GENOPS_BUDGET_ALLOCATED]: value(line.limit),
      [sc.ATTR_GENOPS_BUDGET_CONSUMED]: value(consumed),
      [sc.ATTR_GENOPS_BUDGET_REMAINING]: value(remaining),
      [sc.ATTR_GENOPS_BUDGET_PERIOD]: line.key.slice(line.key.lastIndexOf('|') + 1),
      [sc.ATTR_GENOPS_GOVERNANCE_BUDGET_REMAINING]: value(remaining),
    });
  }

  private async releaseQuietly(id: string, hasLines: boolean): Promise<void> {
    if (!hasLines) return;
    try {
      await this.store.release(id);
    } catch (error) {
      diag.error(`genops: could not release reservation ${id}; its lease will expire`, error);
    }
  }

  private notify(record: {
    id: string;
    request: GovernedRequest;
    attribution: Readonly<Attribution>;
    decision: Decision;
    reserved?: number | undefined;
    approval?: DecisionRecord['approval'] | undefined;
    actual?: number;
    incomplete?: boolean;
    phase: DecisionRecord['phase'];
  }): void {
    const hook = this.options.onDecision;
    if (!hook) return;
    safely(() =>
      hook({
        id: record.id,
        provider: record.request.provider,
        model: record.request.model,
        operation: record.request.operation,
        attribution: record.attribution,
        result: record.decision.result,
        ...(record.decision.reasonCode ? { reasonCode: record.decision.reasonCode } : {}),
        ...(record.decision.rule ? { rule: record.decision.rule } : {}),
        ...(record.decision.message ? { message: record.decision.message } : {}),
        ...(record.reserved !== undefined ? { reserved: record.reserved } : {}),
        ...(record.approval ? { approval: record.approval } : {}),
        ...(record.actual !== undefined ? { actual: record.actual } : {}),
        ...(record.incomplete !== undefined ? { incomplete: record.incomplete } : {}),
        phase: record.phase,
      }),
    );
  }

  /** @internal Settles a call and finishes its telemetry; used by {@link GovernedCall}. */
  async finish(state: CallState, outcome: CallOutcome, error: unknown): Promise<void> {
    const { span, request } = state;
    const usage = outcome.usage;
    // A failure with a partial outcome (a stream that broke mid-way) executed: it is settled from the
    // best data, flagged incomplete. A failure without one produced nothing billable.
    const partial = error !== undefined && outcome.incomplete === true;
    const incomplete = partial || (error === undefined && (outcome.incomplete === true || usage === undefined));
    let actualMicros: number;
    let estimated = !state.priced;
    if (outcome.reportedCostUsd !== undefined && Number.isFinite(outcome.reportedCostUsd)) {
      actualMicros = Math.round(outcome.reportedCostUsd * 1_000_000);
    } else if (error !== undefined && usage === undefined && !partial) {
      // The provider refused or failed the request: nothing billable was produced.
      actualMicros = 0;
    } else if (usage === undefined || !state.price) {
      // No usage to price: settle from the reservation (the worst case), flagged incomplete.
      actualMicros = state.reservedMicros;
      estimated = true;
    } else {
      actualMicros = costMicros(state.price, usage);
    }
    const actualTokens = usage
      ? usage.inputTokens + usage.outputTokens
      : error !== undefined && !partial
        ? 0
        : state.reservedTokens;

    if (state.hasLines) {
      try {
        await this.store.settle(state.id, { USD: actualMicros, tokens: actualTokens }, state.lines);
      } catch (settleError) {
        diag.error(
          `genops: could not settle reservation ${state.id}; its lease will expire and release it`,
          settleError,
        );
      }
    }

    const durationSeconds = (performance.now() - state.startedAt) / 1000;
    safely(() => {
      const actualUsd = microsToUsd(actualMicros);
      const reservedUsd = microsToUsd(state.reservedMicros);
      span.addEvent(sc.EVENT_GENOPS_BUDGET_RECONCILIATION, {
        [sc.ATTR_GENOPS_ACCOUNTING_ACTUAL]: actualUsd,
        [sc.ATTR_GENOPS_ACCOUNTING_RESERVED]: reservedUsd,
        [sc.ATTR_GENOPS_ACCOUNTING_UNIT]: 'USD',
        [sc.ATTR_GENOPS_ACCOUNTING_RECONCILIATION_DELTA]: microsToUsd(state.reservedMicros - actualMicros),
        ...(incomplete ? { [sc.ATTR_GENOPS_ACCOUNTING_INCOMPLETE]: true } : {}),
      });
      const attributes: Attributes = {
        [sc.ATTR_GENOPS_ACCOUNTING_ACTUAL]: actualUsd,
        [sc.ATTR_GENOPS_ACCOUNTING_RECONCILIATION_DELTA]: microsToUsd(state.reservedMicros - actualMicros),
        [sc.ATTR_GENOPS_ACCOUNTING_RELEASED]: microsToUsd(Math.max(0, state.reservedMicros - actualMicros)),
        [sc.ATTR_GENOPS_COST_TOTAL]: actualUsd,
        [sc.ATTR_GENOPS_COST_CURRENCY]: 'USD',
        [sc.ATTR_GENOPS_COST_PROVIDER]: request.provider,
        [sc.ATTR_GENOPS_COST_MODEL]: outcome.response?.model ?? request.model,
      };
      if (incomplete) attributes[sc.ATTR_GENOPS_ACCOUNTING_INCOMPLETE] = true;
      if (estimated) attributes[sc.ATTR_GENOPS_COST_ESTIMATED] = true;
      if (usage) {
        attributes[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = usage.inputTokens;
        attributes[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = usage.outputTokens;
        attributes[sc.ATTR_GENOPS_TOKENS_INPUT] = usage.inputTokens;
        attributes[sc.ATTR_GENOPS_TOKENS_OUTPUT] = usage.outputTokens;
        attributes[sc.ATTR_GENOPS_TOKENS_TOTAL] = usage.inputTokens + usage.outputTokens;
        if (usage.cacheReadInputTokens !== undefined)
          attributes[sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cacheReadInputTokens;
        if (usage.cacheWriteInputTokens !== undefined)
          attributes[sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cacheWriteInputTokens;
        if (usage.reasoningOutputTokens !== undefined)
          attributes[sc.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoningOutputTokens;
      }
      const response = outcome.response;
      if (response?.id) attributes[sc.ATTR_GEN_AI_RESPONSE_ID] = response.id;
      if (response?.model) attributes[sc.ATTR_GEN_AI_RESPONSE_MODEL] = response.model;
      if (response?.finishReasons?.length) attributes[sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = response.finishReasons;
      if (this.captureContent && response?.output)
        attributes[sc.ATTR_GEN_AI_OUTPUT_MESSAGES] = JSON.stringify(response.output());
      if (state.firstChunkAt !== undefined)
        attributes[sc.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = (state.firstChunkAt - state.startedAt) / 1000;
      span.setAttributes(attributes);
      if (state.firstLine) this.setBudgetAttributes(span, state.firstLine, actualMicros - state.reservedMicros);
      span.addEvent(sc.EVENT_GENOPS_COST_CALCULATED, {
        [sc.ATTR_GENOPS_COST_TOTAL]: actualUsd,
        [sc.ATTR_GENOPS_COST_CURRENCY]: 'USD',
      });
      const errorType = error === undefined ? undefined : errorTypeOf(error);
      if (errorType) {
        span.setAttribute(sc.ATTR_ERROR_TYPE, errorType);
        span.setAttribute(sc.ATTR_GENOPS_EXECUTION_REASON_CODE, 'PROVIDER_ERROR_UPSTREAM');
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
      }
      span.end();

      const metricAttributes: Attributes = {
        [sc.ATTR_GEN_AI_OPERATION_NAME]: request.operation,
        [sc.ATTR_GEN_AI_PROVIDER_NAME]: request.provider,
        [sc.ATTR_GEN_AI_REQUEST_MODEL]: request.model,
      };
      if (response?.model) metricAttributes[sc.ATTR_GEN_AI_RESPONSE_MODEL] = response.model;
      if (request.serverAddress) metricAttributes[sc.ATTR_SERVER_ADDRESS] = request.serverAddress;
      const instruments = this.instruments;
      if (instruments) {
        instruments.operationDuration.record(
          durationSeconds,
          errorType ? { ...metricAttributes, [sc.ATTR_ERROR_TYPE]: errorType } : metricAttributes,
        );
        if (usage) {
          instruments.tokenUsage.record(usage.inputTokens, {
            ...metricAttributes,
            [sc.ATTR_GEN_AI_TOKEN_TYPE]: 'input',
          });
          instruments.tokenUsage.record(usage.outputTokens, {
            ...metricAttributes,
            [sc.ATTR_GEN_AI_TOKEN_TYPE]: 'output',
          });
        }
        if (state.firstChunkAt !== undefined)
          instruments.timeToFirstChunk.record((state.firstChunkAt - state.startedAt) / 1000, metricAttributes);
        instruments.cost.add(actualUsd, {
          [sc.ATTR_GEN_AI_PROVIDER_NAME]: request.provider,
          [sc.ATTR_GEN_AI_REQUEST_MODEL]: request.model,
          [sc.ATTR_GENOPS_TEAM]: state.attribution.team ?? 'unattributed',
          [sc.ATTR_GENOPS_PROJECT]: state.attribution.project ?? 'unattributed',
          [sc.ATTR_GENOPS_ENVIRONMENT]: environmentOf(state.attribution),
        });
      }
    });
    this.notify({
      id: state.id,
      request,
      attribution: state.attribution,
      decision: state.decision,
      reserved: microsToUsd(state.reservedMicros),
      actual: microsToUsd(actualMicros),
      incomplete,
      phase: 'settled',
    });
  }
}

/** One governed unit (AWU) while its pre-execution steps run. */
interface Unit {
  id: string;
  request: GovernedRequest;
  attribution: Readonly<Attribution>;
  parent: Context;
  span: Span;
}

/** @internal */
export interface CallState {
  id: string;
  span: Span;
  parent: Context;
  request: GovernedRequest;
  attribution: Readonly<Attribution>;
  price: ModelPrice | undefined;
  priced: boolean;
  reservedMicros: number;
  reservedTokens: number;
  hasLines: boolean;
  lines: BudgetLine[];
  firstLine: LineState | undefined;
  startedAt: number;
  firstChunkAt?: number;
  decision: Decision;
}

class Call implements GovernedCall {
  private settled: Promise<void> | undefined;

  constructor(
    private readonly governor: Governor,
    private readonly state: CallState,
  ) {}

  get id(): string {
    return this.state.id;
  }
  get attribution(): Readonly<Attribution> {
    return this.state.attribution;
  }
  get span(): Span {
    return this.state.span;
  }

  runInContext<T>(fn: () => T): T {
    return context.with(trace.setSpan(this.state.parent, this.state.span), fn);
  }

  firstChunk(): void {
    if (this.state.firstChunkAt === undefined) this.state.firstChunkAt = performance.now();
  }

  end(outcome: CallOutcome): Promise<void> {
    this.settled ??= this.governor.finish(this.state, outcome, undefined);
    return this.settled;
  }

  fail(error: unknown, partial?: CallOutcome): Promise<void> {
    this.settled ??= this.governor.finish(
      this.state,
      partial ? { ...partial, incomplete: true } : {},
      error ?? new Error('unknown error'),
    );
    return this.settled;
  }
}

/** The budget line with the least room left (USD lines first): the one worth showing on the span. */
function tightest(lines: readonly LineState[]): LineState | undefined {
  let best: LineState | undefined;
  for (const line of lines) {
    if (
      !best ||
      (line.unit === 'USD' && best.unit !== 'USD') ||
      (line.unit === best.unit && line.limit - line.used - line.reserved < best.limit - best.used - best.reserved)
    )
      best = line;
  }
  return best;
}

function normalizeApproval(answer: ApprovalDecision): NonNullable<DecisionRecord['approval']> {
  if (typeof answer === 'boolean') return { status: answer ? 'approved' : 'denied', decidedBy: 'approver' };
  return {
    status: answer.approved ? 'approved' : 'denied',
    decidedBy: answer.approver ?? 'approver',
    ...(answer.reason ? { reason: answer.reason } : {}),
  };
}

/** The environment a call is attributed to: its attribution, else NODE_ENV, else `development`. */
function environmentOf(attribution: Readonly<Attribution>): string {
  return attribution.environment ?? process.env.NODE_ENV ?? 'development';
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

function errorTypeOf(error: unknown): string {
  if (error && typeof error === 'object') {
    const name = (error as Error).constructor?.name;
    if (name && name !== 'Object') return name;
    if ((error as Error).name) return (error as Error).name;
  }
  return '_OTHER';
}

/** Telemetry and hooks must never break the host call. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    diag.warn('genops: telemetry or hook error (ignored)', error);
  }
}
