import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import type { FakeBedrockServer } from '@genops/testing';
import { BEDROCK, consumeStream, runRouteContract } from '@genops/testing/route-contract';
import './index';

// The route contract (docs/contributing.md): the same Bedrock wire usage through Converse, ConverseStream,
// InvokeModel and InvokeModelWithResponseStream (an Anthropic model's native body) gives the same tokens
// and cost.

const client = (server: FakeBedrockServer) =>
  new BedrockRuntimeClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
const converse = (modelId: string) => ({
  modelId,
  messages: [{ role: 'user' as const, content: [{ text: 'Hi' }] }],
  inferenceConfig: { maxTokens: 1000 },
});
const invoke = (modelId: string) => ({
  modelId,
  contentType: 'application/json',
  body: JSON.stringify({
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: 1000,
    messages: [{ role: 'user', content: 'Hi' }],
  }),
});

runRouteContract(BEDROCK, [
  {
    name: 'Converse',
    stream: false,
    call: (server, model) => client(server).send(new ConverseCommand(converse(model))),
  },
  {
    name: 'ConverseStream',
    stream: true,
    call: async (server, model) =>
      consumeStream((await client(server).send(new ConverseStreamCommand(converse(model)))).stream),
  },
  {
    name: 'InvokeModel',
    stream: false,
    call: (server, model) => client(server).send(new InvokeModelCommand(invoke(model))),
  },
  {
    name: 'InvokeModelWithResponseStream',
    stream: true,
    call: async (server, model) =>
      consumeStream((await client(server).send(new InvokeModelWithResponseStreamCommand(invoke(model)))).body),
  },
]);
