import { BudgetExceededError, PolicyViolationError, withAttribution } from '@genops/core';
import { PRICE_FILES, PriceTable } from '@genops/core/internal';
import { expectGenOpsCompliant, startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { instrumentOpenAI } from './index';

// Gateways and overrides end to end: the real openai SDK against the fake server.

const harness = createAdapterHarness({
  server: startFakeOpenAI,
  defaults: { team: 'platform', project: 'gateway-tests', environment: 'test' },
});
const { init, lastSpan } = harness;
const prices = new PriceTable(PRICE_FILES);

/** A client whose `baseURL` is `baseURL`, its requests delivered to the fake server. */
function clientFor(baseURL: string): OpenAI {
  const origin = new URL(harness.server.url).origin;
  const fetchToFakeServer: typeof fetch = (input, requestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const path = url.pathname.replace(/^.*?\/(chat|responses|embeddings|completions)/, '/$1');
    return fetch(`${origin}/v1${path}`, requestInit);
  };
  return new OpenAI({ apiKey: 'test-key', baseURL, maxRetries: 0, fetch: fetchToFakeServer });
}

function expectedUsd(provider: string, model: string, input: number, output: number): number {
  const price = prices.lookup(provider, model)!.price;
  return Math.round((input * price.input + output * price.output) * 1_000) / 1_000_000_000;
}

const ask = (client: OpenAI, model: string, maxTokens = 600) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: maxTokens });

describe('instrumentOpenAI(client, { provider })', () => {
  const forced = () =>
    instrumentOpenAI(new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 }), {
      provider: 'deepseek',
    });

  it('reports and prices the calls as that provider', async () => {
    init();
    harness.server.enqueue({ usage: { input: 1234, output: 567 } });
    await ask(forced(), 'deepseek-chat');
    const span = lastSpan();
    const cost = expectedUsd('deepseek', 'deepseek-chat', 1234, 567);
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'deepseek',
      'server.address': '127.0.0.1',
      'gen_ai.usage.input_tokens': 1234,
      'gen_ai.usage.output_tokens': 567,
      'genops.accounting.actual': cost,
    });
    expectGenOpsCompliant([span]);
  });

  it('wins over the base URL, and an already governed client can take it', async () => {
    init();
    const client = instrumentOpenAI(clientFor('https://api.x.ai/v1'));
    instrumentOpenAI(client, { provider: 'deepseek' });
    await ask(client, 'deepseek-chat');
    expect(lastSpan().attributes['gen_ai.provider.name']).toBe('deepseek');
  });

  it('a block budget and a provider deny rule never reach the server', async () => {
    init({
      budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }],
    });
    await expect(ask(forced(), 'deepseek-chat')).rejects.toBeInstanceOf(BudgetExceededError);
    expectGenOpsCompliant([lastSpan()]);
    await harness.genops?.shutdown();
    init({ policy: { version: 1, rules: [{ name: 'no-deepseek', type: 'provider', deny: ['deepseek'] }] } });
    await expect(ask(forced(), 'deepseek-chat')).rejects.toBeInstanceOf(PolicyViolationError);
    expectGenOpsCompliant([lastSpan()]);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('rejects a provider name that is not one', () => {
    const client = new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url });
    expect(() => instrumentOpenAI(client, { provider: 'Together AI' })).toThrow(
      /expects a lowercase provider name such as 'together', got "Together AI"/,
    );
  });
});

describe('LiteLLM proxy', () => {
  it('settles at the cost the proxy reports in x-litellm-response-cost', async () => {
    init();
    harness.server.enqueue({ usage: { input: 1000, output: 200 }, headers: { 'x-litellm-response-cost': '0.004321' } });
    await ask(clientFor('http://localhost:4000'), 'gpt-4o');
    const span = lastSpan();
    expect(expectedUsd('openai', 'gpt-4o', 1000, 200)).not.toBe(0.004321);
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 200,
      'genops.accounting.actual': 0.004321,
    });
    expectGenOpsCompliant([span]);
  });

  it('without the header, prices from the table', async () => {
    init();
    harness.server.enqueue({ usage: { input: 1000, output: 200 } });
    await ask(clientFor('http://localhost:4000'), 'gpt-4o');
    expect(lastSpan().attributes['genops.accounting.actual']).toBe(expectedUsd('openai', 'gpt-4o', 1000, 200));
  });

  it('a block budget never reaches the server', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    await expect(ask(clientFor('http://localhost:4000'), 'gpt-4o')).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
    expectGenOpsCompliant([lastSpan()]);
  });
});

