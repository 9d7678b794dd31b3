import type { CallOutcome, GovernedCall, Governor } from '../governor';
import { DONE, isPromise } from '../pipeline/maybe-promise';
import { governIterator, type StreamObserver } from '../stream';
import type { GovernedRequest, RequestEdits } from '../types';
import { beginGovernedCall, type GovernedSend, sendGovernedCall } from './run-governed-call';
import { safely } from './safely';
import { asSdkApiError } from './sdk-api-error';

/**
 * The `APIPromise` class of a Stainless-generated SDK (`openai`, `@anthropic-ai/sdk`, ...), of one module
 * graph: the ESM and the CJS build each have their own.
 */
export type APIPromiseClass = new (
  client: unknown,
  responsePromise: Promise<unknown>,
  parseResponse: (client: unknown, props: unknown) => unknown,
) => Promise<unknown>;

/** A Stainless resource method such as `chat.completions.create` or `messages.create`. */
export type StainlessMethod = (this: { _client: any }, body: any, options?: any) => any;

/** What one call of a Stainless method needs from the adapter. */
export interface StainlessCallPlan {
  /**
   * The described request (see `describe-<x>-request.ts`). A promise when describing needs a read first
   * (a batch job's input file); a rejection fails the call before anything is governed or sent.
   */
  request: GovernedRequest | Promise<GovernedRequest>;
  /** Applies governance edits (downgraded model, redacted text) to a copy of the body. */
  edit?(body: any, edits: RequestEdits): any;
  /** Request options to send instead of the caller's, e.g. extra headers from the call's attribution. */
  options?(call: GovernedCall): unknown;
  /** Runs the SDK's own method; wrap it, e.g. to keep the SDK from opening its own span. */
  around?<T>(send: () => T): T;
  /** Reads a parsed, non-streamed response. `response` is the raw HTTP response (headers). */
  outcome(result: any, response: Response | undefined): CallOutcome;
  /** Reads a stream's events as they pass (a fresh observer per stream). */
  streamObserver(): StreamObserver<any>;
  /**
   * The result starts work the provider bills later (a batch job): return `true` to keep the call open;
   * the adapter then owns it and must `end` it (e.g. when the app reads the job's results).
   */
  defer?(result: any, call: GovernedCall): boolean;
}

interface InnerAPIPromise {
  responsePromise: Promise<unknown>;
  parseResponse: (client: unknown, props: unknown) => Promise<any> | any;
  _thenUnwrap?: unknown;
}

/**
 * Governs one call of a Stainless SDK method so one logical call (SDK retries included) is one governed
 * unit: governance runs before the request is sent, and the caller still gets the SDK's own `APIPromise`
 * (`withResponse()`, `asResponse()`, `_thenUnwrap`) and, for streams, the SDK's own `Stream`
 * (`tee()`, `controller`, `toReadableStream()`), whose iterator settles the call exactly once.
 */
export function governStainlessCall(
  governor: Governor,
  plan: StainlessCallPlan,
  context: { self: unknown; body: unknown; options: unknown; original: StainlessMethod; APIPromise: APIPromiseClass },
): Promise<unknown> {
  return new StainlessCall(governor, plan, context).promise;
}

/** How a Stainless call is sent: at once, in the active context (see `GovernedSend`). */
const SENT_AT_ONCE: Pick<GovernedSend<unknown, unknown>, 'parent' | 'sendsLater'> = Object.freeze({});

/** Where a governed `APIPromise` keeps its call (read by the shared {@link governedAsResponse}). */
const STAINLESS_CALL = Symbol('genops.stainlessCall');

type GovernedAPIPromise = Promise<unknown> & { asResponse(): Promise<Response>; [STAINLESS_CALL]?: StainlessCall };

/**
 * One governed call of a Stainless method. Its steps are methods of one object (and it is the
 * {@link GovernedSend} itself), so a call makes one object and the one function the SDK's `APIPromise`
 * needs (`parse`), not a closure per step.
 */
class StainlessCall implements GovernedSend<unknown, unknown> {
  readonly input: unknown;
  readonly edit: StainlessCallPlan['edit'];
  readonly promise: GovernedAPIPromise;
  private call: GovernedCall | undefined;
  private inner: InnerAPIPromise | undefined;
  /** The SDK's own parse step of {@link inner} (kept: the adopted promise's `parseResponse` is GenOps'). */
  private innerParse: InnerAPIPromise['parseResponse'] | undefined;
  private request: GovernedRequest | undefined;
  /** Set once the APIPromise exists, when the call begins later (after an approval wait): it tethers to it then. */
  private holder: WeakRef<object> | undefined;
  /** The SDK started parsing the response (`then`, `withResponse()`), so GenOps sees the usage. */
  parsing = false;
  private readonly client: unknown;

