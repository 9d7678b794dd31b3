// Anthropic Claude Managed Agents turns (beta `managed-agents-2026-04-01`), shared by the Anthropic
// adapter (SDK calls) and egress (the same calls seen on the wire): which events start a turn, the
// agents and sessions this process has seen, one turn's worst case, and the accounting of a turn from
// the session's event stream — its model requests' usage, a top-up when it needs more requests than it
// reserved, and an interrupt when the top-up is refused. One registry per process, so a turn is
// settled once whichever path reads its events (events are counted once, by id).
import { context as otelContext, trace } from '@opentelemetry/api';
import { safely } from '../adapter/safely';
import { estimateInputTokens } from '../estimate';
import type { Governor } from '../governor';
import type { CallOutcome, GovernedCall } from '../pipeline/types';
import { ATTR_GENOPS_POLICY_REASON_CODE } from '../semconv';
import type { GovernedRequest, Usage } from '../types';
import { usageFromAnthropic } from '../usage/wire-usage';

/** User events that start (or resume) an agent turn. */
const TURN_EVENTS: ReadonlySet<string> = new Set([
  'user.message',
  'user.tool_result',
  'user.custom_tool_result',
  'user.tool_confirmation',
  'user.define_outcome',
]);

/** Span attributes of a turn (the unit that settles it). */
export const ATTR_AGENT_REQUESTS = 'genops.managed_agents.requests';
export const ATTR_AGENT_REQUESTS_RESERVED = 'genops.managed_agents.requests_reserved';
/** Why a turn settled above what it reserved: `top_up_refused` (it was interrupted). */
export const ATTR_AGENT_OVER_RESERVATION = 'genops.managed_agents.over_reservation';
/** The span event of an interrupt GenOps sent a session. */
export const EVENT_AGENT_INTERRUPT = 'genops.managed_agents.interrupt';

/** Whether `events` holds a user event that runs an agent turn. */
export function startsTurn(events: unknown): boolean {
  return (
    Array.isArray(events) && events.some((event) => TURN_EVENTS.has((event as { type?: unknown })?.type as string))
  );
}

/** The agent of a session as governance needs it: model, and the text sent with every model request. */
export interface AgentInfo {
  model: string;
  system?: unknown;
  tools?: unknown;
}

