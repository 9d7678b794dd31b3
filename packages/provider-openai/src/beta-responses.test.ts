import { PolicyViolationError } from '@genops/core';
import { expectGenOpsCompliant, startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { instrumentOpenAI } from './index';

// `client.beta.responses` is its own resource class in openai 7 (`POST /v1/responses?beta=true`): it sends
// Responses API bodies and is governed like `responses.create`, one unit per call.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

function governedSpans() {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

describe('client.beta.responses.create', () => {
  it('is one governed unit, priced from the response usage', async () => {
    harness.init();
    harness.server.enqueue({ content: 'Hi.', usage: { input: 25, output: 5 } });
    const response = await client().beta.responses.create({ model: 'gpt-4o', input: 'Hello', max_output_tokens: 50 });
    expect(response.usage?.output_tokens).toBe(5);
    expect(harness.server.requests).toHaveLength(1);
    const span = harness.onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.request.max_tokens': 50,
      'gen_ai.usage.input_tokens': 25,
      'gen_ai.usage.output_tokens': 5,
    });
    expectGenOpsCompliant([span]);
  });

  it('streamed: one unit, usage read from response.completed', async () => {
    harness.init();
    harness.server.enqueue({ content: 'Hi there.', usage: { input: 25, output: 7 } });
    const stream = await client().beta.responses.create({ model: 'gpt-4o', input: 'Hello', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('response.completed');
    const span = harness.onlySpan();
    expect(span.attributes).toMatchObject({ 'gen_ai.request.stream': true, 'gen_ai.usage.output_tokens': 7 });
    expectGenOpsCompliant([span]);
  });

  it('a denial stops it before the server', async () => {
    harness.init({ policies: { denyModels: ['gpt-4o'] } });
    await expect(client().beta.responses.create({ model: 'gpt-4o', input: 'Hello' })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('instrumentOpenAI(client) governs it on the client, once', async () => {
    harness.init();
    await instrumentOpenAI(client()).beta.responses.create({ model: 'gpt-4o', input: 'Hello' });
    expect(governedSpans()).toHaveLength(1);
  });
});

describe('billable methods not governed yet', () => {
  it('warn once on stderr (GENOPS_UNGOVERNED) while GenOps runs, and still run', async () => {
    harness.init();
    const warnings: Array<Error & { code?: string }> = [];
    const listen = (warning: Error & { code?: string }) => {
      if (warning.code === 'GENOPS_UNGOVERNED') warnings.push(warning);
    };
    process.on('warning', listen);
    try {
      // A plain retrieve is free (it reads a stored response): no warning.
      await client()
        .responses.retrieve('resp_1')
        .catch(() => undefined);
      for (let i = 0; i < 2; i += 1) {
        await client()
          .responses.retrieve('resp_1', { stream: true })
          .catch(() => undefined);
      }
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listen);
    }
    expect(warnings.map((warning) => warning.message.split(' is not governed')[0])).toEqual([
      'openai responses.retrieve(id, { stream: true })',
    ]);
    expect(warnings[0]!.name).toBe('GenOpsWarning');
    // The calls still ran (the fake server answers them with 404).
    expect(harness.server.requests.map((request) => request.path)).toEqual([
      '/v1/responses/resp_1',
      '/v1/responses/resp_1',
      '/v1/responses/resp_1',
    ]);
  });
});
