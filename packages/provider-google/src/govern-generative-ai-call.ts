import { type CallOutcome, currentGovernor, type GovernedCall, type GovernedRequest } from '@genops/core/adapter';
import { convertGoogleUsage } from './convert-google-usage';
import { describeGoogleRequest } from './describe-google-request';
import { textOf } from './google-stream-observer';

// The legacy `@google/generative-ai` (0.24, deprecated by Google): `GenerativeModel.prototype`
// `generateContent` / `generateContentStream`, and `ChatSession.prototype` `sendMessage` /
// `sendMessageStream`, which call the SDK's internal request function directly and so must be
// patched apart. The model, system instruction and generation config live on the object, not in
// the request, so GenOps reads them from `this`. Text and model are not editable here: a redact rule
// denies the call (fail closed) and a budget downgrade does not apply.

type Method = (this: any, request: any, requestOptions?: any) => Promise<any>;
export type LegacyKind = 'model' | 'chat';

const ORIGINAL = Symbol.for('genops.google.legacy.original');

export function unwrapLegacy(method: Method): Method {
  return (method as Method & { [ORIGINAL]?: Method })[ORIGINAL] ?? method;
}

export function isGovernedLegacy(method: unknown): boolean {
  return typeof method === 'function' && ORIGINAL in method;
}

/** Wraps `generateContent` / `sendMessage` (`stream: false`) or their `*Stream` forms. */
export function governLegacyMethod(original: Method, kind: LegacyKind, stream: boolean): Method {
  const governed: Method = async function (this, request, requestOptions) {
    const governor = currentGovernor();
    if (!governor || request === undefined || request === null) return original.call(this, request, requestOptions);
    const described = describeLegacyRequest(this, kind, stream, request, requestOptions);
    const call = once(await governor.begin(described));
    let result: any;
    try {
      result = await call.runInContext(() => original.call(this, request, requestOptions));
    } catch (error) {
      await call.fail(error);
      throw error;
    }
    if (!stream) {
      await call.end(outcomeOf(result?.response));
      return result;
    }
    return governLegacyStream(call, result);
  };
  Object.defineProperty(governed, ORIGINAL, { value: original });
  Object.defineProperty(governed, 'name', { value: original.name });
  return governed;
}

/**
 * The legacy SDK tees the SSE body: `stream` yields chunks, and `response` reads the other branch to
 * the end and aggregates it (usage from the last chunk). The body is read to the end whatever the
 * caller does with `stream`, so the call settles from `response`; `stream` is wrapped for time to
 * first chunk and output content rules.
 */
function governLegacyStream(call: GovernedCall, result: { stream: AsyncGenerator<any>; response: Promise<any> }) {
  const response = result.response.then(
    async (aggregated) => {
      await call.end(outcomeOf(aggregated));
      return aggregated;
    },
    async (error: unknown) => {
      // A stream that broke after it started may have been billed: settle from the reservation.
      await call.fail(error, {});
      throw error;
    },
  );
  const source = result.stream;
  let first = true;
  const stream = (async function* () {
    for await (const chunk of source) {
      if (first) {
        first = false;
        call.firstChunk();
      }
      const text = textOf(chunk);
      const denied = text ? call.checkOutput(text) : undefined;
      if (denied) {
        await call.fail(denied, {});
        throw denied;
      }
      yield chunk;
    }
  })();
  // The caller may use only `stream`: keep a rejected `response` from being unhandled.
  response.catch(() => {});
  return { ...result, stream, response };
}

function describeLegacyRequest(
  target: any,
  kind: LegacyKind,
  stream: boolean,
  request: unknown,
  requestOptions: any,
): GovernedRequest {
  const settings = kind === 'chat' ? (target?.params ?? {}) : target;
  const contents = kind === 'chat' ? [...(target?._history ?? []), request] : request;
  const options = { ...(target?._requestOptions ?? {}), ...(requestOptions ?? {}) };
  const described = describeGoogleRequest(
    {
      model: target?.model,
      contents: isRequestObject(request) ? request.contents : contents,
      config: {
        ...(settings?.generationConfig ?? {}),
        ...(isRequestObject(request) ? request.generationConfig : {}),
        systemInstruction: settings?.systemInstruction,
        tools: settings?.tools,
      },
    },
    stream ? 'stream' : 'generate',
    { baseUrl: typeof options.baseUrl === 'string' ? options.baseUrl : 'https://generativelanguage.googleapis.com' },
  );
  described.method =
    kind === 'chat'
      ? `ChatSession.${stream ? 'sendMessageStream' : 'sendMessage'}`
      : `GenerativeModel.${stream ? 'generateContentStream' : 'generateContent'}`;
  described.editable = { model: false, text: false };
  return described;
}

function isRequestObject(request: unknown): request is { contents: unknown; generationConfig?: object } {
  return typeof request === 'object' && request !== null && !Array.isArray(request) && 'contents' in request;
}

function outcomeOf(response: any): CallOutcome {
  const usage = convertGoogleUsage(response?.usageMetadata);
  const candidates: any[] = Array.isArray(response?.candidates) ? response.candidates : [];
  return {
    usage,
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

/** A call that settles once: the stream's output rule and the `response` promise can both end it. */
function once(call: GovernedCall): GovernedCall {
  let settled = false;
  return Object.assign(Object.create(call) as GovernedCall, {
    runInContext: <T>(fn: () => T) => call.runInContext(fn),
    firstChunk: () => call.firstChunk(),
    checkOutput: (text: string) => call.checkOutput(text),
    end: (outcome: CallOutcome) => {
      if (settled) return Promise.resolve();
      settled = true;
      return call.end(outcome);
    },
    fail: (error: unknown, partial?: CallOutcome) => {
      if (settled) return Promise.resolve();
      settled = true;
      return call.fail(error, partial);
    },
  });
}
