// The Assistants API (beta, `OpenAI-Beta: assistants=v2`) of the fake OpenAI server: assistants, threads,
// messages and runs, kept in memory for the server's life. Shapes checked against the openai 7.57.0 SDK
// types (resources/beta/assistants.d.ts, threads/threads.d.ts, threads/messages.d.ts, threads/runs/*.d.ts).
// A run does its work at once: created `queued`, it is `completed` (with `usage`, and the assistant's answer
// added to its thread) the first time it is read back; a streamed run sends every event of a run that
// completes, `thread.run.created` … `thread.run.completed` (with `usage`), then `done`. A run with a
// function tool first stops at `requires_action` (a call of its first function, arguments that satisfy its
// schema, no usage yet) and completes once its tool outputs are submitted.
import { randomId, type WireContext } from './fake-openai-wire';
import { minimalValueOf } from './schema-value';

/** What a route answers: a JSON body (status 200 unless given), or server-sent events. */
export type AssistantsAnswer = { json: unknown; status?: number } | { events: Array<{ event: string; data: unknown }> };

type Json = Record<string, any>;

interface RunState {
  run: Json;
  threadId: string;
  /** Tool outputs have been submitted (a run with a function tool waits for them first). */
  outputsGiven: boolean;
}

/** How long a created run may wait before it expires (the API's ten minutes). */
const RUN_EXPIRY_SECONDS = 600;

/**
 * The Assistants routes of one fake server. `handle` answers a request under `/v1/assistants` or
 * `/v1/threads`, or returns `undefined` when the path is none of them. `context` builds the reply (model,
 * content, usage) from the next queued reply and the run's parameters: it is called once per finished run.
 */
