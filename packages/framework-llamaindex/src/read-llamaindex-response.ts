import type { CallOutcome, ResponseInfo } from '@genops/core/adapter';
import { usageFromRaw } from './convert-llamaindex-usage';

// Response id, model and finish reasons from a LlamaIndex `raw` (the provider's own response or stream
// event), keyed on its shape like the usage extractors:
// OpenAI Chat `id`, `model`, `choices[].finish_reason`; OpenAI Responses `id`, `model`, `status`;
// Anthropic `id`, `model`, `stop_reason` (streams: `message_start.message`, `message_delta.delta`);
// Gemini `responseId`, `modelVersion`, `candidates[].finishReason`.

export interface ResponseFacts {
  id?: string;
  model?: string;
  finishReasons: string[];
}

/** Adds what `raw` says about the response to `facts` (later values win). */
export function readResponseFacts(raw: unknown, facts: ResponseFacts): void {
  if (!isObject(raw)) return;
  const source = raw.type === 'message_start' && isObject(raw.message) ? raw.message : raw;
  const id = text(source.id) ?? text(source.responseId);
  if (id) facts.id = id;
  const model = text(source.model) ?? text(source.modelVersion);
  if (model) facts.model = model;
  const reasons: string[] = [];
  for (const choice of arrayOf(source.choices)) {
    const reason = isObject(choice) ? text(choice.finish_reason) : undefined;
    if (reason) reasons.push(reason);
  }
  for (const candidate of arrayOf(source.candidates)) {
    const reason = isObject(candidate) ? text(candidate.finishReason) : undefined;
    if (reason) reasons.push(reason);
  }
  const stop = text(source.stop_reason) ?? (isObject(source.delta) ? text(source.delta.stop_reason) : undefined);
  if (stop) reasons.push(stop);
  if (source.object === 'response' && text(source.status)) reasons.push(text(source.status)!);
  if (reasons.length > 0) facts.finishReasons = reasons;
}

/** The outcome of a non-streamed `chat()` / `complete()`: usage and response facts from its `raw`. */
export function readLlamaIndexResponse(raw: unknown, output: () => unknown): CallOutcome {
  const facts: ResponseFacts = { finishReasons: [] };
  readResponseFacts(raw, facts);
  return { usage: usageFromRaw(raw), response: responseInfo(facts, output) };
}

export function responseInfo(facts: ResponseFacts, output: () => unknown): ResponseInfo {
  const info: ResponseInfo = { output };
  if (facts.id) info.id = facts.id;
  if (facts.model) info.model = facts.model;
  if (facts.finishReasons.length > 0) info.finishReasons = facts.finishReasons;
  return info;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * What a failed `chat()` / `complete()` leaves to settle. The provider SDKs under LlamaIndex's LLMs
 * (openai, @anthropic-ai/sdk, @google/genai) throw their own API errors for non-2xx statuses; a
 * `SyntaxError` is a 2xx response whose body could not be parsed: the provider answered and may have
 * billed the call, so it settles from its reservation, flagged incomplete (`{}`), as every other route does.
 */
export function partialOfLlamaIndexError(error: unknown): CallOutcome | undefined {
  return error instanceof SyntaxError ? {} : undefined;
}
