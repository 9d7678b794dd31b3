// Anthropic Managed Agents through `node:http` under egress `govern`: the body decides (a session without
// `initial_events` passes untouched; one with a user event is an agent turn), egress reads the answers as
// they pass (an agent's model, a session's events: the SSE stream and the list page), so a turn settles
// from the `model_usage` its session reports, to the nano-dollar, when the app reads the events.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../../../testing/src/fake-anthropic-server';
import { PRICE_FILES } from '../pricing/data/index';
import { PriceTable } from '../pricing/price-table';
import { useCoreTestSetup } from '../test-support/core-test-setup';

const setup = useCoreTestSetup();
let anthropic: Awaited<ReturnType<typeof startFakeAnthropic>>;
const prices = new PriceTable(PRICE_FILES);

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
});
afterAll(() => anthropic.close());

/** A request with node:http; resolves with the status and the parsed body. */
function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const url = new URL(`${anthropic.url}${path}`);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method,
        headers: { 'x-api-key': 'k' },
      },
      (response: IncomingMessage) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const post = (path: string, body: unknown) => call('POST', path, body);

/** Reads a session's SSE event stream with node:http until `session.status_idle`, then leaves. */
function readStreamUntilIdle(sessionId: string): Promise<string> {
  const url = new URL(`${anthropic.url}/v1/sessions/${sessionId}/events/stream?beta=true`);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, headers: { 'x-api-key': 'k' } },
      (response: IncomingMessage) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes('event: session.status_idle')) {
            resolve(text);
            request.destroy();
          }
        });
      },
    );
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
    request.end();
  });
}

function costOf(model: string, input: number, output: number): number {
  const price = prices.lookup('anthropic', model)!.price;
  return (input * price.input + output * price.output) / 1e6;
}

const message = { type: 'user.message', content: [{ type: 'text', text: 'Hello' }] };

describe('Managed Agents through node:http', () => {
  it('a session without initial_events passes untouched; a turn settles from the event stream the app reads', async () => {
    anthropic.reset();
    // Unknown models are refused: the agent's model comes from the answer to its creation, read as it passed.
    const genops = setup.init({ egress: { hosts: [anthropic.url] } });
    const environment = await post('/v1/environments', { name: 'e' });
    const agent = await post('/v1/agents', { name: 'a', model: 'claude-sonnet-4-5' });
    const plain = await post('/v1/sessions', { environment_id: environment.json.id, agent: agent.json.id });
    expect(plain.status).toBe(200);
    expect(setup.spans()).toHaveLength(0);

    anthropic.enqueue({ usage: { input: 120, output: 40 } });
    const sent = await post(`/v1/sessions/${plain.json.id}/events`, { events: [message] });
    expect(sent.status).toBe(200);
    // The turn runs on the server's side: open until its events are read.
    expect(setup.spans()).toHaveLength(0);
    const stream = await readStreamUntilIdle(plain.json.id);
    expect(stream).toContain('"model_usage"');
    await expect.poll(() => setup.spans().length).toBe(1);
    const span = setup.spans()[0]!;
    expect(span.attributes['gen_ai.request.model']).toBe('claude-sonnet-4-5');
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect(span.attributes['genops.managed_agents.requests']).toBe(1);
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(costOf('claude-sonnet-4-5', 120, 40), 12);
    expect((await genops.status()).openReservations).toBe(0);
  });

  it('a session this process has not seen: its model is read first; the events page settles the turn, not its history', async () => {
    anthropic.reset();
    setup.init({ egress: { hosts: [anthropic.url] } });
    // Made elsewhere, with one turn run already (20 in, 10 out): history a page of the session replays.
    const { sessionId } = anthropic.claimedWorkItem('Before', []);
    anthropic.enqueue({ usage: { input: 300, output: 70 } });
    const sent = await post(`/v1/sessions/${sessionId}/events?beta=true`, { events: [message] });
    expect(sent.status).toBe(200);
    // One read of the session named its agent's model (claude-haiku-4-5), with the app's query.
    expect(anthropic.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /v1/sessions/${sessionId}`,
      `POST /v1/sessions/${sessionId}/events`,
    ]);
    const page = await call('GET', `/v1/sessions/${sessionId}/events?beta=true`);
    expect(page.json.data.filter((event: any) => event.type === 'span.model_request_end')).toHaveLength(2);
    await expect.poll(() => setup.spans().length).toBe(1);
    const span = setup.spans()[0]!;
    expect(span.attributes['gen_ai.request.model']).toBe('claude-haiku-4-5');
    expect(span.attributes['genops.managed_agents.requests']).toBe(1);
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(costOf('claude-haiku-4-5', 300, 70), 12);
  });

  it('a turn a tiny budget refuses never reaches the server; an interrupt passes', async () => {
    anthropic.reset();
    setup.init({
      egress: { hosts: [anthropic.url] },
      budgets: [{ name: 'tiny', limit: 0.000001, window: 'day', action: 'block' }],
    });
    const environment = await post('/v1/environments', { name: 'e' });
    const agent = await post('/v1/agents', { name: 'a', model: 'claude-sonnet-4-5' });
    const session = await post('/v1/sessions', { environment_id: environment.json.id, agent: agent.json.id });
    const refused = await post(`/v1/sessions/${session.json.id}/events`, { events: [message] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((refused as Error | undefined)?.name).toBe('BudgetExceededError');
    const interrupt = await post(`/v1/sessions/${session.json.id}/events`, { events: [{ type: 'user.interrupt' }] });
    expect(interrupt.status).toBe(200);
    const sent = anthropic.requests.filter((request) => request.path.endsWith('/events'));
    expect(sent.map((request) => request.body.events[0].type)).toEqual(['user.interrupt']);
  });
});
