import {
  type CallOutcome,
  currentGovernor,
  estimateInputTokens,
  type GovernedCall,
  type GovernedRequest,
  type MethodPatcher,
  type StreamObserver,
} from '@genops/core/adapter';
import { convertChatUsage } from './convert-openai-usage';
import { countOf, type EndpointBase, type OpenAIEndpoint, RESOURCE_ID } from './openai-endpoint';

/**
 * Assistants API runs (beta, deprecated by OpenAI but billed): a run makes model calls on the thread, so
 * `beta.threads.runs.create` (and the helpers on it: `createAndPoll`, `stream`, `createAndStream`),
 * `beta.threads.createAndRun` (`createAndRunPoll`, `createAndRunStream`) and
 * `beta.threads.runs.submitToolOutputs` (`submitToolOutputsAndPoll`, `submitToolOutputsStream`) are each a
 * governed unit. Policy decides on the run's model (the request's `model`, else the assistant's). The
 * reservation is the worst case: `max_prompt_tokens` input when the request caps it, else the model's
 * input limit from the price data (the whole thread may be read), and `max_completion_tokens` output when
 * capped, else the model's output limit. The unit settles from the run's `usage` when the app sees the run
 * end (completed, failed, incomplete, cancelled or expired): a `runs.retrieve` (what the poll helpers
 * call) or the run's terminal stream event. A run that stops for tool outputs (`requires_action`) keeps its
 * unit open; `submitToolOutputs` is a unit of its own, and when the run ends its whole `usage` (the API
 * reports it for the run, not per turn) settles the unit open at that moment, the earlier turns' units
 * ending with no tokens, so the run is charged once. A run the app never sees end is settled by core's
 * rules for unsettled units (its reservation, flagged incomplete, at lease end or exit).
 * @see https://platform.openai.com/docs/api-reference/runs
 */
export const ASSISTANT_RUN_ENDPOINTS: readonly OpenAIEndpoint[] = [
  runEndpoint('beta.threads.runs.create', 'create', ['beta', 'threads', 'runs'], true),
  runEndpoint('beta.threads.createAndRun', 'createAndRun', ['beta', 'threads'], false),
  runEndpoint('beta.threads.runs.submitToolOutputs', 'submitToolOutputs', ['beta', 'threads', 'runs'], true),
];

/** A method that starts (or continues) a run: `leadingId` when it takes the thread's or run's id first. */
function runEndpoint(method: string, key: string, path: readonly string[], leadingId: boolean): OpenAIEndpoint {
  return {
    method,
    key,
    path,
    resource: (OpenAI) => (path.length === 3 ? OpenAI?.Beta?.Threads?.Runs : OpenAI?.Beta?.Threads),
    ...(leadingId ? { leadingId: true as const } : {}),
    describe: (body, base, client) => describeRun(method, body, base, client),
    outcome: (run) => readRun(run),
    streamObserver: () => runStreamObserver(),
    defer: (run, call) => deferRun(run, call),
  };
}

/** States a run ends in; `requires_action` only pauses it. */
const TERMINAL = new Set(['completed', 'failed', 'incomplete', 'cancelled', 'expired']);
/** Input reserved for a model whose input limit the price data does not know. */
const DEFAULT_INPUT_LIMIT = 128_000;
/** At most this many assistant and run models are remembered (the oldest are forgotten first). */
const MAX_REMEMBERED = 1_000;

/** Models of the assistants and runs this process has seen, by id: the run's model without a read. */
const models = new Map<string, string>();

function remember(id: unknown, model: unknown): void {
  if (typeof id !== 'string' || typeof model !== 'string') return;
  models.delete(id);
  models.set(id, model);
  if (models.size > MAX_REMEMBERED) models.delete(models.keys().next().value!);
}

/** Open units of runs created in this process, by run id: the turns not settled yet, oldest first. */
const openRuns = new Map<string, GovernedCall[]>();

function keepOpen(runId: unknown, call: GovernedCall): boolean {
  if (typeof runId !== 'string') return false;
  openRuns.set(runId, [...(openRuns.get(runId) ?? []), call]);
  return true;
}

/** The run has ended: its open turns end with no tokens, but for `last` (when given) which gets the run's usage. */
function endOpenTurns(run: any, settleLast: boolean): void {
  const open = openRuns.get(run?.id);
  if (!open) return;
  openRuns.delete(run.id);
  const last = settleLast ? open.pop() : undefined;
  const response = responseOf(run);
  for (const call of open) void call.end({ usage: { inputTokens: 0, outputTokens: 0 }, response });
  if (last) void last.end(readRun(run));
}

