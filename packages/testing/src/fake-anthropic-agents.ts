import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { minimalValueOf } from './schema-value';

/** What one agent turn of the fake reports: the reply text and the token usage of its one model request. */
export interface FakeAgentTurn {
  /** The `agent.message` text. */
  content: string;
  /** `span.model_request_end.model_usage`; `null` sends a turn with no usage event at all. */
  usage: { input: number; output: number; cacheRead?: number; cacheWrite?: number } | null;
  /** Refuse the send that would start this turn with this HTTP status (nothing is appended). */
  status?: number;
  /**
   * Further model requests of the turn after the first (`usage`), each a `span.model_request_start` …
   * `span.model_request_end` with its own `model_usage`, before the idle.
   */
  requests?: Array<{ input: number; output: number; cacheRead?: number; cacheWrite?: number }>;
  /**
   * With `requests`: how long each further request runs (its start is appended at once, its end this
   * much later). Default 0: the whole turn is appended at once. A `user.interrupt` sent meanwhile ends
   * the request in flight (its usage reported) and the turn (`session.status_idle`, `end_turn`); the
   * requests not started never run.
   */
  requestMs?: number;
}

type RequestUsage = NonNullable<FakeAgentTurn['usage']>;

type Json = Record<string, any>;

interface Session {
  object: Json;
  events: Json[];
  /** Open `events/stream` connections, woken when an event is appended. */
  listeners: Set<() => void>;
  /** A turn still running (its further requests are timed): a `user.interrupt` stops it. */
  interrupt?: () => void;
  /** Tool calls the agent still makes, one per turn, before it answers in text (see `answerTools`). */
  plan: Json[];
}

/** A self-hosted environment's work item (`BetaSelfHostedWork`), and when a worker acknowledged it. */
interface WorkItem {
  object: Json;
  ackedAt?: number;
}

/**
 * The lease a work item's heartbeat reports, in seconds. Short, so that a worker (which heartbeats every
 * half lease, at least every second) learns soon that its session's turn is over.
 */
export const FAKE_WORK_TTL_SECONDS = 2;
/**
 * How long a claimed work item lives at most (a sandbox's lifetime), in milliseconds: then its heartbeat
 * answers `stopping` even when its session still waits for a tool result (one a worker could not send).
 */
export const FAKE_WORK_MAX_MS = 8_000;
/** The command of the fake agent's `bash` call in a self-hosted session: harmless, and the same output on every host. */
export const FAKE_AGENT_BASH_COMMAND = 'echo "hello from the fake agent"';

/**
 * Claude Managed Agents, as far as the SDK's example programs use them (beta `managed-agents-2026-04-01`):
 * environments, agents (with versions), vaults and their credentials, skills, sessions with resources,
 * and each session's event log. A `user.message` (or a tool result) sent to a session — with
 * `events.send` or as a session's `initial_events` — runs one agent turn at once: `session.status_running`,
 * `span.model_request_start`, `agent.message`, `span.model_request_end` (with the turn's `model_usage`),
 * `session.usage` (cumulative) and `session.status_idle` (`end_turn`). `GET .../events/stream` replays the
 * session's log as SSE, then stays open for new events until the client leaves; with `event_deltas`
 * it previews each `agent.message` with `event_start` and `event_delta` events first.
 *
 * With `answerTools`, a `user.message` whose text names one of the agent's custom tools (its name with
 * `_` read as a space, e.g. "current time" for `current_time`) is answered with an `agent.custom_tool_use`
 * of that tool (a minimal input of its schema) and an idle that `requires_action`; the
 * `user.custom_tool_result` the app sends back runs the turn that answers in text.
 *
 * Self-hosted environments (`config: { type: 'self_hosted' }`, or `selfHostedEnvironment()`) have a work
 * queue, as the SDK's `EnvironmentWorker` uses it: a turn that starts in one of their sessions queues a
 * work item for the session (unless one is live); `GET /v1/environments/{id}/work/poll` long-polls for it
 * (up to `block_ms`, 999 at most; `204` when there is none); `POST .../work/{id}/ack` claims it,
 * `.../heartbeat` keeps its lease ({@link FAKE_WORK_TTL_SECONDS}) and answers `stopping` once the session's
 * turn has ended (an idle that does not `require_action`, or terminated) or the item has lived
 * {@link FAKE_WORK_MAX_MS}; `.../stop` stops it (`409` when it is stopped already). The work routes require
 * the environment key as `Authorization: Bearer`. In a self-hosted session, with `answerTools`, the agent
 * runs its tools on the worker, one call per turn: the toolset's `bash` with {@link FAKE_AGENT_BASH_COMMAND}
 * (`agent.tool_use`) when the agent has `agent_toolset_20260401`, then the custom tool the message names
 * (`agent.custom_tool_use`); each tool result the worker posts runs the next turn, the last answers in text.
 */
