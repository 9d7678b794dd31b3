import type { Context } from '@opentelemetry/api';
import type { CallOutcome, GovernedCall, Governor } from '../governor';
import { DONE, isPromise, type MaybePromise } from '../pipeline/maybe-promise';
import type { GovernedRequest, RequestEdits } from '../types';
import { safely } from './safely';

/** How to send one governed request: what the caller passed, how governance edits it, and the SDK call. */
export interface GovernedSend<Input, Sent> {
  /** What the caller passed (the SDK call's params or body). Never mutated. */
  input: Input;
  /**
   * The request as it must go out when governance changed it (`call.edits`: a budget's downgraded
   * `model`, redacted text). Return a copy; the caller's object stays as written. Omit for requests
   * GenOps never edits.
   */
  edit?(input: Input, edits: RequestEdits): Input;
  /** Performs the SDK call with the (edited) input. Runs with the call's span active. */
  execute(input: Input, call: GovernedCall): Sent | PromiseLike<Sent>;
  /**
   * The OpenTelemetry context to start the call's span in, when it is not the active one (a framework
   * adapter's own step span, say). Passed to `Governor.begin(request, { parent })`.
   */
  parent?: Context;
  /**
   * What an error of `execute` leaves to settle: return `{}` (or what was read) when the provider
   * answered and may have billed the call, e.g. a 2xx response whose body could not be parsed; the call
   * then settles from its reservation, flagged incomplete. `undefined` (the default): nothing billable.
   */
  partial?(error: unknown): CallOutcome | undefined;
  /**
   * `true` when `execute` only builds a lazy result whose request goes out later (a LlamaIndex stream
   * sends on its first `next()`): the adapter then calls `call.markSent()` when it does. Default: the
   * request is sent when `execute` starts (see `GovernedCall.markSent`).
   */
  sendsLater?: boolean;
}

/** {@link GovernedSend} plus how to read a finished result. */
export interface GovernedRun<Input, Result> extends GovernedSend<Input, Result> {
  /** Usage and response info of a non-streamed result. An error it throws settles the call as incomplete. */
  outcome(result: Result, call: GovernedCall): CallOutcome;
  /**
   * For a streamed result: return what the caller gets instead (usually the result with its iterator
   * wrapped by `governIterator`), which then ends the call itself. Return `undefined` for a result that
   * is not a stream: it is settled from {@link outcome}.
   */
  stream?(result: Result, call: GovernedCall): Result | undefined;
}

/**
 * The first half of a governed call, for SDKs whose result is read in a later step (the Stainless
 * `APIPromise` parses lazily): begin (policy, reservation, approval) → apply edits → execute in the
 * call's context. A failure before or during the SDK call fails the call (nothing billable) and is
 * rethrown. The caller then owns the call and must `end` or `fail` it exactly once.
 */
export function startGovernedCall<Input, Sent>(
  governor: Governor,
  request: GovernedRequest,
  send: GovernedSend<Input, Sent>,
): Promise<{ call: GovernedCall; sent: Awaited<Sent> }> {
  // When no stage waits (the memory store, no approval) the request is sent at once, and the call
  // makes two promises: the send's and its result's.
  return whenBegun(governor, request, send, sendStarted);
}

/**
 * Begins the call and goes on with `next`: at once when no stage waits, else when the begin resolves.
 * A denial rejects the promise (never throws).
 */
function whenBegun<Send extends Pick<GovernedSend<unknown, unknown>, 'parent' | 'sendsLater'>, T>(
  governor: Governor,
  request: GovernedRequest,
  send: Send,
  next: (call: GovernedCall, send: Send) => Promise<T>,
): Promise<T> {
  let begun: MaybePromise<GovernedCall>;
  try {
    begun = beginGovernedCall(governor, request, send);
  } catch (error) {
    return Promise.reject(error);
  }
  return isPromise(begun) ? begun.then((call) => next(call, send)) : next(begun, send);
}

function sendStarted<Input, Sent>(
  call: GovernedCall,
  send: GovernedSend<Input, Sent>,
): Promise<{ call: GovernedCall; sent: Awaited<Sent> }> {
  return sendGovernedCall(call, send).then((sent) => ({ call, sent }));
}

/**
 * @internal The begin step of {@link startGovernedCall}: the call itself when no stage waits (the memory
 * store, no approval), else a promise of it. A denial is thrown (or rejected) as the governance error.
 */
