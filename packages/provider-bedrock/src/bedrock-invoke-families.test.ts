import {
  BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import type { GenOpsHandle, GenOpsOptions } from '@genops/core';
import type { Usage } from '@genops/core/adapter';
import { costNanos } from '@genops/core/internal';
import { startFakeBedrock } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { describe, expect, it } from 'vitest';
import { convertInvokeBodyUsage, convertTokenCountHeaders } from './convert-bedrock-usage';
import './index';

// InvokeModel / InvokeModelWithResponseStream for the non-Anthropic families, end to end: the real
// @aws-sdk/client-bedrock-runtime against the fake Bedrock server, which answers in each family's
// native wire format (packages/testing/src/fake-bedrock-harness.server.ts cites where each shape comes from).

const harness = createAdapterHarness({
  server: startFakeBedrock,
  defaults: { team: 'platform', project: 'bedrock-families', environment: 'test' },
});
const { onlySpan } = harness;

function init(options: GenOpsOptions = {}): GenOpsHandle {
  return harness.init({ budgets: [{ name: 'all', limit: 5, window: 'total' }], ...options });
}

function client(): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: harness.server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
}

function priceOf(model: string) {
  return harness.priceOf('aws.bedrock', model);
}

const CONTENT = 'Hello from the fake Bedrock server.';
const decode = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes));

interface Family {
  name: string;
  model: string;
  /** The price entry the model id resolves to. */
  priced: string;
  body: Record<string, unknown>;
  maxTokens: number;
  /** Completion text of a plain InvokeModel body, read the family's way. */
  text(body: any): string;
  /** Text of one decoded stream chunk, read the family's way. */
  chunkText(chunk: any): string;
  finishReason: string;
}

const FAMILIES: Family[] = [
  {
    name: 'Anthropic',
    model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    priced: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    body: {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 600,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Say hello.' }],
    },
    maxTokens: 600,
    text: (body) => body.content[0].text,
    chunkText: (chunk) => (chunk.type === 'content_block_delta' ? chunk.delta.text : ''),
    finishReason: 'end_turn',
  },
  {
    name: 'Meta Llama',
    model: 'meta.llama3-1-70b-instruct-v1:0',
    priced: 'meta.llama3-1-70b-instruct-v1:0',
    body: { prompt: '<|begin_of_text|>Say hello.', max_gen_len: 512, temperature: 0.5, top_p: 0.9 },
    maxTokens: 512,
    text: (body) => body.generation,
    chunkText: (chunk) => chunk.generation,
    finishReason: 'stop',
  },
  {
    name: 'Mistral',
    model: 'mistral.mistral-large-2407-v1:0',
    priced: 'mistral.mistral-large-2407-v1:0',
    body: { prompt: '<s>[INST] Say hello. [/INST]', max_tokens: 400, temperature: 0.7 },
    maxTokens: 400,
    text: (body) => body.outputs[0].text,
    chunkText: (chunk) => chunk.outputs[0].text,
    finishReason: 'stop',
  },
  {
    name: 'Amazon Nova',
    model: 'amazon.nova-pro-v1:0',
    priced: 'amazon.nova-pro-v1:0',
    body: {
      schemaVersion: 'messages-v1',
      system: [{ text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ text: 'Say hello.' }] }],
      inferenceConfig: { max_new_tokens: 500, temperature: 0.3 },
    },
    maxTokens: 500,
    text: (body) => body.output.message.content[0].text,
    chunkText: (chunk) => chunk.contentBlockDelta?.delta?.text ?? '',
    finishReason: 'end_turn',
  },
  {
    name: 'Cohere Command R+',
    model: 'cohere.command-r-plus-v1:0',
    priced: 'cohere.command-r-plus-v1:0',
    body: {
      message: 'Say hello.',
      chat_history: [
        { role: 'USER', message: 'Hi' },
        { role: 'CHATBOT', message: 'Hello!' },
      ],
      preamble: 'Be brief.',
      max_tokens: 300,
      p: 0.8,
    },
    maxTokens: 300,
    text: (body) => body.text,
    chunkText: (chunk) => (chunk.event_type === 'text-generation' ? chunk.text : ''),
    finishReason: 'COMPLETE',
  },
];

function familyNamed(name: string): Family {
  const family = FAMILIES.find((candidate) => candidate.name === name);
  if (!family) throw new Error(`no family ${name}`);
  return family;
}

