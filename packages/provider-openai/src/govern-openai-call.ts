import { currentGovernor, type GovernedCall, governIterator } from '@genops/core';
import {
  heliconePropertyHeaders,
  isHeliconeBaseURL,
  liteLLMReportedCostUsd,
  withRequestHeaders,
} from './compatible-gateways';
import { convertChatUsage, convertResponsesUsage } from './convert-openai-usage';
import { describeOpenAIRequest, type OpenAIMethod } from './describe-openai-request';
import { applyOpenAIEdits } from './openai-request-text';
import { createStreamObserver } from './openai-stream-observers';

/** The SDK's `APIPromise` class of one module graph (ESM and CJS each have their own). */
export type APIPromiseClass = new (
  client: unknown,
  responsePromise: Promise<unknown>,
  parseResponse: (client: unknown, props: unknown) => unknown,
) => Promise<unknown>;

type Create = (this: { _client: any }, body: any, options?: any) => any;

interface InnerAPIPromise {
  responsePromise: Promise<{ options?: { stream?: boolean } }>;
  parseResponse: (client: unknown, props: unknown) => Promise<any> | any;
}

const ORIGINAL = Symbol.for('genops.openai.original');
/** Where `instrumentOpenAI(client, { provider })` keeps the client's provider. */
export const PROVIDER = Symbol.for('genops.openai.provider');

/** The unwrapped SDK method behind a (possibly) governed one. */
export function unwrap(method: Create): Create {
  return (method as Create & { [ORIGINAL]?: Create })[ORIGINAL] ?? method;
}

export function isGoverned(method: unknown): boolean {
  return typeof method === 'function' && ORIGINAL in method;
}

/**
 * Wraps an SDK `create` so one logical call (SDK retries included) is one governed unit:
 * governance runs before the request is sent, and the caller still gets the SDK's own `APIPromise`
 * (`withResponse()`, `asResponse()`, `_thenUnwrap`) and, for streams, the SDK's own `Stream` object
 * (`tee()`, `controller`, `toReadableStream()`).
 */
export function governCreate(method: OpenAIMethod, original: Create, APIPromise: APIPromiseClass): Create {
  const governed: Create = function (this, body, options) {
    const governor = currentGovernor();
    if (!governor || body === null || typeof body !== 'object') return original.call(this, body, options);
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
    const request = describeOpenAIRequest(method, params, baseURL, provider);
    let call: GovernedCall | undefined;
    let inner: InnerAPIPromise | undefined;
    const responsePromise = (async () => {
      call = await governor.begin(request);
      try {
        // Redaction and a budget's downgrade change what is sent, never the caller's object.
        const sent = call.edits ? applyOpenAIEdits(method, params, call.edits) : params;
        // Helicone groups requests by custom properties: forward the call's attribution as those.
        const sentOptions = isHeliconeBaseURL(baseURL)
          ? withRequestHeaders(options, heliconePropertyHeaders(call.attribution))
          : options;
        inner = call.runInContext(() => original.call(this, sent, sentOptions)) as InnerAPIPromise;
        return await inner.responsePromise;
      } catch (error) {
        await call.fail(error);
        throw error;
      }
    })();
    let parsing = false;
    const parse = async (parseClient: unknown, props: unknown) => {
      parsing = true;
      const activeCall = call!;
      let result: any;
      try {
        result = await inner!.parseResponse(parseClient, props);
      } catch (error) {
        // A 2xx response whose body could not be parsed: the provider may have billed it, so the
        // call settles from its reservation, flagged incomplete.
        await activeCall.fail(error, {});
        throw error;
      }
      if (request.stream && result && typeof result.iterator === 'function') {
        result.iterator = governIterator(
          activeCall,
          result.iterator.bind(result),
          createStreamObserver(method, injectedUsage),
        );
        return result;
      }
      // A LiteLLM proxy says what the call cost; that wins over the price table.
      const reportedCostUsd = liteLLMReportedCostUsd((props as { response?: Response } | undefined)?.response?.headers);
      await activeCall.end({
        ...outcomeOf(method, result),
        ...(reportedCostUsd !== undefined ? { reportedCostUsd } : {}),
      });
      return result;
    };
    const promise = new APIPromise(client, responsePromise, parse) as Promise<unknown> & {
      asResponse(): Promise<Response>;
    };
    const asResponse = promise.asResponse.bind(promise);
    promise.asResponse = () =>
      asResponse().then((response) => {
        // A caller that only takes the raw Response reads the body itself, so GenOps never sees the
        // usage: settle from the reservation, flagged incomplete. `withResponse()` parses too, and
        // its parse step starts before this check runs.
        setImmediate(() => {
          if (!parsing) void call?.end({ incomplete: true });
        });
        return response;
      });
    return promise;
  };
  Object.defineProperty(governed, ORIGINAL, { value: original });
  Object.defineProperty(governed, 'name', { value: original.name });
  return governed;
}

function outcomeOf(method: OpenAIMethod, result: any) {
  const usage = method === 'responses.create' ? convertResponsesUsage(result?.usage) : convertChatUsage(result?.usage);
  const finishReasons: string[] =
    method === 'responses.create'
      ? typeof result?.status === 'string'
        ? [result.status]
        : []
      : Array.isArray(result?.choices)
        ? result.choices
            .map((choice: { finish_reason?: string }) => choice?.finish_reason)
            .filter((reason: unknown): reason is string => typeof reason === 'string')
        : [];
  return {
    usage,
    response: {
      id: typeof result?.id === 'string' ? result.id : undefined,
      model: typeof result?.model === 'string' ? result.model : undefined,
      finishReasons,
      output: () =>
        method === 'responses.create'
          ? result?.output
          : result?.choices?.map((choice: { message?: unknown; text?: unknown }) => choice?.message ?? choice?.text),
    },
  };
}
