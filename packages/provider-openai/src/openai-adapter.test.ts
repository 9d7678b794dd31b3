import { BudgetExceededError, PolicyViolationError, withAttribution } from '@genops/core';
import { createTestTelemetry, expectGenOpsCompliant, startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI, { APIError, APIPromise } from 'openai';
import { Stream } from 'openai/core/streaming';
import { describe, expect, it } from 'vitest';
import { describeOpenAIRequest, instrumentOpenAI } from './index';

// The real openai SDK (7.x) against the fake OpenAI server on 127.0.0.1. Loading './index' registers
// the adapter, so GenOps.init() patches the SDK the way it does in an app.

const harness = createAdapterHarness({ server: startFakeOpenAI });
const { init, spans, onlySpan, eventNames } = harness;

function client(options: ConstructorParameters<typeof OpenAI>[0] = {}): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0, ...options });
}

const messages = [{ role: 'user' as const, content: 'Say hello.' }];

describe('chat.completions.create', () => {
  it('governs a plain call: span, usage, exact cost, conformance', async () => {
    init({ budgets: [{ name: 'team', limit: 5, window: 'day', per: 'team' }] });
    // gpt-4o-mini: $0.15 in, $0.075 cached in, $0.60 out per 1M
    harness.server.enqueue({
      usage: { input: 1000, output: 500, cachedInput: 200, reasoning: 100 },
      model: 'gpt-4o-mini-2024-07-18',
    });
    const completion = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      max_tokens: 600,
      temperature: 0.2,
    });
    expect(completion.choices[0]?.message.content).toBe('Hello from the fake OpenAI server.');

    const span = onlySpan();
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 600,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
      'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.reasoning.output_tokens': 100,
      'server.address': '127.0.0.1',
      'server.port': harness.server.port,
      // 800 × 0.15 + 200 × 0.075 + 500 × 0.6 = 120 + 15 + 300 = 435 µ$
      'genops.accounting.actual': 0.000435,
      'genops.policy.result': 'ALLOWED',
      'genops.team': 'platform',
    });
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expectGenOpsCompliant(spans());
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({
      per: { team: 'platform' },
      used: 0.000435,
      reserved: 0,
    });
  });

  it('returns the SDK APIPromise: withResponse() and _request_id keep working', async () => {
    init();
    const promise = client().chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 50 });
    expect(promise).toBeInstanceOf(APIPromise);
    const { data, response, request_id } = await promise.withResponse();
    expect(response.status).toBe(200);
    expect(request_id).toBeTruthy();
    expect((data as { _request_id?: string | null })._request_id).toBe(request_id);
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(10);
  });

  it('parse() and _thenUnwrap() build on the governed APIPromise: each is one governed call, settled with its usage', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    const parsed = await client().chat.completions.parse({ model: 'gpt-4o-mini', messages, max_tokens: 50 });
    expect(parsed.choices[0]?.message.content).toBe('Hello from the fake OpenAI server.');
    expect(parsed._request_id).toBeTruthy();
    const created = client().chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 50 });
    const unwrapped = created._thenUnwrap((completion) => ({ id: completion.id, usage: completion.usage }));
    expect(unwrapped).toBeInstanceOf(APIPromise);
    expect((await unwrapped).usage?.completion_tokens).toBe(10);
    expect(harness.server.requests).toHaveLength(2);
    const calls = spans();
    expect(calls).toHaveLength(2);
    for (const span of calls) {
      expect(span.attributes['gen_ai.usage.output_tokens']).toBe(10);
      expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    }
    expect((await harness.genops!.status()).budgets[0]?.reserved).toBe(0);
  });

  it('streams: adds include_usage, hides the extra usage chunk, keeps the SDK Stream, settles on the last chunk', async () => {
    init();
    harness.server.enqueue({ usage: { input: 100, output: 40 }, chunks: 4 });
    const stream = await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 100, stream: true });
    expect(stream).toBeInstanceOf(Stream);
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(harness.server.requests[0]?.body.stream_options).toEqual({ include_usage: true });
    expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      'Hello from the fake OpenAI server.',
    );
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 40,
      'genops.accounting.actual': 0.00065, // 100 × 2.5 + 40 × 10
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expectGenOpsCompliant(spans());
  });

  it('streams: a caller that asked for usage sees the usage chunk', async () => {
    init();
    const stream = await client().chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
      max_tokens: 50,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 10 });
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(10);
  });

  it('streams: tee() branches both read the stream, and the call settles once', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    const stream = await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50, stream: true });
    const [left, right] = stream.tee();
    const read = async (branch: typeof left) => {
      let text = '';
      for await (const chunk of branch) text += chunk.choices[0]?.delta?.content ?? '';
      return text;
    };
    const [a, b] = await Promise.all([read(left), read(right)]);
    expect(a).toBe('Hello from the fake OpenAI server.');
    expect(b).toBe(a);
    expect(onlySpan().attributes['genops.accounting.actual']).toBe(0.00015);
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({ used: 0.00015, reserved: 0 });
  });

  it('streams: an early break settles from the reservation, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ chunks: 6, chunkDelayMs: 5 });
    const stream = await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50, stream: true });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) break;
    }
    const span = onlySpan();
    const reserved = span.attributes['genops.accounting.reserved'] as number;
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

  it('streams: abort() through the SDK controller still settles', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ chunks: 8, chunkDelayMs: 20 });
    const stream = await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50, stream: true });
    let received = 0;
    // The SDK ends an aborted stream quietly (no error): the caller just stops receiving chunks.
    for await (const _ of stream) {
      received++;
      stream.controller.abort();
    }
    expect(received).toBe(1);
    const span = onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    expect((await harness.genops!.status()).openReservations).toBe(0);
  });

  it('streams: a connection broken mid-stream surfaces the SDK error and settles, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ breakAfterChunks: 2, chunks: 6 });
    const stream = await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50, stream: true });
    await expect(
      (async () => {
        for await (const _ of stream) {
          // read until it breaks
        }
      })(),
    ).rejects.toThrow();
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'genops.accounting.incomplete': true,
      'genops.execution.reason_code': 'PROVIDER_ERROR_UPSTREAM',
    });
    expect(span.attributes['error.type']).toBeTruthy();
    expect((await harness.genops!.status()).openReservations).toBe(0);
    expectGenOpsCompliant(spans());
  });

  it('settles a usage-less response from the reservation, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ usage: null });
    await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 });
    const span = onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    expectGenOpsCompliant(spans());
  });

  it('settles a malformed 200 response from the reservation; the caller sees the parse error', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ malformed: true });
    await expect(client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 })).rejects.toThrow(
      SyntaxError,
    );
    const span = onlySpan();
    expect(span.attributes).toMatchObject({ 'genops.accounting.incomplete': true, 'error.type': 'SyntaxError' });
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({
      used: span.attributes['genops.accounting.actual'],
      reserved: 0,
    });
  });

  it('treats SDK retries of one logical call as one governed unit', async () => {
    init();
    harness.server.enqueue(
      { status: 500, error: { message: 'boom' } },
      { status: 500, error: { message: 'boom' } },
      { usage: { input: 10, output: 5 } },
    );
    await client({ maxRetries: 2 }).chat.completions.create(
      { model: 'gpt-4o', messages, max_tokens: 50 },
      { timeout: 5000 },
    );
    expect(harness.server.requests).toHaveLength(3);
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(5);
  });

  it('records a provider error with error.type, bills nothing, and releases the reservation', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    harness.server.enqueue({ status: 429, error: { message: 'slow down', type: 'rate_limit_error' } });
    const error = await client()
      .chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
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

  it('records prompt content only when captureContent is on', async () => {
    init({ captureContent: true });
    await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 });
    const span = onlySpan();
    expect(JSON.parse(span.attributes['gen_ai.input.messages'] as string)).toEqual(messages);
    expect(span.attributes['gen_ai.output.messages']).toContain('Hello from the fake OpenAI server.');
  });
});

