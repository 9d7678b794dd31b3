// Anthropic Managed Agents session writes through `node:http` under egress `govern`: the body decides
// (a session without `initial_events` passes untouched; one with a user event is an agent turn), and a
// turn, whose event stream node:http egress does not read, settles at its reservation, flagged incomplete.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../../../testing/src/fake-anthropic-server';
import { useCoreTestSetup } from '../test-support/core-test-setup';

const setup = useCoreTestSetup();
let anthropic: Awaited<ReturnType<typeof startFakeAnthropic>>;

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
});
afterAll(() => anthropic.close());

/** POSTs JSON with node:http; resolves with the status and the parsed body. */
function post(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const url = new URL(`${anthropic.url}${path}`);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'x-api-key': 'k' } },
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
    request.end(JSON.stringify(body));
  });
}

const message = { type: 'user.message', content: [{ type: 'text', text: 'Hello' }] };

describe('Managed Agents session writes through node:http', () => {
  it('a session without initial_events passes untouched; one with a user event is a turn settled at its reservation', async () => {
    anthropic.reset();
    // The agent's model is not known to node:http egress (it reads no answers): priced conservatively.
    const genops = setup.init({ unknownModel: 'warn', egress: { hosts: [anthropic.url] } });
    const environment = await post('/v1/environments', { name: 'e' });
    const agent = await post('/v1/agents', { name: 'a', model: 'claude-sonnet-4-5' });
    const plain = await post('/v1/sessions', { environment_id: environment.json.id, agent: agent.json.id });
    expect(plain.status).toBe(200);
    expect(setup.spans()).toHaveLength(0);

    const turn = await post('/v1/sessions', {
      environment_id: environment.json.id,
      agent: agent.json.id,
      initial_events: [message],
    });
    expect(turn.status).toBe(200);
    await expect.poll(() => setup.spans().length).toBe(1);
    const span = setup.spans()[0]!;
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    expect(anthropic.requests.filter((request) => request.path === '/v1/sessions')).toHaveLength(2);
    expect((await genops.status()).openReservations).toBe(0);
  });

  it('a turn refused by unknown-model handling never reaches the server; an interrupt passes', async () => {
    anthropic.reset();
    setup.init({ egress: { hosts: [anthropic.url] } });
    const environment = await post('/v1/environments', { name: 'e' });
    const agent = await post('/v1/agents', { name: 'a', model: 'claude-sonnet-4-5' });
    const session = await post('/v1/sessions', { environment_id: environment.json.id, agent: agent.json.id });
    const refused = await post(`/v1/sessions/${session.json.id}/events`, { events: [message] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((refused as Error | undefined)?.name).toBe('ReservationFailedError');
    const interrupt = await post(`/v1/sessions/${session.json.id}/events`, { events: [{ type: 'user.interrupt' }] });
    expect(interrupt.status).toBe(200);
    const sent = anthropic.requests.filter((request) => request.path.endsWith('/events'));
    expect(sent.map((request) => request.body.events[0].type)).toEqual(['user.interrupt']);
  });
});
