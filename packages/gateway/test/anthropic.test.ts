// The Anthropic SDK with its baseURL set to the gateway: messages, plain and streamed, governed and
// priced like an SDK call; a refusal is the Anthropic error object the SDK raises.
import Anthropic from '@anthropic-ai/sdk';
import { expectGenOpsCompliant } from '@genops/testing';
import { describe, expect, it } from 'vitest';
import { nanos, TEAM_A_KEY, useGateway } from './gateway-setup';

const setup = useGateway();

function client(options: { apiKey?: string; authToken?: string } = { apiKey: TEAM_A_KEY }): Anthropic {
  return new Anthropic({ ...options, baseURL: setup.gateway.url, maxRetries: 0 });
}

describe('gateway: Anthropic wire', () => {
  it('messages: forwarded with the upstream x-api-key, attributed, priced and settled', async () => {
    const gateway = await setup.start();
    const message = await client().messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Hello from the fake Anthropic server.' });
    const upstream = setup.anthropic.requests[0];
    expect(upstream?.headers['x-api-key']).toBe('sk-upstream-anthropic');
    expect(upstream?.headers['anthropic-version']).toBeDefined();
    expect(JSON.stringify(upstream?.headers)).not.toContain(TEAM_A_KEY);
    const spans = setup.telemetry.spans();
    expect(spans).toHaveLength(1);
    expectGenOpsCompliant(spans);
    const span = spans[0];
    expect(span?.attributes['gen_ai.provider.name']).toBe('anthropic');
    expect(span?.attributes['genops.team']).toBe('a');
    // claude-sonnet-4-6: 20 in × $3/M + 10 out × $15/M = $0.00021.
    expect(nanos(span?.attributes['genops.accounting.actual'])).toBe(210_000);
    expect((await gateway.genops.status()).openReservations).toBe(0);
  });

  it('messages stream (key as Authorization: Bearer): events passed through, usage read from the stream', async () => {
    await setup.start();
    setup.anthropic.enqueue({ usage: { input: 30, output: 8, cacheRead: 100 }, chunks: 4 });
    const stream = client({ authToken: TEAM_A_KEY }).messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(text).toBe('Hello from the fake Anthropic server.');
    expect(final.usage.output_tokens).toBe(8);
    const span = setup.telemetry.spans()[0];
    expectGenOpsCompliant(setup.telemetry.spans());
    expect(span?.attributes['gen_ai.request.stream']).toBe(true);
    // Anthropic counts input without cache reads: 30 + 100 cached = 130 input tokens.
    expect(span?.attributes['gen_ai.usage.input_tokens']).toBe(130);
    // 30 × $3/M + 100 × $0.30/M + 8 × $15/M = $0.00024.
    expect(nanos(span?.attributes['genops.accounting.actual'])).toBe(240_000);
  });

  it('a budget with no room: the Anthropic error object (billing_error, 402) the SDK raises', async () => {
    await setup.start({
      policy: {
        version: 1,
        budgets: [{ name: 'team-a-tiny', limit: 0.000001, window: 'day', match: { team: 'a' } }],
      },
    });
    const error = await client()
      .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(402);
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'billing_error' } });
    expect(apiError.message).toContain('team-a-tiny');
    expect(setup.anthropic.requests).toHaveLength(0);
  });

  it('a virtual key limited to the openai upstream: 403 permission_error on /v1/messages', async () => {
    await setup.start(
      {},
      {
        virtualKeys: [
          { name: 'openai-only', key: 'gk-openai-only', providers: ['openai'], attribution: { team: 'x' } },
        ],
      },
    );
    const error = await client({ apiKey: 'gk-openai-only' })
      .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(setup.anthropic.requests).toHaveLength(0);
  });
});