  constructor(
    private readonly governor: Governor,
    private readonly plan: StainlessCallPlan,
    private readonly context: {
      self: unknown;
      body: unknown;
      options: unknown;
      original: StainlessMethod;
      APIPromise: APIPromiseClass;
    },
  ) {
    this.input = context.body;
    this.edit = plan.edit;
    this.client = (context.self as { _client?: unknown } | undefined)?._client;
    this.request = plan.request instanceof Promise ? undefined : plan.request;
    let responsePromise: Promise<unknown>;
    try {
      responsePromise = this.request
        ? this.launch(this.request)
        : (plan.request as Promise<GovernedRequest>).then((described) => this.launch((this.request = described)));
    } catch (error) {
      // A denial: the caller's promise rejects with the governance error, as the SDK's own errors do.
      responsePromise = Promise.reject(asSdkApiError(error, this.client));
    }
    const parse = (parseClient: unknown, props: unknown) => this.parse(parseClient, props);
    // Began and sent at once (the memory store, no approval): the caller gets the SDK's own APIPromise
    // with GenOps' parse step, not a second one around it (a promise and an object fewer per call).
    const promise = (adopt(this.inner, responsePromise, parse) ??
      new context.APIPromise(this.client, responsePromise, parse)) as GovernedAPIPromise;
    this.promise = promise;
    if (this.call) this.call.tether(promise);
    else this.holder = new WeakRef<object>(promise);
    promise[STAINLESS_CALL] = this;
    promise.asResponse = governedAsResponse;
  }

  /** {@link GovernedSend.execute}: the SDK's own method, with the call's request options. */
  execute(sent: unknown, started: GovernedCall): Promise<unknown> {
    const { plan, context } = this;
    const options = plan.options ? plan.options(started) : context.options;
    const self = context.self as { _client: any };
    // A closure only for an adapter that wraps the send (`around`).
    const inner = (
      plan.around
        ? plan.around(() => context.original.call(self, sent, options))
        : context.original.call(self, sent, options)
    ) as InnerAPIPromise;
    this.inner = inner;
    this.innerParse = inner.parseResponse;
    return inner.responsePromise;
  }

  private launch(described: GovernedRequest): Promise<unknown> {
    // With the memory store and no approval wait, the call begins (and its request leaves) right now.
    let begun: ReturnType<typeof beginGovernedCall>;
    try {
      begun = beginGovernedCall(this.governor, described, SENT_AT_ONCE);
    } catch (error) {
      // A denial rejects as the SDK's own error too, so the SDK's helper loops treat it as final.
      throw asSdkApiError(error, this.client);
    }
    return isPromise(begun)
      ? begun.then(
          (started) => this.opened(started),
          (error: unknown) => {
            throw asSdkApiError(error, this.client);
          },
        )
      : this.opened(begun);
  }

  private opened(started: GovernedCall): Promise<unknown> {
    this.call = started;
    const sent = sendGovernedCall(started, this);
    // The request has left: a caller that drops the promise unread (or the stream it resolves to)
    // leaves the call to be settled at its reservation once they are collected.
    const held = this.holder?.deref();
    if (held) started.tether(held);
    return sent;
  }

  private parse(parseClient: unknown, props: unknown): Promise<unknown> {
    this.parsing = true;
    const activeCall = this.call!;
    return Promise.resolve(this.innerParse!.call(this.inner, parseClient, props)).then(
      (result) => this.parsed(activeCall, result, props),
      async (error: unknown) => {
        // A 2xx response whose body could not be parsed: the provider may have billed it, so the call
        // settles from its reservation, flagged incomplete.
        await activeCall.fail(error, {});
        throw error;
      },
    );
  }

  private parsed(activeCall: GovernedCall, result: any, props: unknown): unknown {
    const { plan } = this;
    if (this.request!.stream && result && typeof result.iterator === 'function') {
      result.iterator = asIteratorMethod(
        governIterator(activeCall, result.iterator.bind(result), plan.streamObserver()),
      );
      return result;
    }
    if (plan.defer && safely(() => plan.defer!(result, activeCall), 'adapter deferral') === true) {
      // The adapter settles it when the app reads the job, maybe much later and from another object.
      activeCall.untether();
      return result;
    }
    let outcome: CallOutcome;
    try {
      outcome = plan.outcome(result, (props as { response?: Response } | undefined)?.response);
    } catch {
      outcome = { incomplete: true };
    }
    const ended = activeCall.end(outcome);
    // Settled already (the memory store): the result needs no wait for it.
    return ended === DONE ? result : ended.then(() => result);
  }

  /** The caller took the raw `Response` (`asResponse()`): GenOps never sees the usage. */
  responseTaken(): void {
    // `withResponse()` parses too, and its parse step starts before this check runs.
    setImmediate(() => {
      if (!this.parsing) void this.call?.end({ incomplete: true });
    });
  }
}

/**
 * The SDK's own `APIPromise` of a call that was sent at once, made the governed one: its response is
 * `responsePromise` (which fails the call when the request does) and its parse step `parse`. `_thenUnwrap`
 * (the SDK's `parse()` helpers) is its class's, which parses through `parseResponse` (an SDK version that
 * sets its own per promise would skip GenOps' step). `undefined` when `inner` does not have the Stainless
 * shape: the caller then builds a governed `APIPromise` around the response instead.
 */
