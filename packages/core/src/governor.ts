// The governed-call pipeline as a composition of stages (packages/core/src/pipeline/): following one
// request, begin → price → evaluate → reserve (a downgrade re-enters admission) → approve → decide,
// then, when the adapter reports the outcome, actual cost → settle → alerts → record. Each stage is a
// module with a narrow interface; the call recorder writes every lifecycle event to the span, the audit
// trail, the hooks and the metrics. With the in-memory store, a call waits on no promise of GenOps' own.
import { type Context, context, diag, type Tracer } from '@opentelemetry/api';
import { Approvals } from './approval/approvals';
import { resolveAttribution } from './attribution';
import type { AuditTrail } from './audit/audit-trail';
import { type Budget, RATE_PREFIX } from './budget/budget-set';
import { PolicyViolationError } from './errors/policy-violation-error';
import { UNPRICED_TOOL, type WorstCase } from './governance-steps';
import { nanosToUsd } from './money';
import { type ActualCost, actualCost } from './pipeline/actual-cost';
import { BudgetAlerts } from './pipeline/alerts';
import { approvalAsk, approve, needsApproval } from './pipeline/approve';
import { Call, type CallHost } from './pipeline/call';
import { newCallId } from './pipeline/call-id';
import { Claims } from './pipeline/claims';
import type { StageContext } from './pipeline/context';
import { trackSettlement } from './pipeline/deferred';
import { evaluate } from './pipeline/evaluate';
import { DONE, isPromise, type MaybePromise } from './pipeline/maybe-promise';
import { price, unknownPrice } from './pipeline/price';
import { CallRecorder, type Settlement } from './pipeline/recorder';
import { type Downgraded, linesOf, type Reserved, reserve } from './pipeline/reserve';
import { type Settled, settle } from './pipeline/settle';
import type {
  ApprovalInfo,
  CallOutcome,
  CallState,
  Decision,
  Downgrade,
  GovernedCall,
  GovernorSettings,
  Unit,
} from './pipeline/types';
import { UnsettledCalls } from './pipeline/unsettled';
import type { CompiledPolicy } from './policy/compile';
import type { PolicyEvaluation } from './policy/policy-engine';
import { subjectOf } from './policy/policy-engine';
import type { PriceTable } from './pricing/price-table';
import type { PriceMatch } from './pricing/types';
import { checkRequestNumbers } from './request-numbers';
import { SettlementJournal } from './store/settlement-journal';
import type { BudgetLine, GovernanceStore, LineState } from './store/types';
import type { EgressAction } from './telemetry/control-metrics';
import type { Instruments } from './telemetry/instruments';
import type { Attribution, GovernedRequest, RequestEdits } from './types';

export { errorTypeOf } from './errors/error-type';
export type { CallOutcome, CallState, GovernedCall } from './pipeline/types';

export interface GovernorDependencies {
  options: GovernorSettings;
  policy: CompiledPolicy;
  store: GovernanceStore;
  prices: PriceTable;
  tracer: Tracer;
  instruments: Instruments | undefined;
  captureContent: boolean;
  audit?: AuditTrail | undefined;
}

/**
 * Model requests a Managed Agents turn reserves by default: a turn that uses a tool makes one request
 * that calls it, one or two with its results, and one that answers.
 */
export const DEFAULT_REQUESTS_PER_TURN = 4;

/** The governed-call pipeline: attribution → policy → reservation → approval → (execute) → settle → telemetry. */
export class Governor implements CallHost {
  readonly store: GovernanceStore;
  /** Approve or deny held calls (any process sharing the store can). */
  readonly approvals: Approvals;
  /** The tracer of GenOps' spans; framework adapters start their workflow, agent and step spans on it. */
  readonly tracer: Tracer;
  /** Settlements the store could not take yet; replayed when it answers again. */
  readonly journal: SettlementJournal;
  /** Calls sent (or tethered) and not yet settled: settled as abandoned at lease end, shutdown or exit. */
  readonly unsettled: UnsettledCalls;
  private policy: CompiledPolicy;
  private readonly prices: PriceTable;
  private readonly defaults: Readonly<Attribution>;
  private readonly recorder: CallRecorder;
  private readonly stages: StageContext;
  private readonly alerts: BudgetAlerts;
  private readonly claims = new Claims();

