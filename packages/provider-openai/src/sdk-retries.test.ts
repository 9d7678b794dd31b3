import { BudgetExceededError, PolicyViolationError } from '@genops/core';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import './index';

// The openai SDK retries inside `create` (its `maxRetries` loop around each HTTP attempt). A GenOps
// denial is decided before that loop starts, so the SDK never retries it, whatever `maxRetries` is; a
// provider error the SDK does retry stays one governed unit.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 5 });
}

const messages = [{ role: 'user' as const, content: 'Hello' }];

describe("the openai SDK's own retries (maxRetries: 5)", () => {
  it('a policy denial: one BLOCKED decision, no request, for create, stream and the .stream() helper', async () => {
    harness.init({ policies: { denyModels: ['gpt-4o'] } });
    await expect(client().chat.completions.create({ model: 'gpt-4o', messages })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    await expect(client().chat.completions.create({ model: 'gpt-4o', messages, stream: true })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    // The `.stream()` helper passes the SDK's own errors through (it wraps any other in an OpenAIError):
    // the denial is the SDK's 403 error, as with egress, and still the GenOps error.
    const helperError = await client()
      .chat.completions.stream({ model: 'gpt-4o', messages })
      .finalChatCompletion()
      .catch((caught: unknown) => caught);
    expect(helperError).toBeInstanceOf(PolicyViolationError);
    expect(helperError).toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(client().responses.create({ model: 'gpt-4o', input: 'Hello' })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    expect(harness.decisions().map((decision) => decision.result)).toEqual([
      'BLOCKED',
      'BLOCKED',
      'BLOCKED',
      'BLOCKED',
    ]);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('a budget denial through withResponse(): one BLOCKED decision, status 402, no request', async () => {
    harness.init({
      policy: { version: 1, rules: [], budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] },
    });
    const error = await client()
      .chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 100 })
      .withResponse()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error).toMatchObject({ status: 402, isRetryable: false });
    expect(harness.decisions()).toHaveLength(1);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('a provider 500 the SDK retries is still one decision: the retries are inside the governed unit', async () => {
    harness.init({});
    harness.server.enqueue({ status: 500, error: { message: 'try again' } });
    harness.server.enqueue({ content: 'ok' });
    const completion = await client().chat.completions.create({ model: 'gpt-4o', messages }, { maxRetries: 1 });
    expect(completion.choices[0]!.message.content).toBe('ok');
    expect(harness.server.requests).toHaveLength(2);
    expect(harness.decisions()).toHaveLength(1);
  });
});
