import { createRequire } from 'node:module';
import Anthropic, { type APIError, APIPromise, RateLimitError } from '@anthropic-ai/sdk';
import { BudgetExceededError, PolicyViolationError } from '@genops/core';
import { costNanos } from '@genops/core/internal';
import { expectGenOpsCompliant, startFakeAnthropic } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { describe, expect, it } from 'vitest';
import { anthropicMethods, governCreate } from './govern-anthropic-call';
import { convertAnthropicUsage, instrumentAnthropic } from './index';
import { fallbackAPIPromise } from './instrument-anthropic';

// The real @anthropic-ai/sdk (1.x) against the fake Anthropic server on 127.0.0.1. Loading './index'
// registers the adapter, so GenOps.init() patches the SDK the way it does in an app.

const harness = createAdapterHarness({ server: startFakeAnthropic });
const { init, spans, onlySpan, eventNames } = harness;

function client(options: ConstructorParameters<typeof Anthropic>[0] = {}): Anthropic {
  // `openTelemetry: false`: the SDK's own call span would duplicate the GenOps span.
  return new Anthropic({
    apiKey: 'test-key',
    baseURL: harness.server.url,
    maxRetries: 0,
    openTelemetry: false,
    ...options,
  });
}

function priceOf(model: string) {
  return harness.priceOf('anthropic', model);
}

const messages = [{ role: 'user' as const, content: 'Say hello.' }];
const CONTENT = 'Hello from the fake Anthropic server.';

describe('convertAnthropicUsage', () => {
  it('adds the cache counts to input_tokens (Anthropic excludes them) and keeps raw', () => {
    const raw = {
      input_tokens: 1000,
      cache_read_input_tokens: 2000,
      cache_creation_input_tokens: 400,
      cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 100 },
      output_tokens: 500,
    };
    expect(convertAnthropicUsage(raw)).toEqual({
      inputTokens: 3400,
      outputTokens: 500,
      cacheReadInputTokens: 2000,
      cacheWriteInputTokens: 400,
      cacheWrite1hInputTokens: 100,
      raw,
    });
    expect(convertAnthropicUsage({ output_tokens: 3 })).toBeUndefined();
    expect(convertAnthropicUsage(null)).toBeUndefined();
  });
});

