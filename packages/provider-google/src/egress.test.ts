import { startFakeGemini } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import './index';

// Core's egress governance (docs/egress.md) with the Google adapter: the adapter's own request is not
// governed a second time at the HTTP layer.

const harness = createAdapterHarness({ server: startFakeGemini });

describe('egress with the google adapter', () => {
  it('an adapter-governed call is one unit and one reservation, plain and streamed', async () => {
    const genops = harness.init({ dailyBudgetLimit: 10, egress: { hosts: [harness.server.url] } });
    const client = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: harness.server.url } });
    await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hello' });
    const stream = await client.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hello' });
    for await (const _chunk of stream) {
      // read to the end
    }
    expect(harness.server.requests).toHaveLength(2);
    expect(harness.spans()).toHaveLength(2);
    harness.expectCompliant();
    expect(harness.decisions()).toHaveLength(2);
    expect((await genops.status()).openReservations).toBe(0);
  });
});
