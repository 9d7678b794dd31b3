import { BudgetExceededError, GenOpsError, PolicyViolationError, RateLimitedError } from '@genops/core';
import { expectGenOpsCompliant, startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import './index';

// Issue-3 governance through the real openai SDK against the fake server: what the server receives is
// the proof (redaction, downgrade), and denied calls never reach it.

const harness = createAdapterHarness({ server: startFakeOpenAI });
const { init, lastSpan } = harness;

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

const PII = 'Refund order ORD-2024-000123 to card 4111 1111 1111 1111; confirm to jane.doe@example.com.';

describe('content redaction', () => {
  it('rewrites the request before it leaves the process: the server never receives the values', async () => {
    init({
      policy: {
        version: 1,
        rules: [{ name: 'redact-pii', type: 'content', detect: ['email', 'payment_card'], action: 'redact' }],
      },
    });
    const messages = [
      { role: 'system' as const, content: 'Support agent. Escalations go to ops@example.com.' },
      { role: 'user' as const, content: [{ type: 'text' as const, text: PII }] },
    ];
    await client().chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 });
    const raw = harness.server.requests[0]!.rawBody;
    expect(raw).not.toContain('example.com');
    expect(raw).not.toContain('4111');
    expect(harness.server.requests[0]!.body.messages).toEqual([
      { role: 'system', content: 'Support agent. Escalations go to [REDACTED:email].' },
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text: 'Refund order ORD-2024-000123 to card [REDACTED:payment_card]; confirm to [REDACTED:email].',
          },
        ],
      },
    ]);
    // The caller's objects are untouched.
    expect(messages[0]!.content).toContain('ops@example.com');
    const span = lastSpan();
    expect(span.attributes).toMatchObject({
      'genops.content.redactions': ['email:2', 'payment_card:1'],
      'genops.content.redacted_count': 3,
      'genops.policy.result': 'WARNING',
      'genops.policy.reason_code': 'POLICY_DENY_CONTENT',
      'genops.policy.name': 'redact-pii',
    });
    expect(JSON.stringify(span.attributes)).not.toContain('example.com');
    expectGenOpsCompliant([span]);
  });

  it('covers the Responses API input and instructions, and embeddings input', async () => {
    init({ policy: { version: 1, rules: [{ name: 'r', type: 'content', detect: ['email'], action: 'redact' }] } });
    await client().responses.create({
      model: 'gpt-4o',
      instructions: 'Reply to a@example.com',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'I am b@example.org' }] }],
      max_output_tokens: 50,
    });
    await client().embeddings.create({ model: 'text-embedding-3-small', input: ['c@example.net', 'plain'] });
    const [responses, embeddings] = harness.server.requests;
    expect(responses!.body.instructions).toBe('Reply to [REDACTED:email]');
    expect(responses!.body.input[0].content[0].text).toBe('I am [REDACTED:email]');
    expect(embeddings!.body.input).toEqual(['[REDACTED:email]', 'plain']);
  });

  it('a deny rule stops the call before it reaches the server', async () => {
    init({ policy: { version: 1, rules: [{ name: 'no-cards', type: 'content', detect: ['payment_card'] }] } });
    const error = await client()
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: PII }], max_tokens: 50 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    // The SDK's own error for a 403, as when egress answers the denial: final to the SDK's helper loops.
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as PolicyViolationError).status).toBe(403);
    expect((error as PolicyViolationError).rule).toBe('no-cards');
    expect((error as Error).message).toContain('1 payment_card');
    expect((error as Error).message).not.toContain('4111');
    expect(harness.server.requests).toHaveLength(0);
  });
});

