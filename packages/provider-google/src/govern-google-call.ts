import { currentGovernor, methodPatcher, runGovernedCall } from '@genops/core/adapter';
import { describeGoogleRequest, googleClientInfo } from './describe-google-request';
import { applyGoogleEdits } from './google-request-text';
import { governGoogleStream } from './google-stream-observer';
import { readGoogleEmbeddingResponse, readGoogleResponse } from './read-google-response';
import type { GoogleRequestKind } from './types';

/** Marks governed `@google/genai` methods (`genops.google.original`). */
export const googleMethods = methodPatcher('google');

/**
 * The `Models.prototype` methods GenOps wraps. Each sends exactly one HTTP request (the SDK's own
 * retries included), so one wrapped call is one billed model call: automatic function calling and
 * automatic continuation call them once per round trip, and each round trip is governed on its own.
 * The public `generateContent`, `generateContentStream` and `embedContent` are arrow-function
 * instance fields (a prototype patch cannot reach them) that all end in these methods, and
 * `chats.create().sendMessage*()` goes through them too.
 */
export const GOVERNED_METHODS: Readonly<Record<string, GoogleRequestKind>> = {
  generateContentInternal: 'generate',
  generateContentStreamInternal: 'stream',
  embedContentInternal: 'embed',
};

type Method = (this: { apiClient?: any }, params: any) => Promise<any>;

/** Wraps one of the {@link GOVERNED_METHODS}: governance runs before the request is sent. */
export function governMethod(original: Method, kind: GoogleRequestKind): Method {
  return googleMethods.mark(original, async function (this, params) {
    const governor = currentGovernor();
    if (!governor || params === null || typeof params !== 'object') return original.call(this, params);
    return runGovernedCall(governor, describeGoogleRequest(params, kind, googleClientInfo(this.apiClient)), {
      input: params,
      edit: applyGoogleEdits,
      execute: (sent) => original.call(this, sent),
      outcome: kind === 'embed' ? readGoogleEmbeddingResponse : readGoogleResponse,
      stream: kind === 'stream' ? governGoogleStream : undefined,
    });
  });
}
