import type { FakeGeminiServer } from '@genops/testing';
import { consumeStream, GEMINI, runRouteContract } from '@genops/testing/route-contract';
import { GoogleGenAI } from '@google/genai';
import { GoogleGenerativeAI } from '@google/generative-ai';
import './index';

// The route contract (docs/contributing.md): the same Gemini wire usage through `@google/genai` and the
// legacy `@google/generative-ai` (plain and streamed) gives the same tokens and cost.

const genai = (server: FakeGeminiServer) =>
  new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: server.url } });
const legacy = (server: FakeGeminiServer, model: string) =>
  new GoogleGenerativeAI('test-key').getGenerativeModel(
    { model, generationConfig: { maxOutputTokens: 1000 } },
    { baseUrl: server.url },
  );
const request = (model: string) => ({ model, contents: 'Hi', config: { maxOutputTokens: 1000 } });

runRouteContract(GEMINI, [
  {
    name: 'models.generateContent',
    stream: false,
    call: (server, model) => genai(server).models.generateContent(request(model)),
  },
  {
    name: 'models.generateContentStream',
    stream: true,
    call: async (server, model) => consumeStream(await genai(server).models.generateContentStream(request(model))),
  },
  {
    name: 'GenerativeModel.generateContent (legacy)',
    stream: false,
    call: (server, model) => legacy(server, model).generateContent('Hi'),
  },
  {
    name: 'GenerativeModel.generateContentStream (legacy)',
    stream: true,
    call: async (server, model) => consumeStream((await legacy(server, model).generateContentStream('Hi')).stream),
  },
]);