export function assistantsRoutes(context: (params: Json) => WireContext) {
  const assistants = new Map<string, Json>();
  const threads = new Map<string, { thread: Json; messages: Json[] }>();
  const runs = new Map<string, RunState>();
  const now = () => Math.floor(Date.now() / 1000);

  function createThread(params: Json): Json {
    const thread = {
      id: randomId('thread_'),
      object: 'thread',
      created_at: now(),
      metadata: params.metadata ?? {},
      tool_resources: {},
    };
    const messages: Json[] = [];
    threads.set(thread.id, { thread, messages });
    for (const message of Array.isArray(params.messages) ? params.messages : []) addMessage(thread.id, message);
    return thread;
  }

  function addMessage(threadId: string, params: Json, run?: Json): Json {
    const text = typeof params.content === 'string' ? params.content : textOf(params.content);
    const message = messageObject(threadId, params.role ?? 'user', text, 'completed', run);
    threads.get(threadId)?.messages.push(message);
    return message;
  }

  function messageObject(threadId: string, role: string, text: string, status: string, run?: Json): Json {
    const created = now();
    return {
      id: randomId('msg_'),
      object: 'thread.message',
      created_at: created,
      assistant_id: run?.assistant_id ?? null,
      thread_id: threadId,
      run_id: run?.id ?? null,
      role,
      content: status === 'completed' ? [textPart(text)] : [],
      attachments: [],
      metadata: {},
      status,
      incomplete_details: null,
      completed_at: status === 'completed' ? created : null,
      incomplete_at: null,
    };
  }

  function createRun(threadId: string, params: Json): Json {
    const assistant = assistants.get(String(params.assistant_id));
    const created = now();
    const run = {
      id: randomId('run_'),
      object: 'thread.run',
      created_at: created,
      assistant_id: params.assistant_id ?? null,
      thread_id: threadId,
      status: 'queued',
      started_at: null,
      expires_at: created + RUN_EXPIRY_SECONDS,
      cancelled_at: null,
      failed_at: null,
      completed_at: null,
      required_action: null,
      last_error: null,
      model: params.model ?? assistant?.model ?? 'gpt-4o',
      instructions: [params.instructions ?? assistant?.instructions ?? '', params.additional_instructions ?? '']
        .filter((part) => part !== '')
        .join('\n'),
      tools: params.tools ?? assistant?.tools ?? [],
      metadata: params.metadata ?? {},
      incomplete_details: null,
      usage: null,
      temperature: params.temperature ?? 1,
      top_p: params.top_p ?? 1,
      max_prompt_tokens: params.max_prompt_tokens ?? null,
      max_completion_tokens: params.max_completion_tokens ?? null,
      truncation_strategy: { type: 'auto', last_messages: null },
      response_format: params.response_format ?? 'auto',
      tool_choice: params.tool_choice ?? 'auto',
      parallel_tool_calls: params.parallel_tool_calls ?? true,
    };
    for (const message of Array.isArray(params.additional_messages) ? params.additional_messages : [])
      addMessage(threadId, message);
    runs.set(run.id, { run, threadId, outputsGiven: false });
    return run;
  }

  /** Finishes a run (once): the answer joins its thread, and the run is `completed` with its usage. */
  function finish(state: RunState, wire: WireContext): { message: Json; step: Json } {
    const { run } = state;
    const finished = now();
    const usage = wire.usage
      ? {
          prompt_tokens: wire.usage.input,
          completion_tokens: wire.usage.output,
          total_tokens: wire.usage.input + wire.usage.output,
        }
      : null;
    const message = messageObject(state.threadId, 'assistant', wire.content, 'completed', run);
    threads.get(state.threadId)?.messages.push(message);
    Object.assign(run, {
      status: 'completed',
      started_at: run.started_at ?? finished,
      completed_at: finished,
      expires_at: null,
      usage,
    });
    const step = {
      id: randomId('step_'),
      object: 'thread.run.step',
      created_at: finished,
      run_id: run.id,
      assistant_id: run.assistant_id,
      thread_id: state.threadId,
      type: 'message_creation',
      status: 'completed',
      cancelled_at: null,
      completed_at: finished,
      expired_at: null,
      failed_at: null,
      last_error: null,
      step_details: { type: 'message_creation', message_creation: { message_id: message.id } },
      usage,
      metadata: {},
    };
    return { message, step };
  }

  /** The function call a run with a function tool waits on, before its tool outputs; else undefined. */
  function pendingCall(state: RunState): Json | undefined {
    if (state.outputsGiven) return undefined;
    const tool = (state.run.tools as Json[]).find((candidate) => candidate?.type === 'function');
    if (!tool) return undefined;
    return {
      id: randomId('call_'),
      type: 'function',
      function: {
        name: tool.function?.name ?? 'function',
        arguments: JSON.stringify(minimalValueOf(tool.function?.parameters ?? {})),
      },
    };
  }

  /** Stops the run for its tool outputs. */
  function requireAction(state: RunState, call: Json): void {
    Object.assign(state.run, {
      status: 'requires_action',
      started_at: state.run.started_at ?? now(),
      required_action: { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: [call] } },
    });
  }

  /** The events of a streamed run that completes, in the API's order, ending with `done`. */
  function runEvents(state: RunState, params: Json): Array<{ event: string; data: unknown }> {
    const { run } = state;
    const copy = () => structuredClone(run);
    const events: Array<{ event: string; data: unknown }> = [{ event: 'thread.run.created', data: copy() }];
    events.push({ event: 'thread.run.queued', data: copy() });
    run.status = 'in_progress';
    run.started_at = now();
    events.push({ event: 'thread.run.in_progress', data: copy() });
    const call = pendingCall(state);
    if (call) {
      requireAction(state, call);
      events.push({ event: 'thread.run.requires_action', data: copy() });
      events.push({ event: 'done', data: '[DONE]' });
      return events;
    }
    const wire = context({ ...params, model: run.model });
    const { message, step } = finish(state, wire);
    const stepStarted = { ...step, status: 'in_progress', completed_at: null, usage: null };
    events.push({ event: 'thread.run.step.created', data: stepStarted });
    events.push({ event: 'thread.run.step.in_progress', data: stepStarted });
    const started = { ...message, status: 'in_progress', content: [], completed_at: null };
    events.push({ event: 'thread.message.created', data: started });
    events.push({ event: 'thread.message.in_progress', data: started });
    for (const delta of wire.deltas)
      events.push({
        event: 'thread.message.delta',
        data: {
          id: message.id,
          object: 'thread.message.delta',
          delta: { content: [{ index: 0, type: 'text', text: { value: delta, annotations: [] } }] },
        },
      });
    events.push({ event: 'thread.message.completed', data: message });
    events.push({ event: 'thread.run.step.completed', data: step });
    events.push({ event: 'thread.run.completed', data: copy() });
    events.push({ event: 'done', data: '[DONE]' });
    return events;
  }

  function started(state: RunState, params: Json): AssistantsAnswer {
    if (params.stream === true) return { events: runEvents(state, params) };
    return { json: state.run };
  }

  function notFound(what: string, id: string): AssistantsAnswer {
    return {
      status: 404,
      json: {
        error: { message: `No ${what} found with id '${id}'.`, type: 'invalid_request_error', param: null, code: null },
      },
    };
  }

  function handle(method: string, path: string, params: Json, query: URLSearchParams): AssistantsAnswer | undefined {
    if (!path.startsWith('/v1/assistants') && !path.startsWith('/v1/threads')) return undefined;
    if (method === 'POST' && path === '/v1/assistants') {
      const assistant = {
        id: randomId('asst_'),
        object: 'assistant',
        created_at: now(),
        name: params.name ?? null,
        description: params.description ?? null,
        model: params.model,
        instructions: params.instructions ?? null,
        tools: params.tools ?? [],
        tool_resources: {},
        metadata: params.metadata ?? {},
        top_p: params.top_p ?? 1,
        temperature: params.temperature ?? 1,
        response_format: params.response_format ?? 'auto',
      };
      assistants.set(assistant.id, assistant);
      return { json: assistant };
    }
    const assistant = /^\/v1\/assistants\/([^/]+)$/.exec(path);
    if (assistant) {
      const found = assistants.get(assistant[1]!);
      if (!found) return notFound('assistant', assistant[1]!);
      if (method === 'POST') Object.assign(found, params);
      return { json: found };
    }
    if (method === 'POST' && path === '/v1/threads') return { json: createThread(params) };
    if (method === 'POST' && path === '/v1/threads/runs') {
      const thread = createThread(isRecord(params.thread) ? params.thread : {});
      const run = createRun(thread.id, params);
      return started(runs.get(run.id)!, params);
    }
    const thread = /^\/v1\/threads\/([^/]+)(\/.*)?$/.exec(path);
    const threadId = thread?.[1] ?? '';
    const rest = thread?.[2] ?? '';
    const state = threads.get(threadId);
    if (!state) return notFound('thread', threadId);
    if (rest === '') return { json: state.thread };
    if (rest === '/messages') {
      if (method === 'POST') return { json: addMessage(threadId, params) };
      const data = query.get('order') === 'asc' ? [...state.messages] : [...state.messages].reverse();
      return {
        json: {
          object: 'list',
          data,
          first_id: data[0]?.id ?? null,
          last_id: data.at(-1)?.id ?? null,
          has_more: false,
        },
      };
    }
    if (method === 'POST' && rest === '/runs') return started(runs.get(createRun(threadId, params).id)!, params);
    const run = /^\/runs\/([^/]+)(\/submit_tool_outputs)?$/.exec(rest);
    const runState = run ? runs.get(run[1]!) : undefined;
    if (!run || !runState || runState.threadId !== threadId) return notFound('run', run?.[1] ?? rest);
    if (run[2]) {
      // Tool outputs for a run that waits for them: it goes on, and completes.
      Object.assign(runState.run, { status: 'queued', required_action: null });
      runState.outputsGiven = true;
      return started(runState, params);
    }
    if (method === 'GET' && (runState.run.status === 'queued' || runState.run.status === 'in_progress')) {
      const call = pendingCall(runState);
      if (call) requireAction(runState, call);
      else finish(runState, context({ model: runState.run.model }));
    }
    return { json: runState.run };
  }

  return { handle };
}

function textPart(value: string): Json {
  return { type: 'text', text: { value, annotations: [] } };
}

/** The text of message content given as parts (`[{ type: 'text', text: '…' }]`). */
function textOf(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .filter((text) => text !== '')
    .join('\n');
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
