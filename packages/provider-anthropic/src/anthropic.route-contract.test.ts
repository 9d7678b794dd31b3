import Anthropic from '@anthropic-ai/sdk';
import type { FakeAnthropicServer } from '@genops/testing';
import { ANTHROPIC_MESSAGES, consumeStream, runRouteContract } from '@genops/testing/route-contract';
import './index';

// The route contract (docs/contributing.md): the same Anthropic wire usage through every route of the
// real @anthropic-ai/sdk gives the same tokens and cost.

function client(server: FakeAnthropicServer): Anthropic {
  return new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0, openTelemetry: false });
}

const params = (model: string) => ({ model, max_tokens: 1000, messages: [{ role: 'user' as const, content: 'Hi' }] });

runRouteContract(ANTHROPIC_MESSAGES, [
  { name: 'messages.create', stream: false, call: (server, model) => client(server).messages.create(params(model)) },
  {
    name: 'messages.create (stream)',
    stream: true,
    call: async (server, model) => {
      await consumeStream(await client(server).messages.create({ ...params(model), stream: true }));
    },
  },
  {
    name: 'messages.stream()',
    stream: true,
    call: (server, model) => client(server).messages.stream(params(model)).finalMessage(),
  },
]);