  constructor(dependencies: GovernorDependencies) {
    const { options } = dependencies;
    this.policy = dependencies.policy;
    this.store = dependencies.store;
    this.approvals = new Approvals(this.store);
    this.journal = new SettlementJournal(this.store, options.journalFile ? { file: options.journalFile } : {});
    this.unsettled = new UnsettledCalls(this.store, options.reservationLeaseMs);
    this.prices = dependencies.prices;
    this.tracer = dependencies.tracer;
    this.defaults = Object.freeze({ ...(options.defaults ?? {}) });
    this.recorder = new CallRecorder({
      tracer: dependencies.tracer,
      instruments: dependencies.instruments,
      audit: dependencies.audit,
      captureContent: dependencies.captureContent,
      onDecision: options.onDecision,
      onBudgetAlert: options.onBudgetAlert,
      metricCustomers: options.metrics?.customers,
      compatAttributes: options.telemetry?.compatAttributes,
    });
    this.stages = { store: this.store, recorder: this.recorder, settings: options, journal: this.journal };
    this.alerts = new BudgetAlerts(this.stages);
    // The policy in force from the start is on the record too, not only later reloads.
    this.recorder.record({
      type: 'policy',
      at: Date.now(),
      subject: this.policy.version,
      data: { source: 'init', rules: this.policy.engine.document.rules.length, budgets: this.policy.budgets.length },
    });
  }

