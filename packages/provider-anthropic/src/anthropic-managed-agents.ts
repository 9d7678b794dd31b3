import {
  type APIPromiseClass,
  type CallOutcome,
  currentGovernor,
  endpointOf,
  estimateInputTokens,
  type GovernedCall,
  type GovernedRequest,
  governStainlessCall,
  type StainlessMethod,
  safely,
  type Usage,
} from '@genops/core/adapter';
import { addUsage } from './anthropic-message-batches';
import { convertAnthropicUsage } from './convert-anthropic-usage';
import { anthropicMethods } from './govern-anthropic-call';

/**
 * Claude Managed Agents (beta `managed-agents-2026-04-01`). Creating agents, environments, vaults, skills
 * and sessions bills nothing; what bills is an agent turn, which runs when the app sends a session a
 * user event (`user.message`, a tool result, a tool confirmation, an outcome to work towards):
 * `beta.sessions.events.send(id, { events })`, or `beta.sessions.create({ initial_events })`.
 *
 * The governed unit is that send: one unit per call that carries at least one such event, of the
 * session agent's model, reserved at that model's worst case for one model request (its input estimate
 * from the events' text, the agent's system prompt and tools, and the model's maximum output, as for a
 * message with no `max_tokens`). The turn runs on Anthropic's side, so the unit stays open after the
 * send returns; it settles from the usage the API reports on the session's event stream, which the app
 * reads with `beta.sessions.events.stream(id)`: the `model_usage` of every `span.model_request_end`
 * (and `usage` of every `span.outcome_evaluation_end`) between the send and the next
 * `session.status_idle`. A turn may make several model requests, so it can settle above its reservation.
 * A unit whose turn is never observed (the app never reads the stream, or stops before the idle event)
 * settles at its reservation, flagged incomplete, at shutdown or exit, like a batch whose results are
 * never read. Session runtime (`active_seconds`) is not priced.
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/managed-agents
 */
export type ManagedAgentsMethod = 'beta.sessions.events.send' | 'beta.sessions.create';

/** User events that start (or resume) an agent turn. */
const TURN_EVENTS: ReadonlySet<string> = new Set([
  'user.message',
  'user.tool_result',
  'user.custom_tool_result',
  'user.tool_confirmation',
  'user.define_outcome',
]);

/** The agent of a session as governance needs it: model, and the text sent with every model request. */
interface AgentInfo {
  model: string;
  system?: unknown;
  tools?: unknown;
}

/** One sent turn, waiting for its usage on the session's event stream. */
interface OpenTurn {
  call: GovernedCall;
  usage: Usage | undefined;
  /** A `session.status_running` or model request was seen since the send: the next idle ends this turn. */
  started: boolean;
}

interface SessionState {
  turns: OpenTurn[];
  /** Event ids already read, so a stream that replays history (or a second stream) counts an event once. */
  seen: Set<string>;
}

const MAX_SEEN_EVENTS = 10_000;
const MAX_KNOWN = 10_000;

/** What this process learnt of agents and sessions from the API's answers (bounded). */
const agents = new Map<string, AgentInfo>();
const sessionAgents = new Map<string, AgentInfo>();
const sessions = new Map<string, SessionState>();

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_KNOWN && !map.has(key)) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

function stateOf(sessionId: string): SessionState {
  let state = sessions.get(sessionId);
  if (!state) {
    state = { turns: [], seen: new Set() };
    remember(sessions, sessionId, state);
  }
  return state;
}

/** Whether `events` holds a user event that runs an agent turn. */
export function startsTurn(events: unknown): boolean {
  return (
    Array.isArray(events) && events.some((event) => TURN_EVENTS.has((event as { type?: unknown })?.type as string))
  );
}

