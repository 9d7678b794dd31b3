import {
  type BillableUsage,
  type CallOutcome,
  estimateInputTokens,
  type GovernedRequest,
  type MethodPatcher,
} from '@genops/core/adapter';
import { convertResponsesUsage } from './convert-openai-usage';
import { DeferredUnits } from './openai-deferred-units';
import { countOf, type EndpointBase, type OpenAIEndpoint } from './openai-endpoint';

/**
 * `batches.create`: a batch job over an uploaded JSONL file is one governed unit. Before the job is
 * created GenOps reads the input file (`files.content`, the same file the API will read) and reserves
 * the worst case of every request in it at the model's batch rates (50% of the interactive rates where
 * the price data has them): each request's input estimate, plus its output cap (`max_tokens`,
 * `max_completion_tokens`, `max_output_tokens`) or, uncapped, the model's output limit. The unit stays
 * open while the job runs and settles, at batch rates, from the batch's `usage` the first time the app
 * reads the job in a terminal state (`batches.retrieve`: completed, failed, expired or cancelled). A job
 * the app never reads again is settled by core's rules for unsettled units (its reservation, flagged
 * incomplete, at lease end or exit).
 * @see https://platform.openai.com/docs/guides/batch
 */
export const BATCH_ENDPOINTS: readonly OpenAIEndpoint[] = [
  {
    method: 'batches.create',
    key: 'create',
    path: ['batches'],
    resource: (OpenAI) => OpenAI?.Batches,
    describe: (body, base, client) => describeOpenAIBatchRequest(body, base, client),
    outcome: () => ({ incomplete: true }),
    defer: (result, call) => openBatches.keep(result?.id, call),
  },
];

/** Batch jobs created in this process and not settled yet, by batch id. */
const openBatches = new DeferredUnits();

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** The operation of the API a batch runs its requests against. */
function operationOf(endpoint: unknown): GovernedRequest['operation'] {
  if (endpoint === '/v1/embeddings') return 'embeddings';
  if (endpoint === '/v1/completions') return 'text_completion';
  return 'chat';
}

export async function describeOpenAIBatchRequest(
  body: Record<string, any>,
  base: EndpointBase,
  client: any,
): Promise<GovernedRequest> {
  const operation = operationOf(body.endpoint);
  let model: string | undefined;
  let requests = 0;
  let uncappedRequests = 0;
  let cappedOutputTokens = 0;
  let estimatedInputTokens = 0;
  const file: Response = await client.files.content(body.input_file_id);
  for await (const line of jsonLines(file)) {
    const request = line?.body;
    if (!request || typeof request !== 'object') continue;
    requests += 1;
    if (model === undefined && typeof request.model === 'string') model = request.model;
    estimatedInputTokens +=
      estimateInputTokens(request.messages) +
      estimateInputTokens(request.input) +
      estimateInputTokens(request.prompt) +
      estimateInputTokens(request.instructions) +
      estimateInputTokens(request.tools);
    const cap =
      operation === 'embeddings'
        ? 0
        : countOf(request.max_completion_tokens, request.max_tokens, request.max_output_tokens);
    const choices = countOf(request.n) ?? 1;
    if (cap === undefined) uncappedRequests += choices;
    else cappedOutputTokens += cap * choices;
  }
  return {
    ...base,
    operation,
    model: model ?? 'unknown-model',
    method: 'batches.create',
    estimatedInputTokens,
    ...(uncappedRequests === 0 ? { maxOutputTokens: cappedOutputTokens } : {}),
    batch: { requests, uncappedRequests, cappedOutputTokens },
    requestAttributes: {},
    editable: { model: false, text: false },
  };
}

/** The parsed lines of a JSONL response, read incrementally (only the current line is held). */
async function* jsonLines(response: Response): AsyncGenerator<any> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const parsed = parseLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      if (parsed !== undefined) yield parsed;
      newline = pending.indexOf('\n');
    }
  }
  const last = parseLine(pending + decoder.decode());
  if (last !== undefined) yield last;
}

function parseLine(line: string): unknown {
  const text = line.trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function readOpenAIBatch(batch: any): CallOutcome {
  const usage = convertResponsesUsage(batch?.usage);
  const response = { id: batch?.id, finishReasons: typeof batch?.status === 'string' ? [batch.status] : [] };
  if (!usage) return { incomplete: true, response };
  const billed: BillableUsage = { ...usage, batch: true };
  return { usage: billed, response };
}

/** `batches.retrieve(id)`: settles the job's unit when the batch it returns has finished. */
export function patchBatchRetrieve(patcher: MethodPatcher, Batches: any): () => void {
  return patcher.patch(Batches?.prototype, 'retrieve', (original) => watchBatchRetrieve(patcher, original));
}

export function watchBatchRetrieve(patcher: MethodPatcher, original: (...args: any[]) => any) {
  return openBatches.watchRetrieve(patcher, original, (batch) => TERMINAL.has(batch?.status), readOpenAIBatch);
}