describe('denials stop the request before it reaches the provider', () => {
  it('budget: BudgetExceededError, nothing sent, span BLOCKED without reconciliation', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.001, window: 'day' }] });
    const error = await client()
      .chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 1000 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'BUDGET_EXCEEDED',
    });
    expect(eventNames(span)).toEqual(['genops.policy.evaluated']);
    expectGenOpsCompliant(spans());
  });

  it('policy: PolicyViolationError, nothing sent', async () => {
    init({ policies: { allowModels: ['gpt-4o-mini'] } });
    await expect(
      client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 10 }),
    ).rejects.toBeInstanceOf(PolicyViolationError);
    await expect(client().embeddings.create({ model: 'text-embedding-3-small', input: 'x' })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    expect(harness.server.requests).toHaveLength(0);
    expectGenOpsCompliant(spans());
  });

  it('approval: held, approved, then sent', async () => {
    const asked: string[] = [];
    init({
      requireApprovalOver: 0.1,
      approver: (request) => {
        asked.push(`${request.request.model} ${request.estimatedCost.toFixed(4)}`);
        expect(harness.server.requests).toHaveLength(0);
        return true;
      },
    });
    await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 20_000 }); // 20 000 × $10/1M = $0.20 + input
    expect(asked).toEqual([expect.stringMatching(/^gpt-4o 0\.20\d+$/)]);
    expect(harness.server.requests).toHaveLength(1);
    expect(onlySpan().attributes['genops.approval.status']).toBe('approved');
  });

  it('never commits more than a $1 budget across 200 concurrent calls, and settles every reservation', async () => {
    init({ budgets: [{ name: 'one-dollar', limit: 1, window: 'total' }] });
    // Worst case per call ≈ (input bytes) × $2.5 + 1000 × $10 per 1M ≈ $0.0102; actual 20 × 2.5 + 10 × 10 = 150 µ$,
    // so settled calls free room for later ones, while concurrent reservations cap how many run at once.
    const openai = client();
    harness.server.enqueue(...Array.from({ length: 200 }, () => ({ delayMs: 5 })));
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () =>
        openai.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 1000 }),
      ),
    );
    const allowed = results.filter((result) => result.status === 'fulfilled').length;
    const blocked = results.filter((result) => result.status === 'rejected');
    expect(blocked.length).toBeGreaterThan(0);
    for (const result of blocked) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(allowed);
    const status = await harness.genops!.status();
    expect(status.openReservations).toBe(0);
    expect(status.budgets[0]).toMatchObject({ reserved: 0 });
    expect(Math.round(status.budgets[0]!.used * 1e6)).toBe(allowed * 150);
    expect(status.budgets[0]!.used).toBeLessThanOrEqual(1);
    expect(spans()).toHaveLength(200);
    expectGenOpsCompliant(spans());
  });
});

