import type { FakeOpenAIServer } from '@genops/testing';
import { consumeStream, OPENAI_CHAT, runRouteContract } from '@genops/testing/route-contract';
import { OpenAI } from '@llamaindex/openai';
import { governLLM } from './index';

// The route contract (docs/contributing.md): the same OpenAI wire usage through the real LlamaIndex
// OpenAI LLM (chat, streamed chat, complete, streamed complete) gives the tokens and cost the openai SDK
// routes give.

const llm = (server: FakeOpenAIServer, model: string) =>
  governLLM(new OpenAI({ baseURL: server.url, apiKey: 'test-key', model, maxRetries: 0, maxTokens: 1000 }));
const messages = [{ role: 'user' as const, content: 'Hi' }];

runRouteContract(OPENAI_CHAT, [
  { name: 'chat', stream: false, call: (server, model) => llm(server, model).chat({ messages }) },
  {
    name: 'chat (stream)',
    stream: true,
    call: async (server, model) => consumeStream(await llm(server, model).chat({ messages, stream: true })),
  },
  { name: 'complete', stream: false, call: (server, model) => llm(server, model).complete({ prompt: 'Hi' }) },
  {
    name: 'complete (stream)',
    stream: true,
    call: async (server, model) => consumeStream(await llm(server, model).complete({ prompt: 'Hi', stream: true })),
  },
]);
