import '@genops/provider-openai';
import {
  ApprovalDeniedError,
  BudgetExceededError,
  PolicyViolationError,
  RateLimitedError,
  ReservationFailedError,
} from '@genops/core';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { AsyncCaller } from '@langchain/core/utils/async_caller';
import { ChatOpenAI } from '@langchain/openai';
import { describe, expect, it } from 'vitest';

// ChatOpenAI governed only through the patched openai SDK (`@genops/provider-openai`, no callback
// handler), with LangChain's default retry policy (AsyncCaller, 6 retries with backoff). A GenOps denial
// must reach the caller after one attempt: one BLOCKED decision, no request to the server.

const harness = createAdapterHarness({
  server: startFakeOpenAI,
  defaults: { team: 'platform', project: 'langchain-denials', environment: 'test' },
});

/** LangChain's own defaults: `maxRetries` unset (6), the openai client underneath with its own retries off. */
function chatOpenAI(): ChatOpenAI {
  return new ChatOpenAI({
    model: 'gpt-4o',
    apiKey: 'x',
    maxTokens: 100,
    configuration: { baseURL: harness.server.url },
  });
}

describe('a GenOps denial is final to LangChain (ChatOpenAI through the patched openai SDK)', () => {
  it('a policy denial: one BLOCKED decision, no retry, PolicyViolationError (403) to the caller', async () => {
    harness.init({ policies: { denyModels: ['gpt-4o'] } });
    const model = chatOpenAI();
    // LangChain's default: up to 6 retries (`maxRetries` is protected on AsyncCaller).
    expect((model.caller as unknown as { maxRetries: number }).maxRetries).toBe(6);
    const error = await model.invoke('Hello').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect(error).toMatchObject({ status: 403, isRetryable: false });
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
    expect(harness.server.requests).toHaveLength(0);
    const audited = (await harness.auditRecords()).filter((record) => record.type === 'decision');
    expect(audited).toHaveLength(1);
  });

  it('a budget denial: one BLOCKED decision, no retry, BudgetExceededError (402) to the caller', async () => {
    harness.init({
      policy: { version: 1, rules: [], budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] },
    });
    const error = await chatOpenAI()
      .invoke('Hello')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({ status: 402, isRetryable: false });
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('a denied stream: one BLOCKED decision, no retry', async () => {
    harness.init({ policies: { denyModels: ['gpt-4o'] } });
    const consume = async () => {
      for await (const _chunk of await chatOpenAI().stream('Hello')) {
        // nothing arrives
      }
    };
    await expect(consume()).rejects.toBeInstanceOf(PolicyViolationError);
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['BLOCKED']);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('a rate limit whose window is longer than LangChain waits for (60 s): one RATE_LIMITED decision, no retry', async () => {
    harness.init({
      policy: { version: 1, rules: [{ name: 'rph', type: 'rate_limit', limit: 1, window: 'hour' }] },
    });
    harness.server.enqueue({ content: 'first' });
    expect((await chatOpenAI().invoke('Hello')).content).toBe('first');
    const error = await chatOpenAI()
      .invoke('Hello again')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ status: 429, retryAfter: 3600, headers: { 'retry-after': '3600' } });
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['ALLOWED', 'RATE_LIMITED']);
    expect(harness.server.requests).toHaveLength(1);
  });
});

// BudgetExceededError goes through the same AsyncCaller in the ChatOpenAI budget test above.
describe("LangChain's AsyncCaller (default failed-attempt handler) on each denial", () => {
  const denials = [
    new PolicyViolationError({ rule: 'denyModels', reasonCode: 'POLICY_DENY_MODEL', message: 'denied' }),
    new ApprovalDeniedError({ approvalId: 'a', message: 'denied' }),
    new ReservationFailedError({ message: 'no price' }),
    new RateLimitedError({
      rule: 'r',
      limitKey: 'rate:r||rolling',
      limit: 1,
      unit: 'requests',
      windowMs: 0,
      message: 'x',
    }),
  ];

  it.each(denials.map((error) => [error.name, error] as const))(
    '%s is thrown after one attempt',
    async (_name, denial) => {
      let attempts = 0;
      const caller = new AsyncCaller({ maxRetries: 6 });
      await expect(
        caller.call(async () => {
          attempts += 1;
          throw denial;
        }),
      ).rejects.toBe(denial);
      expect(attempts).toBe(1);
    },
  );
});