  /** Whether prompt and completion content (and provider error text) may be recorded: `captureContent`. */
  get captureContent(): boolean {
    return this.recorder.captureContent;
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
    this.recorder.record({
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

  /** Model requests one Managed Agents turn reserves (`managedAgents.requestsPerTurn`, default 4). */
  get requestsPerTurn(): number {
    return this.stages.settings.managedAgents?.requestsPerTurn ?? DEFAULT_REQUESTS_PER_TURN;
  }

  /** The price the governor uses for a model, or `undefined` when it has none. */
  priceOf(provider: string, model: string): PriceMatch | undefined {
    return this.prices.lookup(provider, model);
  }

  /**
   * Runs the pre-execution half of the pipeline. Resolves to a {@link GovernedCall} when the call may
   * proceed; rejects with a {@link GovernanceError} (recorded on a finished span) when it may not.
   * `parent` is the context the call's span starts in (default: the active context). `sendsAtOnce`: the
   * request leaves the process as soon as the call is admitted (the adapter kit's default), so when no
   * approval wait comes between, the store keeps the reservation marked sent from the start and
   * {@link GovernedCall.markSent} needs no second store write.
   */
  begin(request: GovernedRequest, options: { parent?: Context; sendsAtOnce?: boolean } = {}): Promise<GovernedCall> {
    try {
      const call = this.beginNow(request, options);
      return isPromise(call) ? call : Promise.resolve(call);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * @internal {@link begin} for the adapter kit: the call itself when no stage waits (the memory store,
   * no approval), else a promise of it; a denial is thrown (or rejected) as the governance error.
   */
  beginNow(
    request: GovernedRequest,
    options: { parent?: Context; sendsAtOnce?: boolean } = {},
  ): MaybePromise<GovernedCall> {
    checkRequestNumbers(request);
    const enclosing = this.claims.enclosing(request);
    if (enclosing) return enclosing.nested();
    const startedAt = performance.now();
    const attribution = resolveAttribution(this.defaults);
    // Callback-based frameworks know the parent run's span but cannot make it the active context.
    const parent = options.parent ?? context.active();
    const unit: Unit = {
      id: newCallId(),
      request,
      attribution,
      parent,
      span: this.recorder.startSpan(request, attribution, parent),
      policy: this.policy,
      attributes: {},
      sendsAtOnce: options.sendsAtOnce === true,
      // Every field a stage may set, declared now: one object shape, no property store grown per call.
      failOpenLines: undefined,
      sentInStore: undefined,
      downgradedFrom: undefined,
      redactions: undefined,
      shadow: undefined,
      reservationAudit: undefined,
    };
    return this.admit(unit, request, startedAt, undefined);
  }

  /** @internal See {@link GovernedCall.adoptNextCall}. */
  claimNext(call: Call, match: { model?: string; text?: string }): () => void {
    return this.claims.claim(call, match);
  }

  /** Price, policy and reservation for `request` (re-entered with the cheaper model after a downgrade). */
  private admit(
    unit: Unit,
    request: GovernedRequest,
    startedAt: number,
    downgrade: Downgrade | undefined,
  ): MaybePromise<GovernedCall> {
    unit.request = request;
    if (downgrade) unit.downgradedFrom = downgrade.from;
    const cost = price(this.prices, request, this.stages.settings);
    const now = Date.now();
    const { evaluation, decision } = evaluate(unit, request, cost, now);
    this.recorder.evaluated(unit, cost, evaluation);
    if (decision.result === 'BLOCKED') {
      const error = new PolicyViolationError({
        rule: decision.rule!,
        reasonCode: decision.reasonCode!,
        message: decision.message!,
      });
      throw this.recorder.blocked(unit, decision, error);
    }
    // Opt-in content capture happens after the rules: a request the rules denied is never recorded (its
    // text may be why), and a redacted one is recorded as it is sent.
    this.recorder.content(unit, evaluation.redaction?.rewrite);
    if (!cost.match && cost.price !== UNPRICED_TOOL && cost.source !== 'unknownModel-fallback')
      unknownPrice(this.stages, unit, decision, cost.price);

    // Reservation: the worst case, in every matching rate limit and budget, all or nothing.
    const reservedNanos = cost.worstNanos ?? 0;
    const lines = linesOf(unit, request, cost, reservedNanos, now);
    const admission: Admission = { unit, evaluation, decision, cost, lines, startedAt, downgrade };
    if (lines.length === 0) return this.approveThenOpen(admission, NO_STATES, undefined);
    // Sent at once with no approval wait before it: the reservation is stored marked sent (one write).
    const sent = unit.sendsAtOnce === true && !needsApproval(unit, evaluation, reservedNanos);
    const step = reserve(this.stages, { unit, lines, decision, reservedNanos, downgrade, sent });
    // No closure or promise when the store answered at once (the memory store).
    if (isPromise(step)) return step.then((resolved) => this.afterReserve(admission, resolved));
    return this.afterReserve(admission, step);
  }

  /** Reserved: on to approval; or a `downgrade` budget had no room: admission again with the cheaper model. */
  private afterReserve(admission: Admission, step: Reserved | Downgraded): MaybePromise<GovernedCall> {
    if ('downgrade' in step) return this.admit(admission.unit, step.request, admission.startedAt, step.downgrade);
    return this.approveThenOpen(admission, step.lines, step.approval);
  }

  /** The reservation is on record; approval (over the cost threshold, or a tool rule) while it is held. */
  private approveThenOpen(
    admission: Admission,
    reserved: readonly LineState[],
    approval: ApprovalInfo | undefined,
  ): MaybePromise<GovernedCall> {
    const { unit, evaluation, cost, lines } = admission;
    const reservedNanos = cost.worstNanos ?? 0;
    this.recorder.reserved(unit, reservedNanos, lines, this.stages.settings.reservationLeaseMs);
    const ask = approval ? undefined : approvalAsk(unit, evaluation, reservedNanos);
    this.recorder.approvalRequired(unit, ask !== undefined || approval !== undefined);
    if (ask)
      return approve(this.stages, unit, ask, reservedNanos, lines.length > 0).then((approved) =>
        this.open(admission, reserved, approved),
      );
    return this.open(admission, reserved, approval);
  }

  /** Admitted (approved, when it had to be): the call the adapter holds until it ends. */
  private open(admission: Admission, reserved: readonly LineState[], approved: ApprovalInfo | undefined): Call {
    const { unit, evaluation, decision, cost, lines, startedAt, downgrade } = admission;
    const reservedNanos = cost.worstNanos ?? 0;
    if (approved && decision.constraint === 'none') decision.constraint = 'approval';
    this.recorder.admitted(unit, decision, nanosToUsd(reservedNanos), approved);
    // Most calls have no edits: no object for them.
    let edits: RequestEdits | undefined;
    if (downgrade) edits = { model: unit.request.model };
    if (evaluation.redaction) (edits ??= {}).text = evaluation.redaction.rewrite;
    const state: CallState = {
      id: unit.id,
      span: unit.span,
      parent: unit.parent,
      request: unit.request,
      attribution: unit.attribution,
      policy: unit.policy,
      failOpenLines: unit.failOpenLines,
      sentInStore: unit.sentInStore,
      price: cost.price,
      priced: cost.match !== undefined || cost.price === UNPRICED_TOOL,
      reservedNanos,
      reservedTokens: cost.worstTokens,
      hasLines: lines.length > 0,
      lines,
      firstLine: tightest(reserved),
      startedAt,
      executionStartedAt: performance.now(),
      decision,
      edits: edits !== undefined && (edits.model !== undefined || edits.text !== undefined) ? edits : undefined,
      firstChunkAt: undefined,
      outputBlocked: undefined,
    };
    return new Call(this, this.recorder, state);
  }

  /**
   * @internal For egress governance: counts a provider request outside any governed unit that was
   * `governed` from its wire format, `refused`, or only `reported` (`genops.egress.requests`).
   */
  egress(action: EgressAction, provider: string, serverAddress?: string): void {
    this.recorder.egress(action, provider, serverAddress);
  }

  /** @internal Settles a call and finishes its telemetry; used by {@link GovernedCall}. */
  finish(state: CallState, outcome: CallOutcome, error: unknown): Promise<void> {
    try {
      // The call's own latency, before GenOps settles (store time is not the provider's).
      const latencyMs = performance.now() - state.executionStartedAt;
      const cost = actualCost(state, outcome, error);
      const amounts = { USD: cost.actualNanos, tokens: cost.actualTokens, requests: 1 };
      const settled = settle(this.stages, state, amounts);
      // No closure or promise when the store answered at once (the memory store).
      const done = isPromise(settled)
        ? settled.then((resolved) => this.afterSettle(state, outcome, error, cost, latencyMs, resolved))
        : this.afterSettle(state, outcome, error, cost, latencyMs, settled);
      if (done === undefined) return DONE;
      // A store that answers later (Redis, or any store without settleSync): the caller has its result
      // without waiting. The settlement, group-committed with the tick's other writes, and the records that
      // follow it complete in the background, tracked so flush(), status() and shutdown() wait for them; a
      // settlement the store refused is journaled (settle never rejects) and the reservation holds the
      // worst case until then.
      trackSettlement(
        done.then(undefined, (failure: unknown) => {
          diag.error(`genops: could not finish recording the settlement of ${state.id}`, failure);
        }),
        // The process exits before the store answered: journaled (with a journal file) and replayed by
        // the next process; a replay of a settlement the store did take commits nothing.
        state.hasLines && !state.failOpenLines?.length && this.journal.persistent
          ? () => this.journal.add({ id: state.id, actual: amounts, lines: state.lines, at: Date.now() })
          : undefined,
      );
      return DONE;
    } catch (failure) {
      return Promise.reject(failure);
    }
  }

  /** Settled: the settlement's audit record, budget alerts, then the span, metrics and hooks. */
  private afterSettle(
    state: CallState,
    outcome: CallOutcome,
    error: unknown,
    cost: ActualCost,
    latencyMs: number,
    settled: Settled,
  ): Promise<void> | undefined {
    const settlement: Settlement = {
      actualNanos: cost.actualNanos,
      actualTokens: cost.actualTokens,
      incomplete: cost.incomplete,
      estimated: cost.estimated,
      violations: cost.violations,
      leaseOpen: settled.open,
      usage: outcome.usage,
      error,
      latencyMs,
      sla: undefined,
    };
    this.recorder.settlementAudit(state, settlement);
    const alerts = settled.lines.length > 0 ? this.alerts.check(state, settled.lines) : undefined;
    if (alerts) return alerts.then(() => this.recordSettled(state, settlement, outcome.response));
    this.recordSettled(state, settlement, outcome.response);
    return undefined;
  }

  private recordSettled(state: CallState, settlement: Settlement, response: CallOutcome['response']): void {
    const { engine } = state.policy;
    settlement.sla = engine.slaRules.length === 0 ? undefined : engine.slaFor(subjectOf(state));
    this.recorder.settled(state, settlement, response);
  }
}

/** What one admission decided, carried through reservation and approval to the open call. */
interface Admission {
  unit: Unit;
  evaluation: PolicyEvaluation;
  decision: Decision;
  cost: WorstCase;
  lines: BudgetLine[];
  startedAt: number;
  downgrade: Downgrade | undefined;
}

/** The reserved line states of a call without lines. */
const NO_STATES: readonly LineState[] = Object.freeze([]);

/** The budget line with the least room left (USD lines first, rate limits never): the one worth showing on the span. */
function tightest(lines: readonly LineState[]): LineState | undefined {
  let best: LineState | undefined;
  for (const line of lines) {
    if (line.budget.startsWith(RATE_PREFIX)) continue;
    if (
      !best ||
      (line.unit === 'USD' && best.unit !== 'USD') ||
      (line.unit === best.unit && line.limit - line.used - line.reserved < best.limit - best.used - best.reserved)
    )
      best = line;
  }
  return best;
}
