import { AsyncLocalStorage } from 'node:async_hooks';
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
import { type ApprovalAsk, Approvals, holdForApproval } from './approval/approvals';
import { resolveAttribution } from './attribution';
import type { AuditTrail } from './audit/audit-trail';
import { type Budget, linesFor, RATE_PREFIX, rateLinesFor } from './budget/budget-set';
import type { BudgetAlert, DecisionRecord, ResolvedOptions } from './config';
import { ApprovalDeniedError, ApprovalTimeoutError } from './errors/approval-denied-error';
import { BudgetExceededError } from './errors/budget-exceeded-error';
import type { GovernanceError } from './errors/governance-error';
import { PolicyViolationError } from './errors/policy-violation-error';
import { RateLimitedError } from './errors/rate-limited-error';
import { ReservationFailedError } from './errors/reservation-failed-error';
import { StoreUnavailableError } from './errors/store-unavailable-error';
import { ruleDecisionOf, UNPRICED_TOOL, type WorstCase, worstCaseOf } from './governance-steps';
import { formatUsdExact, microsToUsd } from './money';
import type { CompiledPolicy } from './policy/compile';
import { createStreamScanner } from './policy/detectors/index';
import {
  describeCounts,
  type OutputContentRule as OutputRule,
  type PolicyEvaluation,
  subjectOf,
} from './policy/policy-engine';
import { costMicros } from './pricing/cost';
import type { PriceTable } from './pricing/price-table';
import type { ModelPrice, PriceMatch } from './pricing/types';
import * as sc from './semconv';
import { SettlementJournal } from './store/settlement-journal';
import type { ApprovalRecord, AuditEntry, BudgetLine, GovernanceStore, LineState, ReserveResult } from './store/types';
import type { Instruments } from './telemetry/instruments';
import type { Attribution, GovernedRequest, RequestEdits, ResponseInfo, Usage } from './types';

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
  /**
   * Changes the adapter must make to the request before sending it: a downgraded `model` and a `text`
   * rewrite (redaction). `undefined` when the request goes out as the caller wrote it.
   */
  readonly edits: RequestEdits | undefined;
  /** Runs `fn` with the AWU span active, so spans the SDK creates nest under it. */
  runInContext<T>(fn: () => T): T;
  /** Marks the first streamed chunk (time to first chunk). */
  firstChunk(): void;
  /**
   * Checks streamed output text against output content rules. Returns the error to end the stream with
   * when an enforcing rule matched (the adapter stops reading and throws it); otherwise `undefined`.
   */
  checkOutput(textDelta: string): GovernanceError | undefined;
  end(outcome: CallOutcome): Promise<void>;
  /**
   * Declares that the next model call an SDK adapter begins for `match` (same model, and a request
   * text containing `text`) is this call seen one layer down, for framework adapters whose hooks cannot
   * run the SDK call inside {@link runInContext} (callbacks): that call is not governed a second time,
   * and its usage fills in when this call's own outcome has none. Calls made inside `runInContext` are
   * recognised without this. Returns a function that withdraws the claim; ending the call withdraws it too.
   */
  adoptNextCall(match: { model?: string; text?: string }): () => void;
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
  constraint: 'none' | 'policy' | 'budget_limit' | 'approval' | 'pricing' | 'rate_limit';
}

type ApprovalInfo = NonNullable<DecisionRecord['approval']>;

export interface GovernorDependencies {
  options: ResolvedOptions;
  policy: CompiledPolicy;
  store: GovernanceStore;
  prices: PriceTable;
  tracer: Tracer;
  instruments: Instruments | undefined;
  captureContent: boolean;
  audit?: AuditTrail | undefined;
}

/** The governed-call pipeline: attribution → policy → reservation → approval → (execute) → settle → telemetry. */
export class Governor {
  readonly store: GovernanceStore;
  /** Approve or deny held calls (any process sharing the store can). */
  readonly approvals: Approvals;
  private policy: CompiledPolicy;
  private readonly options: ResolvedOptions;
  private readonly prices: PriceTable;
  /** The tracer of GenOps' spans; framework adapters start their workflow, agent and step spans on it. */
  readonly tracer: Tracer;
  private readonly instruments: Instruments | undefined;
  private readonly defaults: Readonly<Attribution>;
  private readonly captureContent: boolean;
  private readonly fallbackPrice: ModelPrice | undefined;
  private readonly audit: AuditTrail | undefined;
  /** Alert keys this process already saw fire (saves a store round trip per call once over a threshold). */
  private readonly firedAlerts = new Map<string, number>();
  /** Settlements the store could not take yet; replayed when it answers again. */
  readonly journal: SettlementJournal;
  /** Model calls framework adapters expect an SDK adapter to begin next (see `adoptNextCall`). */
  private readonly claims: Claim[] = [];

  constructor(dependencies: GovernorDependencies) {
    const { options } = dependencies;
    this.options = options;
    this.policy = dependencies.policy;
    this.store = dependencies.store;
    this.approvals = new Approvals(this.store);
    this.journal = new SettlementJournal(this.store, options.journalFile ? { file: options.journalFile } : {});
    this.prices = dependencies.prices;
    this.tracer = dependencies.tracer;
    this.instruments = dependencies.instruments;
    this.captureContent = dependencies.captureContent;
    this.audit = dependencies.audit;
    this.defaults = Object.freeze({ ...(options.defaults ?? {}) });
    // The policy in force from the start is on the record too, not only later reloads.
    this.recordAudit({
      type: 'policy',
      at: Date.now(),
      subject: this.policy.version,
      data: { source: 'init', rules: this.policy.engine.document.rules.length, budgets: this.policy.budgets.length },
    });
    this.fallbackPrice = typeof options.unknownModel === 'object' ? (options.unknownModel as ModelPrice) : undefined;
  }

  /** Budgets of the current policy. */
  get budgets(): readonly Budget[] {
    return this.policy.budgets;
  }

  /** The policy in force (swapped as one reference when the policy file changes). */
  get currentPolicy(): CompiledPolicy {
    return this.policy;
  }

  /** Replaces the policy for calls that begin from now on; calls already running keep theirs. */
  setPolicy(policy: CompiledPolicy, source?: string): void {
    const previous = this.policy.version;
    this.policy = policy;
    this.recordAudit({
      type: 'policy',
      at: Date.now(),
      subject: policy.version,
      data: {
        previous,
        ...(source ? { source } : {}),
        rules: policy.engine.document.rules.length,
        budgets: policy.budgets.length,
      },
    });
  }

