import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import { BudgetExceededError, PolicyViolationError } from '@genops/core';
import { costNanos, PRICE_FILES, PriceTable } from '@genops/core/internal';
import { expectGenOpsCompliant, startFakeBedrock } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { describe, expect, it } from 'vitest';
import { convertBedrockUsage, convertInvocationMetrics, convertInvokeBodyUsage, instrumentBedrock } from './index';

// The real @aws-sdk/client-bedrock-runtime (3.x) against the fake Bedrock server on 127.0.0.1 (JSON and
// AWS event-stream framing). Loading './index' registers the adapter, so GenOps.init() patches the SDK
// the way it does in an app.

const harness = createAdapterHarness({ server: startFakeBedrock });
const { init, spans, onlySpan } = harness;

function client(options: BedrockRuntimeClientConfig = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    endpoint: harness.server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
    maxAttempts: 1,
    ...options,
  });
}

function priceOf(model: string) {
  return harness.priceOf('aws.bedrock', model);
}

const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const messages = [{ role: 'user' as const, content: [{ text: 'Say hello.' }] }];
const CONTENT = 'Hello from the fake Bedrock server.';

describe('convertBedrockUsage', () => {
  it('adds the cache counts to inputTokens (Bedrock excludes them), splits the 1h write, keeps raw', () => {
    const raw = {
      inputTokens: 1000,
      outputTokens: 500,
      totalTokens: 3900,
      cacheReadInputTokens: 2000,
      cacheWriteInputTokens: 400,
      cacheDetails: [
        { ttl: '1h', inputTokens: 100 },
        { ttl: '5m', inputTokens: 300 },
      ],
    };
    expect(convertBedrockUsage(raw)).toEqual({
      inputTokens: 3400,
      outputTokens: 500,
      cacheReadInputTokens: 2000,
      cacheWriteInputTokens: 400,
      cacheWrite1hInputTokens: 100,
      raw,
    });
    expect(convertBedrockUsage({ outputTokens: 3 })).toBeUndefined();
    expect(convertBedrockUsage(undefined)).toBeUndefined();
    expect(convertInvocationMetrics({ inputTokenCount: 7, outputTokenCount: 3 })).toMatchObject({
      inputTokens: 7,
      outputTokens: 3,
    });
  });

  it.each([
    ['Anthropic', { usage: { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 3 } }, 15, 3],
    ['Amazon Nova', { usage: { inputTokens: 8, outputTokens: 2, cacheReadInputTokenCount: 0 } }, 8, 2],
    ['OpenAI-style (gpt-oss)', { usage: { prompt_tokens: 12, completion_tokens: 4 } }, 12, 4],
    ['Meta Llama', { prompt_token_count: 9, generation_token_count: 6 }, 9, 6],
  ])('reads InvokeModel %s body usage', (_family, body, inputTokens, outputTokens) => {
    expect(convertInvokeBodyUsage(body)).toMatchObject({ inputTokens, outputTokens });
  });

  it('prices a cross-region inference profile without its own entry as the underlying model', () => {
    const table = new PriceTable(PRICE_FILES);
    const match = table.lookup('aws.bedrock', 'apac.anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(match?.model).toBe('anthropic.claude-sonnet-4-5-20250929-v1:0');
  });
});

describe('ConverseCommand', () => {
  it('governs a plain call: span, region, usage with cache, exact cost, conformance', async () => {
    init({ budgets: [{ name: 'team', limit: 5, window: 'day', per: 'team' }] });
    harness.server.enqueue({ usage: { input: 1000, output: 500, cacheRead: 2000, cacheWrite: 400 } });
    const response = await client().send(
      new ConverseCommand({
        modelId: MODEL,
        messages,
        system: [{ text: 'Be brief.' }],
        inferenceConfig: { maxTokens: 600, temperature: 0.2 },
      }),
    );
    expect(response.output?.message?.content?.[0]?.text).toBe(CONTENT);
    expect(harness.server.requests[0]).toMatchObject({ modelId: MODEL, operation: 'converse' });
    expect(harness.server.requests[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);

    // The `us.` profile has its own price entry (the regional premium): $3.3 in, $0.33 cache read,
    // $4.125 cache write, $16.5 out per 1M.
    const expectedNanos = costNanos(priceOf(MODEL), {
      inputTokens: 3400,
      outputTokens: 500,
      cacheReadInputTokens: 2000,
      cacheWriteInputTokens: 400,
    });
    expect(expectedNanos).toBe((1000 * 3.3 + 2000 * 0.33 + 400 * 4.125 + 500 * 16.5) * 1_000);

    const span = onlySpan();
    expect(span.name).toBe(`chat ${MODEL}`);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.request.model': MODEL,
      'gen_ai.request.max_tokens': 600,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 3400,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.cache_read.input_tokens': 2000,
      'gen_ai.usage.cache_creation.input_tokens': 400,
      'server.address': '127.0.0.1',
      'server.port': harness.server.port,
      'genops.accounting.actual': expectedNanos / 1e9,
      'genops.policy.result': 'ALLOWED',
    });
    expectGenOpsCompliant(spans());
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({ used: expectedNanos / 1e9, reserved: 0 });
  });

  it('records a provider error with error.type and bills nothing', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ status: 429, error: { message: 'slow down' } });
    const error = await client()
      .send(new ConverseCommand({ modelId: MODEL, messages, inferenceConfig: { maxTokens: 50 } }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(onlySpan().attributes).toMatchObject({
      'error.type': 'ThrottlingException',
      'genops.accounting.actual': 0,
      'genops.execution.reason_code': 'PROVIDER_ERROR_UPSTREAM',
    });
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({ used: 0, reserved: 0 });
    expectGenOpsCompliant(spans());
  });

  it('budget: BudgetExceededError, nothing sent, span BLOCKED', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.001, window: 'day' }] });
    const error = await client()
      .send(new ConverseCommand({ modelId: MODEL, messages, inferenceConfig: { maxTokens: 4000 } }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
    expect(onlySpan().attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'BUDGET_EXCEEDED',
    });
    expectGenOpsCompliant(spans());
  });

  it('region rule: a us-east-1 client is denied by allow eu-*, before anything is sent', async () => {
    init({ policy: { version: 1, rules: [{ name: 'eu-only', type: 'region', allow: ['eu-*'] }] } });
    const error = await client()
      .send(new ConverseCommand({ modelId: MODEL, messages, inferenceConfig: { maxTokens: 50 } }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect(harness.server.requests).toHaveLength(0);
    expect(onlySpan().attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'POLICY_DENY_REGION',
    });
    expectGenOpsCompliant(spans());

    // The same rule lets an eu-west-1 client through.
    harness.telemetry.resetSpans();
    await client({ region: 'eu-west-1' }).send(
      new ConverseCommand({ modelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0', messages }),
    );
    expect(harness.server.requests).toHaveLength(1);
    expect(onlySpan().attributes['genops.policy.result']).toBe('ALLOWED');
  });

  it('model policy: PolicyViolationError, nothing sent', async () => {
    init({ policies: { allowModels: ['*.amazon.nova-*'] } });
    await expect(client().send(new ConverseCommand({ modelId: MODEL, messages }))).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    expect(harness.server.requests).toHaveLength(0);
  });

  it('content redaction rewrites messages and system before they leave the process', async () => {
    init({ policy: { version: 1, rules: [{ name: 'r', type: 'content', detect: ['email'], action: 'redact' }] } });
    const input = {
      modelId: MODEL,
      system: [{ text: 'Reply to bob@example.com' }],
      messages: [{ role: 'user' as const, content: [{ text: 'Mail alice@example.com' }] }],
    };
    await client().send(new ConverseCommand(input));
    const sent = JSON.stringify(harness.server.requests[0]?.body);
    expect(sent).not.toContain('@example.com');
    expect(input.messages[0]?.content[0]?.text).toBe('Mail alice@example.com');
  });

  it('passes calls through unchanged when GenOps is not running', async () => {
    await client().send(new ConverseCommand({ modelId: MODEL, messages }));
    expect(harness.server.requests).toHaveLength(1);
    expect(spans()).toHaveLength(0);
  });
});

describe('ConverseStreamCommand', () => {
  it('usage from the metadata event, settles on the last event', async () => {
    init();
    harness.server.enqueue({ usage: { input: 100, output: 40, cacheRead: 50 } });
    const response = await client().send(
      new ConverseStreamCommand({ modelId: MODEL, messages, inferenceConfig: { maxTokens: 100 } }),
    );
    let text = '';
    const types: string[] = [];
    for await (const event of response.stream!) {
      types.push(Object.keys(event).find((key) => (event as unknown as Record<string, unknown>)[key] !== undefined)!);
      text += event.contentBlockDelta?.delta?.text ?? '';
    }
    expect(text).toBe(CONTENT);
    expect(types.at(-1)).toBe('metadata');
    const span = onlySpan();
    const expectedNanos = costNanos(priceOf(MODEL), { inputTokens: 150, outputTokens: 40, cacheReadInputTokens: 50 });
    expect(span.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 150,
      'gen_ai.usage.output_tokens': 40,
      'gen_ai.usage.cache_read.input_tokens': 50,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'genops.accounting.actual': expectedNanos / 1e9,
    });
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expectGenOpsCompliant(spans());
  });

  it('an early break settles from the reservation, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ chunkDelayMs: 5 });
    const response = await client().send(
      new ConverseStreamCommand({ modelId: MODEL, messages, inferenceConfig: { maxTokens: 50 } }),
    );
    for await (const _ of response.stream!) break;
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
    expectGenOpsCompliant(spans());
  });

  it('an aborted stream (abortSignal) settles from the reservation, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ chunkDelayMs: 30 });
    const controller = new AbortController();
    const response = await client().send(
      new ConverseStreamCommand({ modelId: MODEL, messages, inferenceConfig: { maxTokens: 50 } }),
      { abortSignal: controller.signal },
    );
    let received = 0;
    const error = await (async () => {
      for await (const _ of response.stream!) {
        received++;
        controller.abort();
      }
    })().catch((caught: unknown) => caught);
    // SDK 3.1164 ends the event stream quietly on abort (no error seen here; an AbortError is handled
    // the same way): no `metadata` event arrived, so GenOps settles from the reservation.
    expect(received).toBeLessThan(6);
    if (error !== undefined) expect(error).toBeInstanceOf(Error);
    const span = onlySpan();
    const reserved = span.attributes['genops.accounting.reserved'] as number;
    expect(span.attributes).toMatchObject({
      'genops.accounting.incomplete': true,
      'genops.accounting.actual': reserved,
    });
    expect((await harness.genops!.status()).openReservations).toBe(0);
    expectGenOpsCompliant(spans());
  });

  it('a connection broken mid-stream fails the call and settles from the reservation, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ breakAfterChunks: 2 });
    const response = await client().send(
      new ConverseStreamCommand({ modelId: MODEL, messages, inferenceConfig: { maxTokens: 50 } }),
    );
    const error = await (async () => {
      for await (const _ of response.stream!) {
        // read on
      }
    })().catch((caught: unknown) => caught);
    const span = onlySpan();
    const reserved = span.attributes['genops.accounting.reserved'] as number;
    expect(span.attributes).toMatchObject({
      'genops.accounting.incomplete': true,
      'genops.accounting.actual': reserved,
    });
    expect(error).toBeInstanceOf(Error);
    expect(span.attributes['error.type']).toBeDefined();
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({ used: reserved, reserved: 0 });
    expectGenOpsCompliant(spans());
  });
});

