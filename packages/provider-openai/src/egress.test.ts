import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import './index';

// Core's egress governance (docs/egress.md) sees every fetch to a provider host. A call the adapter
// governs is not governed a second time at the HTTP layer; an SDK surface the adapter does not patch
// is governed by egress from the wire.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

const messages = [{ role: 'user' as const, content: 'Hello' }];

describe('egress with the openai adapter', () => {
  it('an adapter-governed call is one unit and one reservation, not two (plain and streamed)', async () => {
    const genops = harness.init({ dailyBudgetLimit: 10, egress: { hosts: [harness.server.url] } });
    await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 });
    const stream = await client().chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    for await (const _chunk of stream) {
      // read to the end
    }
    expect(harness.server.requests).toHaveLength(2);
    const spans = harness.spans();
    expect(spans).toHaveLength(2);
    for (const span of spans) expect(span.attributes['genops.operation.name']).not.toContain('egress');
    harness.expectCompliant();
    expect(harness.decisions().filter((decision) => decision.phase === 'decided')).toHaveLength(2);
    expect((await genops.status()).openReservations).toBe(0);
  });

  it('an SDK call the adapter does not patch (client.post) is governed by egress: refused over a tiny budget', async () => {
    harness.init({ dailyBudgetLimit: 0.000001, egress: { hosts: [harness.server.url] } });
    const error = await client()
      .post('/chat/completions', { body: { model: 'gpt-4o', messages } })
      .catch((caught: unknown) => caught);
    // The denial reaches the SDK as the HTTP status a gateway would send: final, not retried.
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect(harness.server.requests).toHaveLength(0);
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
  });

  it('an SDK call the adapter does not patch (client.post) is governed by egress and priced from the wire', async () => {
    harness.init({ egress: { hosts: [harness.server.url] } });
    await client().post('/chat/completions', { body: { model: 'gpt-4o', messages, max_tokens: 50 } });
    const spans = harness.spans();
    expect(spans).toHaveLength(1);
    harness.expectCompliant();
    // gpt-4o, 20 in + 10 out (the fake's default usage): 20 × 2.5 + 10 × 10 = 150 µ$.
    expect(Math.round((spans[0]!.attributes['genops.accounting.actual'] as number) * 1e6)).toBe(150);
  });
});
