import '@genops/provider-openai';
import { startFakeOpenAI } from '@genops/testing';
import { describeAbandonedStreams } from '@genops/testing/abandon-contract';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { ChatOpenAI } from '@langchain/openai';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe } from 'vitest';
import { GenOpsCallbackHandler } from './index';

// A streamed model run that reached the provider is never free, however the app leaves it: the real
// ChatOpenAI (and the openai SDK, governed underneath) against the fake OpenAI server. LangChain sends no
// callback when the consumer of `model.stream()` stops reading; the unit still ends.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function model(): ChatOpenAI {
  return new ChatOpenAI({
    model: 'gpt-4o',
    apiKey: 'x',
    maxRetries: 0,
    maxTokens: 50,
    configuration: { baseURL: harness.server.url },
    callbacks: [new GenOpsCallbackHandler({ tracerProvider: harness.telemetry.tracerProvider })],
  });
}

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

describe('ChatOpenAI.stream(), then break', () => {
  describeAbandonedStreams(harness, {
    enqueueSlowStream: () => harness.server.enqueue({ chunks: 8, chunkDelayMs: 40 }),
    open: () => model().stream('Say hello.'),
    async readFirstAndBreak(stream) {
      for await (const _ of stream) break;
    },
    requestCount: () => harness.server.requests.length,
  });
});
