// Anthropic Managed Agents seen by egress alone (no adapter: a bundled app, an un-patched SDK, a plain
// `fetch`): a session created with `initial_events` and events sent to a session are governed as one
// agent turn when their body carries a user event, and pass untouched when it does not; the answers
// to agent and session reads and writes teach egress each agent's model; the session's event stream
// (or events list), when the app reads it, settles the turn (managed-agents.ts, shared with the
// Anthropic adapter). A body egress cannot read is governed as a turn (never passed as set-up).
import { startGovernedCall } from '../adapter/run-governed-call';
import type { Governor } from '../governor';
import type { CallOutcome, GovernedCall } from '../pipeline/types';
import type { GovernedRequest } from '../types';
import type { EgressState } from './egress-state';
import { agentsPathOf, type Endpoint, isObject } from './endpoints';
import type { Dispatch, DispatchOptions, GovernedWire, WireBody, WireRequest } from './govern-wire';
import {
  agentOfReference,
  agentReferenceOf,
  describeAgentTurn,
  knownAgent,
  knownSessionAgent,
  onSessionEvent,
  openAgentTurn,
  rememberAgent,
  rememberSession,
  startsTurn,
  type TurnOptions,
} from './managed-agents';
import { ResponseObserver } from './response-observer';
import { type DispatchHandler, type UnitSink, WireHandler } from './wire-handler';

/** Whether an agent write's parsed body (`undefined`: unreadable) starts no turn: it bills nothing. */
export function agentWriteIsFree(endpoint: Endpoint, json: unknown): boolean {
  if (!endpoint.agentTurn || !isObject(json)) return false;
  return !startsTurn(endpoint.agentTurn.sessionId === undefined ? json.initial_events : json.events);
}

/**
 * The turn as a governed request: the agent's model as far as this process has seen it (the answers
 * to agent and session writes and reads: {@link watchAgentsResponse}); an agent it has not seen is
 * `unknown-model`, which unknown-model handling decides (deny by default).
 */
export function describeWireTurn(
  governor: Governor,
  endpoint: Endpoint,
  json: unknown,
  server: { serverAddress: string; serverPort: number },
): GovernedRequest {
  const sessionId = endpoint.agentTurn?.sessionId;
  const body = isObject(json) ? json : {};
  let agent: ReturnType<typeof knownSessionAgent>;
  if (sessionId !== undefined) agent = knownSessionAgent(sessionId);
  else {
    const reference = agentReferenceOf(body.agent);
    agent = agentOfReference(reference, reference.id ? knownAgent(reference.id) : undefined);
  }
  return describeAgentTurn(
    agent,
    sessionId !== undefined ? body.events : body.initial_events,
    server,
    sessionId !== undefined ? 'egress sessions.events.send' : 'egress sessions.create',
    governor.requestsPerTurn,
  );
}

/**
 * A Managed Agents write (`POST /v1/sessions`, `POST /v1/sessions/{id}/events`) in govern mode: passed
 * untouched when its body starts no turn, else governed as a turn that stays open after the answer,
 * settled from the session's events.
 */
export async function governAgentWrite(
  governor: Governor,
  request: WireRequest,
  json: unknown,
  body: WireBody,
  handler: DispatchHandler,
  dispatch: Dispatch,
): Promise<GovernedWire> {
  const { endpoint, options } = request;
  if (body.complete && agentWriteIsFree(endpoint, json)) {
    dispatch({ ...options, body: body.replay }, watchAgentsResponse(options, handler, request.maxBodyBytes));
    return { call: undefined, settled: Promise.resolve() };
  }
  if (isObject(json))
    await learnAgent(
      (resource) => sideRequest(dispatch, options, 'GET', resource, request.maxBodyBytes),
      endpoint,
      json,
    );
  const described = describeWireTurn(governor, endpoint, json, request.server);
  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const turn = (sessionId: string): TurnOptions => ({
    governor,
    request: described,
    // The server stops the turn (an interrupt bills nothing).
    interrupt: () =>
      sideRequest(dispatch, options, 'POST', `/v1/sessions/${encodeURIComponent(sessionId)}/events`, 64 * 1024, {
        events: [{ type: 'user.interrupt' }],
      }),
  });
  const { call } = await startGovernedCall(governor, described, {
    input: body.replay,
    execute: (sent, governed) => {
      const { sink, observer } = agentTurnExchange(governed, endpoint, json, turn, request.maxBodyBytes, settle);
      dispatch({ ...options, body: sent }, new WireHandler(handler, sink, observer));
    },
  });
  return { call, settled };
}

