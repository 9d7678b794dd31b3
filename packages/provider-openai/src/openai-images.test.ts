import { BudgetExceededError } from '@genops/core';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { instrumentOpenAI } from './index';

// `images.generate|edit|createVariation`: GPT image models are priced from the response's token usage,
// DALL·E models per image by quality and size (the shipped price data).

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

const png = () => toFile(Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'in.png', { type: 'image/png' });

describe('images.generate', () => {
  it('dall-e-3: one governed unit priced per image by quality and size', async () => {
    harness.init();
    const result = await client().images.generate({
      model: 'dall-e-3',
      prompt: 'an otter',
      quality: 'hd',
      size: '1024x1792',
    });
    expect(result.data).toHaveLength(1);
    expect(harness.server.requests).toHaveLength(1);
    const span = harness.onlySpan();
    expect(span.name).toBe('generate_content dall-e-3');
    // hd/1024x1792 is $0.12 an image.
    expect(span.attributes['genops.accounting.actual']).toBe(0.12);
    expect(span.attributes['genops.accounting.incomplete']).not.toBe(true);
    harness.expectCompliant([span]);
  });

  it('dall-e-2 (the default model): n images at the size price', async () => {
    harness.init();
    await client().images.generate({ prompt: 'an otter', n: 3, size: '512x512' });
    const span = harness.onlySpan();
    expect(span.attributes['gen_ai.request.model']).toBe('dall-e-2');
    // 3 × $0.018.
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(0.054, 12);
    harness.expectCompliant([span]);
  });

  it('gpt-image-1: priced from the token usage of the response', async () => {
    harness.init();
    // 50 input tokens (10 of them image tokens), 4160 image output tokens.
    harness.server.enqueue({ usage: { input: 50, output: 4160, cachedInput: 10 } });
    const result = await client().images.generate({ model: 'gpt-image-1', prompt: 'an otter', quality: 'high' });
    expect(result.usage?.output_tokens).toBe(4160);
    const span = harness.onlySpan();
    const price = harness.priceOf('openai', 'gpt-image-1');
    const expected = (40 * price.input + 10 * price.imageInput! + 4160 * price.output) / 1e6;
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(expected, 12);
    expect(span.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 50, 'gen_ai.usage.output_tokens': 4160 });
    harness.expectCompliant([span]);
  });

  it('gpt-image-1 streamed: usage read from image_generation.completed', async () => {
    harness.init();
    harness.server.enqueue({ usage: { input: 30, output: 1056 } });
    const stream = await client().images.generate({
      model: 'gpt-image-1',
      prompt: 'an otter',
      stream: true,
      partial_images: 1,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual(['image_generation.partial_image', 'image_generation.completed']);
    const span = harness.onlySpan();
    const price = harness.priceOf('openai', 'gpt-image-1');
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo((30 * price.input + 1056 * price.output) / 1e6, 12);
    harness.expectCompliant([span]);
  });

  it('a tiny budget denies it before the server (the reservation holds the image price)', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.1, window: 'day' }] });
    // 1 hd 1024x1792 image is $0.12: over a $0.10 budget.
    await expect(
      client().images.generate({ model: 'dall-e-3', prompt: 'an otter', quality: 'hd', size: '1024x1792' }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
  });

  it('dall-e-3 hd without a size reserves the default size at hd ($0.08), not the any-size price', async () => {
    harness.init({ budgets: [{ name: 'small', limit: 0.07, window: 'day' }] });
    await expect(
      client().images.generate({ model: 'dall-e-3', prompt: 'an otter', quality: 'hd' }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('a redact rule rewrites the prompt that is sent, never the caller object', async () => {
    harness.init({
      policy: { version: 1, rules: [{ name: 'pii', type: 'content', detect: ['email'], action: 'redact' }] },
    });
    const body = { model: 'dall-e-2', prompt: 'a card for bob@example.com' };
    await client().images.generate(body);
    expect(harness.server.requests[0]!.body.prompt).not.toContain('bob@example.com');
    expect(body.prompt).toContain('bob@example.com');
  });
});

describe('images.edit and images.createVariation', () => {
  it('edit (multipart upload): gpt-image-1 priced from usage', async () => {
    harness.init();
    harness.server.enqueue({ usage: { input: 1200, output: 1056, cachedInput: 1100 } });
    await client().images.edit({ model: 'gpt-image-1', image: await png(), prompt: 'add a hat' });
    expect(harness.server.requests[0]!.path).toBe('/v1/images/edits');
    const span = harness.onlySpan();
    const price = harness.priceOf('openai', 'gpt-image-1');
    const expected = (100 * price.input + 1100 * price.imageInput! + 1056 * price.output) / 1e6;
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(expected, 12);
    harness.expectCompliant([span]);
  });

  it('createVariation: dall-e-2 per image', async () => {
    harness.init();
    await client().images.createVariation({ image: await png(), n: 2, size: '256x256' });
    const span = harness.onlySpan();
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(2 * 0.016, 12);
    harness.expectCompliant([span]);
  });

  it('instrumentOpenAI(client) governs them on the client, once', async () => {
    harness.init();
    await instrumentOpenAI(client()).images.generate({ prompt: 'an otter' });
    expect(harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined)).toHaveLength(1);
  });
});