describe('InvokeModel (Anthropic family)', () => {
  it('InvokeModelCommand: usage from the body, exact cost', async () => {
    init();
    harness.server.enqueue({ usage: { input: 300, output: 70, cacheWrite: 100 } });
    const response = await client().send(
      new InvokeModelCommand({
        modelId: MODEL,
        contentType: 'application/json',
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 200,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      }),
    );
    expect(JSON.parse(response.body.transformToString()).content[0].text).toBe(CONTENT);
    const expectedNanos = costNanos(priceOf(MODEL), {
      inputTokens: 400,
      outputTokens: 70,
      cacheWriteInputTokens: 100,
    });
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.request.max_tokens': 200,
      'gen_ai.usage.input_tokens': 400,
      'gen_ai.usage.output_tokens': 70,
      'genops.accounting.actual': expectedNanos / 1e9,
    });
    expectGenOpsCompliant(spans());
  });

  it('InvokeModelWithResponseStreamCommand: usage from the Anthropic events', async () => {
    init();
    harness.server.enqueue({ usage: { input: 120, output: 33 } });
    const response = await client().send(
      new InvokeModelWithResponseStreamCommand({
        modelId: MODEL,
        contentType: 'application/json',
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 100,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      }),
    );
    let text = '';
    let metrics: unknown;
    for await (const event of response.body!) {
      const chunk = JSON.parse(new TextDecoder().decode(event.chunk!.bytes));
      if (chunk.type === 'content_block_delta') text += chunk.delta.text;
      if (chunk['amazon-bedrock-invocationMetrics']) metrics = chunk['amazon-bedrock-invocationMetrics'];
    }
    expect(text).toBe(CONTENT);
    expect(metrics).toMatchObject({ inputTokenCount: 120, outputTokenCount: 33 });
    const expectedNanos = costNanos(priceOf(MODEL), { inputTokens: 120, outputTokens: 33 });
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 33,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'genops.accounting.actual': expectedNanos / 1e9,
    });
    expectGenOpsCompliant(spans());
  });
});

describe('instrumentBedrock', () => {
  it('is idempotent and governs once, also with the prototype patch active', async () => {
    init();
    const governed = instrumentBedrock(instrumentBedrock(client()));
    await governed.send(new ConverseCommand({ modelId: MODEL, messages }));
    expect(spans()).toHaveLength(1);
  });

  it('governs with autoInstrument off', async () => {
    init({ autoInstrument: false });
    await client().send(new ConverseCommand({ modelId: MODEL, messages }));
    expect(spans()).toHaveLength(0);
    await instrumentBedrock(client()).send(new ConverseCommand({ modelId: MODEL, messages }));
    expect(spans()).toHaveLength(1);
  });

  it('rejects objects that are not Bedrock clients', () => {
    expect(() => instrumentBedrock({})).toThrow(TypeError);
  });
});
