import { currentGovernor, methodPatcher, runGovernedCall } from '@genops/core/adapter';
import { describeGenerativeAIRequest } from './describe-google-request';
import { governGenerativeAIStream } from './google-stream-observer';
import { readGoogleResponse } from './read-google-response';
import type { LegacyKind } from './types';

// The legacy `@google/generative-ai` (0.24, deprecated by Google): `GenerativeModel.prototype`
// `generateContent` / `generateContentStream`, and `ChatSession.prototype` `sendMessage` /
// `sendMessageStream`, which call the SDK's internal request function directly and so must be
// patched apart. Requests are never edited (see `describeGenerativeAIRequest`).

/** Marks governed legacy methods (`genops.google.legacy.original`). */
export const generativeAIMethods = methodPatcher('google.legacy');

type Method = (this: any, request: any, requestOptions?: any) => Promise<any>;

/** Wraps `generateContent` / `sendMessage` (`stream: false`) or their `*Stream` forms. */
export function governLegacyMethod(original: Method, kind: LegacyKind, stream: boolean): Method {
  return generativeAIMethods.mark(original, async function (this, request, requestOptions) {
    const governor = currentGovernor();
    if (!governor || request === undefined || request === null) return original.call(this, request, requestOptions);
    return runGovernedCall(governor, describeGenerativeAIRequest(this, kind, stream, request, requestOptions), {
      input: request,
      execute: (sent) => original.call(this, sent, requestOptions),
      // `generateContent` resolves to `{ response }`; the stream form settles from its aggregated `response`.
      outcome: (result) => readGoogleResponse(result?.response),
      stream: stream ? governGenerativeAIStream : undefined,
    });
  });
}
