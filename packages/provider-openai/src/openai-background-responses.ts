import {
  type GovernedCall,
  governIterator,
  type MethodPatcher,
  type StreamObserver,
  warnUngovernedCall,
} from '@genops/core/adapter';
import { DeferredUnits } from './openai-deferred-units';
import { createOpenAIStreamObserver } from './openai-stream-observer';
import { readOpenAIResponse } from './read-openai-response';

/**
 * Background responses (`responses.create({ background: true })`): the create call returns at once
 * (`queued`), and the model runs on. Its unit stays open, holding its reservation, and settles once, from
 * the response's own usage, when the app reads the finished response: `responses.retrieve(id)` in a
 * terminal state, or the resumed stream `responses.retrieve(id, { stream: true })` to its end (a resumed
 * stream left early settles at the reservation, flagged incomplete: the response still runs and bills).
 * A streamed background response (`responses.stream({ background: true })`, `create({ background: true,
 * stream: true })`) left before its last event stays open the same way, so the app's resumed stream
 * (`responses.stream({ response_id, starting_after })`, which reads `retrieve(id, { stream: true })`)
 * settles that one unit: no second reservation, no double charge.
 * A background response the app never reads again is settled by core's rules for unsettled units.
 * Resuming the stream of a response this process did not start (another process, an earlier run) is not
 * a unit of its own here: it warns once (`GENOPS_UNGOVERNED`).
 * @see https://platform.openai.com/docs/guides/background
 */
const openResponses = new DeferredUnits();

/**
 * Background responses whose unit has settled in this process: resuming their stream again reads what
 * was already paid for (a free GET), so it is neither a unit nor warned about. Bounded: oldest dropped.
 */
const settledResponses = new Set<string>();
const MAX_SETTLED = 1000;

function markSettled(id: unknown): void {
  if (typeof id !== 'string') return;
  if (settledResponses.size >= MAX_SETTLED) settledResponses.delete(settledResponses.values().next().value!);
  settledResponses.add(id);
}

const RUNNING = new Set(['queued', 'in_progress']);
const TERMINAL = new Set(['completed', 'incomplete', 'failed', 'cancelled']);

/** `StainlessCallPlan.defer` of `responses.create`: keeps a background response's unit open. */
export function deferBackgroundResponse(body: Record<string, unknown>, result: any, call: GovernedCall): boolean {
  return body.background === true && RUNNING.has(result?.status) && openResponses.keep(result?.id, call);
}

/**
 * The stream observer of a streamed background response: a stream left before its usage arrived keeps
 * its unit open under the response's id (from its first event, `response.created`), for the resumed stream.
 */
export function backgroundStreamObserver<T extends StreamObserver<any>>(observer: T): T {
  let id: string | undefined;
  return {
    ...observer,
    onChunk(event: any) {
      if (id === undefined && typeof event?.response?.id === 'string') id = event.response.id;
      // Its terminal event carries the usage: the unit settles from it, here.
      if (TERMINAL.has(event?.response?.status)) markSettled(id);
      observer.onChunk(event);
    },
    keepOpen: (call: GovernedCall) => openResponses.keep(id, call),
  };
}

/** Wraps `responses.retrieve` (or its beta mirror) so reading a background response settles its unit. */
export function watchResponseRetrieve(
  patcher: MethodPatcher,
  original: (...args: any[]) => any,
  method: 'responses.retrieve' | 'beta.responses.retrieve',
) {
  return patcher.mark(original, function (this: unknown, ...args: any[]) {
    const [id, query] = args;
    const stream = query?.stream === true;
    if (!openResponses.has(id)) {
      if (stream && !settledResponses.has(id))
        warnUngovernedCall({ method: `openai ${method}(id, { stream: true })`, adapter: '@genops/provider-openai' });
      return original.apply(this, args);
    }
    const promise = original.apply(this, args);
    if (typeof promise?._thenUnwrap !== 'function') return promise;
    return promise._thenUnwrap((result: any) => {
      if (stream && typeof result?.iterator === 'function') {
        const call = openResponses.take(id);
        markSettled(id);
        if (call)
          result.iterator = governIterator(
            call,
            result.iterator.bind(result),
            createOpenAIStreamObserver('responses.create', false),
          );
      } else if (!stream && TERMINAL.has(result?.status)) {
        markSettled(id);
        void openResponses.take(id)?.end(readOpenAIResponse('responses.create', result, undefined));
      }
      return result;
    });
  });
}
