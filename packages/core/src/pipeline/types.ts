// Leaf types of the governed-call pipeline (no runtime imports): what adapters, the options and every
// stage share. Keeping them here is what keeps the core free of import cycles.
import type { Attributes, Context, Span } from '@opentelemetry/api';
import type { Approver } from '../approval/types';
import type { GovernanceError } from '../errors/governance-error';
import type { CompiledPolicy } from '../policy/compiled-policy';
import type { ModelPrice } from '../pricing/types';
import type { PolicyResult, ReasonCode } from '../semconv';
import type { ApprovalRecord, BudgetLine, LineState } from '../store/types';
import type { Attribution, GovernedRequest, RequestEdits, ResponseInfo, Usage } from '../types';

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
   * The request is leaving the process (the SDK call starts; `startGovernedCall` calls it before
   * `execute`). From then on the provider may bill it, so a call that is never ended settles at its
   * reservation, flagged incomplete — when its {@link tether}ed objects are garbage-collected, when its
   * lease ends, or at shutdown or process exit — and its store reservation is marked sent, so a lease
   * that ends in the store (the process died) commits the reservation instead of releasing it.
   * Idempotent. A call never marked sent that is abandoned is released (nothing was sent).
   */
  markSent(): void;
  /**
   * Ties the call to an object the caller holds (an SDK's stream, its promise, an iterator): once every
   * object tethered to the call has been garbage-collected while the call is still open, it is settled
   * as abandoned (see {@link markSent}). The call never keeps a tethered object alive.
   */
  tether(holder: object): void;
  /**
   * The adapter keeps the call open by other means (a deferred unit: a batch job settled when the app
   * reads its results, maybe hours later): garbage collection and the in-process lease timer no longer
   * settle it; shutdown and exit still do, and the store's lease still commits its reservation.
   */
  untether(): void;
  /**
   * The call failed. Without `partial`, the provider produced nothing billable (actual = 0). With a
   * `partial` outcome (a stream that broke after it started), the call settles from that outcome's
   * usage, or from the reservation when it has none, flagged incomplete.
   */
  fail(error: unknown, partial?: CallOutcome): Promise<void>;
}

/** A budget crossed one of its `warnAt` thresholds (once per threshold per period). */
export interface BudgetAlert {
  budget: string;
  /** The budget instance, e.g. `team-daily|team=search|2026-11-23`. */
  key: string;
  period: string;
  /** The threshold crossed, a fraction of the limit (e.g. 0.8). */
  threshold: number;
  unit: 'USD' | 'tokens' | 'requests';
  /** In the budget's unit (USD, tokens or calls). */
  limit: number;
  used: number;
  /** The call whose settlement crossed the threshold. */
  callId: string;
  at: number;
}

/** A governance decision, passed to `onDecision` for every governed call. */
export interface DecisionRecord {
  id: string;
  provider: string;
  model: string;
  operation: string;
  attribution: Readonly<Attribution>;
  result: 'ALLOWED' | 'BLOCKED' | 'WARNING' | 'RATE_LIMITED';
  reasonCode?: string;
  rule?: string;
  message?: string;
  /** Worst-case cost reserved, USD. */
  reserved?: number;
  approval?: { status: 'approved' | 'denied' | 'timed_out'; decidedBy?: string; reason?: string };
  /** Actual cost, USD, once the call finished. */
  actual?: number;
  incomplete?: boolean;
  phase: 'decided' | 'settled';
  /** The AWU span's trace and span ids (hex), to link a log line or event to its trace. */
  traceId?: string;
  spanId?: string;
}