async function expectSettled(family: Family, usage: Usage): Promise<number> {
  const expectedNanos = costNanos(priceOf(family.priced), usage);
  const span = onlySpan();
  expect(span.name).toBe(`chat ${family.model}`);
  expect(span.attributes).toMatchObject({
    'gen_ai.provider.name': 'aws.bedrock',
    'gen_ai.request.model': family.model,
    'gen_ai.request.max_tokens': family.maxTokens,
    'gen_ai.usage.input_tokens': usage.inputTokens,
    'gen_ai.usage.output_tokens': usage.outputTokens,
    'gen_ai.response.finish_reasons': [family.finishReason],
    'genops.accounting.actual': expectedNanos / 1e9,
  });
  expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
  harness.expectCompliant();
  expect((await harness.genops!.status()).budgets[0]).toMatchObject({ used: expectedNanos / 1e9, reserved: 0 });
  return expectedNanos;
}

describe.each(FAMILIES)('$name ($model)', (family) => {
  it('InvokeModelCommand: usage from the body or the token-count headers, exact cost, one compliant span', async () => {
    init();
    harness.server.enqueue({ usage: { input: 1200, output: 300 } });
    const response = await client().send(
      new InvokeModelCommand({
        modelId: family.model,
        contentType: 'application/json',
        body: JSON.stringify(family.body),
      }),
    );
    expect(family.text(decode(response.body))).toBe(CONTENT);
    expect(harness.server.requests[0]).toMatchObject({ modelId: family.model, operation: 'invoke', body: family.body });
    await expectSettled(family, { inputTokens: 1200, outputTokens: 300 });
  });

  it('InvokeModelWithResponseStreamCommand: usage from the final chunk, exact cost, one compliant span', async () => {
    init();
    harness.server.enqueue({ usage: { input: 800, output: 150 } });
    const response = await client().send(
      new InvokeModelWithResponseStreamCommand({
        modelId: family.model,
        contentType: 'application/json',
        body: JSON.stringify(family.body),
      }),
    );
    let text = '';
    let metrics: unknown;
    for await (const event of response.body!) {
      const chunk = decode(event.chunk?.bytes);
      text += family.chunkText(chunk) ?? '';
      metrics = chunk['amazon-bedrock-invocationMetrics'] ?? metrics;
    }
    expect(text).toBe(CONTENT);
    expect(metrics).toMatchObject({ inputTokenCount: 800, outputTokenCount: 150 });
    await expectSettled(family, { inputTokens: 800, outputTokens: 150 });
  });

  it('an aborted stream settles from the reservation, flagged incomplete', async () => {
    init();
    harness.server.enqueue({ chunkDelayMs: 30 });
    const controller = new AbortController();
    const response = await client().send(
      new InvokeModelWithResponseStreamCommand({ modelId: family.model, body: JSON.stringify(family.body) }),
      { abortSignal: controller.signal },
    );
    let received = 0;
    await (async () => {
      for await (const _ of response.body!) {
        received++;
        controller.abort();
      }
    })().catch(() => undefined);
    expect(received).toBeLessThan(4);
    const span = onlySpan();
    const reserved = span.attributes['genops.accounting.reserved'] as number;
    expect(reserved).toBeGreaterThan(0);
    expect(span.attributes).toMatchObject({
      'genops.accounting.incomplete': true,
      'genops.accounting.actual': reserved,
    });
    const status = await harness.genops!.status();
    expect(status.openReservations).toBe(0);
    expect(status.budgets[0]).toMatchObject({ used: reserved, reserved: 0 });
    harness.expectCompliant();
  });
});

