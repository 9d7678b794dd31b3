// Upstream fallback: an ordered list of upstreams per provider. The next one takes the request when one
// cannot be reached or answers a 5xx before anything reached the client; the client and the governed
// unit see one answer, and the unit is settled once.
import { createServer } from 'node:net';
import { startFakeOpenAI } from '@genops/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nanos, TEAM_A_KEY, useGateway } from './gateway-setup';

const setup = useGateway();
let second: Awaited<ReturnType<typeof startFakeOpenAI>>;
/** A loopback port nothing listens on. */
let closedPort: number;

beforeAll(async () => {
  second = await startFakeOpenAI();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await second.close();
});
beforeEach(() => second.reset());

/** A gateway whose OpenAI upstream is `first`, then the second fake server. */
function startWithFallback(first: string) {
  return setup.start(
    {},
    {
      upstreams: {
        openai: [
          { baseUrl: first, apiKey: 'sk-first' },
          { baseUrl: second.url, apiKey: 'sk-second' },
        ],
      },
    },
  );
}

function client(): OpenAI {
  return new OpenAI({ apiKey: TEAM_A_KEY, baseURL: `${setup.gateway.url}/v1`, maxRetries: 0 });
}

const chat = { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };
const chats = (server: typeof second) => server.requests.filter((request) => request.path === '/v1/chat/completions');

function onlySpan() {
  const spans = setup.telemetry.spans();
  expect(spans).toHaveLength(1);
  return spans[0] as (typeof spans)[number];
}

describe('gateway: upstream fallback', () => {
  it('a 5xx from the first upstream: the next one answers, with its own key; one unit, settled from its usage', async () => {
    await startWithFallback(setup.openai.url);
    setup.openai.enqueue({ status: 503, error: { message: 'overloaded' } });
    const completion = await client().chat.completions.create(chat);
    expect(completion.choices[0]?.message.content).toBe('Hello from the fake OpenAI server.');
    expect(chats(setup.openai)[0]?.headers.authorization).toBe('Bearer sk-first');
    expect(chats(second)).toHaveLength(1);
    expect(chats(second)[0]?.headers.authorization).toBe('Bearer sk-second');
    expect(chats(second)[0]?.body).toEqual(chat);
    const span = onlySpan();
    expect(nanos(span.attributes['genops.accounting.actual'])).toBe(150_000);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect((await setup.gateway.genops.status()).openReservations).toBe(0);
  });

  it('an unreachable first upstream: a stream is served by the next one, chunk by chunk', async () => {
    await startWithFallback(`http://127.0.0.1:${closedPort}/v1`);
    const stream = await client().chat.completions.create({
      ...chat,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello from the fake OpenAI server.');
    expect(chats(second)).toHaveLength(1);
    expect(nanos(onlySpan().attributes['genops.accounting.actual'])).toBe(150_000);
  });

  it('every upstream answers a 5xx: the last answer reaches the client, and the unit fails unbilled', async () => {
    await startWithFallback(setup.openai.url);
    setup.openai.enqueue({ status: 500, error: { message: 'first failed' } });
    second.enqueue({ status: 502, error: { message: 'second failed' } });
    const error = await client()
      .chat.completions.create(chat)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('second failed');
    expect(chats(setup.openai)).toHaveLength(1);
    expect(chats(second)).toHaveLength(1);
    expect(nanos(onlySpan().attributes['genops.accounting.actual'])).toBe(0);
  });

  it('a 4xx is the answer: not retried', async () => {
    await startWithFallback(setup.openai.url);
    setup.openai.enqueue({ status: 429, error: { message: 'slow down' } });
    const error = await client()
      .chat.completions.create(chat)
      .catch((caught: unknown) => caught);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect(chats(second)).toHaveLength(0);
  });
});