describe('messages.create', () => {
  it('governs a plain call: span, usage with cache read/write, exact cost, conformance', async () => {
    init({ budgets: [{ name: 'team', limit: 5, window: 'day', per: 'team' }] });
    harness.server.enqueue({
      usage: { input: 1000, output: 500, cacheRead: 2000, cacheWrite: 400, cacheWrite1h: 100 },
      model: 'claude-opus-4-8-20261015',
    });
    const message = await client().messages.create({
      model: 'claude-opus-4-8',
      system: 'Be brief.',
      messages,
      max_tokens: 600,
      stop_sequences: ['END'],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: CONTENT });
    // SDK 1.12 sends the API key as a Bearer token; the fake server accepts that or `x-api-key`.
    expect(harness.server.requests[0]?.headers.authorization).toBe('Bearer test-key');

    // claude-opus-4-8 per 1M: $5 in, $0.50 cache read, $6.25 5-minute write, $10 1-hour write, $25 out.
    // 1000 × 5 + 2000 × 0.5 + 300 × 6.25 + 100 × 10 + 500 × 25 = 5000 + 1000 + 1875 + 1000 + 12500 = 21375 µ$
    const expectedNanos = costNanos(priceOf('claude-opus-4-8'), {
      inputTokens: 3400,
      outputTokens: 500,
      cacheReadInputTokens: 2000,
      cacheWriteInputTokens: 400,
      cacheWrite1hInputTokens: 100,
    });
    expect(expectedNanos).toBe(21_375_000);

    const span = onlySpan();
    expect(span.name).toBe('chat claude-opus-4-8');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-opus-4-8',
      'gen_ai.request.max_tokens': 600,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.response.model': 'claude-opus-4-8-20261015',
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 3400,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.cache_read.input_tokens': 2000,
      'gen_ai.usage.cache_creation.input_tokens': 400,
      'server.address': '127.0.0.1',
      'server.port': harness.server.port,
      'genops.accounting.actual': 0.021375,
      'genops.policy.result': 'ALLOWED',
      'genops.team': 'platform',
    });
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expectGenOpsCompliant(spans());
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({
      per: { team: 'platform' },
      used: 0.021375,
      reserved: 0,
    });
  });

  it('returns the SDK APIPromise: withResponse() and _request_id keep working', async () => {
    init();
    const promise = client().messages.create({ model: 'claude-haiku-4-5', messages, max_tokens: 50 });
    expect(promise).toBeInstanceOf(APIPromise);
    const { data, response, request_id } = await promise.withResponse();
    expect(response.status).toBe(200);
    expect(request_id).toMatch(/^req_/);
    expect((data as { _request_id?: string | null })._request_id).toBe(request_id);
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(10);
  });

  it('records a provider error with error.type, bills nothing, and releases the reservation', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ status: 429, error: { message: 'slow down' } });
    const error = await client()
      .messages.create({ model: 'claude-haiku-4-5', messages, max_tokens: 50 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as APIError).status).toBe(429);
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'error.type': 'RateLimitError',
      'genops.accounting.actual': 0,
      'genops.execution.reason_code': 'PROVIDER_ERROR_UPSTREAM',
    });
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({ used: 0, reserved: 0 });
    expectGenOpsCompliant(spans());
  });

  it('treats SDK retries of one logical call as one governed unit', async () => {
    init();
    harness.server.enqueue({ status: 529, error: { message: 'overloaded' } }, { usage: { input: 10, output: 5 } });
    await client({ maxRetries: 1 }).messages.create(
      { model: 'claude-haiku-4-5', messages, max_tokens: 50 },
      { timeout: 5000 },
    );
    expect(harness.server.requests).toHaveLength(2);
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(5);
  });
});

describe('streaming', () => {
  it('messages.create({stream: true}): usage from message_start and message_delta, settles on the last event', async () => {
    init();
    harness.server.enqueue({ usage: { input: 100, output: 40, cacheRead: 50 }, chunks: 4 });
    const stream = await client().messages.create({
      model: 'claude-haiku-4-5',
      messages,
      max_tokens: 100,
      stream: true,
    });
    let text = '';
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(text).toBe(CONTENT);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 150,
      // message_start says output_tokens: 1; the cumulative message_delta count wins.
      'gen_ai.usage.output_tokens': 40,
      'gen_ai.usage.cache_read.input_tokens': 50,
      'gen_ai.response.finish_reasons': ['end_turn'],
      // claude-haiku-4-5: 100 × 1 + 50 × 0.1 + 40 × 5 = 305 µ$
      'genops.accounting.actual': 0.000305,
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expectGenOpsCompliant(spans());
  });

  it('messages.stream() helper: finalMessage() and one governed unit', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ usage: { input: 100, output: 40 } });
    const stream = client().messages.stream({ model: 'claude-haiku-4-5', messages, max_tokens: 100 });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(deltas.join('')).toBe(CONTENT);
    expect(message.usage.output_tokens).toBe(40);
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 40,
      'genops.accounting.actual': 0.0003, // 100 × 1 + 40 × 5
    });
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({ used: 0.0003, reserved: 0 });
    expectGenOpsCompliant(spans());
  });

  it('an aborted stream settles from the reservation, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ chunks: 8, chunkDelayMs: 20 });
    const stream = await client().messages.create({
      model: 'claude-haiku-4-5',
      messages,
      max_tokens: 50,
      stream: true,
    });
    let received = 0;
    for await (const _ of stream) {
      received++;
      stream.controller.abort();
    }
    expect(received).toBe(1);
    const span = onlySpan();
    const reserved = span.attributes['genops.accounting.reserved'] as number;
    expect(reserved).toBeGreaterThan(0);
    expect(span.attributes).toMatchObject({
      'genops.accounting.incomplete': true,
      'genops.accounting.actual': reserved,
    });
    expect(eventNames(span)).toContain('genops.budget.reconciliation');
    const status = await harness.genops!.status();
    expect(status.openReservations).toBe(0);
    expect(status.budgets[0]).toMatchObject({ used: reserved, reserved: 0 });
    expectGenOpsCompliant(spans());
  });

  it('an early break settles from the reservation, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ chunks: 6, chunkDelayMs: 5 });
    const stream = await client().messages.create({
      model: 'claude-haiku-4-5',
      messages,
      max_tokens: 50,
      stream: true,
    });
    for await (const event of stream) {
      if (event.type === 'content_block_delta') break;
    }
    const span = onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    expect((await harness.genops!.status()).openReservations).toBe(0);
  });
});