export function createFakeManagedAgents(nextTurn: () => FakeAgentTurn, answerTools = false) {
  const objects = new Map<string, Json>();
  const agentVersions = new Map<string, Json[]>();
  const sessions = new Map<string, Session>();
  /** Self-hosted environments' keys, by environment id. */
  const environmentKeys = new Map<string, string>();
  const workItems = new Map<string, WorkItem>();
  /** Polls waiting for a work item, woken when one is queued. */
  const pollers = new Set<() => void>();

  function send(response: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'request-id': randomId('req_'),
    });
    response.end(text);
  }

  function notFound(response: ServerResponse, what: string): void {
    send(response, 404, {
      type: 'error',
      error: { type: 'not_found_error', message: `Not found: ${what}` },
      request_id: randomId('req_'),
    });
  }

  function created(prefix: string, type: string, fields: Json): Json {
    const now = new Date().toISOString();
    const object = { id: randomId(prefix), type, ...fields, created_at: now, updated_at: now, archived_at: null };
    objects.set(object.id, object);
    return object;
  }

  function page(data: unknown[]): Json {
    return { data, next_page: null };
  }

  function agentObject(body: Json, previous?: Json): Json {
    const model = body.model ?? previous?.model;
    return {
      name: body.name ?? previous?.name ?? '',
      description: body.description ?? previous?.description ?? null,
      model: typeof model === 'string' ? { id: model, speed: 'standard' } : (model ?? null),
      system: body.system ?? previous?.system ?? null,
      tools: body.tools ?? previous?.tools ?? [],
      mcp_servers: body.mcp_servers ?? previous?.mcp_servers ?? [],
      skills: (body.skills ?? previous?.skills ?? []).map((skill: Json) => ({ version: 'latest', ...skill })),
      metadata: body.metadata ?? previous?.metadata ?? {},
      version: (previous?.version ?? 0) + 1,
    };
  }

  /** A session object's fields, for a session of `agent` created with `json`. */
  function sessionFields(agent: Json, json: Json): Json {
    return {
      agent: { ...agent, type: 'agent', created_at: undefined, updated_at: undefined, archived_at: undefined },
      environment_id: json.environment_id,
      title: json.title ?? null,
      metadata: json.metadata ?? {},
      resources: (json.resources ?? []).map((entry: Json) => ({ id: randomId('sesrsc_'), ...entry })),
      vault_ids: json.vault_ids ?? [],
      budget: json.budget ?? null,
      status: 'idle',
      stats: {},
      usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0 },
      outcome_evaluations: [],
    };
  }

  function append(session: Session, event: Json): void {
    session.events.push({ id: randomId('sevt_'), processed_at: new Date().toISOString(), ...event });
    for (const wake of session.listeners) wake();
  }

  /** The custom tool a `user.message` names (see `answerTools`), if any. */
  function toolNamedBy(session: Session, event: Json): Json | undefined {
    if (!answerTools || event.type !== 'user.message' || !Array.isArray(event.content)) return undefined;
    const text = event.content
      .map((block: Json) => (typeof block?.text === 'string' ? block.text : ''))
      .join(' ')
      .toLowerCase();
    const tools: Json[] = Array.isArray(session.object.agent?.tools) ? session.object.agent.tools : [];
    return tools.find(
      (tool) =>
        tool?.type === 'custom' && typeof tool.name === 'string' && text.includes(tool.name.replaceAll('_', ' ')),
    );
  }

  /** Whether the session runs in a self-hosted environment (its tools run on a worker). */
  function selfHosted(session: Session): boolean {
    return environmentKeys.has(session.object.environment_id);
  }

  /**
   * The tool calls a `user.message` leads to, in order (see `answerTools`): in a self-hosted session the
   * toolset's `bash` first, when the agent has the toolset; then the custom tool the message names.
   */
  function planFor(session: Session, event: Json): Json[] {
    if (!answerTools || event.type !== 'user.message') return [];
    const plan: Json[] = [];
    const tools: Json[] = Array.isArray(session.object.agent?.tools) ? session.object.agent.tools : [];
    if (selfHosted(session) && tools.some((tool) => tool?.type === 'agent_toolset_20260401'))
      plan.push({ type: 'agent.tool_use', name: 'bash', input: { command: FAKE_AGENT_BASH_COMMAND } });
    const custom = toolNamedBy(session, event);
    if (custom) {
      const input = minimalValueOf(custom.input_schema);
      plan.push({
        type: 'agent.custom_tool_use',
        name: custom.name,
        input: input && typeof input === 'object' ? input : {},
      });
    }
    return plan;
  }

  /** One agent turn in answer to a user event: one model request, then idle. */
  function runTurn(session: Session, trigger: Json, turn: FakeAgentTurn = nextTurn()): void {
    const usage = session.object.usage;
    if (trigger.type === 'user.message') session.plan = planFor(session, trigger);
    if (selfHosted(session)) queueWork(session);
    append(session, { type: 'session.status_running' });
    const start = randomId('sevt_');
    session.events.push({ id: start, type: 'span.model_request_start', processed_at: new Date().toISOString() });
    const tool = session.plan.shift();
    if (tool) {
      append(session, tool);
    } else {
      append(session, { type: 'agent.message', content: [{ type: 'text', text: turn.content }] });
    }
    const lastId = session.events[session.events.length - 1]!.id;
    const requestEnd = (startId: string, requestUsage: RequestUsage) => {
      const model_usage = {
        input_tokens: requestUsage.input,
        output_tokens: requestUsage.output,
        cache_read_input_tokens: requestUsage.cacheRead ?? 0,
        cache_creation_input_tokens: requestUsage.cacheWrite ?? 0,
      };
      append(session, {
        type: 'span.model_request_end',
        model_request_start_id: startId,
        is_error: false,
        model_usage,
      });
      usage.input_tokens += model_usage.input_tokens;
      usage.output_tokens += model_usage.output_tokens;
      usage.cache_read_input_tokens += model_usage.cache_read_input_tokens;
      append(session, { type: 'session.usage', usage: { ...usage } });
    };
    if (turn.usage) requestEnd(start, turn.usage);
    const idle = () => {
      session.interrupt = undefined;
      session.object.status = 'idle';
      const stopReason = tool ? { type: 'requires_action', event_ids: [lastId] } : { type: 'end_turn' };
      append(session, { type: 'session.status_idle', stop_reason: stopReason, stop_details: null });
    };
    const further = [...(turn.requests ?? [])];
    const requestStart = () => {
      append(session, { type: 'span.model_request_start' });
      return session.events[session.events.length - 1]!.id as string;
    };
    if (!turn.requestMs) {
      for (const request of further) requestEnd(requestStart(), request);
      idle();
      return;
    }
    // Timed further requests: each starts at once and ends `requestMs` later, unless interrupted.
    const next = () => {
      const request = further.shift();
      if (!request) {
        idle();
        return;
      }
      const startId = requestStart();
      const timer = setTimeout(() => {
        requestEnd(startId, request);
        next();
      }, turn.requestMs);
      session.interrupt = () => {
        clearTimeout(timer);
        requestEnd(startId, request);
        idle();
      };
    };
    next();
  }

  function startsTurn(event: unknown): boolean {
    const type = (event as Json | null)?.type;
    return type === 'user.message' || type === 'user.tool_result' || type === 'user.custom_tool_result';
  }

  /** Appends the user events; each that starts a turn runs one (the first with `first`, taken already). */
  function acceptUserEvents(session: Session, events: unknown, first?: FakeAgentTurn): Json[] {
    const accepted: Json[] = [];
    let taken = first;
    for (const event of Array.isArray(events) ? events : []) {
      if (!event || typeof event !== 'object') continue;
      append(session, event as Json);
      accepted.push(session.events[session.events.length - 1]!);
      if ((event as Json).type === 'user.interrupt') session.interrupt?.();
      if (!startsTurn(event)) continue;
      runTurn(session, event as Json, taken ?? nextTurn());
      taken = undefined;
    }
    return accepted;
  }

  function stream(session: Session, deltas: boolean, response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    response.flushHeaders();
    let sent = 0;
    const flush = () => {
      while (sent < session.events.length && !response.destroyed) {
        const event = session.events[sent++]!;
        if (deltas && event.type === 'agent.message') {
          const frames = [
            { type: 'event_start', event: { id: event.id, type: 'agent.message' } },
            ...event.content.map((block: Json, index: number) => ({
              type: 'event_delta',
              event_id: event.id,
              delta: { type: 'content_delta', index, content: block },
            })),
          ];
          for (const frame of frames) response.write(`event: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`);
        }
        response.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      }
    };
    session.listeners.add(flush);
    response.on('close', () => session.listeners.delete(flush));
    flush();
  }

  /** Queues a work item for a self-hosted session's turn, unless the session has one that is not stopping. */
  function queueWork(session: Session): void {
    for (const item of workItems.values())
      if (item.object.data.id === session.object.id && (item.object.state === 'queued' || !stopping(item))) return;
    const now = new Date().toISOString();
    const object = {
      type: 'work',
      id: randomId('work_'),
      environment_id: session.object.environment_id,
      data: { type: 'session', id: session.object.id },
      state: 'queued',
      secret: null,
      metadata: {},
      created_at: now,
      acknowledged_at: null,
      started_at: null,
      latest_heartbeat_at: null,
      stop_requested_at: null,
      stopped_at: null,
    };
    workItems.set(object.id, { object });
    for (const wake of [...pollers]) wake();
  }

  /**
   * Whether a claimed item is to stop: stopped or stopping already, or its session's turn is over (the
   * last idle ended it, or the session terminated), or it has lived {@link FAKE_WORK_MAX_MS}. Sets `stopping`.
   */
  function stopping(item: WorkItem): boolean {
    const object = item.object;
    if (object.state === 'stopping' || object.state === 'stopped') return true;
    if (object.state === 'queued') return false;
    const session = sessions.get(object.data.id);
    const last = session?.events.findLast(
      (event) => event.type === 'session.status_idle' || event.type === 'session.status_terminated',
    );
    const turnOver =
      last !== undefined &&
      session!.events[session!.events.length - 1] === last &&
      (last.type === 'session.status_terminated' || last.stop_reason?.type !== 'requires_action');
    if (!turnOver && Date.now() - (item.ackedAt ?? Date.now()) < FAKE_WORK_MAX_MS) return false;
    object.state = 'stopping';
    object.stop_requested_at = new Date().toISOString();
    return true;
  }

  /** The oldest queued work item of an environment. */
  function queuedWork(environmentId: string): WorkItem | undefined {
    for (const item of workItems.values())
      if (item.object.environment_id === environmentId && item.object.state === 'queued') return item;
    return undefined;
  }

  function claim(item: WorkItem): void {
    const now = new Date().toISOString();
    item.ackedAt = Date.now();
    item.object.state = 'starting';
    item.object.acknowledged_at = now;
  }

  /** The work routes of a self-hosted environment (`/v1/environments/{id}/work/...`). */
  function handleWork(
    method: string,
    environmentId: string,
    workId: string | undefined,
    action: string | undefined,
    query: URLSearchParams,
    headers: Record<string, string>,
    response: ServerResponse,
  ): void {
    const key = environmentKeys.get(environmentId);
    if (key === undefined) {
      notFound(response, `self-hosted environment ${environmentId}`);
      return;
    }
    if (headers.authorization !== `Bearer ${key}`) {
      send(response, 401, {
        type: 'error',
        error: { type: 'authentication_error', message: 'the work routes take the environment key' },
        request_id: randomId('req_'),
      });
      return;
    }
    if (method === 'GET' && workId === 'poll') {
      const blockMs = Math.min(999, Math.max(0, Number(query.get('block_ms') ?? 0) || 0));
      const answer = () => {
        const item = queuedWork(environmentId);
        if (item) send(response, 200, item.object);
        else {
          response.writeHead(204, { 'request-id': randomId('req_') });
          response.end();
        }
      };
      if (queuedWork(environmentId) || blockMs === 0) {
        answer();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        pollers.delete(wake);
        if (!response.destroyed) answer();
      };
      const wake = () => done();
      const timer = setTimeout(done, blockMs);
      pollers.add(wake);
      response.on('close', () => {
        clearTimeout(timer);
        pollers.delete(wake);
      });
      return;
    }
    if (method === 'GET' && workId === 'stats') {
      let depth = 0;
      for (const item of workItems.values())
        if (item.object.environment_id === environmentId && item.object.state === 'queued') depth++;
      send(response, 200, {
        type: 'work_queue_stats',
        depth,
        pending: depth,
        oldest_queued_at: null,
        workers_polling: null,
      });
      return;
    }
    if (method === 'GET' && workId === undefined) {
      send(
        response,
        200,
        page(
          [...workItems.values()]
            .filter((item) => item.object.environment_id === environmentId)
            .map((item) => item.object),
        ),
      );
      return;
    }
    const item = workId === undefined ? undefined : workItems.get(workId);
    if (!item || item.object.environment_id !== environmentId) {
      notFound(response, `work item ${workId}`);
      return;
    }
    const object = item.object;
    if (method === 'GET' && action === undefined) {
      send(response, 200, object);
      return;
    }
    if (method !== 'POST') {
      notFound(response, `${method} work item ${workId}`);
      return;
    }
    switch (action) {
      case 'ack':
        if (object.state === 'queued') claim(item);
        send(response, 200, object);
        return;
      case 'heartbeat': {
        const now = new Date().toISOString();
        const stop = stopping(item);
        if (!stop) {
          object.state = 'active';
          object.started_at ??= now;
        }
        object.latest_heartbeat_at = now;
        send(response, 200, {
          type: 'work_heartbeat',
          last_heartbeat: now,
          lease_extended: !stop,
          state: object.state,
          ttl_seconds: FAKE_WORK_TTL_SECONDS,
        });
        return;
      }
      case 'stop':
        if (object.state === 'stopped') {
          send(response, 409, {
            type: 'error',
            error: { type: 'conflict_error', message: 'the work item is stopped already' },
            request_id: randomId('req_'),
          });
          return;
        }
        object.state = 'stopped';
        object.stop_requested_at ??= new Date().toISOString();
        object.stopped_at = new Date().toISOString();
        send(response, 200, object);
        return;
      default:
        notFound(response, `POST work item ${workId}/${action}`);
    }
  }

  /** A new self-hosted environment (as `POST /v1/environments` with `config.type: 'self_hosted'`): its id and key. */
  function selfHostedEnvironment(): { environmentId: string; environmentKey: string } {
    const environment = created('env_', 'environment', {
      name: 'self-hosted',
      config: { type: 'self_hosted' },
      metadata: {},
    });
    const environmentKey = randomId('sk-ant-env-');
    environmentKeys.set(environment.id, environmentKey);
    return { environmentId: environment.id, environmentKey };
  }

  /**
   * A work item claimed elsewhere, as `ant worker poll --on-work` hands one to the program it starts: a
   * self-hosted environment, an agent with `tools` and a session of it, the `prompt` sent to the session
   * (its first turn run: with `answerTools`, a tool call that waits for a worker), and the session's work
   * item, acknowledged. Made here, not over HTTP: none of it is the worker's own requests.
   */
  function claimedWorkItem(
    prompt: string,
    tools: Json[],
    model = 'claude-haiku-4-5',
  ): { environmentId: string; environmentKey: string; sessionId: string; workId: string } {
    const { environmentId, environmentKey } = selfHostedEnvironment();
    const agent = created('agent_', 'agent', agentObject({ name: 'self-hosted', model, tools }));
    agentVersions.set(agent.id, [agent]);
    const object = created('sesn_', 'session', sessionFields(agent, { environment_id: environmentId }));
    const session: Session = { object, events: [], listeners: new Set(), plan: [] };
    sessions.set(object.id, session);
    acceptUserEvents(session, [{ type: 'user.message', content: [{ type: 'text', text: prompt }] }]);
    const item = queuedWork(environmentId)!;
    claim(item);
    return { environmentId, environmentKey, sessionId: object.id, workId: item.object.id };
  }

  /** Answers a managed-agents route; `false` when `path` is not one. */
  function handle(
    method: string,
    path: string,
    query: URLSearchParams,
    body: any,
    response: ServerResponse,
    headers: Record<string, string> = {},
  ): boolean {
    const parts = path.split('/').slice(2); // ['', 'v1', resource, ...]
    const [resource, id, sub, subId, subAction] = parts;
    const json: Json = body && typeof body === 'object' ? body : {};
    switch (resource) {
      case 'environments':
      case 'vaults':
      case 'agents':
      case 'sessions':
      case 'skills':
      case 'files':
        break;
      default:
        return false;
    }
    if (method === 'POST' && id === undefined) {
      switch (resource) {
        case 'environments': {
          const environment = created('env_', 'environment', {
            name: json.name ?? '',
            config: json.config ?? { type: 'cloud' },
            metadata: {},
          });
          if (environment.config?.type === 'self_hosted') environmentKeys.set(environment.id, randomId('sk-ant-env-'));
          send(response, 200, environment);
          return true;
        }
        case 'vaults':
          send(response, 200, created('vlt_', 'vault', { display_name: json.display_name ?? '', metadata: {} }));
          return true;
        case 'skills':
          send(response, 200, created('skill_', 'skill', { source: 'custom', latest_version: '1' }));
          return true;
        case 'files':
          send(
            response,
            200,
            created('file_', 'file', { filename: 'upload', mime_type: 'text/plain', downloadable: false }),
          );
          return true;
        case 'agents': {
          const agent = created('agent_', 'agent', agentObject(json));
          agentVersions.set(agent.id, [agent]);
          send(response, 200, agent);
          return true;
        }
        case 'sessions': {
          const reference = typeof json.agent === 'string' ? { id: json.agent } : (json.agent ?? {});
          const agent = objects.get(reference.id);
          if (!agent) {
            notFound(response, `agent ${reference.id}`);
            return true;
          }
          const object = created('sesn_', 'session', sessionFields(agent, json));
          const session: Session = { object, events: [], listeners: new Set(), plan: [] };
          sessions.set(object.id, session);
          acceptUserEvents(session, json.initial_events);
          send(response, 200, object);
          return true;
        }
      }
    }
    if (resource === 'environments' && id !== undefined && sub === 'work') {
      handleWork(method, id, subId, subAction, query, headers, response);
      return true;
    }
    const object = id === undefined ? undefined : objects.get(id);
    if (!object) {
      notFound(response, `${method} ${path}`);
      return true;
    }
    if (resource === 'agents' && method === 'POST' && sub === undefined) {
      const next = { ...object, ...agentObject(json, object), updated_at: new Date().toISOString() };
      objects.set(object.id, next);
      agentVersions.get(object.id)?.push(next);
      send(response, 200, next);
      return true;
    }
    if (resource === 'agents' && method === 'GET' && sub === 'versions') {
      send(response, 200, page([...(agentVersions.get(object.id) ?? [])].reverse()));
      return true;
    }
    if (resource === 'vaults' && method === 'POST' && sub === 'credentials' && subId === undefined) {
      // The credential's secret is never echoed back, as the real API does.
      const auth = { type: json.auth?.type, mcp_server_url: json.auth?.mcp_server_url };
      send(
        response,
        200,
        created('vcrd_', 'vault_credential', { vault_id: object.id, display_name: json.display_name, auth }),
      );
      return true;
    }
    const session = resource === 'sessions' ? sessions.get(object.id) : undefined;
    if (session && sub === 'events' && subId === undefined && method === 'POST') {
      // The reply queued for the first turn decides whether the send is accepted at all.
      const first = Array.isArray(json.events) && json.events.some(startsTurn) ? nextTurn() : undefined;
      if (first?.status !== undefined && first.status >= 400) {
        send(response, first.status, {
          type: 'error',
          error: { type: first.status === 429 ? 'rate_limit_error' : 'api_error', message: 'refused by the fake' },
          request_id: randomId('req_'),
        });
        return true;
      }
      send(response, 200, { data: acceptUserEvents(session, json.events, first) });
      return true;
    }
    if (session && sub === 'events' && subId === 'stream' && method === 'GET') {
      stream(session, query.getAll('event_deltas').length > 0 || query.getAll('event_deltas[]').length > 0, response);
      return true;
    }
    if (session && sub === 'events' && subId === undefined && method === 'GET') {
      send(response, 200, page(session.events));
      return true;
    }
    if (session && sub === 'resources' && method === 'GET') {
      send(response, 200, page(session.object.resources));
      return true;
    }
    if (method === 'GET' && sub === undefined) {
      send(response, 200, object);
      return true;
    }
    if ((method === 'POST' && sub === 'archive') || method === 'DELETE') {
      object.archived_at = new Date().toISOString();
      send(response, 200, method === 'DELETE' ? { id: object.id, type: `${object.type}_deleted` } : object);
      return true;
    }
    notFound(response, `${method} ${path}`);
    return true;
  }

  return { handle, selfHostedEnvironment, claimedWorkItem };
}

function randomId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}
