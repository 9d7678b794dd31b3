import { BudgetExceededError } from '@genops/core';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';

// `videos.create` (Sora): per second of video at the model's rate for the size.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

describe('videos.create', () => {
  it('sora-2: priced per second ($0.10), settled when the job is created', async () => {
    harness.init();
    const video = await client().videos.create({ model: 'sora-2', prompt: 'an otter surfing', seconds: '8' });
    expect(video.status).toBe('queued');
    const span = harness.onlySpan();
    expect(span.name).toBe('generate_content sora-2');
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(0.8, 12);
    expect(span.attributes['genops.accounting.reserved']).toBeCloseTo(0.8, 12);
    expect(span.attributes['gen_ai.response.id']).toBe(video.id);
    harness.expectCompliant([span]);
  });

  it('sora-2-pro: the rate depends on the size (1792x1024 is $0.50 a second)', async () => {
    harness.init();
    await client().videos.create({ model: 'sora-2-pro', prompt: 'an otter', seconds: '4', size: '1792x1024' });
    expect(harness.onlySpan().attributes['genops.accounting.actual']).toBeCloseTo(2, 12);
  });

  it('the default length is 4 seconds of sora-2', async () => {
    harness.init();
    await client().videos.create({ prompt: 'an otter' });
    expect(harness.onlySpan().attributes['genops.accounting.actual']).toBeCloseTo(0.4, 12);
  });

  it('a tiny budget denies it before the server', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.5, window: 'day' }] });
    await expect(client().videos.create({ prompt: 'an otter', seconds: '12' })).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    expect(harness.server.requests).toHaveLength(0);
  });
});

describe('videos.edit, videos.extend, videos.remix: governed like create, from their source video', () => {
  /** A sora-2-pro video on the fake server, made before GenOps is set up (no unit of its own). */
  async function source(openai: OpenAI, size = '1792x1024', seconds: '4' | '8' | '12' = '8') {
    const video = await openai.videos.create({ model: 'sora-2-pro', prompt: 'an otter', seconds, size: size as never });
    harness.server.requests.length = 0;
    return video;
  }

  it('remix: the source video is read first (free GET); priced at its model, size and length', async () => {
    const openai = client();
    const original = await source(openai);
    harness.init();
    const remix = await openai.videos.remix(original.id, { prompt: 'an otter on a skateboard' });
    expect(remix.remixed_from_video_id).toBe(original.id);
    expect(harness.server.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /v1/videos/${original.id}`,
      `POST /v1/videos/${original.id}/remix`,
    ]);
    const span = harness.onlySpan();
    expect(span.name).toBe('generate_content sora-2-pro');
    // 8 s of sora-2-pro at 1792x1024 ($0.50 a second) = $4.
    expect(span.attributes['genops.accounting.reserved']).toBeCloseTo(4, 12);
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(4, 12);
    expect(span.attributes['gen_ai.response.id']).toBe(remix.id);
    harness.expectCompliant([span]);
  });

  it('extend: priced for the seconds it asks for, at the source model and size', async () => {
    const openai = client();
    const original = await source(openai, '720x1280');
    harness.init();
    await openai.videos.extend({ video: { id: original.id }, prompt: 'and then it rains', seconds: '4' });
    // 4 s of sora-2-pro at 720x1280 ($0.30 a second) = $1.20.
    expect(harness.onlySpan().attributes['genops.accounting.actual']).toBeCloseTo(1.2, 12);
  });

  it('edit: priced at the source length, model and size', async () => {
    const openai = client();
    const original = await source(openai, '1280x720', '12');
    harness.init();
    await openai.videos.edit({ video: { id: original.id }, prompt: 'make it night' });
    // 12 s of sora-2-pro at 1280x720 ($0.30 a second) = $3.60.
    expect(harness.onlySpan().attributes['genops.accounting.actual']).toBeCloseTo(3.6, 12);
  });

  it('a source it cannot read is reserved at the worst case (sora-2-pro, 1792x1024, 12 s = $6)', async () => {
    harness.init({ budgets: [{ name: 'video', limit: 5, window: 'day', action: 'block' }] });
    await expect(client().videos.remix('video_elsewhere', { prompt: 'an otter' })).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    expect(harness.server.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /v1/videos/video_elsewhere',
    ]);
  });

  it('a tiny budget refuses a remix before it is sent', async () => {
    const openai = client();
    const original = await source(openai);
    harness.init({ budgets: [{ name: 'tiny', limit: 0.01, window: 'day', action: 'block' }] });
    await expect(openai.videos.remix(original.id, { prompt: 'again' })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests.map((request) => request.method)).toEqual(['GET']);
  });
});