describe('denials stop the request before it reaches the provider', () => {
  it('budget: BudgetExceededError, nothing sent, span BLOCKED', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.001, window: 'day' }] });
    const error = await client()
      .messages.create({ model: 'claude-opus-4-8', messages, max_tokens: 1000 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    // What the SDK itself makes of an HTTP 402 (egress answers so): final to its helper loops' `isFatal4xx`.
    expect(error).toBeInstanceOf(Anthropic.PaymentRequiredError);
    expect((error as BudgetExceededError).status).toBe(402);
    expect((error as BudgetExceededError).budget).toBe('tiny');
    expect(harness.server.requests).toHaveLength(0);
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'BUDGET_EXCEEDED',
    });
    expectGenOpsCompliant(spans());
  });

  it('policy: PolicyViolationError for a denied model, nothing sent (create and stream helper)', async () => {
    init({ policies: { allowModels: ['claude-haiku-*'] } });
    await expect(
      client().messages.create({ model: 'claude-opus-4-8', messages, max_tokens: 10 }),
    ).rejects.toBeInstanceOf(PolicyViolationError);
    // The SDK's MessageStream passes its own errors through (it wraps any other in an AnthropicError):
    // the denial is the SDK's 403 error, as with egress, and still the GenOps error.
    const streamError = await client()
      .messages.stream({ model: 'claude-opus-4-8', messages, max_tokens: 10 })
      .finalMessage()
      .catch((caught: unknown) => caught);
    expect(streamError).toBeInstanceOf(PolicyViolationError);
    expect(streamError).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(harness.server.requests).toHaveLength(0);
    expectGenOpsCompliant(spans());
  });

  it('content redaction rewrites system and messages before they leave the process', async () => {
    init({ policy: { version: 1, rules: [{ name: 'r', type: 'content', detect: ['email'], action: 'redact' }] } });
    const system = [{ type: 'text' as const, text: 'Escalate to ops@example.com.' }];
    await client().messages.create({
      model: 'claude-haiku-4-5',
      system,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'I am jane@example.org' }] }],
      max_tokens: 50,
    });
    const body = harness.server.requests[0]!.body;
    expect(harness.server.requests[0]!.rawBody).not.toContain('example.');
    expect(body.system[0].text).toBe('Escalate to [REDACTED:email].');
    expect(body.messages[0].content[0].text).toBe('I am [REDACTED:email]');
    expect(system[0]!.text).toContain('ops@example.com');
  });
});

describe('output content rules', () => {
  it('stop a stream whose output carries a secret, before that event reaches the caller', async () => {
    init({
      policy: { version: 1, rules: [{ name: 'no-keys-out', type: 'content', detect: ['secret'], scope: 'output' }] },
    });
    const key = 'AKIAIOSFODNN7EXAMPLF';
    harness.server.enqueue({ content: `Sure. The access key is ${key} and that is all.`, chunks: 4 });
    const stream = await client().messages.create({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'What is the key?' }],
      max_tokens: 50,
      stream: true,
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') seen.push(event.delta.text);
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect(seen.join('')).not.toContain(key);
    expect(onlySpan().attributes).toMatchObject({
      'genops.execution.reason_code': 'POLICY_DENY_CONTENT',
      'error.type': 'PolicyViolationError',
    });
  });
});