describe('InvokeModel across families', () => {
  it('prices a cross-region profile (us.meta.llama...) as the underlying model', async () => {
    init();
    const llama = familyNamed('Meta Llama');
    const model = 'us.meta.llama3-1-70b-instruct-v1:0';
    harness.server.enqueue({ usage: { input: 1000, output: 500 } }, { usage: { input: 1000, output: 500 } });
    await client().send(new InvokeModelCommand({ modelId: model, body: JSON.stringify(llama.body) }));
    // $0.99 in and out per 1M tokens: 1500 × 0.99 = 1485 µ$.
    const expectedNanos = costNanos(priceOf('meta.llama3-1-70b-instruct-v1:0'), {
      inputTokens: 1000,
      outputTokens: 500,
    });
    expect(expectedNanos).toBe(1_485_000);
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.request.model': model,
      'genops.accounting.actual': expectedNanos / 1e9,
    });
    harness.expectCompliant();

    // A profile without an entry of its own (`eu.`) is priced the same way, by prefix stripping.
    harness.telemetry.resetSpans();
    await client()
      .send(
        new InvokeModelWithResponseStreamCommand({
          modelId: 'eu.meta.llama3-1-70b-instruct-v1:0',
          body: JSON.stringify(llama.body),
        }),
      )
      .then(async (response) => {
        for await (const _ of response.body!) {
          // drain
        }
      });
    expect(onlySpan().attributes['genops.accounting.actual']).toBe(expectedNanos / 1e9);
  });

  it('Amazon Nova: cache reads in the body are added to input and priced at the cache-read rate', async () => {
    init();
    const model = 'us.amazon.nova-2-lite-v1:0';
    harness.server.enqueue({ usage: { input: 400, output: 100, cacheRead: 2000 } });
    const response = await client().send(
      new InvokeModelCommand({
        modelId: model,
        body: JSON.stringify({
          messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
          inferenceConfig: { maxTokens: 200 },
        }),
      }),
    );
    expect(decode(response.body).usage).toMatchObject({ inputTokens: 400, cacheReadInputTokenCount: 2000 });
    // us. profile of Nova 2 Lite: $0.33 in, $0.0825 cache read, $2.75 out per 1M.
    const expectedNanos = costNanos(priceOf(model), {
      inputTokens: 2400,
      outputTokens: 100,
      cacheReadInputTokens: 2000,
    });
    expect(expectedNanos).toBe((400 * 0.33 + 2000 * 0.0825 + 100 * 2.75) * 1_000);
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.request.max_tokens': 200,
      'gen_ai.usage.input_tokens': 2400,
      'gen_ai.usage.cache_read.input_tokens': 2000,
      'genops.accounting.actual': expectedNanos / 1e9,
    });
  });

  it('Mistral InvokeModel without token-count headers settles from the reservation, flagged incomplete', async () => {
    init();
    harness.server.enqueue({ tokenCountHeaders: false });
    await client().send(
      new InvokeModelCommand({
        modelId: 'mistral.mistral-large-2407-v1:0',
        body: JSON.stringify(familyNamed('Mistral').body),
      }),
    );
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'genops.accounting.incomplete': true,
      'genops.accounting.actual': span.attributes['genops.accounting.reserved'],
    });
    harness.expectCompliant();
  });

  it.each([
    ['Meta Llama prompt', 'meta.llama3-1-70b-instruct-v1:0', { prompt: 'Mail alice@example.com', max_gen_len: 50 }],
    [
      'Cohere message and chat_history',
      'cohere.command-r-v1:0',
      { message: 'Mail alice@example.com', chat_history: [{ role: 'USER', message: 'I am bob@example.com' }] },
    ],
    [
      'Nova messages and system',
      'amazon.nova-lite-v1:0',
      {
        system: [{ text: 'Reply to bob@example.com' }],
        messages: [{ role: 'user', content: [{ text: 'Mail alice@example.com' }] }],
      },
    ],
  ])('content redaction rewrites the %s before it leaves the process', async (_name, model, body) => {
    init({ policy: { version: 1, rules: [{ name: 'r', type: 'content', detect: ['email'], action: 'redact' }] } });
    const sent = JSON.stringify(body);
    await client().send(new InvokeModelCommand({ modelId: model, body: new TextEncoder().encode(sent) }));
    const received = JSON.stringify(harness.server.requests[0]?.body);
    expect(received).not.toContain('@example.com');
    expect(received).toContain('[REDACTED');
    expect(onlySpan().attributes['genops.content.redactions']).toBeDefined();
  });
});

describe('InvokeModel usage mapping', () => {
  it('reads the token-count headers case-insensitively and keeps them as raw', () => {
    expect(
      convertTokenCountHeaders({ 'X-Amzn-Bedrock-Input-Token-Count': '9', 'x-amzn-bedrock-output-token-count': '26' }),
    ).toEqual({
      inputTokens: 9,
      outputTokens: 26,
      raw: { 'x-amzn-bedrock-input-token-count': '9', 'x-amzn-bedrock-output-token-count': '26' },
    });
    expect(convertTokenCountHeaders({ 'x-amzn-bedrock-input-token-count': 'n/a' })).toBeUndefined();
    expect(convertTokenCountHeaders(undefined)).toBeUndefined();
  });

  it('reads Nova cache counts named *InputTokenCount, and no usage from Mistral or Cohere bodies', () => {
    expect(
      convertInvokeBodyUsage({
        usage: { inputTokens: 10, outputTokens: 4, cacheReadInputTokenCount: 30, cacheWriteInputTokenCount: 5 },
      }),
    ).toMatchObject({ inputTokens: 45, outputTokens: 4, cacheReadInputTokens: 30, cacheWriteInputTokens: 5 });
    expect(convertInvokeBodyUsage({ outputs: [{ text: 'x', stop_reason: 'stop' }] })).toBeUndefined();
    expect(convertInvokeBodyUsage({ text: 'x', finish_reason: 'COMPLETE' })).toBeUndefined();
  });
});
