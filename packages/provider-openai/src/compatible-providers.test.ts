import { BudgetExceededError, PolicyViolationError } from '@genops/core';
import { PRICE_FILES, PriceTable } from '@genops/core/internal';
import { expectGenOpsCompliant, startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { compatibleEndpointOf, routedVendorOf } from './compatible-providers';
import { describeOpenAIRequest, providerFromBaseURL } from './describe-openai-request';
import './index';

describe('host → provider mapping', () => {
  const cases: [baseURL: string, provider: string][] = [
    ['https://api.openai.com/v1', 'openai'],
    ['https://my-resource.openai.azure.com/openai', 'azure.ai.openai'],
    ['https://my-resource.cognitiveservices.azure.com/openai', 'azure.ai.openai'],
    ['https://openrouter.ai/api/v1', 'openrouter'],
    ['https://api.together.xyz/v1', 'together'],
    ['https://api.together.ai/v1', 'together'],
    ['https://api.fireworks.ai/inference/v1', 'fireworks'],
    ['https://api.perplexity.ai', 'perplexity'],
    ['https://api.endpoints.anyscale.com/v1', 'anyscale'],
    ['https://api.deepseek.com', 'deepseek'],
    ['https://api.deepseek.com/v1', 'deepseek'],
    ['https://API.DeepSeek.com./v1', 'deepseek'],
    ['https://api.x.ai/v1', 'x_ai'],
    ['https://api.groq.com/openai/v1', 'groq'],
    ['https://oai.helicone.ai/v1', 'openai'],
    ['https://gateway.helicone.ai/v1', 'openai'],
    // Unknown hosts (a LiteLLM proxy, a self-hosted server) report the wire protocol.
    ['http://localhost:4000', 'openai'],
    ['http://127.0.0.1:8080/v1', 'openai'],
    ['https://litellm.internal.example.com/v1', 'openai'],
    // Look-alikes are not the provider.
    ['https://api.deepseek.com.evil.example/v1', 'openai'],
    ['https://notapi.x.ai/v1', 'openai'],
    ['https://api.groq.com/other', 'openai'],
    ['https://api.groq.com/openaiX/v1', 'openai'],
    ['not a url', 'openai'],
  ];
  it.each(cases)('%s → %s', (baseURL, provider) => {
    expect(providerFromBaseURL(baseURL)).toBe(provider);
  });

  it('falls back to openai with no base URL', () => {
    expect(providerFromBaseURL(undefined)).toBe('openai');
    expect(compatibleEndpointOf('example.com')).toEqual({ provider: 'openai' });
  });

  const routed: [model: string, provider: string | undefined][] = [
    ['anthropic/claude-sonnet-4', 'anthropic'],
    ['openai/gpt-4o', 'openai'],
    ['google/gemini-2.5-pro', 'gcp.gemini'],
    ['deepseek/deepseek-chat', 'deepseek'],
    ['x-ai/grok-4', 'x_ai'],
    ['mistralai/mistral-large', 'mistral_ai'],
    ['Anthropic/claude-sonnet-4', 'anthropic'],
    ['meta-llama/llama-3.3-70b-instruct', undefined],
    ['gpt-4o', undefined],
    ['/gpt-4o', undefined],
    ['constructor/x', undefined],
  ];
  it.each(routed)('routed model %s → %s', (model, provider) => {
    expect(routedVendorOf(model)).toBe(provider);
  });

  it('reports an OpenRouter model under its vendor, and OpenRouter for vendors it has no prices for', () => {
    const body = (model: string) => ({ model, messages: [] });
    const url = 'https://openrouter.ai/api/v1';
    const anthropic = describeOpenAIRequest('chat.completions.create', body('anthropic/claude-sonnet-4'), url);
    expect(anthropic).toMatchObject({
      provider: 'anthropic',
      model: 'anthropic/claude-sonnet-4',
      serverAddress: 'openrouter.ai',
      serverPort: 443,
    });
    expect(anthropic).not.toHaveProperty('routesByModelPrefix');
    expect(describeOpenAIRequest('chat.completions.create', body('meta-llama/llama-3.3-70b'), url).provider).toBe(
      'openrouter',
    );
    // Only routers read the vendor from the model id: Groq serves `openai/gpt-oss-120b` itself.
    expect(
      describeOpenAIRequest('chat.completions.create', body('openai/gpt-oss-120b'), 'https://api.groq.com/openai/v1')
        .provider,
    ).toBe('groq');
  });

  it('prices routed and compatible models from the real provider’s price file', () => {
    const table = new PriceTable(PRICE_FILES);
    expect(table.lookup('anthropic', 'anthropic/claude-sonnet-4-5')?.model).toBe('claude-sonnet-4-5');
    // OpenRouter's own spelling of versions, with a dot.
    expect(table.lookup('anthropic', 'anthropic/claude-sonnet-4.5')?.model).toBe('claude-sonnet-4-5');
    expect(table.lookup('anthropic', 'anthropic/claude-opus-4.1')?.model).toBe('claude-opus-4-1');
    expect(table.lookup('deepseek', 'deepseek/deepseek-chat')?.model).toBe('deepseek-chat');
    expect(table.lookup('openai', 'openai/gpt-4o')?.model).toBe('gpt-4o');
    expect(table.lookup('deepseek', 'deepseek-chat')?.model).toBe('deepseek-chat');
    expect(table.lookup('groq', 'openai/gpt-oss-120b')?.model).toBe('openai/gpt-oss-120b');
  });
});

// End to end: the real openai SDK with a provider's base URL, its requests delivered to the fake server
// on 127.0.0.1 (the SDK's `fetch` option rewrites the origin, so `client.baseURL` stays the provider's).

const harness = createAdapterHarness({
  server: startFakeOpenAI,
  defaults: { team: 'platform', project: 'compatible-tests', environment: 'test' },
});
const { init, lastSpan } = harness;
const prices = new PriceTable(PRICE_FILES);

function clientFor(baseURL: string): OpenAI {
  const origin = new URL(harness.server.url).origin;
  const fetchToFakeServer: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    return fetch(`${origin}/v1${url.pathname.replace(/^.*?\/(chat|responses|embeddings|completions)/, '/$1')}`, init);
  };
  return new OpenAI({ apiKey: 'test-key', baseURL, maxRetries: 0, fetch: fetchToFakeServer });
}