describe('responses.create', () => {
  it('governs a plain call with reasoning and cached tokens', async () => {
    init();
    // o4-mini: $1.10 in, $0.275 cached, $4.40 out per 1M
    harness.server.enqueue({ usage: { input: 2000, output: 1000, cachedInput: 1000, reasoning: 600 } });
    const response = await client().responses.create({
      model: 'o4-mini',
      input: 'Think, then say hello.',
      max_output_tokens: 2000,
    });
    expect(response.output_text).toBe('Hello from the fake OpenAI server.');
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.max_tokens': 2000,
      'gen_ai.usage.input_tokens': 2000,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.reasoning.output_tokens': 600,
      'gen_ai.response.finish_reasons': ['completed'],
      // 1000 × 1.1 + 1000 × 0.275 + 1000 × 4.4 = 1100 + 275 + 4400 = 5775 µ$
      'genops.accounting.actual': 0.005775,
    });
    expectGenOpsCompliant(spans());
  });

  it('streams: usage from response.completed', async () => {
    init();
    harness.server.enqueue({ usage: { input: 300, output: 120 } });
    const stream = await client().responses.create({
      model: 'gpt-4o',
      input: 'hi',
      stream: true,
      max_output_tokens: 500,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('response.completed');
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 300,
      'gen_ai.usage.output_tokens': 120,
      'genops.accounting.actual': 0.00195,
    });
    expect(harness.server.requests[0]?.body.stream_options).toBeUndefined();
    expectGenOpsCompliant(spans());
  });
});

describe('embeddings.create and completions.create', () => {
  it('governs embeddings: input tokens only', async () => {
    init();
    harness.server.enqueue({ usage: { input: 5000, output: 0 } });
    const result = await client().embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(result.data).toHaveLength(2);
    expect(Array.isArray(result.data[0]?.embedding)).toBe(true);
    const span = onlySpan();
    expect(span.name).toBe('embeddings text-embedding-3-small');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'genops.operation.type': 'embedding',
      'gen_ai.usage.input_tokens': 5000,
      'genops.accounting.actual': 0.0001, // 5000 × $0.02/1M
    });
    expect(span.attributes['gen_ai.request.max_tokens']).toBeUndefined();
    expectGenOpsCompliant(spans());
  });

  it('governs legacy completions, plain and streamed', async () => {
    init();
    await client().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello', max_tokens: 20 });
    const stream = await client().completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Say hello',
      max_tokens: 20,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('Hello from the fake OpenAI server.');
    expect(harness.server.requests[1]?.body.stream_options).toEqual({ include_usage: true });
    const [plain, streamed] = spans();
    expect(plain?.name).toBe('text_completion gpt-3.5-turbo-instruct');
    // gpt-3.5-turbo-instruct: $1.50 in, $2.00 out: 20 × 1.5 + 10 × 2 = 50 µ$
    expect(plain?.attributes['genops.accounting.actual']).toBe(0.00005);
    expect(streamed?.attributes['genops.accounting.actual']).toBe(0.00005);
    expectGenOpsCompliant(spans());
  });
});

