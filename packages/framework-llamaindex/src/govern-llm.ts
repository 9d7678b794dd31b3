import { ConfigError } from '@genops/core';
import { Settings } from '@llamaindex/core/global';
import type { LLM } from '@llamaindex/core/llms';
import { governLlamaIndexChat, governLlamaIndexComplete, governorForCall } from './govern-llamaindex-call';
import type { ChatParams, CompleteParams } from './llamaindex-request-text';
import type { GovernLLMOptions } from './types';

const GOVERNED = Symbol.for('genops.llamaindex.governed');

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
    const send = (sent: ChatParams) => target.chat(sent as never) as Promise<unknown>;
    const governor = await governorForCall(params);
    return governor ? governLlamaIndexChat(governor, target, params, send, options) : send(params);
  };

  const complete = async (params: CompleteParams): Promise<unknown> => {
    // `this` is the governed LLM, so LlamaIndex's BaseLLM.complete(), which calls `this.chat()`, reaches
    // the governed chat: inside a governed complete() that chat is the same unit (no double count).
    const send = (sent: CompleteParams) => (target.complete as AnyFunction).call(proxy, sent) as Promise<unknown>;
    const governor = await governorForCall(params);
    return governor ? governLlamaIndexComplete(governor, target, params, send, options) : send(params);
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