describe('budget downgrade', () => {
  it('sends the call to the cheaper model when the budget has no room for the expensive one', async () => {
    init({
      budgets: [
        {
          name: 'premium',
          limit: 0.0004,
          window: 'day',
          match: { model: 'gpt-4o' },
          action: 'downgrade',
          downgradeTo: 'gpt-4o-mini',
        },
      ],
    });
    // gpt-4o worst case for this request is well over $0.0004.
    await client().chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 100,
    });
    expect(harness.server.requests[0]!.body.model).toBe('gpt-4o-mini');
    const span = lastSpan();
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.attributes).toMatchObject({
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini',
      'genops.downgrade.original_model': 'gpt-4o',
    });
    expectGenOpsCompliant([span]);
  });

  it('a block budget never reaches the server', async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.0001, window: 'day' }] });
    await expect(
      client().chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 100,
      }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests).toHaveLength(0);
  });

  it("the refusal is also the SDK's own APIError with status 402, and still every bit the GenOps error", async () => {
    init({ budgets: [{ name: 'tiny', limit: 0.0001, window: 'day' }] });
    const error = (await client()
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100 })
      .catch((caught: unknown) => caught)) as BudgetExceededError;
    // What the SDK makes of an HTTP 402 (egress answers the denial so): its helpers' status checks stop on it.
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).not.toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.status).toBe(402);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toBeInstanceOf(GenOpsError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(RateLimitedError);
    expect(BudgetExceededError.isInstance(error)).toBe(true);
    expect(error.constructor).toBe(BudgetExceededError);
    expect(error.name).toBe('BudgetExceededError');
    expect(error.message).toMatch(/^Budget "tiny" \(tiny\|\|\d{4}-\d{2}-\d{2}\) would be exceeded: /);
    expect(error.stack).toContain(error.message);
    expect(String(error)).toBe(`BudgetExceededError: ${error.message}`);
    expect(error).toMatchObject({
      result: 'BLOCKED',
      reasonCode: 'BUDGET_EXCEEDED',
      isRetryable: false,
      budget: 'tiny',
      limit: 0.0001,
      used: 0,
      unit: 'USD',
    });
    expect(error.requested).toBeGreaterThan(0.0001);
    expect({ ...error.headers }).toEqual({});
    expect((error.headers as unknown as Headers).get('retry-after')).toBeNull();
    const span = lastSpan();
    expect(error.spanContext).toEqual({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
    expect(span.attributes['genops.policy.result']).toBe('BLOCKED');
    expect(span.attributes['error.type']).toBe('BudgetExceededError');
  });
});

describe('rate limits', () => {
  it('the call over the limit is rate-limited before it reaches the server', async () => {
    init({ policy: { version: 1, rules: [{ name: 'rpm', type: 'rate_limit', limit: 2, window: 'minute' }] } });
    const ask = () =>
      client().chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 10,
      });
    await ask();
    await ask();
    const error = (await ask().catch((caught: unknown) => caught)) as RateLimitedError;
    expect(error).toBeInstanceOf(RateLimitedError);
    // The SDK's own 429 error, its retry-after where a retry layer reads it (a record, and `get()`).
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.status).toBe(429);
    const retryAfter = error.headers['retry-after'];
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect((error.headers as unknown as Headers).get('Retry-After')).toBe(retryAfter);
    expect(harness.server.requests).toHaveLength(2);
    expect(lastSpan().attributes['genops.policy.result']).toBe('RATE_LIMITED');
    expectGenOpsCompliant(harness.telemetry.spans() as ReadableSpan[]);
  });
});

describe('output content rules', () => {
  it('stop a stream whose output carries a secret, before that chunk reaches the caller', async () => {
    init({
      policy: { version: 1, rules: [{ name: 'no-keys-out', type: 'content', detect: ['secret'], scope: 'output' }] },
    });
    const key = 'AKIAIOSFODNN7EXAMPLF';
    harness.server.enqueue({ content: `Sure. The access key is ${key} and that is all.`, chunks: 4 });
    const stream = await client().chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'What is the key?' }],
      max_tokens: 50,
      stream: true,
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta?.content ?? '');
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect(seen.join('')).not.toContain(key);
    expect(lastSpan().attributes).toMatchObject({
      'genops.execution.reason_code': 'POLICY_DENY_CONTENT',
      'error.type': 'PolicyViolationError',
    });
  });
});
