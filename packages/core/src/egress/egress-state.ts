// What the fetch interceptor and the node:http listener share: the mode, the host table, which
// requests are targets, the "inside a governed unit" check, the deny error and the warn-mode span.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { currentGovernor } from '../adapters';
import { PolicyViolationError } from '../errors/policy-violation-error';
import type { Governor } from '../governor';
import { activeGovernedCall } from '../pipeline/call';
import type { CallOutcome, GovernedCall } from '../pipeline/types';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '../semconv';
import { type Endpoint, endpointFor } from './endpoints';
import { type EgressHost, HostTable, hostAndPort } from './hosts';
import type { EgressMode, ResolvedEgress } from './options';
import type { UnitSink } from './wire-handler';

/** The span attribute that flags a request to a model provider no governed unit made (warn mode). */
export const UNGOVERNED_ATTRIBUTE = 'genops.egress.ungoverned';

/** Operations that are a model call: a request made inside one is that call's own request. */
const MODEL_OPERATIONS: ReadonlySet<string> = new Set(['chat', 'text_completion', 'generate_content', 'embeddings']);

/** The governed model call whose request is being made (its `runInContext` is active), if any. */
export function currentGovernedCall(): GovernedCall | undefined {
  const call = activeGovernedCall();
  return call?.open && MODEL_OPERATIONS.has(call.operation) ? call : undefined;
}

/** Whether the request being made belongs to a governed model call (one context lookup). */
export function insideGovernedUnit(): boolean {
  return currentGovernedCall() !== undefined;
}

/** A request to a provider host that may bill. */
export interface EgressTarget {
  origin: string;
  path: string;
  provider: string;
  endpoint: Endpoint;
  server: { serverAddress: string; serverPort: number };
}

/** What {@link EgressState.passOn} reads of undici's dispatch options. */
export interface PassedOptions {
  origin?: string | URL;
  method: string;
  path: string;
}

const MAX_CACHED_ORIGINS = 1000;
const MAX_PASSED_KEYS = 1000;

/**
 * Provider requests egress passed on that undici has not created yet, by `METHOD origin path`: a created
 * request counted here went through egress (see dispatcher-bypass.ts).
 */
export class PassedRequests {
  private readonly counts = new Map<string, number>();

  add(origin: string, method: string, path: string): void {
    const key = `${method} ${origin}${path}`;
    if (this.counts.size >= MAX_PASSED_KEYS && !this.counts.has(key)) this.counts.clear();
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  take(origin: string, method: string, path: string): boolean {
    const key = `${method} ${origin}${path}`;
    const count = this.counts.get(key);
    if (count === undefined) return false;
    if (count <= 1) this.counts.delete(key);
    else this.counts.set(key, count - 1);
    return true;
  }
}
const MAX_WARNED = 1000;

/** A provider host an origin belongs to, with the origin's host name and port. */
type OriginHost = { host: EgressHost; hostname: string; port: number };

export class EgressState {
  readonly mode: EgressMode;
  readonly maxBodyBytes: number;
  private readonly table: HostTable;
  private readonly origins = new Map<string, OriginHost | null>();
  private readonly warned = new Set<string>();
  /** Provider requests egress passed on that undici created later (dispatcher-bypass.ts tells them from bypasses). */
  readonly passed = new PassedRequests();
  /** The provider request egress is passing on right now ({@link passOn}). */
  private passing: PassedOptions | undefined;

  constructor(options: ResolvedEgress) {
    this.mode = options.mode;
    this.maxBodyBytes = options.maxBodyBytes;
    this.table = new HostTable(options.hosts);
  }

  governor(): Governor | undefined {
    return currentGovernor();
  }

  /** The origin {@link host} looked up last and what it found (`null`: not a provider host). */
  private lastOrigin: string | undefined;
  private lastFound: OriginHost | null = null;

  /**
   * The provider host of `origin`, cached per origin string. One request asks up to four times (the
   * dispatcher, the interceptor, passOn, the bypass watcher) with the same string: the last answer is
   * kept beside the map, so those are one comparison.
   */
  host(origin: string): OriginHost | undefined {
    if (origin === this.lastOrigin) return this.lastFound ?? undefined;
    let found = this.origins.get(origin);
    if (found === undefined) {
      const parts = hostAndPort(origin);
      const host = parts ? this.table.match(parts.hostname, parts.port) : undefined;
      found = parts && host ? { host, hostname: parts.hostname, port: Number(parts.port) } : null;
      if (this.origins.size >= MAX_CACHED_ORIGINS) this.origins.clear();
      this.origins.set(origin, found);
    }
    this.lastOrigin = origin;
    this.lastFound = found;
    return found ?? undefined;
  }

