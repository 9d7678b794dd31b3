import { currentGovernor, safely } from '@genops/core/adapter';
import { type CallbackManager, type EventCaller, getEventCaller, Settings } from '@llamaindex/core/global';
import {
  type Context,
  context,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

// LlamaIndex.TS reports the steps of a query through `Settings.callbackManager` events: `query-start` /
// `query-end` (BaseQueryEngine.query) and `retrieve-start` / `retrieve-end` (BaseRetriever.retrieve),
// paired by an `id`. Events are fire-and-forget: handlers run in a microtask after the dispatch, so they
// can neither stop a step nor set the OpenTelemetry context the step's code runs in. What they can do:
// start a span per step (`invoke_workflow {engine}`, `retrieval`; kind INTERNAL) and remember it under the
// event's `reason`, the LlamaIndex `EventCaller` (an AsyncLocalStorage chain: the engine whose `query()`
// runs, and its callers). A governed chat() later looks up its own `getEventCaller()` chain, finds the
// step it runs in, and begins its unit under that step's span. A query that throws dispatches no
// `query-end`: its span is ended (status ERROR, `llamaindex.step.abandoned`) by a sweep after STEP_TTL_MS.

interface Step {
  id: string;
  span: Span;
  /** The span that was active when the step started (the step's parent), if any. */
  parent: SpanContext | undefined;
  caller: object | null;
  startedAt: number;
}

const STEP_TTL_MS = 15 * 60_000;
const MAX_OPEN_STEPS = 10_000;
const open = new Map<string, Step>();
const byCaller = new WeakMap<object, Step[]>();

type StepEvent = { detail: { id?: unknown; nodes?: unknown }; reason?: EventCaller | null };

/**
 * The span of the innermost LlamaIndex step (query or retrieval) the current code runs in, found from
 * LlamaIndex's own event-caller chain; `undefined` outside a traced step.
 */
export function currentStepSpan(): { span: Span; parent: SpanContext | undefined } | undefined {
  if (open.size === 0) return undefined;
  let caller: EventCaller | null;
  try {
    caller = getEventCaller();
  } catch {
    return undefined;
  }
  return stepOf(caller);
}

/**
 * The context a governed unit should begin in: the current one, or, when the code runs inside a traced
 * LlamaIndex step and no span of the app's own was started inside that step, the step's span.
 */
export function stepContext(): Context {
  const active = context.active();
  const step = currentStepSpan();
  if (!step) return active;
  const activeSpan = trace.getSpanContext(active);
  if (activeSpan && activeSpan.spanId !== step.parent?.spanId) return active;
  return trace.setSpan(active, step.span);
}

function stepOf(caller: EventCaller | null | undefined): Step | undefined {
  for (let link: EventCaller | null | undefined = caller, depth = 0; link && depth < 64; link = link.parent, depth++) {
    const steps = byCaller.get(link);
    const last = steps?.[steps.length - 1];
    if (last) return last;
  }
  return undefined;
}

function startStep(event: StepEvent, operation: 'invoke_workflow' | 'retrieval'): void {
  const governor = currentGovernor();
  const id = event.detail?.id;
  if (!governor || typeof id !== 'string' || open.has(id)) return;
  sweep();
  const caller = event.reason ?? null;
  const enclosing = stepOf(caller);
  const active = context.active();
  const parentContext = enclosing ? trace.setSpan(active, enclosing.span) : active;
  const attributes: Record<string, string> = { 'gen_ai.operation.name': operation };
  let name: string = operation;
  if (operation === 'invoke_workflow') {
    const workflow = callerName(caller);
    if (workflow) {
      attributes['gen_ai.workflow.name'] = workflow;
      name = `${operation} ${workflow}`;
    }
  }
  const span = governor.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parentContext);
  const step: Step = {
    id,
    span,
    parent: trace.getSpanContext(parentContext),
    caller,
    startedAt: performance.now(),
  };
  open.set(id, step);
  if (caller) {
    const steps = byCaller.get(caller);
    if (steps) steps.push(step);
    else byCaller.set(caller, [step]);
  }
}

function endStep(event: StepEvent, abandoned = false): void {
  const id = event.detail?.id;
  if (typeof id !== 'string') return;
  const step = open.get(id);
  if (!step) return;
  open.delete(id);
  if (step.caller) {
    const steps = byCaller.get(step.caller);
    const index = steps?.indexOf(step) ?? -1;
    if (steps && index >= 0) steps.splice(index, 1);
  }
  if (abandoned) {
    step.span.setAttribute('llamaindex.step.abandoned', true);
    step.span.setStatus({ code: SpanStatusCode.ERROR, message: 'LlamaIndex reported no end event for this step' });
  } else if (Array.isArray(event.detail.nodes)) {
    step.span.setAttribute('llamaindex.retrieval.node_count', event.detail.nodes.length);
  }
  step.span.end();
}

/** Ends steps whose end event never came (LlamaIndex dispatches none when a query throws). */
function sweep(): void {
  const now = performance.now();
  for (const step of open.values()) {
    if (now - step.startedAt < STEP_TTL_MS && open.size < MAX_OPEN_STEPS) break;
    endStep({ detail: { id: step.id } }, true);
  }
}

function callerName(caller: EventCaller | null): string | undefined {
  const name = (caller?.caller as { constructor?: { name?: unknown } } | undefined)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : undefined;
}

/** Never throws: handlers run in microtasks, where a throw would be an uncaught exception. */
function traced(handler: (event: StepEvent) => void): (event: StepEvent) => void {
  return (event) => {
    safely(() => handler(event), 'LlamaIndex step event');
  };
}

const HANDLERS = {
  'query-start': traced((event) => startStep(event, 'invoke_workflow')),
  'query-end': traced((event) => endStep(event)),
  'retrieve-start': traced((event) => startStep(event, 'retrieval')),
  'retrieve-end': traced((event) => endStep(event)),
} as const;

const installed = new Map<CallbackManager, () => void>();

/**
 * Traces LlamaIndex query and retrieval steps as spans (`invoke_workflow {engine}` and `retrieval`,
 * kind INTERNAL) while GenOps runs, so the governed LLM calls of a query are children of its query
 * span. Listens on `callbackManager` (default: `Settings.callbackManager`, the global one). Importing
 * this package does this for the global manager when `GenOps.init()` runs; call it yourself for a
 * manager you scope with `Settings.withCallbackManager()`. Returns a function that stops listening.
 */
export function traceLlamaIndexSteps(options: { callbackManager?: CallbackManager } = {}): () => void {
  const manager = options.callbackManager ?? Settings.callbackManager;
  const existing = installed.get(manager);
  if (existing) return existing;
  for (const [name, handler] of Object.entries(HANDLERS)) manager.on(name as keyof typeof HANDLERS, handler as never);
  const remove = () => {
    if (installed.get(manager) !== remove) return;
    installed.delete(manager);
    for (const [name, handler] of Object.entries(HANDLERS))
      manager.off(name as keyof typeof HANDLERS, handler as never);
  };
  installed.set(manager, remove);
  return remove;
}
