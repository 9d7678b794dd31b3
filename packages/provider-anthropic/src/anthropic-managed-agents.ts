import {
  type AgentInfo,
  type APIPromiseClass,
  agentOfReference,
  agentReferenceOf,
  currentGovernor,
  describeAgentTurn,
  endpointOf,
  type GovernedCall,
  type GovernedRequest,
  type Governor,
  governStainlessCall,
  knownAgent,
  knownSessionAgent,
  onSessionEvent,
  openAgentTurn,
  rememberAgent,
  rememberSession,
  type StainlessMethod,
  safely,
  startsTurn,
} from '@genops/core/adapter';
import { anthropicMethods } from './govern-anthropic-call';

/**
 * Claude Managed Agents (beta `managed-agents-2026-04-01`). Creating agents, environments, vaults, skills
 * and sessions bills nothing; what bills is an agent turn, which runs when the app sends a session a
 * user event (`user.message`, a tool result, a tool confirmation, an outcome to work towards):
 * `beta.sessions.events.send(id, { events })`, or `beta.sessions.create({ initial_events })`.
 *
 * The governed unit is that send: one unit per call that carries at least one such event, of the
 * session agent's model, reserved at that model's worst case for `managedAgents.requestsPerTurn` model
 * requests (default 4; each: its input estimate from the events' text, the agent's system prompt and
 * tools, and the model's maximum output, as for a message with no `max_tokens`). The turn runs on
 * Anthropic's side, so the unit stays open after the send returns; it settles from the usage the API
 * reports on the session's event stream, which the app reads with `beta.sessions.events.stream(id)`:
 * the `model_usage` of every `span.model_request_end` (and `usage` of every
 * `span.outcome_evaluation_end`) between the send and the next `session.status_idle`. A turn that
 * starts more model requests than it reserved is topped up (a second unit reserving as many again); a
 * refused top-up interrupts the session (`user.interrupt`). The accounting is core's, shared with
 * egress (`@genops/core` egress/managed-agents.ts). A unit whose turn is never observed (the app never reads the stream, or stops before the idle event)
 * settles at its reservation, flagged incomplete, at shutdown or exit, like a batch whose results are
 * never read. Session runtime (`active_seconds`) is not priced.
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/managed-agents
 */
export type ManagedAgentsMethod = 'beta.sessions.events.send' | 'beta.sessions.create';

/** The agent a session runs: known from its creation, or read once with `sessions.retrieve`. */
async function sessionAgent(client: any, sessionId: string): Promise<AgentInfo | undefined> {
  const known = knownSessionAgent(sessionId);
  if (known) return known;
  // A session this process did not create: one read of it names its agent's model. If it fails, the
  // model stays unknown and unknown-model handling decides (deny by default).
  const session = await Promise.resolve(client?.beta?.sessions?.retrieve?.(sessionId)).catch(() => undefined);
  rememberSession(session);
  return knownSessionAgent(sessionId);
}

/** The agent a new session will run: its overrides, else the agent as created here or read once. */
async function agentOfCreate(client: any, params: unknown): Promise<AgentInfo | undefined> {
  const reference = agentReferenceOf(params);
  let base = reference.id ? knownAgent(reference.id) : undefined;
  if (!base && reference.id && !reference.overrides.model) {
    const version = reference.version !== undefined ? { version: reference.version } : {};
    rememberAgent(
      await Promise.resolve(client?.beta?.agents?.retrieve?.(reference.id, version)).catch(() => undefined),
    );
    base = knownAgent(reference.id);
  }
  return agentOfReference(reference, base);
}

/** The governed request of a turn, and how to stop it: an interrupt sent with the app's client. */
function turnOf(governor: Governor, client: any, request: GovernedRequest, sessionId: string) {
  return {
    governor,
    request,
    interrupt: () => client.beta.sessions.events.send(sessionId, { events: [{ type: 'user.interrupt' }] }),
  };
}

function describe(
  governor: Governor,
  client: any,
  agent: AgentInfo | undefined,
  events: unknown,
  method: ManagedAgentsMethod,
) {
  const baseURL = typeof client?.baseURL === 'string' ? client.baseURL : undefined;
  return describeAgentTurn(agent, events, endpointOf(baseURL), method, governor.requestsPerTurn);
}

