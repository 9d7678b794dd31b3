import type { FakeOpenAIServer } from '@genops/testing';
import { consumeStream, OPENAI_CHAT, runRouteContract } from '@genops/testing/route-contract';
import { ChatOpenAI } from '@langchain/openai';
import { GenOpsCallbackHandler } from './index';

// The route contract (docs/contributing.md): the same OpenAI wire usage through the real ChatOpenAI
// (@langchain/openai, Chat Completions and Responses) gives the tokens and cost the openai SDK routes give.

const chat = (server: FakeOpenAIServer, model: string, useResponsesApi = false) =>
  new ChatOpenAI({
    model,
    apiKey: 'x',
    maxRetries: 0,
    maxTokens: 1000,
    useResponsesApi,
    configuration: { baseURL: server.url },
  });
const options = (): { callbacks: GenOpsCallbackHandler[] } => ({
  callbacks: [new GenOpsCallbackHandler({ tracerProvider: harness.telemetry.tracerProvider })],
});

const harness = runRouteContract(OPENAI_CHAT, [
  { name: 'ChatOpenAI.invoke', stream: false, call: (server, model) => chat(server, model).invoke('Hi', options()) },
  {
    name: 'ChatOpenAI.stream',
    stream: true,
    call: async (server, model) => consumeStream(await chat(server, model).stream('Hi', options())),
  },
  {
    name: 'ChatOpenAI.invoke (responses)',
    stream: false,
    call: (server, model) => chat(server, model, true).invoke('Hi', options()),
  },
  {
    name: 'ChatOpenAI.stream (responses)',
    stream: true,
    call: async (server, model) => consumeStream(await chat(server, model, true).stream('Hi', options())),
  },
]);
