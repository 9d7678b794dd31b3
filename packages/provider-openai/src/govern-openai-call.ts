import {
  type APIPromiseClass,
  currentGovernor,
  type GovernedCall,
  governStainlessCall,
  methodPatcher,
  type StainlessCallPlan,
  type StainlessMethod,
} from '@genops/core/adapter';
import { heliconePropertyHeaders, withRequestHeaders } from './compatible-gateways';
import { clientEndpointOf, describeOpenAIRequestAt, openAIEndpointOf } from './describe-openai-request';
import { backgroundStreamObserver, deferBackgroundResponse } from './openai-background-responses';
import { NO_STREAM, type OpenAIEndpoint, RESOURCE_ID } from './openai-endpoint';
import { applyOpenAIEdits } from './openai-request-text';
import { createOpenAIStreamObserver } from './openai-stream-observer';
import { readOpenAIResponse } from './read-openai-response';
import type { OpenAIMethod, OpenAIPatchedMethod } from './types';

/** Marks governed `create` methods (`genops.openai.original`). */
export const openAIMethods = methodPatcher('openai');
/** Where `instrumentOpenAI(client, { provider })` keeps the client's provider. */
export const PROVIDER = Symbol.for('genops.openai.provider');

/**
 * Wraps an SDK `create` so one logical call (SDK retries included) is one governed unit, and the caller
 * still gets the SDK's own `APIPromise` and `Stream`.
 */
export function governCreate(
  patched: OpenAIPatchedMethod,
  original: StainlessMethod,
  APIPromise: APIPromiseClass,
): StainlessMethod {
  return openAIMethods.mark(original, function (this, body, options) {
    const governor = currentGovernor();
    if (!governor || body === null || typeof body !== 'object') return original.call(this, body, options);
    const method = wireFormatOf(patched);
    const client = this._client;
    let params = body;
    let injectedUsage = false;
    if (
      (method === 'chat.completions.create' || method === 'completions.create') &&
      body.stream === true &&
      body.stream_options?.include_usage === undefined
    ) {
      // Streams report usage only when asked; ask, and hide the extra chunk from the caller.
      params = { ...body, stream_options: { ...body.stream_options, include_usage: true } };
      injectedUsage = true;
    }
    const baseURL = typeof client?.baseURL === 'string' ? client.baseURL : undefined;
    const provider = typeof client?.[PROVIDER] === 'string' ? client[PROVIDER] : undefined;
    // Provider, server and gateway of the base URL: parsed once per base URL.
    const endpoint = openAIEndpointOf(baseURL);
    // A fresh object per call: the patched method's name goes on it, no copy.
    const request = describeOpenAIRequestAt(method, params, endpoint, provider);
    request.method = patched;
    const background = method === 'responses.create' && body.background === true;
    if (!background && !endpoint.helicone) {
      // The common case: the plan's hooks depend only on the method (shared, not made per call).
      const hooks = planHooks(method, injectedUsage);
      return governStainlessCall(
        governor,
        { request, edit: hooks.edit, outcome: hooks.outcome, streamObserver: hooks.streamObserver },
        { self: this, body: params, options, original, APIPromise },
      );
    }
    return governStainlessCall(
      governor,
      {
        request,
        edit: (sent, edits) => applyOpenAIEdits(method, sent, edits),
        // Helicone groups requests by custom properties: forward the call's attribution as those.
        ...(endpoint.helicone
          ? { options: (call) => withRequestHeaders(options, heliconePropertyHeaders(call.attribution)) }
          : {}),
        outcome: (result, response) => readOpenAIResponse(method, result, response),
        // A background response runs on after `create` returns (or its stream is left): its unit settles
        // when the app reads it.
        ...(background
          ? {
              streamObserver: () => backgroundStreamObserver(createOpenAIStreamObserver(method, injectedUsage)),
              defer: (result: unknown, call: GovernedCall) => deferBackgroundResponse(body, result, call),
            }
          : { streamObserver: () => createOpenAIStreamObserver(method, injectedUsage) }),
      },
      { self: this, body: params, options, original, APIPromise },
    );
  });
}

type PlanHooks = Pick<StainlessCallPlan, 'edit' | 'outcome' | 'streamObserver'>;

/** The plan hooks of each method, with and without a usage chunk GenOps asked for (built once each). */
const hooksByMethod = new Map<OpenAIMethod, [PlanHooks, PlanHooks]>();

function planHooks(method: OpenAIMethod, injectedUsage: boolean): PlanHooks {
  let hooks = hooksByMethod.get(method);
  if (!hooks) {
    const of = (injected: boolean): PlanHooks => ({
      edit: (sent, edits) => applyOpenAIEdits(method, sent, edits),
      outcome: (result, response) => readOpenAIResponse(method, result, response),
      streamObserver: () => createOpenAIStreamObserver(method, injected),
    });
    hooks = [of(false), of(true)];
    hooksByMethod.set(method, hooks);
  }
  return hooks[injectedUsage ? 1 : 0];
}

/** The beta mirrors send the same bodies and read the same responses as the methods they mirror. */
function wireFormatOf(method: OpenAIPatchedMethod): OpenAIMethod {
  return method === 'beta.responses.create' ? 'responses.create' : method;
}

/**
 * Wraps a billable method beyond `create` (images, audio, videos: see `openai-endpoint.ts`) so each call
 * is one governed unit, priced by the units its endpoint reports; the caller still gets the SDK's own
 * `APIPromise` (and `Stream`).
 */
export function governEndpoint(
  endpoint: OpenAIEndpoint,
  original: StainlessMethod,
  APIPromise: APIPromiseClass,
): StainlessMethod {
  if (endpoint.leadingId) return governWithLeadingId(endpoint, original, APIPromise);
  return openAIMethods.mark(original, function (this, body, options) {
    const governor = currentGovernor();
    if (!governor || body === null || typeof body !== 'object') return original.call(this, body, options);
    const client = this._client;
    const baseURL = typeof client?.baseURL === 'string' ? client.baseURL : undefined;
    const provider = typeof client?.[PROVIDER] === 'string' ? client[PROVIDER] : undefined;
    const base = clientEndpointOf(baseURL, provider);
    return governStainlessCall(
      governor,
      {
        request: endpoint.describe(body, base, client),
        ...(endpoint.edit ? { edit: endpoint.edit } : {}),
        outcome: (result) => endpoint.outcome(result, body),
        streamObserver: () => endpoint.streamObserver?.(body) ?? NO_STREAM,
        ...(endpoint.defer ? { defer: endpoint.defer } : {}),
      },
      { self: this, body, options, original, APIPromise },
    );
  });
}

/** `method(id, body, options)` (`videos.remix`): governed like the others, the id passed through. */
function governWithLeadingId(
  endpoint: OpenAIEndpoint,
  original: (...args: any[]) => any,
  APIPromise: APIPromiseClass,
): StainlessMethod {
  const { leadingId: _, describe, ...rest } = endpoint;
  return openAIMethods.mark(original as StainlessMethod, function (this: any, ...args: any[]) {
    const [id, body, options] = args;
    if (!currentGovernor() || typeof id !== 'string' || body === null || typeof body !== 'object')
      return original.apply(this, args);
    const withId: StainlessMethod = function (this, sent, sentOptions) {
      return original.call(this, id, sent, sentOptions);
    };
    const withIdEndpoint: OpenAIEndpoint = {
      ...rest,
      describe: (described, base, client) => describe({ ...described, [RESOURCE_ID]: id }, base, client),
    };
    return governEndpoint(withIdEndpoint, withId, APIPromise).call(this, body, options);
  });
}
