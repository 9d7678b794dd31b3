import { ConfigError } from '@genops/core';
import { currentGovernor, type GovernedCall, governIterator, type StreamObserver } from '@genops/core/adapter';
import { Settings } from '@llamaindex/core/global';
import type {
  ChatMessage,
  LLM,
  LLMChatParamsNonStreaming,
  LLMChatParamsStreaming,
  LLMCompletionParamsNonStreaming,
  LLMCompletionParamsStreaming,
  LLMMetadata,
} from '@llamaindex/core/llms';
import { context } from '@opentelemetry/api';
import {
  describeLlamaIndexRequest,
  type LLMFacts,
  rewriteContent,
  rewriteMessages,
  textsOf,
} from './describe-llamaindex-request';
import { isOpenAIChatLLM, providerOfLLM } from './llamaindex-provider';
import { stepContext } from './llamaindex-steps';
import { createChunkObserver, outcomeOfResponse } from './read-llamaindex-response';
import type { GovernLLMOptions } from './types';

const GOVERNED = Symbol.for('genops.llamaindex.governed');

type ChatParams = LLMChatParamsStreaming | LLMChatParamsNonStreaming;
type CompleteParams = LLMCompletionParamsStreaming | LLMCompletionParamsNonStreaming;
type AnyFunction = (...args: unknown[]) => unknown;

/** Whether `llm` is an LLM {@link governLLM} returned. */
export function isGovernedLLM(llm: unknown): boolean {
  return typeof llm === 'object' && llm !== null && (llm as { [GOVERNED]?: unknown })[GOVERNED] !== undefined;
}

/**
 * Wraps a LlamaIndex.TS LLM so that every `chat()` and `complete()` call, streamed or not, is one
 * GenOps governed unit: policy, budgets, rate limits and approvals decide before the LLM runs (a denied
 * call throws the typed `GovernanceError` and the provider is never called), redaction rewrites the
 * message text the LLM sends, and the call settles with the usage the provider reported in `raw`.
 * `exec()` / `streamExec()` (agents, structured output) go through the governed `chat()`.
 *
 * The result is the same LLM (a Proxy: `instanceof`, `metadata`, `supportToolCall` and every other
 * member are the LLM's own); pass it to engines and agents, or set `Settings.llm` to it (see
 * {@link governSettingsLLM}). Without a running `GenOps.init()` calls pass straight through.
 *
 * @example
 * const llm = governLLM(new OpenAI({ model: 'gpt-4o' }));
 * const response = await llm.chat({ messages: [{ role: 'user', content: 'Hello' }] });
 */
export function governLLM<T extends LLM>(llm: T, options: GovernLLMOptions = {}): T {
  if (isGovernedLLM(llm)) return llm;
  const target = llm as T & Record<PropertyKey, unknown>;
  const bound = new WeakMap<AnyFunction, AnyFunction>();
  let proxy: T;

  const chat = async (params: ChatParams): Promise<unknown> => {
    const governor = currentGovernor();
    if (!governor || typeof params !== 'object' || params === null) return target.chat(params as never);
    // Step events (query-start, retrieve-start) dispatched before this call run in microtasks: let them
    // run, so the step this call belongs to is known.
    await undefined;
    const facts = factsOf(target, options);
    const stream = params.stream === true;
    const injectUsage =
      stream &&
      options.includeStreamUsage !== false &&
      isOpenAIChatLLM(target) &&
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
    const call = await context.with(stepContext(), () => governor.begin(request));
    try {
      const sent = chatParamsToSend(params, call, facts, injectUsage);
      const response: unknown = await call.runInContext(() => target.chat(sent as never));
      if (stream) return governStream(call, response as AsyncIterable<unknown>, createChunkObserver(injectUsage));
      const { raw, message } = response as { raw: unknown; message: ChatMessage };
      await call.end(outcomeOfResponse(raw, () => message));
      return response;
    } catch (error) {
      await call.fail(error);
      throw error;
    }
  };

  const complete = async (params: CompleteParams): Promise<unknown> => {
    const original = target.complete as AnyFunction;
    const governor = currentGovernor();
    // `this` is the governed LLM, so LlamaIndex's BaseLLM.complete(), which calls `this.chat()`, reaches
    // the governed chat: inside a governed complete() that chat is the same unit (no double count).
    if (!governor || typeof params !== 'object' || params === null) return original.call(proxy, params);
    await undefined;
    // complete() has no per-call options to send another model with: the model is not editable.
    const facts = { ...factsOf(target, options), modelEditable: false };
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
    const call = await context.with(stepContext(), () => governor.begin(request));
    try {
      const rewrite = call.edits?.text;
      const sent = rewrite ? { ...params, prompt: rewriteContent(params.prompt, rewrite) } : params;
      const response = await call.runInContext(() => original.call(proxy, sent));
      if (stream) return governStream(call, response as AsyncIterable<unknown>, createChunkObserver(false));
      const { raw, text } = response as { raw: unknown; text: string };
      await call.end(outcomeOfResponse(raw, () => text));
      return response;
    } catch (error) {
      await call.fail(error);
      throw error;
    }
  };

  proxy = new Proxy(target, {
    get(object, property) {
      if (property === GOVERNED) return object;
      if (property === 'chat') return chat;
      if (property === 'complete') return complete;
      // Getters run on the LLM itself: provider classes keep state in private fields (`#session`).
      const value = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      // BaseLLM's exec()/streamExec() call `this.chat()`: run them on the governed LLM so that call is governed.
      if (property === 'exec' || property === 'streamExec') return value;
      let method = bound.get(value as AnyFunction);
      if (!method) {
        method = (value as AnyFunction).bind(object);
        bound.set(value as AnyFunction, method);
      }
      return method;
    },
    set(object, property, value) {
      return Reflect.set(object, property, value, object);
    },
  }) as T;
  return proxy;
}