/** What the governor needs of `GenOps.init()`'s resolved options (`ResolvedOptions` satisfies it). */
export interface GovernorSettings {
  defaults?: Record<string, string> | undefined;
  unknownModel: 'deny' | 'warn' | ModelPrice;
  defaultMaxOutputTokens: number;
  reservationLeaseMs: number;
  journalFile?: string | undefined;
  approver?: Approver | undefined;
  onApprovalRequired?: ((approval: ApprovalRecord) => void | Promise<void>) | undefined;
  onBudgetAlert?: ((alert: BudgetAlert) => void) | undefined;
  onDecision?: ((decision: DecisionRecord) => void) | undefined;
  /** Control-plane metric settings (`metrics.customers`: customer ids as metric attributes). */
  metrics?: { customers?: boolean | undefined } | undefined;
  /** Span attribute settings (`telemetry.compatAttributes`: the original README names too). */
  telemetry?: { compatAttributes?: boolean | undefined } | undefined;
  /** Anthropic Managed Agents (`managedAgents.requestsPerTurn`: model requests one turn reserves). */
  managedAgents?: { requestsPerTurn?: number | undefined } | undefined;
}

/** The decision a call carries through the pipeline (later stages may turn ALLOWED into WARNING). */
export interface Decision {
  result: PolicyResult;
  reasonCode?: ReasonCode;
  rule?: string;
  message?: string;
  constraint: 'none' | 'policy' | 'budget_limit' | 'approval' | 'pricing' | 'rate_limit';
}

export type ApprovalInfo = NonNullable<DecisionRecord['approval']>;

/** A downgrade in progress: the call is admitted again with the cheaper model. */
export interface Downgrade {
  from: string;
  budget: string;
}

/** One governed unit (AWU) while its pre-execution stages run. */
export interface Unit {
  id: string;
  request: GovernedRequest;
  attribution: Readonly<Attribution>;
  parent: Context;
  span: Span;
  /** The policy in force when the call began (a reload does not change a call mid-way). */
  policy: CompiledPolicy;
  /** Admission-phase span attributes the stages find before the decision (price, reservation), set with it. */
  attributes: Attributes;
  /** Fail-open: the lines the call would have reserved, settled later from the journal. */
  failOpenLines?: BudgetLine[] | undefined;
  /** The request leaves as soon as the call is admitted (`begin`'s `sendsAtOnce`). */
  sendsAtOnce?: boolean;
  /** The store holds the reservation already marked sent (reserved with `sent: true`). */
  sentInStore?: boolean | undefined;
  /** For the audit record: what the rules did besides deciding. */
  downgradedFrom?: string | undefined;
  redactions?: Record<string, number> | undefined;
  shadow?: string[] | undefined;
  /**
   * The reservation's audit data, written with the decision record that follows it (one record per
   * admission), or as a `reservation` record of its own when an approval wait comes between.
   */
  reservationAudit?: { leaseMs: number; lines: unknown[]; reservedNanos: number } | undefined;
  /**
   * When the reservation was made (`performance.now()`), until its `genops.budget.reservation` span event
   * is added: with the decision's telemetry, or before an approval wait's events (pipeline/recorder.ts).
   */
  reservedAt?: number | undefined;
}

/** A call that passed its pre-execution stages, until it settles. */
export interface CallState {
  id: string;
  span: Span;
  parent: Context;
  request: GovernedRequest;
  attribution: Readonly<Attribution>;
  price: ModelPrice | undefined;
  priced: boolean;
  reservedNanos: number;
  reservedTokens: number;
  hasLines: boolean;
  lines: BudgetLine[];
  firstLine: LineState | undefined;
  startedAt: number;
  /** When the provider call started (after approval), for SLA latency. */
  executionStartedAt: number;
  firstChunkAt?: number | undefined;
  decision: Decision;
  policy: CompiledPolicy;
  edits: RequestEdits | undefined;
  /** The output rule that stopped a stream, if one did. */
  outputBlocked?: string | undefined;
  /** Fail-open: the lines to commit the actual amounts to when the store is back. */
  failOpenLines?: BudgetLine[] | undefined;
  /** The store holds the reservation already marked sent: `markSent` writes nothing more. */
  sentInStore?: boolean | undefined;
  /** For the audit record (kept from the unit). */
  downgradedFrom?: string | undefined;
  redactions?: Record<string, number> | undefined;
  shadow?: string[] | undefined;
}
