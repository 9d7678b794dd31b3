import Anthropic from '@anthropic-ai/sdk';
import { startFakeAnthropic } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { describe, expect, it } from 'vitest';
import './index';

// Core's egress governance (docs/egress.md) with the Anthropic adapter: the adapter's own request is not
// governed a second time at the HTTP layer.

const harness = createAdapterHarness({ server: startFakeAnthropic });

describe('egress with the anthropic adapter', () => {
  it('an adapter-governed call is one unit and one reservation, plain and streamed', async () => {
    const genops = harness.init({ dailyBudgetLimit: 10, egress: { hosts: [harness.server.url] } });
    const client = new Anthropic({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'Hello' }];
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages });
    const stream = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages, stream: true });
    for await (const _event of stream) {
      // read to the end
    }
    expect(harness.server.requests).toHaveLength(2);
    expect(harness.spans()).toHaveLength(2);
    harness.expectCompliant();
    expect(harness.decisions()).toHaveLength(2);
    expect((await genops.status()).openReservations).toBe(0);
  });
});
