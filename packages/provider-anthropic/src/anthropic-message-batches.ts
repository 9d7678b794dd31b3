import {
  type APIPromiseClass,
  addUsage,
  type BillableUsage,
  type CallOutcome,
  currentGovernor,
  type GovernedCall,
  type GovernedRequest,
  governIterator,
  governStainlessCall,
  type StainlessMethod,
  type StreamObserver,
  type Usage,
} from '@genops/core/adapter';
import { convertAnthropicUsage } from './convert-anthropic-usage';
import { describeAnthropicRequest } from './describe-anthropic-request';
import { anthropicMethods } from './govern-anthropic-call';

/**
 * Message batches (`messages.batches.create`, `beta.messages.batches.create`): one governed unit per
 * batch. Every request in it carries `max_tokens`, so the reservation is exact about output: the sum of
 * the requests' input estimates and caps, at the model's batch rates (50% of the interactive rates,
 * Anthropic's Batch API pricing). The unit stays open while the batch runs and settles, at batch rates,
 * from the usage of every result when the app reads them to the end with `batches.results(id)`. An app
 * that stops reading early, or never reads the results, leaves usage GenOps never sees: the unit settles
 * at its reservation, flagged incomplete (at once when the app stops reading, by core's rules for
 * unsettled units otherwise). All requests of a governed batch must use one model, so the unit has one
 * price: a batch that mixes models is refused before it is sent (split it per model).
 * @see https://docs.anthropic.com/en/docs/build-with-claude/batch-processing#pricing
 */
export type AnthropicBatchMethod = 'messages.batches.create' | 'beta.messages.batches.create';

/** Message batches created in this process and not settled yet, by batch id. */
const openBatches = new Map<string, { call: GovernedCall; requests: number }>();

/** Wraps a `Batches.prototype.create` so each batch is one governed unit, kept open until its results are read. */
export function governBatchCreate(
  original: StainlessMethod,
  APIPromise: APIPromiseClass,
  method: AnthropicBatchMethod,
): StainlessMethod {
  return anthropicMethods.mark(original, function (this, body, options) {
    const governor = currentGovernor();
    if (!governor || body === null || typeof body !== 'object') return original.call(this, body, options);
    const client = this._client;
    const baseURL = typeof client?.baseURL === 'string' ? client.baseURL : undefined;
    return governStainlessCall(
      governor,
      {
        // A batch GenOps cannot describe (mixed models) fails before anything is governed or sent.
        request: new Promise<GovernedRequest>((resolve) => resolve(describeAnthropicBatch(body, baseURL, method))),
        outcome: () => ({ incomplete: true }),
        streamObserver: () => ({ onChunk() {}, outcome: () => ({}) }),
        defer: (batch, call) => {
          if (typeof batch?.id !== 'string') return false;
          openBatches.set(batch.id, { call, requests: countRequests(body) });
          return true;
        },
      },
      { self: this, body, options, original, APIPromise },
    );
  });
}

/** The batch as one request: every request's input estimate and `max_tokens`, summed, at batch rates. */
export function describeAnthropicBatch(
  body: { requests?: unknown },
  baseURL: string | undefined,
  method: AnthropicBatchMethod,
): GovernedRequest {
  const entries = Array.isArray(body.requests) ? body.requests : [];
  let first: GovernedRequest | undefined;
  let estimatedInputTokens = 0;
  let cappedOutputTokens = 0;
  let uncappedRequests = 0;
  for (const entry of entries) {
    const params = (entry as { params?: unknown })?.params;
    if (!params || typeof params !== 'object') continue;
    const described = describeAnthropicRequest(params as Record<string, unknown>, baseURL);
    if (first && described.model !== first.model) {
      throw new TypeError(
        `${method}: GenOps governs a message batch as one unit of one model, and this batch mixes "${first.model}" and "${described.model}". ` +
          'Send one batch per model.',
      );
    }
    first ??= described;
    estimatedInputTokens += described.estimatedInputTokens;
    if (described.maxOutputTokens === undefined) uncappedRequests += 1;
    else cappedOutputTokens += described.maxOutputTokens;
  }
  return {
    provider: 'anthropic',
    operation: 'chat',
    model: first?.model ?? 'unknown-model',
    method,
    estimatedInputTokens,
    ...(uncappedRequests === 0 ? { maxOutputTokens: cappedOutputTokens } : {}),
    batch: { requests: entries.length, uncappedRequests, cappedOutputTokens },
    ...(first?.serverAddress !== undefined ? { serverAddress: first.serverAddress } : {}),
    ...(first?.serverPort !== undefined ? { serverPort: first.serverPort } : {}),
    requestAttributes: {},
    editable: { model: false, text: false },
  };
}

/**
 * Wraps `Batches.prototype.results(id)`: for a batch created in this process, reading its results to the
 * end settles its unit from the sum of the results' usage; stopping early settles it at the reservation.
 */
export function watchBatchResults(original: (...args: any[]) => any) {
  return anthropicMethods.mark(original, function (this: unknown, ...args: unknown[]) {
    const id = args[0];
    const open = typeof id === 'string' ? openBatches.get(id) : undefined;
    const result = original.apply(this, args);
    if (!open || typeof result?.then !== 'function') return result;
    return result.then((decoder: any) => {
      const iterate = decoder?.[Symbol.asyncIterator];
      if (typeof iterate !== 'function' || openBatches.get(id as string) !== open) return decoder;
      openBatches.delete(id as string);
      decoder[Symbol.asyncIterator] = governIterator(
        open.call,
        iterate.bind(decoder),
        createBatchResultsObserver(id as string, open.requests),
      );
      return decoder;
    });
  });
}

/**
 * Sums the usage of every result (errored, canceled and expired requests are not billed). Until all
 * `requests` results were read the outcome has no usage: the unread ones were billed too, so a reader
 * that stops early settles the unit at its reservation.
 */
export function createBatchResultsObserver(batchId: string, requests: number): StreamObserver<any> {
  let usage: Usage | undefined;
  let model: string | undefined;
  let results = 0;
  return {
    onChunk(line) {
      results += 1;
      const message = line?.result?.type === 'succeeded' ? line.result.message : undefined;
      if (!message) return;
      if (typeof message.model === 'string') model = message.model;
      const converted = convertAnthropicUsage(message.usage);
      if (converted) usage = usage ? addUsage(usage, converted) : converted;
    },
    outcome(): CallOutcome {
      if (results < requests) return { incomplete: true, response: { id: batchId, finishReasons: [] } };
      const billed: BillableUsage | undefined = usage ? { ...usage, batch: true } : undefined;
      return {
        usage: billed ?? { inputTokens: 0, outputTokens: 0, batch: true },
        response: { id: batchId, model, finishReasons: ['ended'] },
      };
    },
  };
}

function countRequests(body: { requests?: unknown }): number {
  return Array.isArray(body.requests) ? body.requests.length : 0;
}