/** The model id of an agent's `model` (a string, or a model config `{ id, speed }`). */
function modelIdOf(model: unknown): string | undefined {
  if (typeof model === 'string' && model !== '') return model;
  const id = (model as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** Reads an agent object (an API answer, or a session's `agent`) into what governance needs. */
function agentInfoOf(agent: unknown): AgentInfo | undefined {
  const object = agent as { model?: unknown; system?: unknown; tools?: unknown } | null;
  const model = modelIdOf(object?.model);
  return model ? { model, system: object?.system, tools: object?.tools } : undefined;
}

const MAX_KNOWN = 10_000;
const MAX_SEEN_EVENTS = 10_000;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_KNOWN && !map.has(key)) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

/**
 * The registry: what this process learnt of agents and sessions from the API's answers, and the open turns
 * of each session (bounded). One per process, on `globalThis`: the ESM and CommonJS builds of core loaded
 * side by side (`--import @genops/core/register` beside an adapter `require`d from CommonJS) share it, so a
 * turn the adapter opened settles from events egress reads, and an event read by both counts once.
 */
interface Registry {
  agents: Map<string, AgentInfo>;
  sessionAgents: Map<string, AgentInfo>;
  sessions: Map<string, SessionState>;
}
const REGISTRY = Symbol.for('genops.managed-agents.registry.v1');
const registry: Registry = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= {
  agents: new Map(),
  sessionAgents: new Map(),
  sessions: new Map(),
}) as Registry;
const { agents, sessionAgents } = registry;

/** Records an agent the app created, updated or read (an agent object of the API). */
export function rememberAgent(agent: unknown): void {
  const id = (agent as { id?: unknown } | null)?.id;
  const info = agentInfoOf(agent);
  if (typeof id === 'string' && info) remember(agents, id, info);
}

/** Records a session the app created or read (a session object of the API, which embeds its agent). */
export function rememberSession(session: unknown): void {
  const object = session as { id?: unknown; agent?: unknown } | null;
  const info = agentInfoOf(object?.agent);
  if (typeof object?.id === 'string' && info) remember(sessionAgents, object.id, info);
}

export function knownAgent(id: string): AgentInfo | undefined {
  return agents.get(id);
}

export function knownSessionAgent(id: string): AgentInfo | undefined {
  return sessionAgents.get(id);
}

/** The agent reference of a `sessions.create` body: an id, or `{ id, version, model?, system?, tools? }`. */
export interface AgentReference {
  id: string | undefined;
  version: number | undefined;
  overrides: Partial<AgentInfo>;
}

export function agentReferenceOf(reference: unknown): AgentReference {
  const params = (typeof reference === 'string' ? { id: reference } : reference) as {
    id?: unknown;
    version?: unknown;
    model?: unknown;
    system?: unknown;
    tools?: unknown;
  } | null;
  const overrides: Partial<AgentInfo> = {};
  const model = modelIdOf(params?.model);
  if (model) overrides.model = model;
  if (params?.system !== undefined) overrides.system = params.system;
  if (params?.tools !== undefined) overrides.tools = params.tools;
  return {
    id: typeof params?.id === 'string' ? params.id : undefined,
    version: typeof params?.version === 'number' ? params.version : undefined,
    overrides,
  };
}

/** The agent a new session runs: the reference's overrides over the agent known by its id. */
export function agentOfReference(reference: AgentReference, base: AgentInfo | undefined): AgentInfo | undefined {
  const model = reference.overrides.model ?? base?.model;
  if (!model) return undefined;
  return {
    model,
    system: reference.overrides.system ?? base?.system,
    tools: reference.overrides.tools ?? base?.tools,
  };
}

/** Model id of a turn whose agent GenOps could not read: never priced, so unknown-model handling decides. */
export const UNKNOWN_AGENT_MODEL = 'unknown-model';

/**
 * One agent turn as a governed request: the agent's model; `requests` model requests (the worst case of
 * each: the events' text, the agent's system prompt and tools as input, the model's output limit).
 */
export function describeAgentTurn(
  agent: AgentInfo | undefined,
  events: unknown,
  server: { serverAddress?: string; serverPort?: number },
  method: string,
  requests: number,
): GovernedRequest {
  return {
    provider: 'anthropic',
    operation: 'chat',
    model: agent?.model ?? UNKNOWN_AGENT_MODEL,
    method,
    estimatedInputTokens:
      estimateInputTokens(events) + estimateInputTokens(agent?.system) + estimateInputTokens(agent?.tools),
    modelRequests: requests,
    ...server,
    requestAttributes: {},
    editable: { model: false, text: false },
  };
}

/** Sum of two usages (cache counts added where either has them). */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum = (x: number | undefined, y: number | undefined) =>
    x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0);
  const out: Usage = { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
  const cacheRead = sum(a.cacheReadInputTokens, b.cacheReadInputTokens);
  const cacheWrite = sum(a.cacheWriteInputTokens, b.cacheWriteInputTokens);
  const cacheWrite1h = sum(a.cacheWrite1hInputTokens, b.cacheWrite1hInputTokens);
  if (cacheRead !== undefined) out.cacheReadInputTokens = cacheRead;
  if (cacheWrite !== undefined) out.cacheWriteInputTokens = cacheWrite;
  if (cacheWrite1h !== undefined) out.cacheWrite1hInputTokens = cacheWrite1h;
  return out;
}

/** How a turn is opened: its first unit, and how to top it up and stop it. */
export interface TurnOptions {
  governor: Governor;
  /** The governed request of the turn's first unit (a top-up reserves the same again). */
  request: GovernedRequest;
  /** Sends the session a `user.interrupt` (the server stops the turn). */
  interrupt(): Promise<unknown>;
}

/** One governed unit of a turn: the first, or a top-up. */
interface TurnUnit {
  call: GovernedCall;
  usage: Usage | undefined;
}