  /** The price the governor uses for a model, or `undefined` when it has none. */
  priceOf(provider: string, model: string): PriceMatch | undefined {
    return this.prices.lookup(provider, model);
  }

  /**
   * Runs the pre-execution half of the pipeline. Resolves to a {@link GovernedCall} when the call may
   * proceed; rejects with a {@link GovernanceError} (recorded on a finished span) when it may not.
   * `parent` is the context the call's span starts in (default: the active context).
   */
  async begin(request: GovernedRequest, options: { parent?: Context } = {}): Promise<GovernedCall> {
    const enclosing = this.enclosingCall(request);
    if (enclosing) return enclosing.nested();
    const startedAt = performance.now();
    const unit: Unit = {
      id: randomUUID(),
      request,
      attribution: resolveAttribution(this.defaults),
      // Callback-based frameworks know the parent run's span but cannot make it the active context.
      parent: options.parent ?? context.active(),
      span: undefined as unknown as Span,
      policy: this.policy,
    };
    unit.span = this.startSpan(request, unit.attribution, unit.parent);
    return this.admit(unit, request, startedAt, undefined);
  }

  /**
   * The governed model call `request` is part of, when a framework adapter already governs it: the call
   * whose {@link GovernedCall.runInContext} is active, else one that claimed it with
   * {@link GovernedCall.adoptNextCall}. Such a request is not reserved, checked or counted again.
   */
  private enclosingCall(request: GovernedRequest): Call | undefined {
    if (!MODEL_OPERATIONS.has(request.operation)) return undefined;
    const active = activeCall.getStore();
    if (active?.open && MODEL_OPERATIONS.has(active.operation)) return active;
    if (this.claims.length === 0) return undefined;
    const now = performance.now();
    let texts: string[] | undefined;
    for (let index = 0; index < this.claims.length; index++) {
      const claim = this.claims[index]!;
      if (!claim.call.open || claim.expiresAt < now) {
        this.claims.splice(index--, 1);
        continue;
      }
      if (claim.model !== undefined && claim.model !== request.model) continue;
      if (claim.text !== undefined) {
        texts ??= safeTexts(request);
        const needle = claim.text;
        if (!texts.some((text) => text.includes(needle))) continue;
      }
      this.claims.splice(index, 1);
      return claim.call;
    }
    return undefined;
  }

  /** @internal See {@link GovernedCall.adoptNextCall}. */
  claimNext(call: Call, match: { model?: string; text?: string }): () => void {
    const claim: Claim = { call, ...match, expiresAt: performance.now() + CLAIM_TTL_MS };
    if (this.claims.length >= 1000) this.claims.shift();
    this.claims.push(claim);
    return () => {
      const index = this.claims.indexOf(claim);
      if (index >= 0) this.claims.splice(index, 1);
    };
  }

  /** Policy, price, reservation and approval for `request` (called again with the cheaper model after a downgrade). */
  private async admit(
    unit: Unit,
    request: GovernedRequest,
    startedAt: number,
    downgrade: { from: string; budget: string } | undefined,
  ): Promise<GovernedCall> {
    const { policy, span } = unit;
    unit.request = request;
    const cost = this.worstCase(request);
    const now = Date.now();
    const evaluation = policy.engine.evaluate({
      request,
      attribution: unit.attribution,
      outputBound: cost.outputBound,
      worstCaseMicros: cost.worstMicros,
      now,
    });
    const decision = this.decide(evaluation);
    if (downgrade) unit.downgradedFrom = downgrade.from;
    // Set afresh on each admission: after a downgrade only the cheaper model's findings count.
    unit.redactions = evaluation.redaction?.counts;
    unit.shadow =
      evaluation.shadow.length > 0 ? evaluation.shadow.map((found) => `${found.rule}:${found.reasonCode}`) : undefined;
    safely(() => {
      span.setAttribute(sc.ATTR_GENOPS_RESERVATION_OUTPUT_BOUND, cost.outputBoundSource);
      if (cost.match) span.setAttribute(sc.ATTR_GENOPS_COST_PRICE_MODEL, cost.match.model);
      else if (cost.price !== UNPRICED_TOOL) span.setAttribute(sc.ATTR_GENOPS_COST_ESTIMATED, true);
      if (evaluation.redaction) {
        const counts = evaluation.redaction.counts;
        span.setAttribute(
          sc.ATTR_GENOPS_CONTENT_REDACTIONS,
          Object.entries(counts).map(([kind, count]) => `${kind}:${count}`),
        );
        span.setAttribute(
          sc.ATTR_GENOPS_CONTENT_REDACTED_COUNT,
          Object.values(counts).reduce((sum, count) => sum + count, 0),
        );
      }
    });
    // Opt-in content capture happens after the rules: a request the rules denied is never recorded (its
    // text may be why), and a redacted one is recorded as it is sent.
    if (this.captureContent && request.content && decision.result !== 'BLOCKED')
      this.recordContent(span, request, evaluation.redaction?.rewrite);
    if (decision.result === 'BLOCKED') {
      const error = new PolicyViolationError({
        rule: decision.rule!,
        reasonCode: decision.reasonCode!,
        message: decision.message!,
      });
      throw this.block(unit, decision, error);
    }
    if (!cost.price) this.handleUnknownPrice(unit, decision);

    // Reservation: the worst case, in every matching rate limit and budget, all or nothing.
    const reservedMicros = cost.worstMicros ?? 0;
    // The same facts `when` selectors match on (attribution, provider, model, operation, tool).
    const subject = subjectOf({ request, attribution: unit.attribution });
    const lines = [
      ...(policy.rateLimits.length === 0 ? [] : rateLinesFor(policy.rateLimits, subject, cost.worstTokens)),
      ...(policy.budgets.length === 0
        ? []
        : linesFor(policy.budgets, subject, { micros: reservedMicros, tokens: cost.worstTokens }, now)),
    ];
    let approval: ApprovalInfo | undefined;
    let reserved: LineState[] = [];
    if (lines.length > 0) {
      const outcome = await this.reserve(unit, lines, decision, reservedMicros, downgrade);
      if ('call' in outcome) return outcome.call(startedAt);
      reserved = outcome.lines;
      approval = outcome.approval;
    }
    safely(() => {
      span.addEvent(sc.EVENT_GENOPS_BUDGET_RESERVATION, {
        [sc.ATTR_GENOPS_ACCOUNTING_RESERVED]: microsToUsd(reservedMicros),
        [sc.ATTR_GENOPS_ACCOUNTING_UNIT]: 'USD',
        ...(reserved[0] ? { [sc.ATTR_GENOPS_BUDGET_NAME]: reserved[0].budget } : {}),
      });
      span.setAttribute(sc.ATTR_GENOPS_ACCOUNTING_RESERVED, microsToUsd(reservedMicros));
      span.setAttribute(sc.ATTR_GENOPS_ACCOUNTING_UNIT, 'USD');
    });
    if (lines.length > 0)
      this.recordAudit({
        type: 'reservation',
        at: Date.now(),
        subject: unit.id,
        data: {
          reservedUsd: microsToUsd(reservedMicros),
          lines: lines.map((line) => ({ key: line.key, unit: line.unit, amount: line.amount, enforce: line.enforce })),
          leaseMs: this.options.reservationLeaseMs,
        },
      });

    // Approval: over the cost threshold, or a tool rule; the reservation is held while someone decides.
    const ask = approval ? undefined : this.approvalAsk(unit, evaluation, reservedMicros);
    safely(() =>
      span.setAttribute(sc.ATTR_GENOPS_GOVERNANCE_APPROVAL_REQUIRED, ask !== undefined || approval !== undefined),
    );
    if (ask) approval = await this.approve(unit, ask, reservedMicros, lines.length > 0);
    if (approval && decision.constraint === 'none') decision.constraint = 'approval';

    this.recordDecision(unit, decision, microsToUsd(reservedMicros), approval);
    this.notify({ ...unit, decision, reserved: microsToUsd(reservedMicros), approval, phase: 'decided' });
    const edits: RequestEdits = {};
    if (downgrade) edits.model = request.model;
    if (evaluation.redaction) edits.text = evaluation.redaction.rewrite;
    return new Call(this, {
      ...unit,
      price: cost.price,
      priced: cost.match !== undefined || cost.price === UNPRICED_TOOL,
      reservedMicros,
      reservedTokens: cost.worstTokens,
      hasLines: lines.length > 0,
      lines,
      firstLine: tightest(reserved.filter((line) => !line.budget.startsWith(RATE_PREFIX))),
      startedAt,
      executionStartedAt: performance.now(),
      decision,
      edits: edits.model !== undefined || edits.text !== undefined ? edits : undefined,
    });
  }