  /**
   * The request as an egress target, or `undefined` when egress leaves it alone: not a provider host
   * (one cached map lookup), made by a governed model call (one context lookup), or a request that
   * bills nothing.
   */
  target(origin: string | URL | undefined, method: string, path: string): EgressTarget | undefined {
    if (origin === undefined) return undefined;
    const key = typeof origin === 'string' ? origin : origin.origin;
    const found = this.host(key);
    if (!found || insideGovernedUnit()) return undefined;
    const endpoint = endpointFor(method, path);
    if (!endpoint) return undefined;
    return {
      origin: key,
      path,
      provider: found.host.provider ?? endpoint.provider,
      endpoint,
      server: { serverAddress: found.hostname, serverPort: found.port },
    };
  }

  /**
   * Passes a request on to undici (`send(options, handler)`) so that dispatcher-bypass.ts knows it when
   * undici creates it: a provider request is marked while `send` runs (undici creates the request in
   * it, unless an interceptor further down defers it), and counted in {@link passed} when it was not
   * created by the time `send` returns.
   */
  passOn<O extends PassedOptions, H>(options: O, handler: H, send: (options: O, handler: H) => boolean): boolean {
    const origin = options.origin;
    if (origin === undefined) return send(options, handler);
    const key = typeof origin === 'string' ? origin : origin.origin;
    if (!this.host(key)) return send(options, handler);
    const outer = this.passing;
    this.passing = options;
    try {
      return send(options, handler);
    } finally {
      if (this.passing === options) this.passed.add(key, options.method, options.path);
      this.passing = outer;
    }
  }

  /** Whether undici's new request (to a provider host) is one egress passed on; forgets it once told. */
  takePassed(origin: string, method: string, path: string): boolean {
    const passing = this.passing;
    if (passing !== undefined && passing.path === path && passing.method === method) {
      this.passing = undefined;
      return true;
    }
    return this.passed.take(origin, method, path);
  }

  /** True the first time an endpoint (origin, method, path without query) is seen. */
  firstTime(key: string): boolean {
    if (this.warned.has(key)) return false;
    if (this.warned.size >= MAX_WARNED) this.warned.clear();
    this.warned.add(key);
    return true;
  }
}

/** `origin` + path without its query: the endpoint a warning or a denial names. */
export function endpointKey(target: EgressTarget): string {
  const query = target.path.indexOf('?');
  return `${target.origin}${query >= 0 ? target.path.slice(0, query) : target.path}`;
}

/** The error a `deny`-mode request is refused with (`message`: another wording of what was refused and why). */
export function denialOf(target: EgressTarget, message?: string): PolicyViolationError {
  return new PolicyViolationError({
    rule: 'egress',
    reasonCode: 'x_egress_denied',
    message:
      message ??
      `GenOps egress is 'deny': a ${target.provider} request to ${endpointKey(target)} outside a governed call was refused ` +
        `before it was sent. Call the provider through a GenOps adapter (e.g. instrumentOpenAI(client)), or set ` +
        `GenOps.init({ egress: 'govern' }) to govern such requests from the wire.`,
  });
}

/**
 * Warn mode: the request passes; one span (`{operation} {model}`, flagged `genops.egress.ungoverned`)
 * records it with the usage read from the response, and stderr gets one line per endpoint.
 */
export function warnUngoverned(
  state: EgressState,
  governor: Governor,
  target: EgressTarget,
  model?: string,
  attributes?: Record<string, string | number | boolean>,
): UnitSink {
  const key = endpointKey(target);
  if (state.firstTime(key))
    process.stderr.write(
      `genops: egress: a ${target.provider} request to ${key} is not governed (no policy, budget or reservation). ` +
        `Govern it with GenOps.init({ egress: 'govern' }) or a GenOps adapter, or refuse it with egress: 'deny'.\n`,
    );
  const name = model ? `${target.endpoint.operation} ${model}` : target.endpoint.operation;
  const span = governor.tracer.startSpan(name, {
    kind: SpanKind.CLIENT,
    attributes: {
      [ATTR_GEN_AI_OPERATION_NAME]: target.endpoint.operation,
      [ATTR_GEN_AI_PROVIDER_NAME]: target.provider,
      ...(model ? { [ATTR_GEN_AI_REQUEST_MODEL]: model } : {}),
      [ATTR_SERVER_ADDRESS]: target.server.serverAddress,
      [ATTR_SERVER_PORT]: target.server.serverPort,
      [UNGOVERNED_ATTRIBUTE]: true,
      ...attributes,
    },
  });
  let ended = false;
  const finish = (outcome: CallOutcome | undefined, error?: unknown) => {
    if (ended) return;
    ended = true;
    const usage = outcome?.usage;
    if (usage) {
      span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, usage.inputTokens);
      span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, usage.outputTokens);
    }
    if (outcome?.response?.model) span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, outcome.response.model);
    if (error !== undefined) {
      span.setAttribute(ATTR_ERROR_TYPE, (error as Error)?.name ?? '_OTHER');
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.name ?? 'error' });
    }
    span.end();
  };
  return {
    firstChunk() {},
    end: (outcome) => finish(outcome),
    fail: (error, partial) => finish(partial, error),
  };
}
