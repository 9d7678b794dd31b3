import { startFakeGemini } from '@genops/testing';
import { describeAbandonedStreams } from '@genops/testing/abandon-contract';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { GoogleGenAI } from '@google/genai';
import { describe } from 'vitest';
import './index';

// A streamed call that reached Gemini is never free, however the caller leaves it: the real
// @google/genai against the fake Gemini API server.

const harness = createAdapterHarness({ server: startFakeGemini });

function client(): GoogleGenAI {
  return new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: harness.server.url } });
}

describe('models.generateContentStream', () => {
  describeAbandonedStreams(harness, {
    enqueueSlowStream: () => harness.server.enqueue({ chunks: 8, chunkDelayMs: 40 }),
    open: () =>
      client().models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'Say hello.',
        config: { maxOutputTokens: 50 },
      }),
    async readFirstAndBreak(stream) {
      for await (const _ of stream) break;
    },
    requestCount: () => harness.server.requests.length,
  });
});
