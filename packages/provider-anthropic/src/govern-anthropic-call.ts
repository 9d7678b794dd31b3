import {
  type APIPromiseClass,
  currentGovernor,
  governStainlessCall,
  methodPatcher,
  type StainlessMethod,
} from '@genops/core/adapter';
import { applyAnthropicEdits } from './anthropic-request-text';
import { createAnthropicStreamObserver } from './anthropic-stream-observer';
import { describeAnthropicRequest } from './describe-anthropic-request';
import { readAnthropicResponse } from './read-anthropic-response';
import type { AnthropicMethod } from './types';

/** Marks governed `messages.create` and `beta.messages.create` methods (`genops.anthropic.original`). */
export const anthropicMethods = methodPatcher('anthropic');

/**
 * Wraps the SDK's `Messages.prototype.create` (or `Beta.Messages.prototype.create`) so one logical call
 * (SDK retries included) is one governed unit, and the caller still gets the SDK's own `APIPromise` and
 * `Stream`. `messages.stream()` calls `create({stream: true})`, so it is governed through the same path.
 */
export function governCreate(
  original: StainlessMethod,
  APIPromise: APIPromiseClass,
  method: AnthropicMethod = 'messages.create',
): StainlessMethod {
  return anthropicMethods.mark(original, function (this, body, options) {
    const governor = currentGovernor();
    if (!governor || body === null || typeof body !== 'object') return original.call(this, body, options);
    const client = this._client;
    return governStainlessCall(
      governor,
      {
        request: describeAnthropicRequest(
          body,
          typeof client?.baseURL === 'string' ? client.baseURL : undefined,
          method,
        ),
        edit: applyAnthropicEdits,
        around: (send) => withoutSdkSpan(client, send),
        outcome: readAnthropicResponse,
        streamObserver: createAnthropicStreamObserver,
      },
      { self: this, body, options, original, APIPromise },
    );
  });
}

/**
 * Runs the SDK call without the SDK's own call span: the GenOps span already describes the call, and two
 * GenAI CLIENT spans per call would count it twice in any dashboard. The SDK reads its tracer
 * (`client._tracer`) only synchronously while `create()` starts the request, so it is unset for exactly
 * that stretch and put back before anything else runs; its trace-context headers go with it.
 */
function withoutSdkSpan<T>(client: { _tracer?: unknown } | undefined, send: () => T): T {
  if (!client?._tracer) return send();
  const tracer = client._tracer;
  client._tracer = undefined;
  try {
    return send();
  } finally {
    client._tracer = tracer;
  }
}
