import Anthropic from '@anthropic-ai/sdk';
import { startFakeAnthropic } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { describe, expect, it, vi } from 'vitest';
import { instrumentAnthropic } from './index';
import { readToIdle, userMessage } from './managed-agents.test-support';

// Managed Agents governed by egress alone (the SDK un-patched: `autoInstrument: false`, as for a bundled
// app): a session created with `initial_events` and a send with a user event are agent turns, settled
// from the session's event stream the app reads; set-up and interrupts pass untouched. Multi-request
// turns reserve `managedAgents.requestsPerTurn` requests, are topped up, and are interrupted when the
// top-up is refused. The adapter path gives the same ledger.

const harness = createAdapterHarness({ server: startFakeAnthropic });
const MODEL = 'claude-sonnet-4-5';

function client(): Anthropic {
  return new Anthropic({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0, openTelemetry: false });
}

function initEgressOnly(options: Parameters<typeof harness.init>[0] = {}) {
  return harness.init({ autoInstrument: false, egress: { hosts: [harness.server.url] }, ...options });
}

function governedSpans() {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

/** A session created with a user message in `initial_events`: an agent turn. */
function createWithTurn(
  anthropic: Anthropic,
  ids: { environment: { id: string }; agent: { id: string } },
  text: string,
) {
  return anthropic.beta.sessions.create({
    environment_id: ids.environment.id,
    agent: ids.agent.id,
    initial_events: [userMessage(text)],
  });
}

async function agentAndEnvironment(anthropic: Anthropic) {
  const environment = await anthropic.beta.environments.create({ name: 'test-environment' });
  const agent = await anthropic.beta.agents.create({ name: 'test-agent', model: MODEL });
  return { environment, agent };
}

/** What `usage` costs at the model's shipped price, nano-USD (prices are per million tokens). */
function nanosOf(...usages: Array<{ input: number; output: number }>): number {
  const price = harness.priceOf('anthropic', MODEL);
  let total = 0;
  for (const usage of usages) total += usage.input * price.input * 1000 + usage.output * price.output * 1000;
  return Math.round(total);
}

async function usedNanos(budget: string): Promise<number> {
  const status = await harness.budget(budget);
  return Math.round((status?.used ?? Number.NaN) * 1e9);
}

const BIG = { name: 'daily', limit: 1000, window: 'day' as const };

describe('managed agents: egress alone, multi-request turns, and both paths', () => {
  it('a session created with initial_events is a governed turn, settled from the event stream', async () => {
    initEgressOnly({ budgets: [BIG] });
    const anthropic = client();
    const { environment, agent } = await agentAndEnvironment(anthropic);
    harness.server.enqueue({ usage: { input: 120, output: 40 } });
    const session = await createWithTurn(anthropic, { environment, agent }, 'Hello');
    // The turn runs on the provider's side: the unit stays open until its usage is read.
    expect(governedSpans()).toHaveLength(0);
    await readToIdle(anthropic, session.id);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.name).toBe(`chat ${MODEL}`);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(120);
    expect(span.attributes['genops.accounting.incomplete']).not.toBe(true);
    expect(await usedNanos('daily')).toBe(nanosOf({ input: 120, output: 40 }));
    harness.expectCompliant([span]);
  });

  it('a tiny budget refuses the session before it reaches the server; set-up passes', async () => {
    initEgressOnly({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    const anthropic = client();
    const { environment, agent } = await agentAndEnvironment(anthropic);
    await expect(createWithTurn(anthropic, { environment, agent }, 'Hello')).rejects.toMatchObject({ status: 402 });
    expect(harness.server.requests.filter((request) => request.path === '/v1/sessions')).toHaveLength(0);
    // The agent and environment (set-up) reached the server.
    expect(harness.server.requests.map((request) => request.path)).toEqual(['/v1/environments', '/v1/agents']);
  });

  it('a session without initial_events, and an interrupt, pass untouched: no unit, no reservation', async () => {
    const genops = initEgressOnly({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    const anthropic = client();
    const { environment, agent } = await agentAndEnvironment(anthropic);
    const session = await anthropic.beta.sessions.create({ environment_id: environment.id, agent: agent.id });
    await anthropic.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt' }] });
    expect(harness.server.requests.filter((request) => request.path.startsWith('/v1/sessions'))).toHaveLength(2);
    expect(governedSpans()).toHaveLength(0);
    expect(harness.decisions()).toHaveLength(0);
    expect((await genops.status()).openReservations).toBe(0);
  });

  it('a send with a user event is a turn: its agent’s model is known from the session egress saw', async () => {
    initEgressOnly({ budgets: [BIG] });
    const anthropic = client();
    const { environment, agent } = await agentAndEnvironment(anthropic);
    const session = await anthropic.beta.sessions.create({ environment_id: environment.id, agent: agent.id });
    harness.server.enqueue({ usage: { input: 30, output: 7 } });
    await anthropic.beta.sessions.events.send(session.id, { events: [userMessage('second')] });
    await readToIdle(anthropic, session.id);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    expect(governedSpans()[0]!.attributes['gen_ai.request.model']).toBe(MODEL);
    expect(await usedNanos('daily')).toBe(nanosOf({ input: 30, output: 7 }));
  });

  it('a session and an agent egress did not see are read once for their model before the turn', async () => {
    // Created before GenOps started: egress saw neither the agent nor the session.
    const anthropic = client();
    const { environment, agent } = await agentAndEnvironment(anthropic);
    const session = await anthropic.beta.sessions.create({ environment_id: environment.id, agent: agent.id });
    initEgressOnly({ budgets: [BIG] });
    harness.server.enqueue({ usage: { input: 50, output: 20 } }, { usage: { input: 60, output: 10 } });
    await anthropic.beta.sessions.events.send(session.id, { events: [userMessage('Hello')] });
    const second = await createWithTurn(anthropic, { environment, agent }, 'Hello');
    await readToIdle(anthropic, session.id);
    await readToIdle(anthropic, second.id);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(2));
    expect(governedSpans().map((span) => span.attributes['gen_ai.request.model'])).toEqual([MODEL, MODEL]);
    const reads = harness.server.requests.filter(
      (request) => request.method === 'GET' && !request.path.endsWith('/stream'),
    );
    expect(reads.map((request) => request.path)).toEqual([`/v1/sessions/${session.id}`, `/v1/agents/${agent.id}`]);
    // With the app's credentials.
    expect(reads[0]!.headers.authorization).toBe('Bearer test-key');
    expect(await usedNanos('daily')).toBe(nanosOf({ input: 50, output: 20 }, { input: 60, output: 10 }));
  });

  it('a send refused by a tiny budget never reaches the server', async () => {
    initEgressOnly({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    const anthropic = client();
    const { environment, agent } = await agentAndEnvironment(anthropic);
    const session = await anthropic.beta.sessions.create({ environment_id: environment.id, agent: agent.id });
    await expect(
      anthropic.beta.sessions.events.send(session.id, { events: [userMessage('Hello')] }),
    ).rejects.toMatchObject({ status: 402 });
    expect(harness.server.requests.some((request) => request.path.endsWith('/events'))).toBe(false);
  });

  it('a body egress cannot read is governed as a turn, never passed as set-up', async () => {
    initEgressOnly();
    const response = await fetch(`${harness.server.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'x-api-key': 'test-key', 'content-type': 'application/json' },
      body: 'not json {',
    });
    // A turn of an agent egress cannot name: unknown-model handling refuses it (deny by default).
    expect(response.status).toBe(403);
    expect(response.headers.get('x-genops-error')).toBe('ReservationFailedError');
    expect(harness.decisions().map((decision) => decision.model)).toEqual(['unknown-model']);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('under egress deny, a session with initial_events is refused and one without passes', async () => {
    initEgressOnly({ egress: { mode: 'deny', hosts: [harness.server.url] } });
    const anthropic = client();
    const { environment, agent } = await agentAndEnvironment(anthropic);
    await expect(createWithTurn(anthropic, { environment, agent }, 'Hello')).rejects.toMatchObject({ status: 403 });
    const session = await anthropic.beta.sessions.create({ environment_id: environment.id, agent: agent.id });
    expect(session.id).toMatch(/^sesn_/);
    expect(harness.server.requests.filter((request) => request.path === '/v1/sessions')).toHaveLength(1);
  });

  it('a 3-request turn settles exactly: the sum of its requests, within its reservation', async () => {
    initEgressOnly({ budgets: [BIG] });
    const anthropic = client();
    const { environment, agent } = await agentAndEnvironment(anthropic);
    const requests = [
      { input: 100, output: 20 },
      { input: 150, output: 30 },
      { input: 210, output: 55 },
    ];
    harness.server.enqueue({ usage: requests[0], agentRequests: requests.slice(1) });
    const session = await createWithTurn(anthropic, { environment, agent }, 'Use your tools');
    const types = await readToIdle(anthropic, session.id);
    expect(types.filter((type) => type === 'span.model_request_end')).toHaveLength(3);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(460);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(105);
    expect(span.attributes['genops.managed_agents.requests']).toBe(3);
    expect(span.attributes['genops.managed_agents.requests_reserved']).toBe(4);
    expect(span.attributes['genops.managed_agents.over_reservation']).toBeUndefined();
    expect(span.attributes['genops.accounting.actual'] as number).toBeLessThanOrEqual(
      span.attributes['genops.accounting.reserved'] as number,
    );
    expect(await usedNanos('daily')).toBe(nanosOf(...requests));
  });

  it('a turn that needs more requests than reserved is topped up: two units, the ledger exact', async () => {
    initEgressOnly({ budgets: [BIG], managedAgents: { requestsPerTurn: 1 } });
    const anthropic = client();
    const { environment, agent } = await agentAndEnvironment(anthropic);
    const requests = [
      { input: 100, output: 20 },
      { input: 150, output: 30 },
    ];
    harness.server.enqueue({ usage: requests[0], agentRequests: requests.slice(1) });
    const session = await createWithTurn(anthropic, { environment, agent }, 'Hello');
    await readToIdle(anthropic, session.id);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(2));
    // Two admissions (the turn, its top-up), each unit settled from its own request's usage.
    expect(harness.decisions().map((decision) => decision.result)).toEqual(['ALLOWED', 'ALLOWED']);
    const inputs = governedSpans().map((span) => span.attributes['gen_ai.usage.input_tokens'] as number);
    expect(inputs.sort((a, b) => a - b)).toEqual([100, 150]);
    for (const span of governedSpans())
      expect(span.attributes['genops.accounting.actual'] as number).toBeLessThanOrEqual(
        span.attributes['genops.accounting.reserved'] as number,
      );
    expect(await usedNanos('daily')).toBe(nanosOf(...requests));
    expect((await harness.genops!.status()).openReservations).toBe(0);
  });

  it.each(['egress', 'adapter'] as const)(
    'a refused top-up interrupts the session (%s path): the server stops the turn, the reason is recorded',
    async (path) => {
      const anthropic = path === 'adapter' ? instrumentAnthropic(client()) : client();
      // The adapter alone: egress off, the client instrumented.
      const init = (options: Parameters<typeof harness.init>[0]) =>
        path === 'adapter'
          ? harness.init({ autoInstrument: false, egress: 'off', ...options })
          : initEgressOnly(options);
      // A budget that holds one request's reservation of this turn, not two.
      init({ budgets: [BIG], managedAgents: { requestsPerTurn: 1 } });
      const { environment, agent } = await agentAndEnvironment(anthropic);
      const probe = await createWithTurn(anthropic, { environment, agent }, 'Hello');
      await readToIdle(anthropic, probe.id);
      await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
      const reservedUsd = governedSpans()[0]!.attributes['genops.accounting.reserved'] as number;
      await harness.shutdown();
      harness.telemetry.resetSpans();
      harness.server.reset();

      init({
        budgets: [{ name: 'turn', limit: reservedUsd * 1.5, window: 'day' }],
        managedAgents: { requestsPerTurn: 1 },
      });
      const before = harness.decisions().length;
      const again = await agentAndEnvironment(anthropic);
      const requests = [
        { input: 100, output: 20 },
        { input: 150, output: 30 },
        { input: 210, output: 55 },
      ];
      // Further requests run 30 s each unless interrupted: the interrupt ends the second, the third never runs.
      harness.server.enqueue({ usage: requests[0], agentRequests: requests.slice(1), agentRequestMs: 30_000 });
      const session = await createWithTurn(anthropic, again, 'Hello');
      const types = await readToIdle(anthropic, session.id);
      expect(types.filter((type) => type === 'span.model_request_end')).toHaveLength(2);
      const interrupts = harness.server.requests.filter(
        (request) => request.path.endsWith('/events') && request.body?.events?.[0]?.type === 'user.interrupt',
      );
      expect(interrupts).toHaveLength(1);
      // Sent with the credentials and beta header of the request that opened the turn.
      expect(interrupts[0]!.headers.authorization).toBe('Bearer test-key');
      expect(interrupts[0]!.headers['anthropic-beta']).toBe('managed-agents-2026-04-01');

      const settledSpans = () =>
        governedSpans().filter((span) => span.attributes['genops.accounting.actual'] !== undefined);
      await vi.waitFor(() => expect(settledSpans()).toHaveLength(1));
      const settled = settledSpans()[0]!;
      const interrupt = settled.events.find((event) => event.name === 'genops.managed_agents.interrupt');
      expect(interrupt?.attributes?.['genops.policy.reason_code']).toBe('BUDGET_EXCEEDED');
      expect(settled.attributes['genops.managed_agents.over_reservation']).toBe('top_up_refused');
      expect(settled.attributes['genops.managed_agents.requests']).toBe(2);
      // The refused top-up is a BLOCKED decision on the record.
      expect(
        harness
          .decisions()
          .slice(before)
          .map((decision) => decision.result),
      ).toEqual(['ALLOWED', 'BLOCKED']);
      // The ledger holds what the two requests that ran cost, above the one reservation, exactly.
      expect(await usedNanos('turn')).toBe(nanosOf(requests[0]!, requests[1]!));
    },
  );

  it('the adapter path and the egress path give the same ledger for the same turn', async () => {
    const requests = [
      { input: 90, output: 25 },
      { input: 140, output: 35 },
    ];
    const turn = async (anthropic: Anthropic) => {
      const { environment, agent } = await agentAndEnvironment(anthropic);
      harness.server.enqueue({ usage: requests[0], agentRequests: requests.slice(1) });
      const session = await createWithTurn(anthropic, { environment, agent }, 'Hello');
      await readToIdle(anthropic, session.id);
      await vi.waitFor(async () => expect((await harness.genops!.status()).openReservations).toBe(0));
      return usedNanos('daily');
    };
    initEgressOnly({ budgets: [BIG] });
    const egress = await turn(client());
    expect(governedSpans().map((span) => span.attributes['gen_ai.operation.name'])).toEqual(['chat']);
    await harness.shutdown();
    harness.telemetry.resetSpans();

    // The adapter alone: egress off, the client instrumented.
    harness.init({ autoInstrument: false, egress: 'off', budgets: [BIG] });
    const adapter = await turn(instrumentAnthropic(client()));
    expect(governedSpans()).toHaveLength(1);
    expect(adapter).toBe(egress);
    expect(adapter).toBe(nanosOf(...requests));
  });

  it('with the adapter and egress both on, a turn is one unit and its events count once', async () => {
    const genops = initEgressOnly({ budgets: [BIG] });
    const anthropic = instrumentAnthropic(client());
    const { environment, agent } = await agentAndEnvironment(anthropic);
    const requests = [
      { input: 70, output: 15 },
      { input: 95, output: 25 },
    ];
    harness.server.enqueue({ usage: requests[0], agentRequests: requests.slice(1) });
    const session = await createWithTurn(anthropic, { environment, agent }, 'Hello');
    // Egress reads the stream's bytes, the adapter the SDK's events: the same events, by id.
    await readToIdle(anthropic, session.id);
    await vi.waitFor(async () => expect((await genops.status()).openReservations).toBe(0));
    expect(governedSpans()).toHaveLength(1);
    expect(governedSpans()[0]!.attributes['gen_ai.usage.input_tokens']).toBe(165);
    expect(await usedNanos('daily')).toBe(nanosOf(...requests));
  });
});
