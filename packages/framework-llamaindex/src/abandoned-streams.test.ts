import { startFakeOpenAI } from '@genops/testing';
import { describeAbandonedStreams } from '@genops/testing/abandon-contract';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { OpenAI } from '@llamaindex/openai';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe } from 'vitest';
import { governLLM } from './index';

// A streamed call that reached the provider is never free; one that never left is released. LlamaIndex's
// streams are lazy generators (the request goes out on the first read): the real @llamaindex/openai
// against the fake OpenAI server.

const harness = createAdapterHarness({ server: startFakeOpenAI });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

function llm() {
  return governLLM(
    new OpenAI({ baseURL: harness.server.url, apiKey: 'test-key', model: 'gpt-4o', maxRetries: 0, maxTokens: 50 }),
  );
}

describe('chat({ stream: true })', () => {
  describeAbandonedStreams(harness, {
    enqueueSlowStream: () => harness.server.enqueue({ chunks: 8, chunkDelayMs: 40 }),
    open: () => llm().chat({ messages: [{ role: 'user', content: 'Say hello.' }], stream: true }),
    async readFirstAndBreak(stream) {
      for await (const _ of stream) break;
    },
    requestCount: () => harness.server.requests.length,
    sendsOnFirstRead: true,
  });
});