/** One sent turn, waiting for its usage on the session's event stream. */
interface OpenTurn {
  options: TurnOptions;
  units: TurnUnit[];
  /** Model requests the units reserve, together. */
  covered: number;
  /** Model requests started so far. */
  requests: number;
  /** A `session.status_running` or model request was seen since the send: the next idle ends this turn. */
  started: boolean;
  /** A top-up was refused: the session was interrupted, and what runs after settles on the last unit. */
  refused: boolean;
  /**
   * The turn's own user event has been seen on the session's events: what follows is this turn's. Until
   * then events are history (a stream replays the session from its start) or a turn settled before.
   */
  begun: boolean;
  /** The keys ({@link userEventKey}) of the user events the send carried, to recognise them on the stream. */
  keys: ReadonlySet<string>;
}

interface SessionState {
  turns: OpenTurn[];
  /** Event ids already read, so a stream that replays history (or a second reader) counts an event once. */
  seen: Set<string>;
  /** Events are applied in order, one at a time (a top-up waits for its governance decision). */
  queue: Promise<void>;
}

const { sessions } = registry;

function stateOf(sessionId: string): SessionState {
  let state = sessions.get(sessionId);
  if (!state) {
    state = { turns: [], seen: new Set(), queue: Promise.resolve() };
    remember(sessions, sessionId, state);
  }
  return state;
}

/** Whether a governed call is still unsettled (core's call objects say so with `open`). */
function isOpen(call: GovernedCall): boolean {
  return (call as { open?: unknown }).open !== false;
}

/**
 * What recognises a user event that starts a turn on the session's events, as sent and as the API lists
 * it: its type and the tool call it answers (a tool result, a confirmation), or the text of its content (a
 * message, an outcome). `undefined` for any other event.
 */
function userEventKey(event: unknown): string | undefined {
  const object = event as Record<string, unknown> | null;
  const type = object?.type;
  if (typeof type !== 'string' || !TURN_EVENTS.has(type)) return undefined;
  if (type === 'user.custom_tool_result') return `${type}|${String(object!.custom_tool_use_id)}`;
  if (type === 'user.tool_result' || type === 'user.tool_confirmation') return `${type}|${String(object!.tool_use_id)}`;
  return `${type}|${textOf(object!.content ?? object!.description)}`;
}

/** The text of a content value: a string, or the `text` of its blocks, joined (bounded). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content.slice(0, MAX_KEY_CHARS);
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const block of content) {
    const part = (block as { text?: unknown } | null)?.text;
    if (typeof part === 'string') text += `${part}\n`;
    if (text.length >= MAX_KEY_CHARS) break;
  }
  return text.slice(0, MAX_KEY_CHARS);
}

const MAX_KEY_CHARS = 4096;

/**
 * Queues a sent turn on its session: the session's events settle it (see {@link onSessionEvent}).
 * `sent`: the events of a send to an existing session, whose history the stream replays first: the turn
 * takes the events after its own user event (recognised by {@link userEventKey}). Without `sent` (a new
 * session's `initial_events`: there is no earlier history) it takes every event from the first.
 */
export function openAgentTurn(sessionId: string, call: GovernedCall, options: TurnOptions, sent?: unknown): void {
  // Settled from the event stream, maybe long after the send: not by garbage collection or the lease
  // timer; at shutdown or exit at its reservation, flagged incomplete, when its events are never read.
  call.untether();
  const keys = new Set<string>();
  if (Array.isArray(sent))
    for (const event of sent) {
      const key = userEventKey(event);
      if (key !== undefined) keys.add(key);
    }
  stateOf(sessionId).turns.push({
    options,
    units: [{ call, usage: undefined }],
    covered: options.request.modelRequests ?? 1,
    requests: 0,
    started: false,
    refused: false,
    begun: keys.size === 0,
    keys,
  });
}

/**
 * Applies one event of a session's event stream (or events list) to its oldest open turn: a model
 * request beyond what the turn reserved tops it up first; usage adds up on the unit in force; the
 * next idle settles the turn. Resolves once the event is applied (events apply in order).
 */
export function onSessionEvent(sessionId: string, event: unknown): Promise<void> {
  const state = sessions.get(sessionId);
  if (!state || state.turns.length === 0) return Promise.resolve();
  const id = (event as { id?: unknown } | null)?.id;
  if (typeof id === 'string') {
    if (state.seen.has(id)) return state.queue;
    if (state.seen.size >= MAX_SEEN_EVENTS) state.seen.clear();
    state.seen.add(id);
  }
  state.queue = state.queue.then(
    () => apply(state, event as Record<string, any>),
    () => apply(state, event as Record<string, any>),
  );
  return state.queue.catch(() => {});
}

