// The GovernedCall an adapter holds between begin and end/fail, and how calls nest (a framework's
// model call and the SDK call inside it are one unit).
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context, createContextKey, type Span } from '@opentelemetry/api';
import type { GovernanceError } from '../errors/governance-error';
import { callContext } from '../telemetry/call-context';
import type { RequestEdits, Usage } from '../types';
import { DONE } from './maybe-promise';
import { OutputGuard } from './output-guard';
import type { CallRecorder } from './recorder';
import type { CallOutcome, CallState, GovernedCall } from './types';
import { type AbandonedBy, Anchor, type Tracking, type UnsettledCalls } from './unsettled';

/** What a call needs of the governor that began it. */
export interface CallHost {
  /** Settles the call and finishes its telemetry. */
  finish(state: CallState, outcome: CallOutcome, error: unknown): Promise<void>;
  claimNext(call: Call, match: { model?: string; text?: string }): () => void;
  /** Sent or tethered calls not yet settled (lease timers, shutdown and exit). */
  readonly unsettled: UnsettledCalls;
}

/** The active call in the OpenTelemetry context (one async-context layer per call when a context manager is registered). */
const CALL_KEY = createContextKey('genops.call');
/** The active call when no OpenTelemetry context manager is registered (its `context.with` does not propagate). */
const activeCall = new AsyncLocalStorage<Call>();

/** The governed call whose {@link GovernedCall.runInContext} is running, if any. */
export function activeGovernedCall(): Call | undefined {
  return (context.active().getValue(CALL_KEY) as Call | undefined) ?? activeCall.getStore();
}

export class Call implements GovernedCall {
  private settled: Promise<void> | undefined;
  /** What SDK-level calls nested in this one reported (see `nested()`). */
  private inner: CallOutcome | undefined;
  private guard: OutputGuard | undefined;
  private context: Context | undefined;
  private anchor: Anchor | undefined;
  private sentMarked = false;
  /** @internal Set by {@link UnsettledCalls} while it tracks the call. */
  tracking: Tracking | undefined = undefined;

  constructor(
    private readonly host: CallHost,
    private readonly recorder: CallRecorder,
    private readonly state: CallState,
  ) {}

  get id(): string {
    return this.state.id;
  }
  get attribution(): CallState['attribution'] {
    return this.state.attribution;
  }
  get span(): Span {
    return this.state.span;
  }
  get edits(): RequestEdits | undefined {
    return this.state.edits;
  }

  checkOutput(textDelta: string): GovernanceError | undefined {
    if (this.state.policy.engine.outputRules.length === 0) return undefined;
    this.guard ??= new OutputGuard(this.recorder, this.state);
    const error = this.guard.check(textDelta);
    if (this.guard.blockedBy) this.state.outputBlocked = this.guard.blockedBy;
    return error;
  }

  runInContext<T>(fn: () => T): T {
    // The active call rides in the OpenTelemetry context with the span: one async-context layer. Without
    // a context manager (`context.with` then does not propagate), GenOps' own async context carries it,
    // so nesting is recognised either way.
    const active = (this.context ??= callContext(this.state.parent, this.state.span, CALL_KEY, this));
    return context.with(active, () => (context.active() === active ? fn() : activeCall.run(this, fn)));
  }

  /** Not yet settled. */
  get open(): boolean {
    return this.settled === undefined;
  }

  /** The request left the process (see {@link GovernedCall.markSent}). */
  get sent(): boolean {
    return this.sentMarked;
  }

  markSent(): void {
    if (this.sentMarked || !this.open) return;
    this.sentMarked = true;
    this.host.unsettled.markSent(this.state);
    this.host.unsettled.track(this, this.state);
  }

  tether(holder: object): void {
    if (!this.open) return;
    (this.anchor ??= new Anchor(this)).tether(holder);
    this.host.unsettled.track(this, this.state);
  }

  untether(): void {
    this.anchor?.release();
    this.anchor = undefined;
    this.host.unsettled.holdOpen(this);
  }

  /**
   * Nobody will end this call (its objects were collected, its lease ended, the process is exiting): a
   * sent call settles at its reservation, flagged incomplete; one whose request never left is released.
   */
  abandon(by: AbandonedBy): Promise<void> {
    if (!this.open) return DONE;
    const settled = this.sentMarked
      ? this.end({ incomplete: true })
      : this.fail(new Error(`genops: the call was abandoned (${by}) before its request was sent`));
    return settled.catch(() => {});
  }

  get operation(): string {
    return this.state.request.operation;
  }

  adoptNextCall(match: { model?: string; text?: string }): () => void {
    return this.host.claimNext(this, match);
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
      // The SDK request is the enclosing call's. What the enclosing adapter's caller holds is tethered by
      // that adapter: the SDK's own objects may be dropped while the framework still settles the call.
      markSent: () => this.markSent(),
      tether: () => {},
      untether: () => {},
    };
  }

  /** About to settle: nothing may abandon the call any more. */
  private settling(): void {
    this.anchor?.release();
    this.host.unsettled.untrack(this);
  }

  firstChunk(): void {
    if (this.state.firstChunkAt === undefined) this.state.firstChunkAt = performance.now();
  }

  end(outcome: CallOutcome): Promise<void> {
    if (!this.settled) {
      this.guard?.end();
      this.settling();
    }
    this.settled ??= this.host.finish(this.state, withInner(outcome, this.inner), undefined);
    return this.settled;
  }

  fail(error: unknown, partial?: CallOutcome): Promise<void> {
    const own = partial ? { ...partial, incomplete: true } : undefined;
    // A nested SDK call that reported usage before the framework call failed still produced billable output.
    const outcome = this.inner ? withInner(own ?? { incomplete: true }, this.inner) : (own ?? {});
    if (!this.settled) this.settling();
    this.settled ??= this.host.finish(this.state, outcome, error ?? new Error('unknown error'));
    return this.settled;
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