describe('hooking', () => {
  it('governs clients created before GenOps.init()', async () => {
    const early = client();
    init();
    await early.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 10 });
    expect(spans()).toHaveLength(1);
  });

  it('stops governing after shutdown()', async () => {
    init();
    await harness.shutdown();
    await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 10 });
    expect(spans()).toHaveLength(0);
  });

  it('autoInstrument: false leaves the SDK alone; instrumentOpenAI(client) governs that client', async () => {
    init({ autoInstrument: false });
    await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 10 });
    expect(spans()).toHaveLength(0);
    const explicit = instrumentOpenAI(client());
    await withAttribution({ team: 'explicit' }, () =>
      explicit.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 10 }),
    );
    expect(onlySpan().attributes['genops.team']).toBe('explicit');
  });

  it('a client both patched automatically and instrumented explicitly is governed once', async () => {
    init();
    const both = instrumentOpenAI(client());
    await both.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 10 });
    expect(spans()).toHaveLength(1);
  });

  it('asResponse(): the caller reads the body, so the call settles from its reservation, flagged incomplete', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    const response = await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 }).asResponse();
    expect((await response.json()).usage.prompt_tokens).toBe(20);
    await new Promise((resolve) => setImmediate(resolve));
    const span = onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect((await harness.genops!.status()).budgets[0]).toMatchObject({
      used: span.attributes['genops.accounting.actual'],
      reserved: 0,
    });
  });

  it('recognises Azure OpenAI from the base URL and prices it at OpenAI list prices', () => {
    const genopsHandle = init();
    const request = describeOpenAIRequest(
      'chat.completions.create',
      { model: 'gpt-4o', messages },
      'https://contoso.openai.azure.com/openai',
    );
    expect(request.provider).toBe('azure.ai.openai');
    expect(genopsHandle.governor.priceOf(request.provider, request.model)?.model).toBe('gpt-4o');
  });

  it('instrumentOpenAI rejects something that is not an OpenAI client', () => {
    expect(() => instrumentOpenAI({})).toThrow(/created by the `openai` package/);
  });

  it('emits the GenAI metrics with semconv buckets, and cost and decision counters', async () => {
    const telemetry = createTestTelemetry(); // fresh counters for this test
    init({ policies: { denyModels: ['gpt-3.5-turbo'] }, meterProvider: telemetry.meterProvider });
    await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 10 });
    await client()
      .chat.completions.create({ model: 'gpt-3.5-turbo', messages, max_tokens: 10 })
      .catch(() => undefined);
    const duration = await telemetry.findMetric('gen_ai.client.operation.duration');
    expect(duration?.descriptor.unit).toBe('s');
    const point = duration?.dataPoints[0] as
      | { value: { buckets: { boundaries: number[] }; count: number } }
      | undefined;
    expect(point?.value.count).toBe(1);
    expect(point?.value.buckets.boundaries).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);
    const tokens = await telemetry.findMetric('gen_ai.client.token.usage');
    const byType = Object.fromEntries(
      (tokens?.dataPoints ?? []).map((data) => [
        data.attributes['gen_ai.token.type'],
        (data.value as { sum: number }).sum,
      ]),
    );
    expect(byType).toEqual({ input: 20, output: 10 });
    const decisions = await telemetry.findMetric('genops.policy.decisions');
    const results = (decisions?.dataPoints ?? []).map((data) => [data.attributes['genops.policy.result'], data.value]);
    expect(results).toEqual(
      expect.arrayContaining([
        ['ALLOWED', 1],
        ['BLOCKED', 1],
      ]),
    );
    const cost = await telemetry.findMetric('genops.cost');
    expect((cost?.dataPoints[0]?.value as number) * 1e6).toBeCloseTo(150, 6);
    await telemetry.shutdown();
  });
});
