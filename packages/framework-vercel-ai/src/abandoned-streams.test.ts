import { createOpenAI } from '@ai-sdk/openai';
import { startFakeOpenAI } from '@genops/testing';
import { describeAbandonedStreams } from '@genops/testing/abandon-contract';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { streamText } from 'ai';
import { describe } from 'vitest';
import { governedModel } from './index';

// A streamed call that reached the provider is never free, however the app leaves it: the real `ai` 7
// and `@ai-sdk/openai` against the fake OpenAI server. `streamText` keeps the provider's response open
// when its consumer stops reading (a `break` cancels only its own branch of the result), so the unit
// reads the provider's stream to its end and settles with the usage it reports.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function start() {
  const provider = createOpenAI({ baseURL: harness.server.url, apiKey: 'test-key' });
  return streamText({
    model: governedModel(provider.chat('gpt-4o')),
    prompt: 'Say hello.',
    maxOutputTokens: 50,
    onError: () => {},
  });
}

async function firstError(result: ReturnType<typeof start>): Promise<unknown> {
  try {
    for await (const part of result.fullStream) if (part.type === 'error') return part.error;
  } catch (error) {
    return error;
  }
  return undefined;
}

const route = {
  enqueueSlowStream: () => harness.server.enqueue({ chunks: 8, chunkDelayMs: 30 }),
  enqueueStalledStream: () => harness.server.enqueue({ chunks: 4, chunkDelayMs: 5_000 }),
  /** The model call starts in the background: resolves once the request reached the server. */
  async open() {
    const result = start();
    const before = harness.server.requests.length;
    for (let attempt = 0; attempt < 500 && harness.server.requests.length === before; attempt++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    return result;
  },
  deniedError: () => firstError(start()),
  requestCount: () => harness.server.requests.length,
  settlesAt: 'usage' as const,
};

describe('streamText, then break out of textStream', () => {
  describeAbandonedStreams(harness, {
    ...route,
    async readFirstAndBreak(result) {
      for await (const _ of result.textStream) break;
    },
  });
});

describe('streamText, then break out of fullStream', () => {
  describeAbandonedStreams(harness, {
    ...route,
    async readFirstAndBreak(result) {
      for await (const _ of result.fullStream) break;
    },
  });
});
