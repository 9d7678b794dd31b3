// The OpenAI SDK with its baseURL set to the gateway: every route works as against OpenAI, each
// request is one governed unit attributed by its virtual key, priced to the nano-dollar, and settled.
import { expectGenOpsCompliant } from '@genops/testing';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { nanos, TEAM_A_KEY, useGateway } from './gateway-setup';

const setup = useGateway();

function client(apiKey = TEAM_A_KEY): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${setup.gateway.url}/v1`, maxRetries: 0 });
}

describe('gateway: OpenAI wire', () => {
  it('chat completion: forwarded with the upstream key, attributed by the virtual key, priced and settled', async () => {
    const gateway = await setup.start();
    const completion = await client().chat.completions.create({
      model: 'gpt-4o',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Hello from the fake OpenAI server.');
    const upstream = setup.openai.requests[0];
    expect(upstream?.headers.authorization).toBe('Bearer sk-upstream-openai');
    expect(JSON.stringify(upstream?.headers)).not.toContain(TEAM_A_KEY);
    const spans = setup.telemetry.spans();
    expect(spans).toHaveLength(1);
    expectGenOpsCompliant(spans);
    const span = spans[0];
    expect(span?.name).toBe('chat gpt-4o');
    expect(span?.attributes['genops.team']).toBe('a');
    expect(span?.attributes['genops.project']).toBe('p');
    expect(span?.attributes['genops.customer_id']).toBe('c');
    expect(span?.attributes['genops.environment']).toBe('dev');
    // gpt-4o: 20 in × $2.50/M + 10 out × $10/M = $0.00015.
    expect(nanos(span?.attributes['genops.accounting.actual'])).toBe(150_000);
    expect((await gateway.genops.status()).openReservations).toBe(0);
  });
});
