import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { startFakeBedrock } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { describe, expect, it } from 'vitest';
import './index';

// Core's egress governance (docs/egress.md) with the Bedrock adapter: the AWS SDK's Bedrock runtime
// client sends over node:http2, which egress holds in govern mode when no governed call made the
// request. The adapter's own request passes: one unit, one reservation.

const harness = createAdapterHarness({ server: startFakeBedrock });

function bedrockClient(): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: harness.server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
}

describe('egress with the bedrock adapter', () => {
  it('an adapter-governed Converse and ConverseStream call is one unit and one reservation each', async () => {
    const genops = harness.init({ dailyBudgetLimit: 10, egress: { hosts: [harness.server.url] } });
    const client = bedrockClient();
    const modelId = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
    const messages = [{ role: 'user' as const, content: [{ text: 'Say hello.' }] }];
    await client.send(new ConverseCommand({ modelId, messages, inferenceConfig: { maxTokens: 50 } }));
    const streamed = await client.send(
      new ConverseStreamCommand({ modelId, messages, inferenceConfig: { maxTokens: 50 } }),
    );
    for await (const _event of streamed.stream!) {
      // read to the end
    }
    expect(harness.server.requests).toHaveLength(2);
    expect(harness.spans()).toHaveLength(2);
    harness.expectCompliant();
    expect(harness.decisions()).toHaveLength(2);
    expect((await genops.status()).openReservations).toBe(0);
  });

  it("without the adapter (autoInstrument: false), egress governs the SDK's node:http request from the wire", async () => {
    harness.init({ autoInstrument: false, egress: { hosts: [harness.server.url] } });
    const client = bedrockClient();
    const modelId = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
    const response = await client.send(
      new ConverseCommand({ modelId, messages: [{ role: 'user', content: [{ text: 'Say hello.' }] }] }),
    );
    expect(response.output?.message?.content?.[0]?.text).toBe('Hello from the fake Bedrock server.');
    await expect.poll(() => harness.spans().length).toBe(1);
    harness.expectCompliant();
    const span = harness.spans()[0]!;
    expect(span.attributes['gen_ai.provider.name']).toBe('aws.bedrock');
    expect(span.attributes['gen_ai.request.model']).toBe(modelId);
    // The adapter is off: this unit is egress's, read from the Converse wire format.
    expect(harness.server.requests).toHaveLength(1);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect(span.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
  });
});