  private recordContent(span: Span, request: GovernedRequest, rewrite: ((text: string) => string) | undefined): void {
    safely(() => {
      const content = request.content!();
      const shown = (value: unknown) => JSON.stringify(rewrite ? rewriteStrings(value, rewrite) : value);
      if (content.input !== undefined) span.setAttribute(sc.ATTR_GEN_AI_INPUT_MESSAGES, shown(content.input));
      if (content.system !== undefined) span.setAttribute(sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, shown(content.system));
    });
  }

  /** What approval a call needs before it runs (cost threshold or tool rule), if any. */
  private approvalAsk(unit: Unit, evaluation: PolicyEvaluation, reservedMicros: number): ApprovalAsk | undefined {
    const { overMicros, overUsd } = unit.policy.approvals;
    if (overMicros !== undefined && reservedMicros > overMicros)
      return this.ask(
        unit,
        reservedMicros,
        'requireApprovalOver',
        `may cost ${formatUsdExact(reservedMicros)}, over the approval threshold of $${overUsd} (requireApprovalOver / approvals.over)`,
      );
    if (evaluation.approval)
      return this.ask(unit, reservedMicros, evaluation.approval.rule, evaluation.approval.reason);
    return undefined;
  }

  private ask(unit: Unit, reservedMicros: number, rule: string, reason: string): ApprovalAsk {
    const { request } = unit;
    const attribution: Record<string, string> = {};
    for (const [key, value] of Object.entries(unit.attribution)) if (value !== undefined) attribution[key] = value;
    return {
      id: unit.id,
      reason,
      rule,
      provider: request.provider,
      model: request.model,
      operation: request.tool ? `${request.operation} ${request.tool.name}` : request.operation,
      attribution,
      estimatedCostUsd: microsToUsd(reservedMicros),
    };
  }

