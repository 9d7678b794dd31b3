import Anthropic from '@anthropic-ai/sdk';
import { BudgetExceededError } from '@genops/core';
import { startFakeAnthropic } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { describe, expect, it, vi } from 'vitest';
import { instrumentAnthropic } from './index';
import { readToIdle, userMessage } from './managed-agents.test-support';

// Managed agents: each user event sent to a session (an agent turn) is one governed unit of the agent's
// model, settled from the usage the session's event stream reports, up to the next idle.

const harness = createAdapterHarness({ server: startFakeAnthropic });
const MODEL = 'claude-sonnet-4-5';

function client(): Anthropic {
  return new Anthropic({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0, openTelemetry: false });
}

function governedSpans() {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

async function newSession(anthropic: Anthropic, model = MODEL) {
  const environment = await anthropic.beta.environments.create({ name: 'test-environment' });
  const agent = await anthropic.beta.agents.create({ name: 'test-agent', model });
  return anthropic.beta.sessions.create({ environment_id: environment.id, agent: agent.id });
}

function costOf(input: number, output: number): number {
  const price = harness.priceOf('anthropic', MODEL);
  return (input * price.input + output * price.output) / 1e6;
}

describe('managed agents', () => {
  it('set-up calls are not units; a user message is one, settled from the stream’s model usage', async () => {
    harness.init();
    const anthropic = client();
    const session = await newSession(anthropic);
    expect(governedSpans()).toHaveLength(0);

    harness.server.enqueue({ usage: { input: 120, output: 40 } });
    await anthropic.beta.sessions.events.send(session.id, { events: [userMessage('Hello')] });
    // The turn runs on the provider's side: the unit stays open until its usage is read.
    expect(governedSpans()).toHaveLength(0);
    const types = await readToIdle(anthropic, session.id);
    expect(types).toContain('span.model_request_end');

    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.name).toBe(`chat ${MODEL}`);
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(costOf(120, 40), 12);
    expect(span.attributes['genops.accounting.incomplete']).not.toBe(true);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(120);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(40);
    harness.expectCompliant([span]);
  });

  it('a session created with initial_events is a unit; each later send is another, settled in order', async () => {
    harness.init();
    const anthropic = client();
    const environment = await anthropic.beta.environments.create({ name: 'e' });
    const agent = await anthropic.beta.agents.create({ name: 'a', model: MODEL });
    harness.server.enqueue({ usage: { input: 10, output: 5 } }, { usage: { input: 30, output: 7 } });
    const session = await anthropic.beta.sessions.create({
      environment_id: environment.id,
      agent: agent.id,
      initial_events: [userMessage('first')],
    });
    await anthropic.beta.sessions.events.send(session.id, { events: [userMessage('second')] });
    // One stream carries both turns; the replayed history is counted once.
    await readToIdle(anthropic, session.id, 2);

    await vi.waitFor(() => expect(governedSpans()).toHaveLength(2));
    const actual = governedSpans().map((span) => span.attributes['genops.accounting.actual'] as number);
    expect(actual[0]).toBeCloseTo(costOf(10, 5), 12);
    expect(actual[1]).toBeCloseTo(costOf(30, 7), 12);
  });

  it('a send to a session with history settles from its own turn, not the earlier one the stream replays first', async () => {
    harness.init();
    const anthropic = client();
    const session = await newSession(anthropic);
    // A turn this process never governed (sent before GenOps ran, or by another process).
    harness.server.enqueue({ usage: { input: 500, output: 200 } });
    const earlier = await fetch(`${harness.server.url}/v1/sessions/${session.id}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' },
      body: JSON.stringify({ events: [userMessage('Earlier')] }),
    });
    expect(earlier.status).toBe(200);
    harness.server.enqueue({ usage: { input: 12, output: 3 } });
    await anthropic.beta.sessions.events.send(session.id, { events: [userMessage('Now')] });
    // The stream replays the session from its start: the earlier turn's events come first.
    await readToIdle(anthropic, session.id, 2);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(costOf(12, 3), 12);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(12);
  });

  it('a stream opened before the send attributes the turn, even when its events arrive before the answer', async () => {
    harness.init();
    const anthropic = client();
    const session = await newSession(anthropic);
    const stream = await anthropic.beta.sessions.events.stream(session.id);
    // The app reads the stream while it sends: the fake runs the turn before it answers the send, so the
    // reader gets the turn's events before the send's answer is parsed.
    const reading = (async () => {
      for await (const event of stream) if (event.type === 'session.status_idle') break;
    })();
    harness.server.enqueue({ usage: { input: 40, output: 9 } });
    await anthropic.beta.sessions.events.send(session.id, { events: [userMessage('Hello')] });
    await reading;
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    expect(governedSpans()[0]!.attributes['genops.accounting.actual']).toBeCloseTo(costOf(40, 9), 12);
  });

  it('a send the API refuses settles as failed, and does not take the next turn’s usage', async () => {
    harness.init();
    const anthropic = client();
    const session = await newSession(anthropic);
    harness.server.enqueue({ status: 500 }, { usage: { input: 25, output: 6 } });
    await expect(
      anthropic.beta.sessions.events.send(session.id, { events: [userMessage('first')] }),
    ).rejects.toMatchObject({ status: 500 });
    await anthropic.beta.sessions.events.send(session.id, { events: [userMessage('second')] });
    await readToIdle(anthropic, session.id);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(2));
    const [failed, settled] = governedSpans();
    expect(failed!.attributes['error.type']).toBeDefined();
    expect(settled!.attributes['genops.accounting.actual']).toBeCloseTo(costOf(25, 6), 12);
  });

  it('events that start no turn (an interrupt) are not a unit', async () => {
    harness.init();
    const anthropic = client();
    const session = await newSession(anthropic);
    await anthropic.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt' }] });
    await harness.shutdown();
    expect(governedSpans()).toHaveLength(0);
  });

  it('a turn whose stream is never read settles at its reservation at shutdown, flagged incomplete', async () => {
    harness.init();
    const anthropic = client();
    const session = await newSession(anthropic);
    await anthropic.beta.sessions.events.send(session.id, { events: [userMessage('Hello')] });
    await harness.shutdown();
    const span = governedSpans()[0]!;
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
  });

  it('a session this process did not create: its agent’s model is read once with sessions.retrieve', async () => {
    harness.init();
    const environment = await client().beta.environments.create({ name: 'e' });
    const agent = await client().beta.agents.create({ name: 'a', model: MODEL });
    // Created by another process: a plain HTTP request the adapter never saw.
    const created = await fetch(`${harness.server.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'x-api-key': 'test-key', 'content-type': 'application/json' },
      body: JSON.stringify({ environment_id: environment.id, agent: agent.id }),
    });
    const sessionId = ((await created.json()) as { id: string }).id;
    const anthropic = client();
    harness.server.enqueue({ usage: { input: 50, output: 20 } });
    await anthropic.beta.sessions.events.send(sessionId, { events: [userMessage('Hello')] });
    await readToIdle(anthropic, sessionId);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    expect(governedSpans()[0]!.attributes['genops.accounting.actual']).toBeCloseTo(costOf(50, 20), 12);
    const reads = harness.server.requests.filter((request) => request.method === 'GET');
    expect(reads.map((request) => request.path)).toContain(`/v1/sessions/${sessionId}`);
  });

  it('instrumentAnthropic(client) governs a turn on the client, once', async () => {
    harness.init();
    const anthropic = instrumentAnthropic(client());
    const session = await newSession(anthropic);
    harness.server.enqueue({ usage: { input: 8, output: 3 } });
    await anthropic.beta.sessions.events.send(session.id, { events: [userMessage('Hello')] });
    await readToIdle(anthropic, session.id);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    expect(governedSpans()[0]!.attributes['genops.accounting.actual']).toBeCloseTo(costOf(8, 3), 12);
  });

  it('a tiny budget refuses the send before the server; set-up still works', async () => {
    harness.init({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    const anthropic = client();
    const session = await newSession(anthropic);
    await expect(
      anthropic.beta.sessions.events.send(session.id, { events: [userMessage('Hello')] }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(harness.server.requests.some((request) => request.path.endsWith('/events'))).toBe(false);
  });

  it('an agent whose model has no price is refused (unknownModel: deny)', async () => {
    harness.init();
    const anthropic = client();
    const session = await newSession(anthropic, 'claude-not-a-real-model');
    await expect(anthropic.beta.sessions.events.send(session.id, { events: [userMessage('Hello')] })).rejects.toThrow(
      /claude-not-a-real-model/,
    );
    expect(harness.server.requests.some((request) => request.path.endsWith('/events'))).toBe(false);
  });
});