/** Wraps `Sessions.Events.prototype.send(sessionId, params, options)`: a send that starts a turn is a governed unit. */
export function governSessionSend(original: (...args: any[]) => any, APIPromise: APIPromiseClass) {
  return anthropicMethods.mark(
    original,
    function (this: { _client: any }, sessionId: unknown, params: any, options?: unknown) {
      const governor = currentGovernor();
      if (!governor || typeof sessionId !== 'string' || !startsTurn(params?.events))
        return original.call(this, sessionId, params, options);
      const client = this._client;
      let described: GovernedRequest | undefined;
      const send: StainlessMethod = function (this: unknown, body, sendOptions) {
        return original.call(this, sessionId, body, sendOptions);
      };
      return governStainlessCall(
        governor,
        {
          request: sessionAgent(client, sessionId).then(
            (agent) => (described = describe(governor, client, agent, params.events, 'beta.sessions.events.send')),
          ),
          // The turn is queued as the request leaves, so a stream the app already reads attributes the
          // turn's events even when they arrive before the send's response.
          options: (call) => {
            openAgentTurn(sessionId, call, turnOf(governor, client, described!, sessionId), params.events);
            return options;
          },
          outcome: () => ({ incomplete: true }),
          streamObserver: () => ({ onChunk() {}, outcome: () => ({}) }),
          defer: () => true,
        },
        { self: this, body: params, options, original: send, APIPromise },
      );
    },
  );
}

/**
 * Wraps `Sessions.prototype.create(params, options)`: remembers the session's agent, and a session created
 * with `initial_events` that start a turn is a governed unit like a send.
 */
export function governSessionCreate(original: StainlessMethod, APIPromise: APIPromiseClass) {
  return anthropicMethods.mark(original, function (this, params, options) {
    const governor = currentGovernor();
    if (!governor) return original.call(this, params, options);
    if (!startsTurn(params?.initial_events)) return observe(original.call(this, params, options), rememberSession);
    const client = this._client;
    let described: GovernedRequest | undefined;
    return governStainlessCall(
      governor,
      {
        request: agentOfCreate(client, params.agent).then(
          (agent) => (described = describe(governor, client, agent, params.initial_events, 'beta.sessions.create')),
        ),
        outcome: () => ({ incomplete: true }),
        streamObserver: () => ({ onChunk() {}, outcome: () => ({}) }),
        defer: (session, call: GovernedCall) => {
          rememberSession(session);
          if (typeof session?.id !== 'string') return false;
          openAgentTurn(session.id, call, turnOf(governor, client, described!, session.id));
          return true;
        },
      },
      { self: this, body: params, options, original, APIPromise },
    );
  });
}

/** Wraps an `Agents` method (`create`, `retrieve`, `update`) to remember the agent's model from its answer. */
export function watchAgent(original: (...args: any[]) => any) {
  return anthropicMethods.mark(original, function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    return currentGovernor() ? observe(result, rememberAgent) : result;
  });
}

/**
 * Reads an SDK `APIPromise`'s parsed value when the caller reads it (`_thenUnwrap`: a new `APIPromise` of
 * the same response, so `asResponse()` and `withResponse()` keep working and nothing is parsed early).
 */
function observe(result: any, read: (value: unknown) => void): any {
  if (typeof result?._thenUnwrap !== 'function') return result;
  return result._thenUnwrap((value: unknown) => {
    safely(() => read(value), 'managed agents');
    return value;
  });
}

/**
 * Wraps `Sessions.Events.prototype.stream(sessionId, params, options)`: the events the app reads settle
 * the session's open turns, in order. The caller gets the SDK's own `Stream`, events unchanged.
 */
export function watchSessionStream(original: (...args: any[]) => any) {
  return anthropicMethods.mark(original, function (this: unknown, ...args: unknown[]) {
    const sessionId = args[0];
    const result = original.apply(this, args);
    if (typeof sessionId !== 'string' || typeof result?.then !== 'function') return result;
    // `_thenUnwrap` keeps the SDK's APIPromise (withResponse(), asResponse()) for the caller.
    if (typeof result._thenUnwrap !== 'function') return result;
    return result._thenUnwrap((stream: any) => {
      if (typeof stream?.iterator !== 'function') return stream;
      const iterator = stream.iterator.bind(stream);
      // A variable first: a function literal assigned to a property is made in V8's old generation, and
      // would keep the stream alive there (lint/no-property-function.grit).
      const governedIterator = () => readTurns(sessionId, iterator());
      stream.iterator = governedIterator;
      return stream;
    });
  });
}

async function* readTurns(sessionId: string, source: AsyncIterator<any>): AsyncGenerator<any> {
  const iterable = { [Symbol.asyncIterator]: () => source };
  for await (const event of iterable) {
    // Reading usage never breaks the caller's stream (onSessionEvent does not reject).
    await onSessionEvent(sessionId, event);
    yield event;
  }
}