describe('Helicone gateway', () => {
  it('forwards the attribution as Helicone-Property headers, priced as the upstream', async () => {
    init();
    harness.server.enqueue({ usage: { input: 300, output: 100 } });
    const client = clientFor('https://oai.helicone.ai/v1');
    await withAttribution({ customer: 'acme', costCenter: 'CC-42' }, () =>
      client.chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100 },
        { headers: { 'Helicone-Auth': 'Bearer test', 'Helicone-Property-Project': 'set-by-caller' } },
      ),
    );
    const headers = harness.server.requests[0]!.headers;
    expect(headers['helicone-property-team']).toBe('platform');
    expect(headers['helicone-property-environment']).toBe('test');
    expect(headers['helicone-property-customer']).toBe('acme');
    expect(headers['helicone-property-cost-center']).toBe('CC-42');
    expect(headers['helicone-property-project']).toBe('set-by-caller');
    expect(headers['helicone-auth']).toBe('Bearer test');
    const span = lastSpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'server.address': 'oai.helicone.ai',
      'genops.accounting.actual': expectedUsd('openai', 'gpt-4o', 300, 100),
    });
    expectGenOpsCompliant([span]);
  });

  it('sends no Helicone headers to other hosts', async () => {
    init();
    await ask(clientFor('https://api.openai.com/v1'), 'gpt-4o');
    expect(Object.keys(harness.server.requests[0]!.headers).filter((name) => name.startsWith('helicone-'))).toEqual([]);
  });

  it('a policy denial never reaches the server', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-gpt-4o', type: 'model', deny: ['gpt-4o'] }] } });
    await expect(ask(clientFor('https://oai.helicone.ai/v1'), 'gpt-4o')).rejects.toBeInstanceOf(PolicyViolationError);
    expect(harness.server.requests).toHaveLength(0);
    expectGenOpsCompliant([lastSpan()]);
  });
});

describe.each([
  { baseURL: 'https://api.together.xyz/v1', provider: 'together', model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo' },
  {
    baseURL: 'https://api.fireworks.ai/inference/v1',
    provider: 'fireworks',
    model: 'accounts/fireworks/models/gpt-oss-120b',
  },
  { baseURL: 'https://api.perplexity.ai', provider: 'perplexity', model: 'sonar-pro' },
])('$provider prices', ({ baseURL, provider, model }) => {
  it('prices the call from its own price file, to the nano-dollar', async () => {
    init();
    harness.server.enqueue({ usage: { input: 2345, output: 678 } });
    await ask(clientFor(baseURL), model, 700);
    const span = lastSpan();
    const cost = expectedUsd(provider, model, 2345, 678);
    expect(prices.lookup(provider, model)?.model).toBe(model);
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': provider,
      'gen_ai.usage.input_tokens': 2345,
      'gen_ai.usage.output_tokens': 678,
      'genops.accounting.actual': cost,
    });
    expect(span.attributes['genops.cost.estimated']).not.toBe(true);
    expectGenOpsCompliant([span]);
  });

  it('a block budget never reaches the server', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    await expect(ask(clientFor(baseURL), model)).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
    expectGenOpsCompliant([lastSpan()]);
  });
});

it('instrumentOpenAI(client, { provider: "together" }) prices a self-hosted gateway as Together', async () => {
  init();
  harness.server.enqueue({ usage: { input: 100, output: 50 } });
  const client = instrumentOpenAI(new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 }), {
    provider: 'together',
  });
  await ask(client, 'openai/gpt-oss-120b');
  expect(lastSpan().attributes).toMatchObject({
    'gen_ai.provider.name': 'together',
    'genops.accounting.actual': expectedUsd('together', 'openai/gpt-oss-120b', 100, 50),
  });
});