async function apply(state: SessionState, event: Record<string, any>): Promise<void> {
  // A send that failed (an HTTP error after it left) queued a turn whose call is already settled.
  while (state.turns[0] && !isOpen(state.turns[0].units[0]!.call)) state.turns.shift();
  const turn = state.turns[0];
  if (!turn) return;
  const key = userEventKey(event);
  if (key !== undefined) {
    // A turn's own user event: what follows is that turn's (once the turns before it have settled). If
    // it is a later turn's, the oldest one's was not recognised: it takes the events from here.
    const owner = state.turns.find((open) => !open.begun && open.keys.has(key));
    if (owner) {
      owner.begun = true;
      turn.begun = true;
      return;
    }
  }
  // Before the turn's own user event: replayed history, or the tail of a turn settled already.
  if (!turn.begun) return;
  switch (event?.type) {
    case 'session.status_running':
      turn.started = true;
      return;
    case 'span.model_request_start':
      turn.started = true;
      turn.requests++;
      if (turn.requests > turn.covered && !turn.refused) await topUp(turn);
      return;
    case 'span.model_request_end':
    case 'span.outcome_evaluation_end': {
      turn.started = true;
      const usage = usageFromAnthropic(event.type === 'span.model_request_end' ? event.model_usage : event.usage);
      const unit = turn.units[turn.units.length - 1]!;
      if (usage) unit.usage = unit.usage ? addUsage(unit.usage, usage) : { ...usage, raw: undefined };
      return;
    }
    case 'session.status_idle':
    case 'session.status_terminated': {
      if (!turn.started && event.type === 'session.status_idle') return;
      state.turns.shift();
      await settleTurn(turn, event);
      return;
    }
  }
}

/** Reserves as many requests again as a new unit of the turn; refused, interrupts the session. */
async function topUp(turn: OpenTurn): Promise<void> {
  const { governor, request } = turn.options;
  const current = turn.units[turn.units.length - 1]!.call;
  const parent = trace.setSpan(otelContext.active(), current.span);
  try {
    const call = await governor.begin({ ...request, method: `${request.method ?? 'agent turn'} top-up` }, { parent });
    // The requests it covers run on the provider's side already: sent from the start.
    call.markSent();
    call.untether();
    turn.units.push({ call, usage: undefined });
    turn.covered += request.modelRequests ?? 1;
  } catch (error) {
    turn.refused = true;
    const reason = (error as { reasonCode?: unknown })?.reasonCode;
    current.span.addEvent(EVENT_AGENT_INTERRUPT, {
      [ATTR_AGENT_REQUESTS]: turn.requests,
      [ATTR_AGENT_REQUESTS_RESERVED]: turn.covered,
      [ATTR_GENOPS_POLICY_REASON_CODE]: typeof reason === 'string' ? reason : ((error as Error)?.name ?? 'error'),
    });
    await Promise.resolve()
      .then(() => turn.options.interrupt())
      .catch(() => {
        // The interrupt could not be sent: the turn runs on, and settles from what it reports.
      });
  }
}

/** Ends every unit of the turn with its requests' usage; the last one says why it may be above its reservation. */
async function settleTurn(turn: OpenTurn, event: Record<string, any>): Promise<void> {
  const reason = event.stop_reason?.type;
  const finishReasons = [typeof reason === 'string' ? reason : String(event.type)];
  const last = turn.units[turn.units.length - 1]!;
  safely(() => {
    last.call.span.setAttribute(ATTR_AGENT_REQUESTS, turn.requests);
    last.call.span.setAttribute(ATTR_AGENT_REQUESTS_RESERVED, turn.covered);
    if (turn.refused && turn.requests > turn.covered)
      last.call.span.setAttribute(ATTR_AGENT_OVER_RESERVATION, 'top_up_refused');
  }, 'managed agents');
  for (const unit of turn.units) {
    const outcome: CallOutcome = {
      // A unit whose requests never ran (an interrupted turn, a top-up the turn did not need) billed nothing.
      usage: unit.usage ?? { inputTokens: 0, outputTokens: 0 },
      response: { finishReasons },
    };
    await unit.call.end(outcome);
  }
}
