import Anthropic from '@anthropic-ai/sdk';
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';
import { nanosToUsd, PolicyViolationError } from '@genops/core';
import { costNanos } from '@genops/core/internal';
import { expectGenOpsCompliant, startFakeAnthropic } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { describe, expect, it } from 'vitest';
import { instrumentAnthropic } from './index';

// `client.beta.messages.*` (a separate resource class in @anthropic-ai/sdk 1.x, `POST /v1/messages?beta=true`)
// has the same unit semantics as `client.messages.*`: one governed unit per model request, priced from
// its usage; `countTokens` is free and stays ungoverned.

const harness = createAdapterHarness({ server: startFakeAnthropic });
const MODEL = 'claude-sonnet-4-5';
const messages = [{ role: 'user' as const, content: 'Say hello.' }];

function client(): Anthropic {
  return new Anthropic({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0, openTelemetry: false });
}

function governedSpans() {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

describe('client.beta.messages', () => {
  it('create: one governed unit, priced from its usage', async () => {
    harness.init();
    harness.server.enqueue({ usage: { input: 40, output: 12 } });
    const message = await client().beta.messages.create({ model: MODEL, max_tokens: 100, messages });
    expect(message.usage.output_tokens).toBe(12);
    expect(harness.server.requests.map((request) => request.path)).toEqual(['/v1/messages']);
    const span = harness.onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.model': MODEL,
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 12,
      'genops.policy.result': 'ALLOWED',
    });
    // The model's shipped price, from the usage: the unit is priced like messages.create.
    const nanos = costNanos(harness.priceOf('anthropic', MODEL), { inputTokens: 40, outputTokens: 12 });
    expect(nanos).toBeGreaterThan(0);
    expect(span.attributes['genops.accounting.actual']).toBe(nanosToUsd(nanos));
    expectGenOpsCompliant([span]);
  });

  it('create({ stream: true }) and stream(): one governed unit each, usage read from the events', async () => {
    harness.init();
    harness.server.enqueue({ usage: { input: 30, output: 9 } });
    harness.server.enqueue({ usage: { input: 31, output: 7 } });
    const stream = await client().beta.messages.create({ model: MODEL, max_tokens: 100, messages, stream: true });
    for await (const _event of stream) {
      // drain
    }
    const final = await client().beta.messages.stream({ model: MODEL, max_tokens: 100, messages }).finalMessage();
    expect(final.usage.output_tokens).toBe(7);
    const spans = governedSpans();
    expect(spans.map((span) => span.attributes['gen_ai.usage.output_tokens'])).toEqual([9, 7]);
    expect(spans.every((span) => span.attributes['gen_ai.request.stream'] === true)).toBe(true);
    expectGenOpsCompliant(spans);
  });

  it('a denial stops create, stream() and parse() before the server', async () => {
    harness.init({ policies: { denyModels: [MODEL] } });
    await expect(client().beta.messages.create({ model: MODEL, max_tokens: 100, messages })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    const streamError = await client()
      .beta.messages.stream({ model: MODEL, max_tokens: 100, messages })
      .finalMessage()
      .catch((caught: unknown) => caught);
    // The stream helper wraps errors it did not raise; the denial is the cause.
    expect(
      PolicyViolationError.isInstance(streamError) || (streamError as Error).cause instanceof PolicyViolationError,
    ).toBe(true);
    await expect(client().beta.messages.parse({ model: MODEL, max_tokens: 100, messages })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED', 'BLOCKED', 'BLOCKED']);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('toolRunner(): each model turn is one governed unit', async () => {
    harness.init();
    harness.server.enqueue({ content: 'Let me look.', toolUse: { name: 'weather', input: { city: 'Oslo' } } });
    harness.server.enqueue({ content: 'It is sunny in Oslo.', usage: { input: 60, output: 8 } });
    let ran = 0;
    const weather = betaTool({
      name: 'weather',
      description: 'The weather in a city',
      inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      run: ({ city }) => {
        ran += 1;
        return `sunny in ${city}`;
      },
    });
    const final = await client().beta.messages.toolRunner({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [weather],
    });
    expect(final.content.find((block) => block.type === 'text')?.text).toBe('It is sunny in Oslo.');
    expect(ran).toBe(1);
    expect(harness.server.requests.filter((request) => request.path === '/v1/messages')).toHaveLength(2);
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['ALLOWED', 'ALLOWED']);
    const spans = governedSpans();
    expect(spans.map((span) => span.attributes['gen_ai.usage.output_tokens'])).toEqual([10, 8]);
    expectGenOpsCompliant(spans);
  });

  it('countTokens stays free: it reaches the server even when the model is denied, and is no unit', async () => {
    harness.init({ policies: { denyModels: [MODEL] } });
    const count = await client().beta.messages.countTokens({ model: MODEL, messages });
    expect(count.input_tokens).toBeGreaterThan(0);
    expect(harness.decisions()).toHaveLength(0);
    expect(governedSpans()).toHaveLength(0);
  });

  it('instrumentAnthropic(client) governs beta.messages.create on the client, once', async () => {
    harness.init();
    const instrumented = instrumentAnthropic(client());
    await instrumented.beta.messages.create({ model: MODEL, max_tokens: 100, messages });
    expect(governedSpans()).toHaveLength(1);
  });
});
