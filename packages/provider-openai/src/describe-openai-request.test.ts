import { promotedAfter } from '@genops/testing';
import { describe, expect, it } from 'vitest';
import { describeOpenAIRequest } from './describe-openai-request';

/** What each request's messages hold: 16 KiB (8 on a heap with compressed pointers). */
const BODY_BYTES = 16 * 1024;
const REQUESTS = 256;

/** A chat request whose messages alone hold {@link BODY_BYTES} (an array: a string could be a shared rope). */
function chatBody(index: number) {
  return {
    model: 'gpt-4o-mini',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'hello' }],
    padding: new Array<number>(BODY_BYTES / 8).fill(index),
  };
}

describe('describeOpenAIRequest', () => {
  it("reads the request's text parts and content when asked, from the body as it is then", () => {
    const body = chatBody(0);
    const request = describeOpenAIRequest('chat.completions.create', body, 'https://api.openai.com/v1');
    expect(request.text?.()).toEqual(['hello']);
    expect(request.content?.()).toEqual({ input: body.messages });
    body.messages = [{ role: 'user', content: 'edited' }];
    expect(request.content?.()).toEqual({ input: [{ role: 'user', content: 'edited' }] });
  });

  it('keeps no dropped request body alive through young-generation collections (its readers are young)', () => {
    const promoted = promotedAfter(() => {
      for (let index = 0; index < REQUESTS; index++)
        describeOpenAIRequest('chat.completions.create', chatBody(index), 'https://api.openai.com/v1');
    });
    // With a reader allocated in the old generation (a function literal assigned to `request.text`), every
    // body it captured is promoted: 4 MiB here.
    expect(promoted).toBeLessThan((REQUESTS * BODY_BYTES) / 4);
  });
});