describe('hooking', () => {
  it('instrumentAnthropic(client) is idempotent and governs once', async () => {
    init();
    const governed = instrumentAnthropic(client());
    expect(instrumentAnthropic(governed)).toBe(governed);
    await governed.messages.create({ model: 'claude-haiku-4-5', messages, max_tokens: 10 });
    expect(spans()).toHaveLength(1);
  });

  it('patches the CommonJS build too (require and import are separate module graphs)', async () => {
    init();
    const require = createRequire(import.meta.url);
    const { Anthropic: RequiredAnthropic } = require('@anthropic-ai/sdk') as typeof import('@anthropic-ai/sdk');
    expect(RequiredAnthropic.Messages).not.toBe(Anthropic.Messages);
    const required = new RequiredAnthropic({
      apiKey: 'test-key',
      baseURL: harness.server.url,
      maxRetries: 0,
      openTelemetry: false,
    });
    await required.messages.create({ model: 'claude-haiku-4-5', messages, max_tokens: 10 });
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(10);
  });

  it('works with the stand-in APIPromise used when a bundler inlined the SDK', async () => {
    init();
    const bundled = client();
    bundled.messages.create = governCreate(
      anthropicMethods.unwrap(bundled.messages.create),
      fallbackAPIPromise,
    ) as never;
    const { data, request_id } = await (
      bundled.messages.create({ model: 'claude-haiku-4-5', messages, max_tokens: 10 }) as unknown as {
        withResponse(): Promise<{ data: { _request_id?: string }; request_id: string | null }>;
      }
    ).withResponse();
    expect(request_id).toMatch(/^req_/);
    expect(data._request_id).toBe(request_id);
    const message = await bundled.messages
      .stream({ model: 'claude-haiku-4-5', messages, max_tokens: 10 })
      .finalMessage();
    expect(message.content[0]).toMatchObject({ text: CONTENT });
    expect(spans().map((span) => span.attributes['gen_ai.usage.output_tokens'])).toEqual([10, 10]);
  });

  it('rejects objects that are not Anthropic clients', () => {
    expect(() => instrumentAnthropic({})).toThrow(TypeError);
  });

  it("records one span per call: the SDK's own call span is left out while GenOps governs it", async () => {
    init();
    // What an app with the OpenTelemetry Node SDK has: a global tracer provider and context manager.
    trace.setGlobalTracerProvider(harness.telemetry.tracerProvider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      await client({ openTelemetry: undefined }).messages.create({
        model: 'claude-haiku-4-5',
        messages,
        max_tokens: 10,
      });
    } finally {
      trace.disable();
      context.disable();
    }
    const all = spans();
    expect(all.map((span) => `${span.instrumentationScope.name}: ${span.name}`)).toEqual([
      '@genops/core: chat claude-haiku-4-5',
    ]);
    expectGenOpsCompliant(all);
  });

  it('leaves the SDK its own span when GenOps is not running, and on the same client after a governed call', async () => {
    trace.setGlobalTracerProvider(harness.telemetry.tracerProvider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const sdkClient = client({ openTelemetry: undefined });
    try {
      init();
      await sdkClient.messages.create({ model: 'claude-haiku-4-5', messages, max_tokens: 10 });
      await harness.shutdown();
      await sdkClient.messages.create({ model: 'claude-haiku-4-5', messages, max_tokens: 10 });
    } finally {
      trace.disable();
      context.disable();
    }
    expect(spans().map((span) => span.instrumentationScope.name)).toEqual([
      '@genops/core',
      'com.anthropic.sdk.typescript',
    ]);
  });

  it('passes calls through unchanged when GenOps is not running', async () => {
    await client().messages.create({ model: 'claude-haiku-4-5', messages, max_tokens: 10 });
    expect(harness.server.requests).toHaveLength(1);
    expect(spans()).toHaveLength(0);
  });
});