  /** The price, the output bound and the worst-case cost the reservation holds. */
  private worstCase(request: GovernedRequest): WorstCase {
    return worstCaseOf(this.prices, request, {
      fallbackPrice: this.fallbackPrice,
      defaultMaxOutputTokens: this.options.defaultMaxOutputTokens,
    });
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

  /**
   * Reserves in the store, all or nothing. A budget with no room denies the call (fail-closed), unless
   * its action is `approval` (held for approval, then reserved over the limit) or `downgrade` (the
   * call is admitted again with the cheaper model). A rate-limit line with no room rate-limits it.
   */
  private async reserve(
    unit: Unit,
    lines: BudgetLine[],
    decision: Decision,
    reservedMicros: number,
    downgrade: { from: string; budget: string } | undefined,
  ): Promise<
    { lines: LineState[]; approval: ApprovalInfo | undefined } | { call: (startedAt: number) => Promise<GovernedCall> }
  > {
    const { policy, request } = unit;
    let approval: ApprovalInfo | undefined;
    for (;;) {
      let outcome: ReserveResult;
      try {
        outcome = await this.store.reserve({ id: unit.id, lines, leaseMs: this.options.reservationLeaseMs });
      } catch (cause) {
        const reason = (cause as Error)?.message ?? String(cause);
        if (this.store.failMode === 'open') {
          // Fail-open: the call runs without a reservation; its settlement is journaled and replayed
          // into these lines when the store is back, so what it cost is still counted.
          unit.failOpenLines = lines;
          safely(() => unit.span.setAttribute(sc.ATTR_GENOPS_STORE_FAIL_OPEN, true));
          if (decision.result === 'ALLOWED')
            Object.assign(decision, {
              result: 'WARNING',
              reasonCode: 'BUDGET_RESERVATION_FAILED',
              rule: 'store',
              message: `the governance store (${this.store.kind}) is unavailable (${reason}); the call ran without a reservation (failMode: open)`,
              constraint: 'budget_limit',
            });
          return { lines: [], approval };
        }
        const message = `The governance store (${this.store.kind}) could not reserve this call's budget: ${reason}. The call was denied (failMode: closed). Retry when the store is back, or set failMode: 'open' on the store to let calls run unreserved.`;
        const blocked: Decision = {
          result: 'BLOCKED',
          reasonCode: 'BUDGET_RESERVATION_FAILED',
          rule: 'store',
          message,
          constraint: 'budget_limit',
        };
        throw this.block(
          unit,
          blocked,
          new StoreUnavailableError({ store: this.store.kind, operation: 'reserve', message, cause }),
        );
      }
      if (outcome.ok) {
        this.warnOverLimit(unit, policy, outcome.lines, lines, decision);
        return { lines: outcome.lines, approval };
      }
      const { failed, requested } = outcome;
      if (failed.budget.startsWith(RATE_PREFIX)) {
        const limit = policy.rateLimits.find((candidate) => `${RATE_PREFIX}${candidate.rule.name}` === failed.budget);
        const unitName = failed.unit === 'tokens' ? 'tokens' : 'requests';
        const windowText = limit ? `per ${limit.rule.window}` : '';
        const message = `Rate limit "${failed.budget.slice(RATE_PREFIX.length)}" (${failed.key}) allows ${failed.limit} ${unitName} ${windowText}; ${failed.used + failed.reserved} are used and this call needs ${requested}. Retry later, or raise the rule's limit.`;
        const blocked: Decision = {
          result: 'RATE_LIMITED',
          reasonCode: 'RATE_LIMITED',
          rule: failed.budget.slice(RATE_PREFIX.length),
          message,
          constraint: 'rate_limit',
        };
        throw this.block(
          unit,
          blocked,
          new RateLimitedError({
            rule: blocked.rule!,
            limitKey: failed.key,
            limit: failed.limit,
            unit: unitName,
            windowMs: limit?.windowMs ?? 0,
            message,
          }),
        );
      }
      const budget = policy.budgets.find((candidate) => candidate.name === failed.budget);
      if (budget?.action === 'downgrade' && budget.downgradeTo && !downgrade && request.editable?.model) {
        const to = budget.downgradeTo;
        const cheaper: GovernedRequest = { ...request, model: to };
        safely(() => {
          const name = `${request.operation} ${to}`;
          unit.span.updateName(name);
          unit.span.setAttributes({
            [sc.ATTR_GEN_AI_REQUEST_MODEL]: to,
            [sc.ATTR_GENOPS_MODEL]: to,
            [sc.ATTR_GENOPS_OPERATION_NAME]: name,
            [sc.ATTR_GENOPS_DOWNGRADE_ORIGINAL_MODEL]: request.model,
            [sc.ATTR_GENOPS_DOWNGRADE_BUDGET]: budget.name,
          });
        });
        return {
          call: (startedAt) => this.admit(unit, cheaper, startedAt, { from: request.model, budget: budget.name }),
        };
      }
      if (budget?.action === 'approval' && !approval) {
        const used = failed.used + failed.reserved;
        const shown = (value: number) =>
          failed.unit === 'USD' ? formatUsdExact(value) : `${value} ${failed.unit === 'tokens' ? 'tokens' : 'calls'}`;
        const ask = this.ask(
          unit,
          reservedMicros,
          `budget:${budget.name}`,
          `budget "${budget.name}" (${failed.key}) has ${shown(Math.max(0, failed.limit - used))} left of ${shown(failed.limit)} and this call needs up to ${shown(requested)}`,
        );
        approval = await this.approve(unit, ask, reservedMicros, false);
        // Approved: reserve again with this budget counted but not refusing.
        lines = lines.map((line) => (line.budget === budget.name ? { ...line, enforce: false } : line));
        continue;
      }
      const unitValue = (value: number) => (failed.unit === 'USD' ? microsToUsd(value) : value);
      const downgradeNote =
        budget?.action === 'downgrade'
          ? downgrade
            ? ` (already downgraded from ${downgrade.from})`
            : request.editable?.model
              ? ''
              : ' (this SDK call cannot be downgraded by GenOps)'
          : '';
      const error = new BudgetExceededError({
        budget: failed.budget,
        budgetKey: failed.key,
        ...(downgradeNote ? { note: downgradeNote.trim() } : {}),
        limit: unitValue(failed.limit),
        used: unitValue(failed.used + failed.reserved),
        requested: unitValue(requested),
        unit: failed.unit === 'USD' ? 'USD' : failed.unit === 'tokens' ? 'tokens' : 'calls',
        period: budget ? periodWord(budget) : 'budget',
      });
      const blocked: Decision = {
        result: 'BLOCKED',
        reasonCode: 'BUDGET_EXCEEDED',
        rule: `budget:${failed.budget}`,
        message: error.message,
        constraint: 'budget_limit',
      };
      safely(() => this.setBudgetAttributes(unit.span, failed, 0));
      if (approval) await this.releaseQuietly(unit.id, false);
      throw this.block(unit, blocked, error, undefined, approval);
    }
  }

  /** Non-refusing lines over their limit turn an ALLOWED call into a WARNING (rate limits in shadow mode only record). */
  private warnOverLimit(
    unit: Unit,
    policy: CompiledPolicy,
    states: readonly LineState[],
    lines: readonly BudgetLine[],
    decision: Decision,
  ): void {
    for (const [index, state] of states.entries()) {
      const line = lines[index];
      if (!line || line.enforce || state.used + state.reserved <= state.limit) continue;
      if (state.budget.startsWith(RATE_PREFIX)) {
        const name = state.budget.slice(RATE_PREFIX.length);
        const rule = policy.rateLimits.find((candidate) => candidate.rule.name === name)?.rule;
        if (rule?.mode === 'shadow') {
          unit.shadow = [...(unit.shadow ?? []), `${name}:RATE_LIMITED`];
          continue;
        }
        if (decision.result === 'ALLOWED')
          Object.assign(decision, {
            result: 'WARNING',
            reasonCode: 'RATE_LIMITED',
            rule: name,
            message: `rate limit "${name}" is over its limit (warn mode)`,
            constraint: 'rate_limit',
          });
        continue;
      }
      const budget = policy.budgets.find((candidate) => candidate.name === state.budget);
      if (decision.result === 'ALLOWED')
        Object.assign(decision, {
          result: 'WARNING',
          reasonCode: 'BUDGET_EXCEEDED',
          rule: `budget:${state.budget}`,
          message:
            budget?.action === 'approval'
              ? `budget "${state.budget}" is over its limit (approved)`
              : `budget "${state.budget}" is over its limit (action: warn)`,
          constraint: budget?.action === 'approval' ? 'approval' : 'budget_limit',
        });
    }
  }

  /** Holds the call for approval; on a denial or timeout, releases the reservation and denies. */
  private async approve(
    unit: Unit,
    ask: ApprovalAsk,
    reservedMicros: number,
    hasLines: boolean,
  ): Promise<ApprovalInfo> {
    const { span } = unit;
    const settings = unit.policy.approvals;
    safely(() => {
      span.setAttribute(sc.ATTR_GENOPS_APPROVAL_ID, unit.id);
      span.setAttribute(sc.ATTR_GENOPS_GOVERNANCE_APPROVAL_REQUIRED, true);
      span.addEvent(sc.EVENT_GENOPS_APPROVAL_REQUESTED, {
        [sc.ATTR_GENOPS_APPROVAL_ID]: unit.id,
        [sc.ATTR_GENOPS_ACCOUNTING_RESERVED]: microsToUsd(reservedMicros),
        [sc.ATTR_GENOPS_POLICY_NAME]: ask.rule,
      });
    });
    this.recordAudit({
      type: 'approval',
      at: Date.now(),
      subject: unit.id,
      data: { status: 'pending', rule: ask.rule, reason: ask.reason, estimatedCostUsd: ask.estimatedCostUsd },
    });
    let record: ApprovalRecord;
    try {
      record = await holdForApproval(
        this.store,
        ask,
        {
          timeoutMs: settings.timeoutMs,
          onTimeout: settings.onTimeout,
          approver: this.options.approver,
          onApprovalRequired: this.options.onApprovalRequired,
          thresholdUsd: ask.rule === 'requireApprovalOver' ? (settings.overUsd ?? 0) : 0,
          ...(!this.options.approver && !this.options.onApprovalRequired && this.store.kind === 'memory'
            ? {
                denyAtOnce:
                  'no approver is configured (GenOps.init({ approver }) or onApprovalRequired), and no other process shares the in-memory store to decide',
              }
            : {}),
        },
        { request: unit.request, attribution: unit.attribution },
      );
    } catch (cause) {
      await this.releaseQuietly(unit.id, hasLines);
      const message = `The governance store (${this.store.kind}) could not hold approval ${unit.id}: ${(cause as Error)?.message ?? cause}. The call was denied: an approval needs the store.`;
      const blocked: Decision = {
        result: 'BLOCKED',
        reasonCode: 'BUDGET_RESERVATION_FAILED',
        rule: 'store',
        message,
        constraint: 'approval',
      };
      throw this.block(
        unit,
        blocked,
        new StoreUnavailableError({ store: this.store.kind, operation: 'approval', message, cause }),
      );
    }
    const approval: ApprovalInfo = {
      status: record.status === 'approved' ? 'approved' : record.status === 'timed_out' ? 'timed_out' : 'denied',
      ...(record.decidedBy ? { decidedBy: record.decidedBy } : {}),
      ...(record.decisionReason ? { reason: record.decisionReason } : {}),
    };
    safely(() => {
      span.setAttribute(sc.ATTR_GENOPS_APPROVAL_STATUS, approval.status);
      if (approval.decidedBy) span.setAttribute(sc.ATTR_GENOPS_APPROVAL_DECIDED_BY, approval.decidedBy);
      span.addEvent(sc.EVENT_GENOPS_APPROVAL_DECIDED, {
        [sc.ATTR_GENOPS_APPROVAL_ID]: unit.id,
        [sc.ATTR_GENOPS_APPROVAL_STATUS]: approval.status,
        ...(approval.decidedBy ? { [sc.ATTR_GENOPS_APPROVAL_DECIDED_BY]: approval.decidedBy } : {}),
      });
    });
    this.recordAudit({
      type: 'approval',
      at: Date.now(),
      subject: unit.id,
      data: { status: approval.status, rule: ask.rule, decidedBy: approval.decidedBy, reason: approval.reason },
    });
    if (approval.status === 'approved') return approval;
    await this.releaseQuietly(unit.id, hasLines);
    const timedOut = approval.status === 'timed_out';
    const why = `a call that ${ask.reason}`;
    const message = timedOut
      ? `Approval ${unit.id} for ${why} timed out after ${settings.timeoutMs} ms; the timeout decision is deny. Decide sooner (GenOps.current.approvals.approve('${unit.id}') from any process sharing the store), or raise the timeout (approvalTimeoutMs / approvals.timeout) or change its decision (approvalTimeoutDecision / approvals.onTimeout).`
      : `Approval ${unit.id} for ${why} was denied${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}${approval.reason ? `: ${approval.reason}` : ''}.`;
    const blocked: Decision = {
      result: 'BLOCKED',
      reasonCode: timedOut ? 'x_approval_timeout' : 'x_approval_denied',
      rule: ask.rule,
      message,
      constraint: 'approval',
    };
    const details = {
      approvalId: unit.id,
      message,
      ...(approval.decidedBy ? { decidedBy: approval.decidedBy } : {}),
      ...(approval.reason ? { reason: approval.reason } : {}),
    };
    const error = timedOut ? new ApprovalTimeoutError(details) : new ApprovalDeniedError(details);
    throw this.block(unit, blocked, error, microsToUsd(reservedMicros), approval);
  }

  private decide(evaluation: PolicyEvaluation): Decision {
    const decision = ruleDecisionOf(evaluation);
    return { ...decision, constraint: decision.result === 'ALLOWED' ? 'none' : 'policy' };
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
    try {
      return this.tracer.startSpan(operationName, { kind: SpanKind.CLIENT, attributes }, parent);
    } catch (error) {
      diag.warn('genops: could not start a span', error);
      return trace.wrapSpanContext(
        trace.getSpanContext(parent) ?? { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 },
      );
    }
  }

  private recordDecision(unit: Unit, decision: Decision, reserved?: number, approval?: ApprovalInfo): void {
    const { span } = unit;
    this.recordAudit({
      type: 'decision',
      at: Date.now(),
      subject: unit.id,
      data: {
        result: decision.result,
        reasonCode: decision.reasonCode,
        rule: decision.rule,
        policyVersion: unit.policy.version,
        provider: unit.request.provider,
        model: unit.request.model,
        operation: unit.request.operation,
        tool: unit.request.tool?.name,
        attribution: { ...unit.attribution },
        reservedUsd: reserved,
        approval: approval?.status,
        downgradedFrom: unit.downgradedFrom,
        redactions: unit.redactions,
        shadow: unit.shadow,
      },
    });
    safely(() => {
      const attributes: Attributes = { [sc.ATTR_GENOPS_POLICY_RESULT]: decision.result };
      if (decision.reasonCode) attributes[sc.ATTR_GENOPS_POLICY_REASON_CODE] = decision.reasonCode;
      if (decision.rule) attributes[sc.ATTR_GENOPS_POLICY_NAME] = decision.rule;
      if (decision.message) attributes[sc.ATTR_GENOPS_POLICY_REASON] = decision.message;
      attributes[sc.ATTR_GENOPS_POLICY_TIMESTAMP] = Date.now();
      span.setAttributes(attributes);
      span.setAttribute(sc.ATTR_GENOPS_POLICY_MODE, unit.policy.engine.mode);
      // Shadow-mode findings: what would have been decided, never enforced.
      const firstShadow = unit.shadow?.[0];
      if (firstShadow !== undefined) {
        const code = firstShadow.slice(firstShadow.lastIndexOf(':') + 1);
        span.setAttribute(sc.ATTR_GENOPS_POLICY_SHADOW_RESULT, code === 'RATE_LIMITED' ? 'RATE_LIMITED' : 'BLOCKED');
        span.setAttribute(sc.ATTR_GENOPS_POLICY_SHADOW_REASON_CODE, code);
        span.setAttribute(sc.ATTR_GENOPS_POLICY_SHADOW_RULES, unit.shadow!);
      }
      span.setAttribute(sc.ATTR_GENOPS_POLICY_VERSION, unit.policy.version);
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
    this.recordDecision(unit, decision, reserved, approval);
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

  /** Budget alerts: each `warnAt` threshold fires once per budget instance and period, across processes. */
  private async checkAlerts(state: CallState, settled: readonly LineState[]): Promise<void> {
    for (const [index, line] of settled.entries()) {
      if (line.budget.startsWith(RATE_PREFIX) || line.limit <= 0) continue;
      const budget = state.policy.budgets.find((candidate) => candidate.name === line.budget);
      if (!budget || budget.warnAt.length === 0) continue;
      const configured = state.lines.find((candidate) => candidate.key === line.key) ?? state.lines[index];
      for (const threshold of budget.warnAt) {
        if (line.used < threshold * line.limit) continue;
        const key = `alert|${line.key}|${threshold}`;
        const now = Date.now();
        // Seen here already, and the store's mark has not expired yet (rolling windows re-arm after a window).
        if ((this.firedAlerts.get(key) ?? 0) > now) continue;
        const expiresAt =
          configured?.expiresAt ?? (configured?.rolling ? now + configured.rolling.windowMs : undefined);
        let first: boolean;
        try {
          first = await this.store.markOnce(key, expiresAt);
        } catch (error) {
          diag.warn('genops: could not record a budget alert (will retry on the next call)', error);
          continue;
        }
        if (this.firedAlerts.size >= 10_000) this.firedAlerts.clear();
        // Until the mark expires; a mark we did not set (another process did) is re-checked after a minute.
        this.firedAlerts.set(key, first ? (expiresAt ?? Number.POSITIVE_INFINITY) : now + 60_000);
        if (first) this.emitAlert(state, budget, line, threshold);
      }
    }
  }

  private emitAlert(state: CallState, budget: Budget, line: LineState, threshold: number): void {
    const value = (amount: number) => (line.unit === 'USD' ? microsToUsd(amount) : amount);
    const period = line.key.slice(line.key.lastIndexOf('|') + 1);
    const alert: BudgetAlert = {
      budget: budget.name,
      key: line.key,
      period,
      threshold,
      unit: budget.unit,
      limit: value(line.limit),
      used: value(line.used),
      callId: state.id,
      at: Date.now(),
    };
    safely(() =>
      state.span.addEvent(sc.EVENT_GENOPS_BUDGET_ALERT, {
        [sc.ATTR_GENOPS_BUDGET_NAME]: budget.name,
        [sc.ATTR_GENOPS_BUDGET_THRESHOLD]: threshold,
        [sc.ATTR_GENOPS_BUDGET_ALLOCATED]: alert.limit,
        [sc.ATTR_GENOPS_BUDGET_CONSUMED]: alert.used,
        [sc.ATTR_GENOPS_BUDGET_PERIOD]: period,
        [sc.ATTR_GENOPS_ACCOUNTING_UNIT]: budget.unit,
      }),
    );
    const hook = this.options.onBudgetAlert;
    if (hook) safely(() => hook(alert));
    const webhook = state.policy.alerts.webhook;
    if (webhook) {
      fetch(webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'genops.budget.alert', ...alert }),
        signal: AbortSignal.timeout(5_000),
      })
        .then((response) => {
          if (!response.ok) diag.warn(`genops: budget alert webhook answered ${response.status}`);
        })
        .catch((error) => diag.warn('genops: budget alert webhook failed', error));
    }
  }

  private recordAudit(entry: AuditEntry): void {
    if (!this.audit) return;
    try {
      this.audit.record(entry);
    } catch (error) {
      diag.error('genops: could not record an audit entry', error);
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
    // The call's own latency, before GenOps settles (store time is not the provider's).
    const latencyMs = performance.now() - state.executionStartedAt;
    const partial = error !== undefined && outcome.incomplete === true;
    // A tool call has no token usage: it is complete without one, and costs what its price says per call (0).
    const tool = request.operation === 'execute_tool';
    const incomplete =
      partial || (error === undefined && (outcome.incomplete === true || (usage === undefined && !tool)));
    let actualMicros: number;
    let estimated = !state.priced;
    if (outcome.reportedCostUsd !== undefined && Number.isFinite(outcome.reportedCostUsd)) {
      actualMicros = Math.round(outcome.reportedCostUsd * 1_000_000);
    } else if (error !== undefined && usage === undefined && !partial) {
      // The provider refused or failed the request: nothing billable was produced.
      actualMicros = 0;
    } else if (tool && usage === undefined && state.price) {
      actualMicros = costMicros(state.price, { inputTokens: 0, outputTokens: 0 });
    } else if (usage === undefined || !state.price) {
      // No usage to price: settle from the reservation (the worst case), flagged incomplete.
      actualMicros = state.reservedMicros;
      estimated = true;
    } else {
      actualMicros = costMicros(state.price, usage);
    }
    const actualTokens = usage
      ? usage.inputTokens + usage.outputTokens
      : (error !== undefined && !partial) || tool
        ? 0
        : state.reservedTokens;

    let settled: LineState[] = [];
    let open = true;
    const amounts = { USD: actualMicros, tokens: actualTokens, requests: 1 };
    if (state.failOpenLines && state.failOpenLines.length > 0) {
      // Ran fail-open without a reservation: commit what it cost once the store answers again.
      open = false;
      this.journal.add({ id: state.id, actual: amounts, lines: state.failOpenLines, at: Date.now() });
    } else if (state.hasLines) {
      try {
        const result = await this.store.settle(state.id, amounts, state.lines);
        settled = result.lines;
        open = result.open;
      } catch (settleError) {
        open = false;
        // Never lost: journaled and replayed; until then the reservation's lease keeps the budget held.
        this.journal.add({ id: state.id, actual: amounts, lines: state.lines, at: Date.now() });
        diag.error(
          `genops: could not settle reservation ${state.id}; the settlement is journaled and replayed when the store is back`,
          settleError,
        );
      }
    }
    this.recordAudit({
      type: 'settlement',
      at: Date.now(),
      subject: state.id,
      data: {
        actualUsd: microsToUsd(actualMicros),
        reservedUsd: microsToUsd(state.reservedMicros),
        actualTokens,
        incomplete,
        estimated,
        leaseOpen: open,
        ...(errorTypeOf(error) !== '_OTHER' && error !== undefined ? { error: errorTypeOf(error) } : {}),
        ...(state.outputBlocked ? { outputBlocked: state.outputBlocked } : {}),
      },
    });
    if (settled.length > 0) await this.checkAlerts(state, settled);
    const sla = state.policy.engine.slaRules.length === 0 ? undefined : state.policy.engine.slaFor(subjectOf(state));

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
      if (sla) {
        const met = latencyMs <= sla.latencyMs;
        span.setAttributes({
          [sc.ATTR_GENOPS_SLA_TIER]: sla.tier ?? sla.name,
          [sc.ATTR_GENOPS_SLA_LATENCY_TARGET_MS]: sla.latencyMs,
          [sc.ATTR_GENOPS_SLA_ACTUAL_LATENCY_MS]: Math.round(latencyMs),
          [sc.ATTR_GENOPS_SLA_MET]: met,
        });
        if (!met) {
          span.addEvent(sc.EVENT_GENOPS_SLA_VIOLATION, {
            [sc.ATTR_GENOPS_POLICY_REASON_CODE]: 'SLA_LATENCY_VIOLATION',
            [sc.ATTR_GENOPS_POLICY_NAME]: sla.name,
            [sc.ATTR_GENOPS_SLA_LATENCY_TARGET_MS]: sla.latencyMs,
            [sc.ATTR_GENOPS_SLA_ACTUAL_LATENCY_MS]: Math.round(latencyMs),
          });
          diag.warn(
            `genops: SLA_LATENCY_VIOLATION: call ${state.id} took ${Math.round(latencyMs)} ms, over the ${sla.latencyMs} ms target of rule "${sla.name}"`,
          );
        }
      }
      const errorType = error === undefined ? undefined : errorTypeOf(error);
      if (errorType) {
        span.setAttribute(sc.ATTR_ERROR_TYPE, errorType);
        span.setAttribute(
          sc.ATTR_GENOPS_EXECUTION_REASON_CODE,
          state.outputBlocked ? 'POLICY_DENY_CONTENT' : 'PROVIDER_ERROR_UPSTREAM',
        );
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
  /** The policy in force when the call began (a reload does not change a call mid-way). */
  policy: CompiledPolicy;
  /** Fail-open: the lines the call would have reserved, settled later from the journal. */
  failOpenLines?: BudgetLine[];
  /** For the audit record: what the rules did besides deciding. */
  downgradedFrom?: string;
  redactions?: Record<string, number>;
  shadow?: string[];
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
  /** When the provider call started (after approval), for SLA latency. */
  executionStartedAt: number;
  firstChunkAt?: number;
  decision: Decision;
  policy: CompiledPolicy;
  edits: RequestEdits | undefined;
  /** The output rule that stopped a stream, if one did. */
  outputBlocked?: string;
  /** Fail-open: the lines to commit the actual amounts to when the store is back. */
  failOpenLines?: BudgetLine[];
}

class Call implements GovernedCall {
  private settled: Promise<void> | undefined;
  /** What SDK-level calls nested in this one reported (see `nested()`). */
  private inner: CallOutcome | undefined;
  private scanners: Array<{ rule: OutputRule; scanner: ReturnType<typeof createStreamScanner> }> | undefined;

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
  get edits(): RequestEdits | undefined {
    return this.state.edits;
  }

  checkOutput(textDelta: string): GovernanceError | undefined {
    if (this.state.outputBlocked) return undefined;
    const scanners = this.outputScanners();
    if (!scanners) return undefined;
    for (const { rule, scanner } of scanners) {
      const findings = scanner.push(textDelta);
      if (findings.length === 0) continue;
      const summary = this.recordOutputFindings(rule, findings, true);
      if (rule.mode !== 'enforce') continue;
      this.state.outputBlocked = rule.name;
      return new PolicyViolationError({
        rule: rule.name,
        reasonCode: 'POLICY_DENY_CONTENT',
        message: `The model's output contained ${summary}, which policy rule "${rule.name}" does not allow; the stream was stopped.`,
      });
    }
    return undefined;
  }

  /** Output rules that apply to this call, each with its own stream scanner (created on first use). */
  private outputScanners() {
    if (!this.scanners) {
      const rules = this.state.policy.engine.outputRules;
      if (rules.length === 0) return undefined;
      const subject = subjectOf(this.state);
      this.scanners = rules
        .filter((rule) => !rule.when || rule.when.matches(subject))
        .map((rule) => ({ rule, scanner: createStreamScanner(rule.detector) }));
    }
    return this.scanners.length === 0 ? undefined : this.scanners;
  }

  /** Records output findings on the span (kinds and counts only); `canAct` is false once the stream is over. */
  private recordOutputFindings(rule: OutputRule, findings: readonly { kind: string }[], canAct: boolean): string {
    const counts: Record<string, number> = {};
    for (const finding of findings) counts[finding.kind] = (counts[finding.kind] ?? 0) + 1;
    safely(() =>
      this.state.span.addEvent(sc.EVENT_GENOPS_POLICY_OUTPUT_EVALUATED, {
        [sc.ATTR_GENOPS_POLICY_RESULT]: rule.mode === 'enforce' && canAct ? 'BLOCKED' : 'WARNING',
        [sc.ATTR_GENOPS_POLICY_REASON_CODE]: 'POLICY_DENY_CONTENT',
        [sc.ATTR_GENOPS_POLICY_NAME]: rule.name,
        [sc.ATTR_GENOPS_POLICY_MODE]: rule.mode,
        [sc.ATTR_GENOPS_POLICY_PHASE]: canAct ? 'output' : 'output_end',
        [sc.ATTR_GENOPS_CONTENT_REDACTIONS]: Object.entries(counts).map(([kind, count]) => `${kind}:${count}`),
      }),
    );
    return describeCounts(counts);
  }

  /** The stream ended: findings the scanners still held (text at the very end) are recorded, too late to stop. */
  private endOutput(): void {
    if (!this.scanners || this.state.outputBlocked) return;
    for (const { rule, scanner } of this.scanners) {
      const findings = scanner.end();
      if (findings.length > 0) this.recordOutputFindings(rule, findings, false);
    }
  }

  runInContext<T>(fn: () => T): T {
    // The active call is kept in GenOps' own async context, so nesting is recognised with or without an
    // OpenTelemetry context manager registered.
    return activeCall.run(this, () => context.with(trace.setSpan(this.state.parent, this.state.span), fn));
  }

  /** Not yet settled. */
  get open(): boolean {
    return this.settled === undefined;
  }

  get operation(): string {
    return this.state.request.operation;
  }

  adoptNextCall(match: { model?: string; text?: string }): () => void {
    return this.governor.claimNext(this, match);
  }

  /** The view an SDK adapter gets of this call when it begins a call nested in it. */
  nested(): GovernedCall {
    const observe = (outcome: CallOutcome) => {
      this.inner = this.inner ? addOutcomes(this.inner, outcome) : outcome;
      return Promise.resolve();
    };
    return {
      id: this.id,
      attribution: this.attribution,
      span: this.span,
      edits: undefined,
      runInContext: (fn) => fn(),
      firstChunk: () => this.firstChunk(),
      checkOutput: () => undefined,
      end: observe,
      fail: (_error, partial) => (partial ? observe({ ...partial, incomplete: true }) : Promise.resolve()),
      adoptNextCall: (match) => this.adoptNextCall(match),
    };
  }

  firstChunk(): void {
    if (this.state.firstChunkAt === undefined) this.state.firstChunkAt = performance.now();
  }

  end(outcome: CallOutcome): Promise<void> {
    if (!this.settled) this.endOutput();
    this.settled ??= this.governor.finish(this.state, withInner(outcome, this.inner), undefined);
    return this.settled;
  }

  fail(error: unknown, partial?: CallOutcome): Promise<void> {
    const own = partial ? { ...partial, incomplete: true } : undefined;
    // A nested SDK call that reported usage before the framework call failed still produced billable output.
    const outcome = this.inner ? withInner(own ?? { incomplete: true }, this.inner) : (own ?? {});
    this.settled ??= this.governor.finish(this.state, outcome, error ?? new Error('unknown error'));
    return this.settled;
  }
}

const activeCall = new AsyncLocalStorage<Call>();
/** Operations that call a model (a framework's and an SDK's view of one such call are one unit). */
const MODEL_OPERATIONS: ReadonlySet<string> = new Set(['chat', 'text_completion', 'generate_content', 'embeddings']);
/** How long a claim waits for its SDK call (a framework begins the SDK call right after its hook returns). */
const CLAIM_TTL_MS = 60_000;

interface Claim {
  call: Call;
  model?: string;
  text?: string;
  expiresAt: number;
}

function safeTexts(request: GovernedRequest): string[] {
  try {
    return request.text?.() ?? [];
  } catch {
    return [];
  }
}

/** The outcome to settle: the framework's own, with usage, cost and response from nested SDK calls filling gaps. */
function withInner(own: CallOutcome, inner: CallOutcome | undefined): CallOutcome {
  if (!inner) return own;
  if (own.usage) return { ...own, reportedCostUsd: own.reportedCostUsd ?? inner.reportedCostUsd };
  return {
    ...own,
    usage: inner.usage,
    response: own.response ?? inner.response,
    reportedCostUsd: own.reportedCostUsd ?? inner.reportedCostUsd,
    incomplete: inner.usage ? inner.incomplete : own.incomplete,
  };
}

/** Two nested SDK calls inside one framework call (a retry with usage, say): their usage adds up. */
function addOutcomes(a: CallOutcome, b: CallOutcome): CallOutcome {
  const usage =
    a.usage && b.usage
      ? {
          inputTokens: a.usage.inputTokens + b.usage.inputTokens,
          outputTokens: a.usage.outputTokens + b.usage.outputTokens,
          ...sumOptional('cacheReadInputTokens', a.usage, b.usage),
          ...sumOptional('cacheWriteInputTokens', a.usage, b.usage),
          ...sumOptional('cacheWrite1hInputTokens', a.usage, b.usage),
          ...sumOptional('reasoningOutputTokens', a.usage, b.usage),
        }
      : (a.usage ?? b.usage);
  const reported =
    a.reportedCostUsd !== undefined || b.reportedCostUsd !== undefined
      ? (a.reportedCostUsd ?? 0) + (b.reportedCostUsd ?? 0)
      : undefined;
  return {
    usage,
    response: b.response ?? a.response,
    reportedCostUsd: reported,
    incomplete: a.incomplete === true || b.incomplete === true,
  };
}

function sumOptional(key: keyof Usage & `${string}Tokens`, a: Usage, b: Usage): Partial<Usage> {
  const x = a[key];
  const y = b[key];
  return x === undefined && y === undefined ? {} : { [key]: (x ?? 0) + (y ?? 0) };
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

/** How a budget's window reads in messages: `day`, `month`, `24h window`, `budget` (total). */
function periodWord(budget: Budget): string {
  if (budget.window.kind === 'rolling') return `${budget.windowLabel} window`;
  return budget.window.window === 'total' ? 'budget' : budget.window.window;
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

/** `error.type` of an error: its class name, else its `name`, else `_OTHER` (the semconv fallback). */
export function errorTypeOf(error: unknown): string {
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
