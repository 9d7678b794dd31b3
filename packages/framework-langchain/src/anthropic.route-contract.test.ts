import type { FakeAnthropicServer } from '@genops/testing';
import { ANTHROPIC_MESSAGES, consumeStream, runRouteContract } from '@genops/testing/route-contract';
import { ChatAnthropic } from '@langchain/anthropic';
import { GenOpsCallbackHandler } from './index';

// The route contract (docs/contributing.md): the same Anthropic wire usage through the real ChatAnthropic
// (@langchain/anthropic) gives the tokens and cost the Anthropic SDK routes give.

const chat = (server: FakeAnthropicServer, model: string) =>
  new ChatAnthropic({ model, apiKey: 'test-key', anthropicApiUrl: server.url, maxRetries: 0, maxTokens: 1000 });
const options = (): { callbacks: GenOpsCallbackHandler[] } => ({
  callbacks: [new GenOpsCallbackHandler({ tracerProvider: harness.telemetry.tracerProvider })],
});

const harness = runRouteContract(ANTHROPIC_MESSAGES, [
  { name: 'ChatAnthropic.invoke', stream: false, call: (server, model) => chat(server, model).invoke('Hi', options()) },
  {
    name: 'ChatAnthropic.stream',
    stream: true,
    call: async (server, model) => {
      await consumeStream(await chat(server, model).stream('Hi', options()));
    },
  },
]);