/** The cost of `usage` at the bundled list price, in USD rounded to the nano-dollar as the core does. */
function expectedUsd(provider: string, model: string, input: number, output: number): number {
  const price = prices.lookup(provider, model)!.price;
  return Math.round((input * price.input + output * price.output) * 1_000) / 1_000_000_000;
}

describe.each([
  { baseURL: 'https://api.deepseek.com', provider: 'deepseek', model: 'deepseek-chat', address: 'api.deepseek.com' },
  { baseURL: 'https://api.x.ai/v1', provider: 'x_ai', model: 'grok-4', address: 'api.x.ai' },
  {
    baseURL: 'https://api.groq.com/openai/v1',
    provider: 'groq',
    model: 'llama-3.3-70b-versatile',
    address: 'api.groq.com',
  },
  {
    baseURL: 'https://openrouter.ai/api/v1',
    provider: 'deepseek',
    model: 'deepseek/deepseek-chat',
    address: 'openrouter.ai',
  },
])('$provider through $baseURL', ({ baseURL, provider, model, address }) => {
  it('reports the real provider, its usage and its cost to the nano-dollar', async () => {
    init();
    harness.server.enqueue({ usage: { input: 1234, output: 567 } });
    const result = await clientFor(baseURL).chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 600,
    });
    expect(result.usage?.prompt_tokens).toBe(1234);
    expect(harness.server.requests).toHaveLength(1);
    expect(harness.server.requests[0]!.body.model).toBe(model);
    const span = lastSpan();
    const cost = expectedUsd(provider, model, 1234, 567);
    expect(cost).toBeGreaterThan(0);
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': provider,
      'gen_ai.request.model': model,
      'server.address': address,
      'server.port': 443,
      'gen_ai.usage.input_tokens': 1234,
      'gen_ai.usage.output_tokens': 567,
      'genops.accounting.actual': cost,
    });
    expect(span.attributes['genops.cost.estimated']).not.toBe(true);
    expectGenOpsCompliant([span]);
  });

  it('a block budget never reaches the server', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    await expect(
      clientFor(baseURL).chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 100,
      }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
    expect(lastSpan().attributes['genops.policy.result']).toBe('BLOCKED');
    expectGenOpsCompliant([lastSpan()]);
  });

  it('a provider deny rule matches the real provider and never reaches the server', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-provider', type: 'provider', deny: [provider] }] } });
    await expect(
      clientFor(baseURL).chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 10,
      }),
    ).rejects.toBeInstanceOf(PolicyViolationError);
    expect(harness.server.requests).toHaveLength(0);
    expectGenOpsCompliant([lastSpan()]);
  });
});

describe('unknown hosts', () => {
  it('are reported and priced as openai', async () => {
    init();
    harness.server.enqueue({ usage: { input: 100, output: 40 } });
    await clientFor('https://llm-proxy.internal.example.com/v1').chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 50,
    });
    const span = lastSpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'server.address': 'llm-proxy.internal.example.com',
      'genops.accounting.actual': expectedUsd('openai', 'gpt-4o', 100, 40),
    });
    expectGenOpsCompliant([span]);
  });
});
