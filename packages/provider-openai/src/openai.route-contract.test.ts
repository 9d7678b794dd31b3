import type { FakeOpenAIServer } from '@genops/testing';
import { consumeStream, OPENAI_CHAT, runRouteContract } from '@genops/testing/route-contract';
import OpenAI from 'openai';
import './index';

// The route contract (docs/contributing.md): the same OpenAI wire usage through every route of the real
// openai SDK (Chat Completions plain, stream and `.stream()` helper; Responses plain and stream) gives the
// same tokens and cost.

const client = (server: FakeOpenAIServer) => new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 });
const chat = (model: string) => ({ model, max_tokens: 1000, messages: [{ role: 'user' as const, content: 'Hi' }] });
const responses = (model: string) => ({ model, max_output_tokens: 1000, input: 'Hi' });

runRouteContract(OPENAI_CHAT, [
  {
    name: 'chat.completions.create',
    stream: false,
    call: (server, model) => client(server).chat.completions.create(chat(model)),
  },
  {
    name: 'chat.completions.create (stream)',
    stream: true,
    call: async (server, model) =>
      consumeStream(await client(server).chat.completions.create({ ...chat(model), stream: true })),
  },
  {
    name: 'chat.completions.stream()',
    stream: true,
    call: (server, model) => client(server).chat.completions.stream(chat(model)).finalChatCompletion(),
  },
  {
    name: 'responses.create',
    stream: false,
    call: (server, model) => client(server).responses.create(responses(model)),
  },
  {
    name: 'responses.create (stream)',
    stream: true,
    call: async (server, model) =>
      consumeStream(await client(server).responses.create({ ...responses(model), stream: true })),
  },
  {
    name: 'responses.stream()',
    stream: true,
    call: (server, model) => client(server).responses.stream(responses(model)).finalResponse(),
  },
]);