/**
 * Governs the LLM LlamaIndex uses by default: sets `Settings.llm = governLLM(Settings.llm, options)`
 * and returns it. Call it after setting `Settings.llm`. Engines and agents given an LLM of their own
 * use that one: wrap it with {@link governLLM}.
 * @throws ConfigError when `Settings.llm` was never set.
 */
export function governSettingsLLM(options: GovernLLMOptions = {}): LLM {
  let llm: LLM;
  try {
    llm = Settings.llm;
  } catch (error) {
    throw new ConfigError({
      path: 'Settings.llm',
      message:
        'LlamaIndex has no LLM to govern yet. Set `Settings.llm = new OpenAI({ ... })` before calling governSettingsLLM(), or wrap the LLM you give an engine with governLLM(llm)',
      cause: error,
    });
  }
  const governed = governLLM(llm, options);
  Settings.llm = governed;
  return governed;
}

/** The chat params the LLM is called with: a copy carrying redacted messages, a downgraded model, `include_usage`. */
function chatParamsToSend(params: ChatParams, call: GovernedCall, facts: LLMFacts, injectUsage: boolean): ChatParams {
  const rewrite = call.edits?.text;
  const model = facts.modelEditable ? call.edits?.model : undefined;
  if (!rewrite && !model && !injectUsage) return params;
  const sent = { ...params };
  if (rewrite && Array.isArray(params.messages)) sent.messages = rewriteMessages(params.messages, rewrite);
  if (model || injectUsage) {
    const extra: Record<string, unknown> = { ...asRecord(params.additionalChatOptions) };
    // @llamaindex/openai spreads `additionalChatOptions` over its request body, after `model`.
    if (model) extra.model = model;
    if (injectUsage)
      extra.stream_options = {
        ...asRecord(facts.additionalChatOptions?.stream_options),
        ...asRecord(extra.stream_options),
        include_usage: true,
      };
    sent.additionalChatOptions = extra;
  }
  return sent;
}

/** Wraps a LlamaIndex stream so the call settles exactly once, with the SDK work running in the call's context. */
function governStream(
  call: GovernedCall,
  response: AsyncIterable<unknown>,
  observer: StreamObserver<unknown>,
): AsyncIterable<unknown> {
  // LlamaIndex provider streams are lazy async generators: the HTTP request starts on the first
  // next(), so every step of the iterator runs inside the governed call's context.
  const source = (): AsyncIterator<unknown> => {
    const iterator = call.runInContext(() => response[Symbol.asyncIterator]());
    const inContext: AsyncIterator<unknown> = {
      next: (...args: [] | [unknown]) => call.runInContext(() => iterator.next(...args)),
    };
    if (iterator.return) inContext.return = (value?: unknown) => call.runInContext(() => iterator.return!(value));
    if (iterator.throw) inContext.throw = (error?: unknown) => call.runInContext(() => iterator.throw!(error));
    return inContext;
  };
  return { [Symbol.asyncIterator]: governIterator(call, source, observer) };
}

function factsOf(llm: Record<PropertyKey, unknown>, options: GovernLLMOptions): LLMFacts {
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

function includeUsageOf(...sources: unknown[]): boolean | undefined {
  let value: boolean | undefined;
  for (const source of sources) {
    const streamOptions = asRecord(asRecord(source)?.stream_options);
    if (typeof streamOptions?.include_usage === 'boolean') value = streamOptions.include_usage;
  }
  return value;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}