function deferRun(run: any, call: GovernedCall): boolean {
  remember(run?.id, run?.model);
  // A run that has already ended settles now, from the result (`outcome`).
  if (TERMINAL.has(run?.status)) {
    endOpenTurns(run, false);
    return false;
  }
  return keepOpen(run?.id, call);
}

async function describeRun(method: string, body: any, base: EndpointBase, client: any): Promise<GovernedRequest> {
  const model = await modelOf(method, body, client);
  const limit = currentGovernor()?.priceOf(base.provider, model)?.price.maxInputTokens ?? DEFAULT_INPUT_LIMIT;
  const given =
    estimateInputTokens(body.instructions) +
    estimateInputTokens(body.additional_instructions) +
    estimateInputTokens(body.additional_messages) +
    estimateInputTokens(body.thread?.messages) +
    estimateInputTokens(body.tool_outputs) +
    estimateInputTokens(body.tools);
  const maxOutputTokens = countOf(body.max_completion_tokens);
  return {
    ...base,
    operation: 'chat',
    model,
    method,
    stream: body.stream === true,
    estimatedInputTokens: countOf(body.max_prompt_tokens) ?? Math.max(limit, given),
    ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
    requestAttributes: {},
    editable: { model: false, text: false },
  };
}

/** The run's model: the request's, else its assistant's (or, for tool outputs, the run's), read when unknown. */
async function modelOf(method: string, body: any, client: any): Promise<string> {
  if (typeof body.model === 'string') return body.model;
  if (method === 'beta.threads.runs.submitToolOutputs') {
    const runId = body[RESOURCE_ID];
    const known = models.get(runId);
    if (known) return known;
    const run = await client.beta.threads.runs.retrieve(runId, { thread_id: body.thread_id });
    remember(runId, run?.model);
    return typeof run?.model === 'string' ? run.model : 'unknown-model';
  }
  const assistantId = body.assistant_id;
  const known = models.get(assistantId);
  if (known) return known;
  const assistant = await client.beta.assistants.retrieve(assistantId);
  return typeof assistant?.model === 'string' ? assistant.model : 'unknown-model';
}

function responseOf(run: any) {
  return {
    id: run?.id,
    ...(typeof run?.model === 'string' ? { model: run.model } : {}),
    finishReasons: typeof run?.status === 'string' ? [run.status] : [],
  };
}

/** A run's outcome: its `usage` once it has ended (none before: the API reports usage at the end). */
export function readRun(run: any): CallOutcome {
  const usage = TERMINAL.has(run?.status) ? convertChatUsage(run?.usage) : undefined;
  return usage ? { usage, response: responseOf(run) } : { incomplete: true, response: responseOf(run) };
}

/**
 * Reads a run's stream (`{ event, data }` items): the last run object seen; its usage once a terminal
 * `thread.run.*` event arrives. A stream that ends at `thread.run.requires_action` keeps the unit open
 * for the run's end (after `submitToolOutputs`).
 */
function runStreamObserver(): StreamObserver<any> {
  let run: any;
  return {
    onChunk(item) {
      if (typeof item?.event !== 'string' || item.data?.object !== 'thread.run') return;
      run = item.data;
      remember(run.id, run.model);
      // Earlier turns of this run (before its tool outputs) end now; this one settles from the usage.
      if (TERMINAL.has(run.status)) endOpenTurns(run, false);
    },
    outcome: () => readRun(run),
    keepOpen(call) {
      return run?.status === 'requires_action' && keepOpen(run.id, call);
    },
  };
}

/** `beta.threads.runs.retrieve` (the poll helpers' read): a run seen ended settles its open units. */
export function watchRunRetrieve(patcher: MethodPatcher, original: (...args: any[]) => any) {
  return patcher.mark(original, function (this: unknown, ...args: unknown[]) {
    const promise = original.apply(this, args);
    if (typeof promise?._thenUnwrap !== 'function') return promise;
    return promise._thenUnwrap((run: any) => {
      remember(run?.id, run?.model);
      if (TERMINAL.has(run?.status)) endOpenTurns(run, true);
      return run;
    });
  });
}

/** `beta.assistants.create|retrieve|update`: remembers the assistant's model for its runs. */
export function watchAssistant(patcher: MethodPatcher, original: (...args: any[]) => any) {
  return patcher.mark(original, function (this: unknown, ...args: unknown[]) {
    const promise = original.apply(this, args);
    if (typeof promise?._thenUnwrap !== 'function') return promise;
    return promise._thenUnwrap((assistant: any) => {
      remember(assistant?.id, assistant?.model);
      return assistant;
    });
  });
}