/** The model id of an agent's `model` (a string, or a model config `{ id, speed }`). */
function modelIdOf(model: unknown): string | undefined {
  if (typeof model === 'string' && model !== '') return model;
  const id = (model as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** Reads an agent object (`agents.create|retrieve|update`, or a session's `agent`) into what governance needs. */
function agentInfoOf(agent: unknown): AgentInfo | undefined {
  const object = agent as { model?: unknown; system?: unknown; tools?: unknown } | null;
  const model = modelIdOf(object?.model);
  return model ? { model, system: object?.system, tools: object?.tools } : undefined;
}

/** Records the agents and sessions the app creates or reads, by id, from the parsed answer. */
export function rememberAgent(agent: unknown): void {
  const id = (agent as { id?: unknown } | null)?.id;
  const info = agentInfoOf(agent);
  if (typeof id === 'string' && info) remember(agents, id, info);
}

export function rememberSession(session: unknown): void {
  const object = session as { id?: unknown; agent?: unknown } | null;
  const info = agentInfoOf(object?.agent);
  if (typeof object?.id === 'string' && info) remember(sessionAgents, object.id, info);
}

/** The agent a session runs: known from its creation, or read once with `sessions.retrieve`. */
async function sessionAgent(client: any, sessionId: string): Promise<AgentInfo | undefined> {
  const known = sessionAgents.get(sessionId);
  if (known) return known;
  // A session this process did not create: one read of it names its agent's model. If it fails, the
  // model stays unknown and unknown-model handling decides (deny by default).
  const session = await Promise.resolve(client?.beta?.sessions?.retrieve?.(sessionId)).catch(() => undefined);
  rememberSession(session);
  return sessionAgents.get(sessionId);
}

/** The agent a new session will run: its overrides, else the agent as created here or read once. */
async function agentOfCreate(client: any, reference: unknown): Promise<AgentInfo | undefined> {
  const params = (typeof reference === 'string' ? { id: reference } : reference) as {
    id?: unknown;
    version?: unknown;
    model?: unknown;
    system?: unknown;
    tools?: unknown;
  } | null;
  const id = typeof params?.id === 'string' ? params.id : undefined;
  let base = id ? agents.get(id) : undefined;
  if (!base && id) {
    const version = typeof params?.version === 'number' ? { version: params.version } : {};
    rememberAgent(await Promise.resolve(client?.beta?.agents?.retrieve?.(id, version)).catch(() => undefined));
    base = agents.get(id);
  }
  const model = modelIdOf(params?.model) ?? base?.model;
  if (!model) return undefined;
  return { model, system: params?.system ?? base?.system, tools: params?.tools ?? base?.tools };
}

/** One agent turn as a governed request: the agent's model, the events' text and the agent's prompt as input. */
export function describeAgentTurn(
  agent: AgentInfo | undefined,
  events: unknown,
  baseURL: string | undefined,
  method: ManagedAgentsMethod,
): GovernedRequest {
  return {
    provider: 'anthropic',
    operation: 'chat',
    // An agent GenOps could not read has no price: unknown-model handling decides (deny by default).
    model: agent?.model ?? 'unknown-model',
    method,
    estimatedInputTokens:
      estimateInputTokens(events) + estimateInputTokens(agent?.system) + estimateInputTokens(agent?.tools),
    ...endpointOf(baseURL),
    requestAttributes: {},
    editable: { model: false, text: false },
  };
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
      const baseURL = typeof client?.baseURL === 'string' ? client.baseURL : undefined;
      const send: StainlessMethod = function (this: unknown, body, sendOptions) {
        return original.call(this, sessionId, body, sendOptions);
      };
      return governStainlessCall(
        governor,
        {
          request: sessionAgent(client, sessionId).then((agent) =>
            describeAgentTurn(agent, params.events, baseURL, 'beta.sessions.events.send'),
          ),
          // The turn is queued as the request leaves, so a stream the app already reads attributes the
          // turn's events even when they arrive before the send's response.
          options: (call) => {
            openTurn(sessionId, call);
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
    const baseURL = typeof client?.baseURL === 'string' ? client.baseURL : undefined;
    return governStainlessCall(
      governor,
      {
        request: agentOfCreate(client, params.agent).then((agent) =>
          describeAgentTurn(agent, params.initial_events, baseURL, 'beta.sessions.create'),
        ),
        outcome: () => ({ incomplete: true }),
        streamObserver: () => ({ onChunk() {}, outcome: () => ({}) }),
        defer: (session, call) => {
          rememberSession(session);
          return typeof session?.id === 'string' && openTurn(session.id, call);
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

/** Whether a governed call is still unsettled (core's call objects say so with `open`). */
function isOpen(call: GovernedCall): boolean {
  return (call as { open?: unknown }).open !== false;
}

function openTurn(sessionId: string, call: GovernedCall): boolean {
  const state = stateOf(sessionId);
  state.turns.push({ call, usage: undefined, started: false });
  return true;
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
    const state = stateOf(sessionId);
    // `_thenUnwrap` keeps the SDK's APIPromise (withResponse(), asResponse()) for the caller.
    if (typeof result._thenUnwrap !== 'function') return result;
    return result._thenUnwrap((stream: any) => {
      if (typeof stream?.iterator !== 'function') return stream;
      const iterator = stream.iterator.bind(stream);
      stream.iterator = () => readTurns(state, iterator());
      return stream;
    });
  });
}

async function* readTurns(state: SessionState, source: AsyncIterator<any>): AsyncGenerator<any> {
  const iterable = { [Symbol.asyncIterator]: () => source };
  for await (const event of iterable) {
    await safelyAsync(() => onSessionEvent(state, event));
    yield event;
  }
}

async function safelyAsync(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch {
    // Reading usage must never break the caller's stream.
  }
}

/** Applies one session event to the oldest open turn: usage adds up, the next idle settles it. */
async function onSessionEvent(state: SessionState, event: any): Promise<void> {
  const id = typeof event?.id === 'string' ? event.id : undefined;
  if (id !== undefined) {
    if (state.seen.has(id)) return;
    if (state.seen.size >= MAX_SEEN_EVENTS) state.seen.clear();
    state.seen.add(id);
  }
  // A send that failed (an HTTP error after it left) queued a turn whose call is already settled.
  while (state.turns[0] && !isOpen(state.turns[0].call)) state.turns.shift();
  const turn = state.turns[0];
  if (!turn) return;
  switch (event?.type) {
    case 'session.status_running':
    case 'span.model_request_start':
      turn.started = true;
      return;
    case 'span.model_request_end':
    case 'span.outcome_evaluation_end': {
      turn.started = true;
      const usage = convertAnthropicUsage(event.type === 'span.model_request_end' ? event.model_usage : event.usage);
      if (usage) turn.usage = turn.usage ? addUsage(turn.usage, usage) : usage;
      return;
    }
    case 'session.status_idle':
    case 'session.status_terminated': {
      if (!turn.started && event.type === 'session.status_idle') return;
      state.turns.shift();
      const reason = event.stop_reason?.type;
      const outcome: CallOutcome = {
        // A turn that ran no model request (an interrupted one) billed nothing.
        usage: turn.usage ?? { inputTokens: 0, outputTokens: 0 },
        response: { finishReasons: typeof reason === 'string' ? [reason] : [event.type] },
      };
      await turn.call.end(outcome);
      return;
    }
  }
}
