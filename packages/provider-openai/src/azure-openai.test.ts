import { BudgetExceededError } from '@genops/core';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { AzureOpenAI } from 'openai';
import { describe, expect, it } from 'vitest';

// The AzureOpenAI client (what openai-node's examples/azure/*.ts use, with Entra ID tokens from
// @azure/identity): its deployment URLs (`/openai/deployments/{deployment}/…?api-version=…`) go through the
// same patched resources, so each call is a governed unit. The examples themselves need Azure credentials
// (tests/sdk-examples skips them); this proves the surface they use is governed.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function azure(): AzureOpenAI {
  return new AzureOpenAI({
    endpoint: harness.server.url.replace(/\/v1$/, ''),
    apiVersion: '2024-10-21',
    deployment: 'gpt-4o-mini',
    // As `getBearerTokenProvider(new DefaultAzureCredential(), …)` gives: a function returning a token.
    azureADTokenProvider: async () => 'fake-entra-token',
    maxRetries: 0,
  });
}

function governedSpans() {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

describe('AzureOpenAI (deployment URLs, Entra ID token)', () => {
  it('chat.completions.create, plain and streamed: each a governed, priced unit', async () => {
    harness.init();
    const openai = azure();
    const completion = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello!' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Hello from the fake OpenAI server.');
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello!' }],
      stream: true,
    });
    for await (const _ of stream) {
      // drained
    }
    const sent = harness.server.requests.filter((request) => request.method === 'POST');
    expect(sent.map((request) => request.url)).toEqual([
      '/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21',
      '/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21',
    ]);
    expect(sent[0]!.headers.authorization).toBe('Bearer fake-entra-token');
    const spans = governedSpans();
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.name).toBe('chat gpt-4o-mini');
      expect(span.attributes['genops.accounting.actual'] as number).toBeGreaterThan(0);
    }
    harness.expectCompliant(spans);
  });

  it('a tiny budget refuses the call before it reaches the deployment', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    await expect(
      azure().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests.filter((request) => request.method === 'POST')).toHaveLength(0);
  });
});
