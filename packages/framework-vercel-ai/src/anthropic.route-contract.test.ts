import { createAnthropic } from '@ai-sdk/anthropic';
import type { FakeAnthropicServer } from '@genops/testing';
import { ANTHROPIC_MESSAGES, runRouteContract } from '@genops/testing/route-contract';
import { generateText, streamText } from 'ai';
import { governedModel } from './index';

// The route contract (docs/contributing.md): the same Anthropic wire usage through the real `ai` and
// `@ai-sdk/anthropic` gives the tokens and cost the Anthropic SDK routes give.

const model = (server: FakeAnthropicServer, id: string) =>
  governedModel(createAnthropic({ baseURL: `${server.url}/v1`, apiKey: 'test-key' })(id));

runRouteContract(ANTHROPIC_MESSAGES, [
  {
    name: 'generateText (@ai-sdk/anthropic)',
    stream: false,
    call: (server, id) =>
      generateText({ model: model(server, id), prompt: 'Hi', maxOutputTokens: 1000, maxRetries: 0 }),
  },
  {
    name: 'streamText (@ai-sdk/anthropic)',
    stream: true,
    call: async (server, id) => {
      const result = streamText({ model: model(server, id), prompt: 'Hi', maxOutputTokens: 1000, maxRetries: 0 });
      await result.consumeStream();
    },
  },
]);