export function beginGovernedCall(
  governor: Governor,
  request: GovernedRequest,
  send: Pick<GovernedSend<unknown, unknown>, 'parent' | 'sendsLater'>,
): MaybePromise<GovernedCall> {
  // Sent at once (the default): the store keeps the reservation marked sent from the start.
  const sendsAtOnce = !send.sendsLater;
  if (send.parent) return governor.beginNow(request, { parent: send.parent, sendsAtOnce });
  return governor.beginNow(request, sendsAtOnce ? SENDS_AT_ONCE : SENDS_LATER);
}

/** `beginNow` options without a parent (read only, so one object serves every call). */
const SENDS_AT_ONCE = Object.freeze({ sendsAtOnce: true });
const SENDS_LATER = Object.freeze({ sendsAtOnce: false });

/**
 * @internal The send step of {@link startGovernedCall}: apply edits → mark sent → execute in the call's
 * context. Resolves to what `execute` resolved to; a failure fails the call (see
 * {@link GovernedSend.partial}) and rejects with the error once the call has settled.
 */
export function sendGovernedCall<Input, Sent>(
  call: GovernedCall,
  send: GovernedSend<Input, Sent>,
): Promise<Awaited<Sent>> {
  let sent: Sent | PromiseLike<Sent>;
  try {
    sent = executeGovernedCall(call, send);
  } catch (error) {
    return failSent(call, send, error);
  }
  // One promise around the SDK's own (`Promise.resolve` of a native promise is that promise).
  return Promise.resolve(sent).then(undefined, (error: unknown) => failSent(call, send, error)) as Promise<
    Awaited<Sent>
  >;
}

/**
 * @internal The synchronous part of {@link sendGovernedCall}: apply edits → mark sent → execute in the
 * call's context. Returns what `execute` returned; what it throws is the caller's to fail the call with.
 */
export function executeGovernedCall<Input, Sent>(
  call: GovernedCall,
  send: GovernedSend<Input, Sent>,
): Sent | PromiseLike<Sent> {
  // Redaction and a budget's downgrade change what is sent, never the caller's object.
  const input = call.edits && send.edit ? send.edit(send.input, call.edits) : send.input;
  // From here the provider may bill the call: it is never free again (see GovernedCall.markSent).
  if (!send.sendsLater) call.markSent();
  return call.runInContext(() => send.execute(input, call));
}

async function failSent(
  call: GovernedCall,
  send: Pick<GovernedSend<unknown, unknown>, 'partial'>,
  error: unknown,
): Promise<never> {
  await call.fail(
    error,
    safely(() => send.partial?.(error), 'adapter error reader'),
  );
  throw error;
}

/**
 * Runs one governed call whole: begin → apply edits → execute in context → outcome (or stream) → end,
 * or fail on an error. Denials throw the typed governance error before the SDK is called.
 *
 * @example
 * return runGovernedCall(governor, describeGoogleRequest(params), {
 *   input: params,
 *   edit: applyGoogleEdits,
 *   execute: (sent) => original.call(this, sent),
 *   outcome: readGoogleResponse,
 * });
 */
export function runGovernedCall<Input, Result>(
  governor: Governor,
  request: GovernedRequest,
  run: GovernedRun<Input, Result>,
): Promise<Result> {
  // As startGovernedCall, with the result read in the send's own `then` (two promises a call when no
  // stage waits; the steps were async functions awaiting each other).
  return whenBegun(governor, request, run, runStarted);
}

function runStarted<Input, Result>(call: GovernedCall, run: GovernedRun<Input, Result>): Promise<Result> {
  return sendGovernedCall(call, run).then((result) => finishNow(call, result as Result, run));
}

/** The second half: a stream is handed to `run.stream`; anything else is settled from `run.outcome`. */
export async function finishGovernedCall<Result>(
  call: GovernedCall,
  result: Result,
  run: Pick<GovernedRun<unknown, Result>, 'outcome' | 'stream'>,
): Promise<Result> {
  return finishNow(call, result, run);
}

/** {@link finishGovernedCall}, without a promise when the call settles at once (the memory store). */
function finishNow<Result>(
  call: GovernedCall,
  result: Result,
  run: Pick<GovernedRun<unknown, Result>, 'outcome' | 'stream'>,
): MaybePromise<Result> {
  if (run.stream) {
    const streamed = run.stream(result, call);
    if (streamed !== undefined) return streamed;
  }
  // A result the adapter cannot read is still billed: settle from the reservation, flagged incomplete.
  const outcome = safely(() => run.outcome(result, call), 'adapter response reader') ?? { incomplete: true };
  const ended = call.end(outcome);
  return ended === DONE ? result : ended.then(() => result);
}