/**
 * The governed unit of an agent turn's request as it leaves (fetch and node:http egress): what reads its
 * answer, and what the answer does to the unit. A send's turn is queued on its session at once (a stream
 * the app already reads attributes the turn's events even when they arrive before the answer); a new
 * session's, once its answer names it (without an id the turn cannot be followed: it settles at its
 * reservation, flagged incomplete). The turn then settles from the session's events. `settled` runs when
 * the request is answered or fails.
 */
export function agentTurnExchange(
  governed: GovernedCall,
  endpoint: Endpoint,
  json: unknown,
  turn: (sessionId: string) => TurnOptions,
  maxBodyBytes: number,
  settled: () => void = () => {},
): { sink: UnitSink; observer: ResponseObserver } {
  const sessionId = endpoint.agentTurn?.sessionId;
  if (sessionId !== undefined)
    openAgentTurn(sessionId, governed, turn(sessionId), isObject(json) ? json.events : undefined);
  const sink: UnitSink = {
    firstChunk: () => governed.firstChunk(),
    end: (outcome: CallOutcome) => {
      settled();
      if (sessionId !== undefined) return undefined;
      const created = outcome.response?.id;
      if (typeof created !== 'string') return governed.end({ incomplete: true });
      openAgentTurn(created, governed, turn(created));
      return undefined;
    },
    fail: (error: unknown, partial?: CallOutcome) => {
      const failed = governed.fail(error, partial);
      failed.then(settled, settled);
      return failed;
    },
  };
  const observer = new ResponseObserver('anthropic-agents', false, {
    maxBodyBytes,
    maxLineBytes: 1024 * 1024,
    onEvent: (event) => rememberSession(event),
  });
  return { sink, observer };
}

/** {@link watchAgentsResponse} for a request to a provider host (one cached lookup for any other). */
export function watchAgents(state: EgressState, options: DispatchOptions, handler: DispatchHandler): DispatchHandler {
  const origin = options.origin;
  if (origin === undefined || !state.host(typeof origin === 'string' ? origin : origin.origin)) return handler;
  return watchAgentsResponse(options, handler, state.maxBodyBytes);
}

/**
 * The caller's handler, wrapped to read a Managed Agents answer as it passes when `options` is one:
 * agents and sessions (remembered for their model), and a session's events (which settle its open
 * turns; events of a session with none are ignored). Any other request: the handler itself.
 */
export function watchAgentsResponse(
  options: DispatchOptions,
  handler: DispatchHandler,
  maxBodyBytes: number,
): DispatchHandler {
  const observer = agentsObserver(options.method, options.path, maxBodyBytes);
  return observer ? new WireHandler(handler, NO_UNIT, observer) : handler;
}

/**
 * What reads a Managed Agents answer as it passes (fetch and node:http egress), when `method path` is one:
 * agents and sessions (remembered for their model), and a session's events, a page or the stream (which
 * settle its open turns; events of a session with none are ignored). `undefined` for any other request.
 */
export function agentsObserver(method: string, path: string, maxBodyBytes: number): ResponseObserver | undefined {
  const at = agentsPathOf(path);
  if (!at) return undefined;
  const verb = method.toUpperCase();
  if (verb !== 'GET' && verb !== 'POST') return undefined;
  let onEvent: ((event: Record<string, unknown>) => void) | undefined;
  if (at.kind === 'agent') onEvent = rememberAgent;
  else if (at.kind === 'session') onEvent = rememberSession;
  else if (verb === 'GET') {
    const sessionId = at.sessionId;
    onEvent = (event) => {
      // A list answers a page of events; the stream, one event per SSE message.
      if (Array.isArray(event.data)) for (const item of event.data) void onSessionEvent(sessionId, item);
      else void onSessionEvent(sessionId, event);
    };
  }
  if (!onEvent) return undefined;
  return new ResponseObserver('anthropic-agents', false, { maxBodyBytes, maxLineBytes: 1024 * 1024, onEvent });
}

/** A response read only for what it teaches (no unit to settle). */
export const NO_UNIT: UnitSink = { firstChunk() {}, end() {}, fail() {} };

/**
 * One request egress makes itself to the Managed Agents API, past egress (it bills nothing): with the
 * origin, base path, query and headers (the credentials) of the app's request `options`. Resolves with
 * the JSON answer (`undefined` when it is not JSON or over `maxBodyBytes`); rejects on an HTTP error.
 */
