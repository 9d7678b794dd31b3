import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { startFakeBedrock } from '@genops/testing';
import { describeAbandonedStreams } from '@genops/testing/abandon-contract';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { describe } from 'vitest';
import './index';

// A streamed call that reached Bedrock is never free, however the caller leaves it: the real
// @aws-sdk/client-bedrock-runtime against the fake Bedrock server (AWS event-stream framing).

const harness = createAdapterHarness({ server: startFakeBedrock });
const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const messages = [{ role: 'user' as const, content: [{ text: 'Say hello.' }] }];

function client(): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: harness.server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
}

describe('ConverseStream', () => {
  describeAbandonedStreams(harness, {
    enqueueSlowStream: () => harness.server.enqueue({ chunkDelayMs: 40 }),
    open: () =>
      client().send(new ConverseStreamCommand({ modelId: MODEL, messages, inferenceConfig: { maxTokens: 50 } })),
    async readFirstAndBreak(response) {
      for await (const _ of response.stream!) break;
    },
    requestCount: () => harness.server.requests.length,
  });
});
