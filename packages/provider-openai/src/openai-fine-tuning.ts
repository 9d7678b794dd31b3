import type { BillableUsage, CallOutcome, GovernedRequest, MethodPatcher } from '@genops/core/adapter';
import { DeferredUnits } from './openai-deferred-units';
import { countOf, type EndpointBase, type OpenAIEndpoint } from './openai-endpoint';

/**
 * `fineTuning.jobs.create`: a fine-tuning job is one governed unit, billed per trained token (the
 * training file's tokens × epochs) at the base model's training rate (`units.trainingToken` in the price
 * data). Before the job is created GenOps reads the training file's size (`files.retrieve`, metadata
 * only) and reserves `bytes / 2` tokens (no text the API trains on averages under 2 bytes a token) times
 * the epochs: `n_epochs` when set, else 10 (`auto` chooses by dataset size, at most 10 in OpenAI's
 * current rules). The unit stays open while the job runs and settles from the job's `trained_tokens`
 * when the app reads it finished (`fineTuning.jobs.retrieve`: succeeded, failed or cancelled); a job
 * the app never reads again is settled by core's rules for unsettled units. A base model without a
 * training rate in the price data reserves and charges nothing for training (add `units.trainingToken`
 * through `prices`). Reinforcement fine-tuning (billed per hour) is not priced.
 * @see https://platform.openai.com/docs/pricing#fine-tuning
 */
export const FINE_TUNING_ENDPOINTS: readonly OpenAIEndpoint[] = [
  {
    method: 'fineTuning.jobs.create',
    key: 'create',
    path: ['fineTuning', 'jobs'],
    resource: (OpenAI) => OpenAI?.FineTuning?.Jobs,
    describe: (body, base, client) => describeOpenAIFineTuningRequest(body, base, client),
    outcome: () => ({ incomplete: true }),
    defer: (job, call) => openJobs.keep(job?.id, call),
  },
];

/** Epochs reserved when the request leaves them to the API (`auto`). */
const AUTO_EPOCHS = 10;
/** Bytes of training file per token reserved (a lower bound on real text). */
const BYTES_PER_TOKEN = 2;

const openJobs = new DeferredUnits();
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export async function describeOpenAIFineTuningRequest(
  body: Record<string, any>,
  base: EndpointBase,
  client: any,
): Promise<GovernedRequest> {
  const file = await client.files.retrieve(body.training_file);
  const bytes = countOf(file?.bytes) ?? 0;
  const method = body.method;
  const hyperparameters = method?.[method?.type]?.hyperparameters ?? body.hyperparameters;
  const epochs = countOf(hyperparameters?.n_epochs) ?? AUTO_EPOCHS;
  return {
    ...base,
    operation: 'generate_content',
    model: typeof body.model === 'string' ? body.model : 'unknown-model',
    method: 'fineTuning.jobs.create',
    estimatedInputTokens: 0,
    maxOutputTokens: 0,
    units: { trainingTokens: Math.ceil(bytes / BYTES_PER_TOKEN) * epochs },
    requestAttributes: {},
    editable: { model: false, text: false },
  };
}

/** A finished job's `trained_tokens` (a failed job that trained nothing reports none: $0). */
export function readOpenAIFineTuningJob(job: any): CallOutcome {
  const trained = countOf(job?.trained_tokens) ?? (job?.status === 'failed' ? 0 : undefined);
  const response = {
    id: job?.id,
    ...(typeof job?.fine_tuned_model === 'string' ? { model: job.fine_tuned_model } : {}),
    finishReasons: typeof job?.status === 'string' ? [job.status] : [],
  };
  if (trained === undefined) return { incomplete: true, response };
  const usage: BillableUsage = { inputTokens: 0, outputTokens: 0, trainingTokens: trained };
  return { usage, response };
}

/** Wraps `fineTuning.jobs.retrieve`: a finished job created in this process settles its unit. */
export function watchFineTuningRetrieve(patcher: MethodPatcher, original: (...args: any[]) => any) {
  return openJobs.watchRetrieve(patcher, original, (job) => TERMINAL.has(job?.status), readOpenAIFineTuningJob);
}