function sideRequest(
  dispatch: Dispatch,
  options: DispatchOptions,
  method: 'GET' | 'POST',
  resource: string,
  maxBodyBytes: number,
  json?: unknown,
): Promise<unknown> {
  const path = sidePath(options.path, resource);
  const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json), 'utf8');
  const headers = sideHeaders(headerPairs(options.headers), body);
  return new Promise((resolve, reject) => {
    const answer = new SideAnswer(`${method} ${resource}`, maxBodyBytes);
    let status = 0;
    const done: DispatchHandler = {
      onRequestStart() {},
      onResponseStart(_controller, statusCode) {
        status = statusCode;
      },
      onResponseData(_controller, chunk) {
        answer.data(chunk);
      },
      onResponseEnd() {
        try {
          resolve(answer.end(status));
        } catch (error) {
          reject(error);
        }
      },
      onResponseError: (_controller, error) => reject(error),
    };
    try {
      dispatch({ origin: options.origin, method, path, headers, ...(body ? { body } : {}) }, done);
    } catch (error) {
      reject(error);
    }
  });
}

/** A side request's answer as it arrives: its JSON when it ends (bounded), or an error for an error status. */
export class SideAnswer {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly what: string,
    private readonly maxBodyBytes: number,
  ) {}

  data(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    if (this.bytes <= this.maxBodyBytes) this.chunks.push(Buffer.from(chunk));
  }

  /** The JSON answer (`undefined` when it is not JSON or over the limit); throws for an HTTP error status. */
  end(status: number): unknown {
    if (status >= 300) throw new Error(`${this.what} was answered HTTP ${status}`);
    if (this.bytes > this.maxBodyBytes) return undefined;
    try {
      return JSON.parse(Buffer.concat(this.chunks).toString('utf8'));
    } catch {
      return undefined;
    }
  }
}

/**
 * The path of a side request for `resource` (`/v1/...`) beside the app's request path `appPath`: the same
 * base path before `/v1` and the app's query (`?beta=true`) joined to the resource's own.
 */
export function sidePath(appPath: string, resource: string): string {
  const query = appPath.indexOf('?');
  const at = appPath.indexOf('/v1/');
  const base = at >= 0 && (query < 0 || at < query) ? appPath.slice(0, at) : '';
  const extra = query >= 0 ? appPath.slice(query + 1) : '';
  return `${base}${resource}${extra ? (resource.includes('?') ? '&' : '?') + extra : ''}`;
}

/** A side request's headers: the app's (its credentials), but those of its body or one per request. */
export function sideHeaders(pairs: Iterable<[string, string]>, body: Uint8Array | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (SKIPPED_HEADERS.has(lower)) continue;
    headers[lower] = value;
  }
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.byteLength);
  }
  return headers;
}

/** Headers of the app's request that a side request does not copy (its body's, or one-per-request ones). */
const SKIPPED_HEADERS: ReadonlySet<string> = new Set([
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'idempotency-key',
  'traceparent',
]);

/**
 * Learns the model of an agent turn's agent this process has not seen: one read of the session (a send)
 * or of the agent (a new session naming an agent by id), as the Anthropic adapter does, with `read` (a
 * side request past egress). A failed read leaves the model unknown (unknown-model handling decides).
 */
export async function learnAgent(
  read: (resource: string) => Promise<unknown>,
  endpoint: Endpoint,
  json: unknown,
): Promise<void> {
  const sessionId = endpoint.agentTurn?.sessionId;
  const readSafely = (resource: string) => read(resource).catch(() => undefined);
  if (sessionId !== undefined) {
    if (!knownSessionAgent(sessionId))
      rememberSession(await readSafely(`/v1/sessions/${encodeURIComponent(sessionId)}`));
    return;
  }
  const reference = agentReferenceOf(isObject(json) ? json.agent : undefined);
  if (!reference.id || reference.overrides.model || knownAgent(reference.id)) return;
  const version = reference.version !== undefined ? `?version=${reference.version}` : '';
  rememberAgent(await readSafely(`/v1/agents/${encodeURIComponent(reference.id)}${version}`));
}

/** undici headers (an object, a flat `[name, value, ...]` array, or pairs) as name-value pairs. */
function headerPairs(headers: unknown): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (!headers || typeof headers !== 'object') return pairs;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown[][]) pairs.push([String(pair[0]), String(pair[1])]);
    } else
      for (let index = 0; index + 1 < headers.length; index += 2)
        pairs.push([String(headers[index]), String(headers[index + 1])]);
    return pairs;
  }
  for (const [name, value] of Object.entries(headers as Record<string, unknown>))
    if (value !== undefined) pairs.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
  return pairs;
}
