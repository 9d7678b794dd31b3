import { type CallOutcome, currentGovernor, type GovernedCall, governIterator } from '@genops/core/adapter';
import { convertGoogleEmbeddingUsage, convertGoogleUsage } from './convert-google-usage';
import { describeGoogleRequest, type GoogleClientInfo } from './describe-google-request';
import { applyGoogleEdits } from './google-request-text';
import { createGoogleStreamObserver } from './google-stream-observer';

/**
 * The `Models.prototype` methods GenOps wraps. Each sends exactly one HTTP request (the SDK's own
 * retries included), so one wrapped call is one billed model call: automatic function calling and
 * automatic continuation call them once per round trip, and each round trip is governed on its own.
 * The public `generateContent`, `generateContentStream` and `embedContent` are arrow-function
 * instance fields (a prototype patch cannot reach them) that all end in these methods, and
 * `chats.create().sendMessage*()` goes through them too.
 */
export const GOVERNED_METHODS = {
  generateContentInternal: 'generate',
  generateContentStreamInternal: 'stream',
  embedContentInternal: 'embed',
} as const;

export type GovernedMethodName = keyof typeof GOVERNED_METHODS;
type Kind = (typeof GOVERNED_METHODS)[GovernedMethodName];
type Method = (this: { apiClient?: any }, params: any) => Promise<any>;

const ORIGINAL = Symbol.for('genops.google.original');

/** The unwrapped SDK method behind a (possibly) governed one. */
export function unwrap(method: Method): Method {
  return (method as Method & { [ORIGINAL]?: Method })[ORIGINAL] ?? method;
}

export function isGoverned(method: unknown): boolean {
  return typeof method === 'function' && ORIGINAL in method;
}

/** Wraps one of the {@link GOVERNED_METHODS}: governance runs before the request is sent. */
export function governMethod(original: Method, kind: Kind): Method {
  const governed: Method = async function (this, params) {
    const governor = currentGovernor();
    if (!governor || params === null || typeof params !== 'object') return original.call(this, params);
    const request = describeGoogleRequest(params, kind, clientInfo(this.apiClient));
    const call = await governor.begin(request);
    // Redaction and a budget's downgrade change what is sent, never the caller's object.
    const sent = call.edits ? applyGoogleEdits(params, call.edits) : params;
    let result: any;
    try {
      result = await call.runInContext(() => original.call(this, sent));
    } catch (error) {
      await call.fail(error);
      throw error;
    }
    if (kind === 'stream') return governStream(call, result);
    await call.end(kind === 'embed' ? embeddingOutcome(result) : outcomeOf(result));
    return result;
  };
  Object.defineProperty(governed, ORIGINAL, { value: original });
  Object.defineProperty(governed, 'name', { value: original.name });
  return governed;
}

/** Passes the SDK's stream through chunk by chunk; the call settles however the caller leaves it. */
function governStream(call: GovernedCall, stream: AsyncGenerator<any>): AsyncGenerator<any> {
  const iterator = governIterator(call, () => stream, createGoogleStreamObserver())();
  const generator = {
    next: (...args: [] | [unknown]) => iterator.next(...args),
    return: (value?: unknown) => iterator.return!(value),
    throw: (error?: unknown) => (iterator.throw ? iterator.throw(error) : stream.throw(error)),
    [Symbol.asyncIterator]() {
      return generator;
    },
  };
  return generator as AsyncGenerator<any>;
}

function outcomeOf(response: any): CallOutcome {
  const usage = convertGoogleUsage(response?.usageMetadata);
  const candidates: any[] = Array.isArray(response?.candidates) ? response.candidates : [];
  return {
    usage,
    // A response without `usageMetadata` was still billed: settle from the reservation, flagged.
    incomplete: usage === undefined,
    response: {
      id: typeof response?.responseId === 'string' ? response.responseId : undefined,
      model: typeof response?.modelVersion === 'string' ? response.modelVersion : undefined,
      finishReasons: candidates
        .map((candidate) => candidate?.finishReason)
        .filter((reason): reason is string => typeof reason === 'string'),
      output: () => candidates.map((candidate) => candidate?.content),
    },
  };
}

function embeddingOutcome(response: any): CallOutcome {
  const usage = convertGoogleEmbeddingUsage(response);
  return { usage, incomplete: usage === undefined, response: {} };
}

function clientInfo(apiClient: any): GoogleClientInfo {
  const info: GoogleClientInfo = {};
  try {
    info.vertexai = apiClient?.isVertexAI?.() === true;
    const baseUrl = apiClient?.getBaseUrl?.();
    if (typeof baseUrl === 'string') info.baseUrl = baseUrl;
    if (info.vertexai) {
      const location = apiClient?.getLocation?.();
      if (typeof location === 'string') info.location = location;
    }
  } catch {
    // An API client this adapter cannot read: the call is still governed, without the endpoint.
  }
  return info;
}
