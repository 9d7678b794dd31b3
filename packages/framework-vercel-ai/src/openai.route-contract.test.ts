import { createOpenAI } from '@ai-sdk/openai';
import type { FakeOpenAIServer } from '@genops/testing';
import { OPENAI_CHAT, runRouteContract } from '@genops/testing/route-contract';
import { generateText, streamText } from 'ai';
import { governedModel } from './index';

// The route contract (docs/contributing.md): the same OpenAI wire usage through the real `ai` and
// `@ai-sdk/openai` (Chat Completions and Responses) gives the tokens and cost the openai SDK routes give.

const provider = (server: FakeOpenAIServer) => createOpenAI({ baseURL: server.url, apiKey: 'test-key' });
const prompt = { prompt: 'Hi', maxOutputTokens: 1000, maxRetries: 0 };

runRouteContract(OPENAI_CHAT, [
  {
    name: 'generateText (chat)',
    stream: false,
    call: (server, id) => generateText({ model: governedModel(provider(server).chat(id)), ...prompt }),
  },
  {
    name: 'streamText (chat)',
    stream: true,
    call: (server, id) => streamText({ model: governedModel(provider(server).chat(id)), ...prompt }).consumeStream(),
  },
  {
    name: 'generateText (responses)',
    stream: false,
    call: (server, id) => generateText({ model: governedModel(provider(server).responses(id)), ...prompt }),
  },
  {
    name: 'streamText (responses)',
    stream: true,
    call: (server, id) =>
      streamText({ model: governedModel(provider(server).responses(id)), ...prompt }).consumeStream(),
  },
]);
