import { BudgetExceededError, PolicyViolationError } from '@genops/core';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it, vi } from 'vitest';

// Assistants API runs: one governed unit per run (and per tool-output turn), by the run's or the
// assistant's model, reserved at the worst case, settled from the run's usage when the app sees it end.
// The real openai SDK against the fake server's Assistants routes.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

function governedSpans() {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

function runRequests() {
  return harness.server.requests.filter((request) => request.method === 'POST' && /\/runs$/.test(request.path));
}

async function assistantAndThread(openai: OpenAI, model = 'gpt-4o') {
  const assistant = await openai.beta.assistants.create({ model, name: 'Math Tutor' });
  const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Solve 3x + 11 = 14' }] });
  return { assistant, thread };
}

describe('beta.threads.runs', () => {
  it('createAndPoll: the assistant’s model, the worst case reserved, settled from the run’s usage when polled', async () => {
    harness.init();
    const openai = client();
    const { assistant, thread } = await assistantAndThread(openai);
    harness.server.enqueue({ usage: { input: 300, output: 40 } });
    const run = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
    expect(run.status).toBe('completed');
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.name).toBe('chat gpt-4o');
    const price = harness.priceOf('openai', 'gpt-4o');
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo((300 * price.input + 40 * price.output) / 1e6, 12);
    expect(span.attributes['genops.accounting.incomplete']).not.toBe(true);
    // Uncapped: the whole input limit (the thread may hold anything) and the output limit.
    expect(span.attributes['genops.accounting.reserved']).toBeCloseTo(
      (price.maxInputTokens! * price.input + price.maxOutputTokens! * price.output) / 1e6,
      9,
    );
    expect(span.attributes['gen_ai.response.id']).toBe(run.id);
    harness.expectCompliant([span]);

    // Reading the run again settles nothing twice.
    await openai.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
    expect(governedSpans()).toHaveLength(1);
  });

  it('stream: the request’s model over the assistant’s, settled from thread.run.completed', async () => {
    harness.init();
    const openai = client();
    const { assistant, thread } = await assistantAndThread(openai);
    harness.server.enqueue({ usage: { input: 120, output: 30 } });
    const stream = openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id, model: 'gpt-4o-mini' });
    const texts: string[] = [];
    stream.on('textDelta', (delta) => texts.push(delta.value ?? ''));
    const run = await stream.finalRun();
    expect(run.usage).toEqual({ prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 });
    expect(texts.join('')).toBe('Hello from the fake OpenAI server.');
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.name).toBe('chat gpt-4o-mini');
    const price = harness.priceOf('openai', 'gpt-4o-mini');
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo((120 * price.input + 30 * price.output) / 1e6, 12);
    harness.expectCompliant([span]);
  });

  it('threads.createAndRunPoll: reserves max_prompt_tokens and max_completion_tokens when the request caps them', async () => {
    harness.init();
    const openai = client();
    const assistant = await openai.beta.assistants.create({ model: 'gpt-4o-mini' });
    harness.server.enqueue({ usage: { input: 50, output: 5 } });
    const run = await openai.beta.threads.createAndRunPoll({
      assistant_id: assistant.id,
      thread: { messages: [{ role: 'user', content: 'Hi' }] },
      max_prompt_tokens: 1_000,
      max_completion_tokens: 200,
    });
    expect(run.status).toBe('completed');
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    const price = harness.priceOf('openai', 'gpt-4o-mini');
    expect(span.attributes['genops.accounting.reserved']).toBeCloseTo(
      (1_000 * price.input + 200 * price.output) / 1e6,
      12,
    );
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo((50 * price.input + 5 * price.output) / 1e6, 12);
  });

  it('a tiny budget refuses the run before it is created', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    const openai = client();
    const { assistant, thread } = await assistantAndThread(openai);
    await expect(
      openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    await expect(
      openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, stream: true }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(runRequests()).toHaveLength(0);
  });

  it('policy decides on the assistant’s model, read from the API when this process has not seen the assistant', async () => {
    const openai = client();
    // Created before GenOps starts: its model is not known until read.
    const { assistant, thread } = await assistantAndThread(openai, 'gpt-4o');
    harness.init({ policy: { version: 1, rules: [{ name: 'no-gpt-4o', type: 'model', deny: ['gpt-4o'] }] } });
    await expect(openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id })).rejects.toBeInstanceOf(
      PolicyViolationError,
    );
    expect(runRequests()).toHaveLength(0);
    expect(harness.server.requests.some((request) => request.path === `/v1/assistants/${assistant.id}`)).toBe(true);
  });

  const weather = {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  };

  it('tool outputs (poll): the run is charged once, its usage on the turn open when it ends', async () => {
    harness.init();
    const openai = client();
    const assistant = await openai.beta.assistants.create({ model: 'gpt-4o', tools: [weather] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    const paused = await openai.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
    expect(paused.status).toBe('requires_action');
    // Paused, not ended: the unit stays open.
    expect(governedSpans()).toHaveLength(0);
    const call = paused.required_action!.submit_tool_outputs.tool_calls[0]!;
    expect(call.function.name).toBe('get_weather');

    harness.server.enqueue({ usage: { input: 500, output: 60 } });
    const run = await openai.beta.threads.runs.submitToolOutputsAndPoll(paused.id, {
      thread_id: thread.id,
      tool_outputs: [{ tool_call_id: call.id, output: '18°C' }],
    });
    expect(run.status).toBe('completed');
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(2));
    const price = harness.priceOf('openai', 'gpt-4o');
    const actual = governedSpans().map((span) => span.attributes['genops.accounting.actual'] as number);
    expect(actual.reduce((sum, cost) => sum + cost, 0)).toBeCloseTo((500 * price.input + 60 * price.output) / 1e6, 12);
    expect(actual).toContain(0);
    harness.expectCompliant(governedSpans());
  });

  it('tool outputs (stream): the stream stopped at requires_action keeps its unit open until the run ends', async () => {
    harness.init();
    const openai = client();
    const assistant = await openai.beta.assistants.create({ model: 'gpt-4o-mini', tools: [weather] });
    const thread = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    const paused = await openai.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id }).finalRun();
    expect(paused.status).toBe('requires_action');
    expect(governedSpans()).toHaveLength(0);

    harness.server.enqueue({ usage: { input: 200, output: 20 } });
    const call = paused.required_action!.submit_tool_outputs.tool_calls[0]!;
    const run = await openai.beta.threads.runs
      .submitToolOutputsStream(paused.id, {
        thread_id: thread.id,
        tool_outputs: [{ tool_call_id: call.id, output: '18°C' }],
      })
      .finalRun();
    expect(run.status).toBe('completed');
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(2));
    const price = harness.priceOf('openai', 'gpt-4o-mini');
    const actual = governedSpans().map((span) => span.attributes['genops.accounting.actual'] as number);
    expect(actual.reduce((sum, cost) => sum + cost, 0)).toBeCloseTo((200 * price.input + 20 * price.output) / 1e6, 12);
    for (const span of governedSpans()) expect(span.attributes['genops.accounting.incomplete']).not.toBe(true);
  });

  it('a run the app never sees end is settled at its reservation, flagged incomplete, at shutdown', async () => {
    const genops = harness.init();
    const openai = client();
    const { assistant, thread } = await assistantAndThread(openai);
    const run = await openai.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    expect(run.status).toBe('queued');
    // The unit stays open while the run works.
    expect(governedSpans()).toHaveLength(0);
    await genops.shutdown();
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
  });
});
