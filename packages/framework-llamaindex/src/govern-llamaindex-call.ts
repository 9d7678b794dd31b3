import {
  currentGovernor,
  type GovernedCall,
  type Governor,
  governIterator,
  runGovernedCall,
  type StreamObserver,
} from '@genops/core/adapter';
import type { LLMMetadata } from '@llamaindex/core/llms';
import { describeLlamaIndexRequest, type LLMFacts } from './describe-llamaindex-request';
import { isOpenAIChatLLM, providerOfLLM } from './llamaindex-provider';
import {
  applyLlamaIndexChatEdits,
  applyLlamaIndexCompleteEdits,
  asRecord,
  type ChatParams,
  type CompleteParams,
  includeUsageOf,
  textsOf,
  withStreamUsage,
} from './llamaindex-request-text';
import { stepContext } from './llamaindex-steps';
import { createLlamaIndexStreamObserver } from './llamaindex-stream-observer';
import { partialOfLlamaIndexError, readLlamaIndexResponse } from './read-llamaindex-response';
import type { GovernLLMOptions } from './types';

type LLMObject = Record<PropertyKey, unknown>;

/** One governed `chat()` call of `llm`; `send` is the LLM's own `chat`. */
export async function governLlamaIndexChat(
  governor: Governor,
  llm: LLMObject,
  params: ChatParams,
  send: (params: ChatParams) => Promise<unknown>,
  options: GovernLLMOptions,
): Promise<unknown> {
  const facts = factsOf(llm, options);
  const stream = params.stream === true;
  const injectUsage =
    stream &&
    options.includeStreamUsage !== false &&
    isOpenAIChatLLM(llm) &&
    includeUsageOf(facts.additionalChatOptions, params.additionalChatOptions) === undefined;
  const request = describeLlamaIndexRequest({
    facts,
    method: 'chat',
    stream,
    texts: () => (params.messages ?? []).flatMap((message) => textsOf(message?.content)),
    toolNames: params.tools?.map((tool) => tool?.metadata?.name).filter((name) => typeof name === 'string'),
    additionalChatOptions: asRecord(params.additionalChatOptions),
    content: () => params.messages,
  });
  return runGovernedCall<ChatParams, unknown>(governor, request, {
    input: params,
    edit: (input, edits) => applyLlamaIndexChatEdits(input, edits, facts),
    execute: (sent) => send(injectUsage ? withStreamUsage(sent, facts) : sent),
    ...resultOf(stream, injectUsage, 'message'),
  });
}

/** One governed `complete()` call; `send` is the LLM's own `complete`. */
export async function governLlamaIndexComplete(
  governor: Governor,
  llm: LLMObject,
  params: CompleteParams,
  send: (params: CompleteParams) => Promise<unknown>,
  options: GovernLLMOptions,
): Promise<unknown> {
  // complete() has no per-call options to send another model with: the model is not editable.
  const facts = { ...factsOf(llm, options), modelEditable: false };
  const stream = params.stream === true;
  const request = describeLlamaIndexRequest({
    facts,
    method: 'complete',
    stream,
    texts: () => textsOf(params.prompt),
    toolNames: undefined,
    additionalChatOptions: undefined,
    content: () => params.prompt,
  });
  return runGovernedCall<CompleteParams, unknown>(governor, request, {
    input: params,
    edit: applyLlamaIndexCompleteEdits,
    execute: send,
    ...resultOf(stream, false, 'text'),
  });
}

/**
 * What `chat()` and `complete()` share: the call's span is a child of the LlamaIndex step (query,
 * retrieval) it belongs to; a stream is governed as it is read; a response is read from its `raw`, its
 * output being the chat `message` or the completion `text`.
 */
function resultOf(stream: boolean, hideUsageChunk: boolean, output: 'message' | 'text') {
  return {
    partial: partialOfLlamaIndexError,
    // A stream's request goes out on its first read (see governLlamaIndexStream).
    sendsLater: stream,
    parent: stepContext(),
    stream: (response: unknown, call: GovernedCall) =>
      stream ? governLlamaIndexStream(call, response, createLlamaIndexStreamObserver(hideUsageChunk)) : undefined,
    outcome: (response: unknown) => {
      const read = response as { raw: unknown; message?: unknown; text?: unknown };
      return readLlamaIndexResponse(read.raw, () => read[output]);
    },
  };
}

/** The running governor, after letting pending step events run (see {@link governLlamaIndexChat}). */
export async function governorForCall(params: unknown): Promise<Governor | undefined> {
  const governor = currentGovernor();
  if (!governor || typeof params !== 'object' || params === null) return undefined;
  // Step events (query-start, retrieve-start) dispatched before this call run in microtasks: let them
  // run, so the step this call belongs to is known.
  await undefined;
  return governor;
}

/** Wraps a LlamaIndex stream so the call settles exactly once, with the SDK work running in the call's context. */
function governLlamaIndexStream(
  call: GovernedCall,
  response: unknown,
  observer: StreamObserver<unknown>,
): AsyncIterable<unknown> {
  const iterable = response as AsyncIterable<unknown>;
  // LlamaIndex provider streams are lazy async generators: the HTTP request starts on the first
  // next(), so every step of the iterator runs inside the governed call's context.
  const source = (): AsyncIterator<unknown> => {
    // Read now: from here the provider may bill it. Dropped unread, nothing was sent: it is released.
    call.markSent();
    const iterator = call.runInContext(() => iterable[Symbol.asyncIterator]());
    const inContext: AsyncIterator<unknown> = {
      next: (...args: [] | [unknown]) => call.runInContext(() => iterator.next(...args)),
    };
    // Variables first: a function literal assigned to a property is made in V8's old generation, and
    // would keep the stream alive there (lint/no-property-function.grit).
    const returnInContext = (value?: unknown) => call.runInContext(() => iterator.return!(value));
    const throwInContext = (error?: unknown) => call.runInContext(() => iterator.throw!(error));
    if (iterator.return) inContext.return = returnInContext;
    if (iterator.throw) inContext.throw = throwInContext;
    return inContext;
  };
  return { [Symbol.asyncIterator]: governIterator(call, source, observer) };
}

function factsOf(llm: LLMObject, options: GovernLLMOptions): LLMFacts {
  let metadata: Partial<LLMMetadata> | undefined;
  try {
    metadata = llm.metadata as Partial<LLMMetadata> | undefined;
  } catch {
    metadata = undefined;
  }
  return {
    provider: options.provider ?? providerOfLLM(llm),
    metadata,
    modelEditable: isOpenAIChatLLM(llm),
    baseURL: typeof llm.baseURL === 'string' ? llm.baseURL : undefined,
    additionalChatOptions: asRecord(llm.additionalChatOptions),
  };
}