function adopt(
  inner: InnerAPIPromise | undefined,
  responsePromise: Promise<unknown>,
  parse: InnerAPIPromise['parseResponse'],
): Promise<unknown> | undefined {
  if (!(inner instanceof Promise) || !Object.hasOwn(inner, 'parseResponse') || !Object.hasOwn(inner, 'responsePromise'))
    return undefined;
  const prototype = Object.getPrototypeOf(inner) as InnerAPIPromise;
  if (typeof prototype._thenUnwrap !== 'function') return undefined;
  inner.responsePromise = responsePromise;
  inner.parseResponse = parse;
  if (Object.hasOwn(inner, '_thenUnwrap')) inner._thenUnwrap = prototype._thenUnwrap;
  return inner;
}

/**
 * `asResponse()` of a governed `APIPromise` (one function for every call): a caller that only takes
 * the raw Response reads the body itself, so GenOps never sees the usage; the call settles from its
 * reservation, flagged incomplete.
 */
function governedAsResponse(this: GovernedAPIPromise): Promise<Response> {
  const call = this[STAINLESS_CALL]!;
  const asResponse = Object.getPrototypeOf(this).asResponse as (this: Promise<unknown>) => Promise<Response>;
  return asResponse.call(this).then((response) => {
    call.responseTaken();
    return response;
  });
}

interface ResponseProps {
  response: Response;
}
type Parse = (client: unknown, props: ResponseProps) => unknown;

/**
 * A stand-in for a Stainless SDK's `APIPromise`, for when the SDK's own class cannot be reached (a
 * bundler inlined the SDK, so there is no module to load it from). Same surface: lazy parsing on
 * `then`, `asResponse()`, `withResponse()`, `_thenUnwrap()` (used by the SDKs' `parse()` and stream
 * helpers), and `_request_id` on parsed objects, read from `requestIdHeader` (`x-request-id` for
 * OpenAI, `request-id` for Anthropic).
 */
export function createFallbackAPIPromise(requestIdHeader: string): APIPromiseClass {
  function withRequestId<U>(value: U, response: Response): U {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
    return Object.defineProperty(value, '_request_id', {
      value: response.headers.get(requestIdHeader),
      enumerable: false,
    });
  }

  class FallbackAPIPromise<T> extends Promise<T> {
    #client: unknown;
    #responsePromise: Promise<ResponseProps>;
    #parseResponse: Parse;
    #parsed: Promise<T> | undefined;

    constructor(client: unknown, responsePromise: Promise<unknown>, parseResponse: Parse) {
      super((resolve) => resolve(null as T));
      this.#client = client;
      this.#responsePromise = responsePromise as Promise<ResponseProps>;
      this.#parseResponse = parseResponse;
    }

    // Promise methods (then/catch/finally) must build plain promises, not new instances of this class.
    static override get [Symbol.species]() {
      return Promise;
    }

    _thenUnwrap<U>(transform: (data: T, props: ResponseProps) => U): FallbackAPIPromise<U> {
      return new FallbackAPIPromise<U>(this.#client, this.#responsePromise, async (client, props) =>
        withRequestId(transform((await this.#parseResponse(client, props)) as T, props), props.response),
      );
    }

    asResponse(): Promise<Response> {
      return this.#responsePromise.then((props) => props.response);
    }

    async withResponse(): Promise<{ data: T; response: Response; request_id: string | null }> {
      const [data, response] = await Promise.all([this.#parse(), this.asResponse()]);
      return { data, response, request_id: response.headers.get(requestIdHeader) };
    }

    #parse(): Promise<T> {
      this.#parsed ??= this.#responsePromise.then((props) => this.#parseResponse(this.#client, props) as T);
      return this.#parsed;
    }

    // biome-ignore lint/suspicious/noThenProperty: it is a Promise subclass; parsing is lazy, like the SDK's.
    override then<A = T, B = never>(
      onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
      onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
    ): Promise<A | B> {
      return this.#parse().then(onfulfilled, onrejected);
    }

    override catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
      return this.#parse().catch(onrejected);
    }

    override finally(onfinally?: (() => void) | null): Promise<T> {
      return this.#parse().finally(onfinally);
    }
  }
  return FallbackAPIPromise as unknown as APIPromiseClass;
}

/**
 * The governed iterator factory as the SDK's own `Stream.iterator` is: an async generator method named
 * `iterator`, so that an app that logs the stream object sees what it sees without GenOps
 * (`[AsyncGeneratorFunction: iterator]`). It delegates with `yield*`: `next`, `return` and `throw` reach the
 * governed iterator unchanged.
 */
function asIteratorMethod<T>(factory: () => AsyncIterator<T>): () => AsyncGenerator<T> {
  return {
    async *iterator() {
      return yield* { [Symbol.asyncIterator]: factory };
    },
  }.iterator;
}
