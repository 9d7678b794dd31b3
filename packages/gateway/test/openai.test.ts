// The OpenAI SDK with its baseURL set to the gateway: every route works as against OpenAI, each
// request is one governed unit attributed by its virtual key, priced to the nano-dollar, and settled;
// refusals arrive as the OpenAI errors the SDK raises.
import { request } from 'node:http';
import { expectGenOpsCompliant } from '@genops/testing';
import OpenAI from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { nanos, TEAM_A_KEY, TEAM_B_KEY, useGateway } from './gateway-setup';

const setup = useGateway();

function client(apiKey = TEAM_A_KEY): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${setup.gateway.url}/v1`, maxRetries: 0 });
}

function onlySpan() {
  const spans = setup.telemetry.spans();
  expect(spans).toHaveLength(1);
  expectGenOpsCompliant(spans);
  return spans[0] as (typeof spans)[number];
}

async function expectSettled() {
  expect((await setup.gateway.genops.status()).openReservations).toBe(0);
}

describe('gateway: OpenAI wire', () => {
  it('chat completion: forwarded with the upstream key, attributed by the virtual key, priced and settled', async () => {
    await setup.start();
    const completion = await client().chat.completions.create(
      { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { cookie: 'session=1', 'x-genops-spoof': '1', 'openai-beta': 'assistants=v2' } },
    );
    expect(completion.choices[0]?.message.content).toBe('Hello from the fake OpenAI server.');
    const upstream = setup.openai.requests[0];
    expect(upstream?.headers.authorization).toBe('Bearer sk-upstream-openai');
    expect(upstream?.headers['openai-beta']).toBe('assistants=v2');
    expect(upstream?.headers.cookie).toBeUndefined();
    expect(upstream?.headers['x-genops-spoof']).toBeUndefined();
    expect(JSON.stringify(upstream?.headers)).not.toContain(TEAM_A_KEY);
    expect(upstream?.body).toEqual({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    const span = onlySpan();
    expect(span.name).toBe('chat gpt-4o');
    expect(span.attributes['genops.team']).toBe('a');
    expect(span.attributes['genops.project']).toBe('p');
    expect(span.attributes['genops.customer_id']).toBe('c');
    expect(span.attributes['genops.environment']).toBe('dev');
    // gpt-4o: 20 in × $2.50/M + 10 out × $10/M = $0.00015.
    expect(nanos(span.attributes['genops.accounting.actual'])).toBe(150_000);
    await expectSettled();
  });

  it('chat stream: passed through chunk by chunk, usage read from the stream', async () => {
    await setup.start();
    setup.openai.enqueue({ chunks: 5, usage: { input: 40, output: 12 } });
    const stream = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    let chunks = 0;
    let usage: unknown;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      usage ??= chunk.usage ?? undefined;
    }
    expect(text).toBe('Hello from the fake OpenAI server.');
    expect(chunks).toBeGreaterThanOrEqual(5);
    // The client asked for usage: its usage chunk reaches it.
    expect(usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 12 });
    const span = onlySpan();
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(40);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(12);
    // gpt-4o-mini: 40 × $0.15/M + 12 × $0.60/M = $0.0000132.
    expect(nanos(span.attributes['genops.accounting.actual'])).toBe(13_200);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    await expectSettled();
  });

  it('a chat stream that did not ask for usage: the gateway asks, settles from it, and hides the usage chunk', async () => {
    await setup.start();
    setup.openai.enqueue({ chunks: 6, usage: { input: 40, output: 12 } });
    const stream = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    for await (const chunk of stream) {
      // Every chunk the client sees has a choice (clients read chunk.choices[0]).
      expect(chunk.choices).toHaveLength(1);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('Hello from the fake OpenAI server.');
    expect(setup.openai.requests[0]?.body.stream_options).toEqual({ include_usage: true });
    const span = onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect(nanos(span.attributes['genops.accounting.actual'])).toBe(13_200);
    await expectSettled();
  });

  it('a large answer (many chunks from the upstream) reaches the client whole, with its length, and settles', async () => {
    await setup.start();
    const content = 'ü0123456789abcdef'.repeat(24_000); // ~430 KB: the upstream's body arrives in several reads
    setup.openai.enqueue({ content, usage: { input: 20, output: 10 } });
    const { data, response } = await client()
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(content);
    const length = Number(response.headers.get('content-length'));
    expect(length).toBeGreaterThan(content.length);
    expect(response.headers.get('transfer-encoding')).toBeNull();
    expect(nanos(onlySpan().attributes['genops.accounting.actual'])).toBe(150_000);
    await expectSettled();
  });

  it('responses, plain and streamed', async () => {
    await setup.start();
    const response = await client().responses.create({ model: 'gpt-4o', input: 'hi', max_output_tokens: 50 });
    expect(response.output_text).toBe('Hello from the fake OpenAI server.');
    const stream = await client().responses.create({ model: 'gpt-4o', input: 'hi', stream: true });
    let text = '';
    for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
    expect(text).toBe('Hello from the fake OpenAI server.');
    const spans = setup.telemetry.spans();
    expect(spans).toHaveLength(2);
    expectGenOpsCompliant(spans);
    for (const span of spans) expect(nanos(span.attributes['genops.accounting.actual'])).toBe(150_000);
    expect(spans.map((span) => span.attributes['gen_ai.request.stream'])).toEqual([false, true]);
    await expectSettled();
  });

  it('embeddings', async () => {
    await setup.start();
    setup.openai.enqueue({ usage: { input: 1000, output: 0 } });
    const embedding = await client().embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect(embedding.data[0]?.embedding.length).toBeGreaterThan(0);
    const span = onlySpan();
    expect(span.attributes['gen_ai.operation.name']).toBe('embeddings');
    // text-embedding-3-small: 1000 × $0.02/M = $0.00002.
    expect(nanos(span.attributes['genops.accounting.actual'])).toBe(20_000);
    await expectSettled();
  });

  it('models: the upstream has no list, so the gateway lists the models GenOps prices (not a governed unit)', async () => {
    await setup.start();
    const ids: string[] = [];
    for await (const model of client().models.list()) ids.push(model.id);
    expect(ids).toContain('gpt-4o');
    expect(setup.telemetry.spans()).toHaveLength(0);
  });

  it('a budget with no room: 402 as an OpenAI error the SDK raises, final (x-should-retry: false), never sent upstream', async () => {
    await setup.start({
      policy: {
        version: 1,
        budgets: [{ name: 'team-a-tiny', limit: 0.000001, window: 'day', match: { virtualKey: 'team-a' } }],
      },
    });
    const error = await client()
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(402);
    expect(apiError.type).toBe('insufficient_quota');
    expect(apiError.message).toContain('team-a-tiny');
    expect(apiError.headers?.get('x-genops-error')).toMatch(/Budget/);
    expect(apiError.headers?.get('x-should-retry')).toBe('false');
    expect(setup.openai.requests).toHaveLength(0);
    // Team b is not under that budget.
    await client(TEAM_B_KEY).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(setup.openai.requests).toHaveLength(1);
  });

  it('a policy rule for one virtual key: 403 PermissionDeniedError for that key only', async () => {
    await setup.start({
      policy: {
        version: 1,
        rules: [{ name: 'b-no-gpt-4o', type: 'model', deny: ['gpt-4o'], when: { virtualKey: 'team-b' } }],
      },
    });
    const error = await client(TEAM_B_KEY)
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('b-no-gpt-4o');
    expect(setup.openai.requests).toHaveLength(0);
    await client(TEAM_A_KEY).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(setup.openai.requests).toHaveLength(1);
  });

  it('an unknown or missing virtual key: 401 AuthenticationError, nothing governed or sent', async () => {
    await setup.start();
    const error = await client('sk-not-a-virtual-key')
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const missing = await fetch(`${setup.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"gpt-4o","messages":[]}',
    });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('invalid_virtual_key');
    expect(setup.openai.requests).toHaveLength(0);
    expect(setup.telemetry.spans()).toHaveLength(0);
  });

  it('a client sending Expect: 100-continue (curl, large bodies) and no content-type is answered', async () => {
    await setup.start();
    const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const outgoing = request(
        `${setup.gateway.url}/v1/chat/completions`,
        { method: 'POST', headers: { authorization: `Bearer ${TEAM_A_KEY}`, expect: '100-continue' } },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      outgoing.on('error', reject);
      outgoing.on('continue', () => outgoing.end(body));
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text).choices[0].message.content).toBe('Hello from the fake OpenAI server.');
    expect(setup.openai.requests[0]?.headers.expect).toBeUndefined();
  });

  it('a path the gateway does not serve: 404 as an OpenAI error', async () => {
    await setup.start();
    const response = await fetch(`${setup.gateway.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEAM_A_KEY}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
    expect(setup.openai.requests).toHaveLength(0);
  });

  it('an upstream error is passed through with its status; the unit fails unbilled', async () => {
    await setup.start();
    setup.openai.enqueue({
      status: 400,
      error: { message: 'bad request from upstream', type: 'invalid_request_error' },
    });
    const error = await client()
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('bad request from upstream');
    const span = onlySpan();
    expect(nanos(span.attributes['genops.accounting.actual'])).toBe(0);
    await expectSettled();
  });

  it('traceparent: the unit is a child of the caller, the upstream request and the response carry the unit', async () => {
    await setup.start();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const { response } = await client()
      .chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { traceparent: `00-${traceId}-${callerSpan}-01` } },
      )
      .withResponse();
    const span = onlySpan();
    const unit = span.spanContext();
    expect(unit.traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(callerSpan);
    expect(setup.openai.requests[0]?.headers.traceparent).toBe(`00-${traceId}-${unit.spanId}-01`);
    expect(response.headers.get('traceparent')).toBe(`00-${traceId}-${unit.spanId}-01`);
  });

  it('a client that disconnects mid-stream: the upstream request is aborted and the unit settles at its reservation', async () => {
    await setup.start();
    setup.openai.enqueue({ chunks: 20, chunkDelayMs: 100 });
    const abort = new AbortController();
    const stream = await client().chat.completions.create(
      { model: 'gpt-4o', stream: true, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
      { signal: abort.signal },
    );
    for await (const _chunk of stream) {
      abort.abort();
      break;
    }
    await vi.waitFor(() => expect(setup.telemetry.spans()).toHaveLength(1), { timeout: 10_000 });
    const span = onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
    expect(nanos(span.attributes['genops.accounting.actual'])).toBeGreaterThan(0);
    await vi.waitFor(expectSettled);
    expect(setup.gateway.inFlight).toBe(0);
  });
});
