import { currentGovernor, type GovernedCall, governIterator } from '@genops/core';
import { applyAnthropicEdits } from './anthropic-request-text';
import { createAnthropicStreamObserver } from './anthropic-stream-observer';
import { convertAnthropicUsage } from './convert-anthropic-usage';
import { describeAnthropicRequest } from './describe-anthropic-request';

/** The SDK's `APIPromise` class of one module graph (ESM and CJS each have their own). */
export type APIPromiseClass = new (
  client: unknown,
  responsePromise: Promise<unknown>,
  parseResponse: (client: unknown, props: unknown) => unknown,
) => Promise<unknown>;

type Create = (this: { _client: any }, body: any, options?: any) => any;

interface InnerAPIPromise {
  responsePromise: Promise<unknown>;
  parseResponse: (client: unknown, props: unknown) => Promise<any> | any;
}

const ORIGINAL = Symbol.for('genops.anthropic.original');

/** The unwrapped SDK method behind a (possibly) governed one. */
export function unwrap(method: Create): Create {
  return (method as Create & { [ORIGINAL]?: Create })[ORIGINAL] ?? method;
}

export function isGoverned(method: unknown): boolean {
  return typeof method === 'function' && ORIGINAL in method;
}

/**
 * Wraps the SDK's `Messages.prototype.create` so one logical call (SDK retries included) is one
 * governed unit: governance runs before the request is sent, and the caller still gets the SDK's
 * own `APIPromise` (`withResponse()`, `asResponse()`, `_thenUnwrap`) and, for streams, the SDK's own
 * `Stream` (`tee()`, `controller`). `messages.stream()` calls `create({stream: true})`, so it is
 * governed through the same path.
 */
export function governCreate(original: Create, APIPromise: APIPromiseClass): Create {
  const governed: Create = function (this, body, options) {
    const governor = currentGovernor();
    if (!governor || body === null || typeof body !== 'object') return original.call(this, body, options);
    const client = this._client;
    const request = describeAnthropicRequest(body, typeof client?.baseURL === 'string' ? client.baseURL : undefined);
    let call: GovernedCall | undefined;
    let inner: InnerAPIPromise | undefined;
    const responsePromise = (async () => {
      call = await governor.begin(request);
      try {
        // Redaction and a budget's downgrade change what is sent, never the caller's object.
        const sent = call.edits ? applyAnthropicEdits(body, call.edits) : body;
        inner = call.runInContext(() =>
          withoutSdkSpan(client, () => original.call(this, sent, options)),
        ) as InnerAPIPromise;
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
        // A 2xx response whose body could not be parsed may have been billed: settle from the
        // reservation, flagged incomplete.
        await activeCall.fail(error, {});
        throw error;
      }
      if (request.stream && result && typeof result.iterator === 'function') {
        result.iterator = governIterator(activeCall, result.iterator.bind(result), createAnthropicStreamObserver());
        return result;
      }
      await activeCall.end(outcomeOf(result));
      return result;
    };
    const promise = new APIPromise(client, responsePromise, parse) as Promise<unknown> & {
      asResponse(): Promise<Response>;
    };
    const asResponse = promise.asResponse.bind(promise);
    promise.asResponse = () =>
      asResponse().then((response) => {
        // A caller that only takes the raw Response reads the body itself, so GenOps never sees the
        // usage: settle from the reservation, flagged incomplete.
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

/**
 * Runs the SDK call without the SDK's own call span: the GenOps span already describes the call, and two
 * GenAI CLIENT spans per call would count it twice in any dashboard. The SDK reads its tracer
 * (`client._tracer`) only synchronously while `create()` starts the request, so it is unset for exactly
 * that stretch and put back before anything else runs; its trace-context headers go with it.
 */
function withoutSdkSpan<T>(client: { _tracer?: unknown } | undefined, fn: () => T): T {
  if (!client?._tracer) return fn();
  const tracer = client._tracer;
  client._tracer = undefined;
  try {
    return fn();
  } finally {
    client._tracer = tracer;
  }
}

function outcomeOf(message: any) {
  return {
    usage: convertAnthropicUsage(message?.usage),
    response: {
      id: typeof message?.id === 'string' ? message.id : undefined,
      model: typeof message?.model === 'string' ? message.model : undefined,
      finishReasons: typeof message?.stop_reason === 'string' ? [message.stop_reason] : [],
      output: () => message?.content,
    },
  };
}
