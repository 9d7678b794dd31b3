import { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GovernedCalls, runGovernedCalls } from './__fixtures__/governed-calls';
import { type IngestionServer, startIngestionServer } from './__fixtures__/ingestion-server';
import { PostHogSpanProcessor } from './posthog';

// The real posthog-node client captures to a local stand-in for PostHog's ingestion endpoints.
interface CapturedEvent {
  event: string;
  distinct_id: string;
  properties: Record<string, unknown>;
}

let receiver: IngestionServer;
let calls: GovernedCalls;
let events: Array<CapturedEvent & { path: string }>;

beforeAll(async () => {
  receiver = await startIngestionServer();
  const client = new PostHog('phc_test_key', { host: receiver.url, flushAt: 1, flushInterval: 0 });
  calls = await runGovernedCalls([new PostHogSpanProcessor({ client })]);
  await client.shutdown();
  events = receiver.requests.flatMap((request) => {
    const body = request.body as { batch?: CapturedEvent[] } | undefined;
    return (body?.batch ?? []).map((event) => ({ ...event, path: request.path }));
  });
});
afterAll(async () => {
  await receiver?.close();
});

describe('PostHogSpanProcessor', () => {
  it('captures an allowed call as $ai_generation with GenOps cost, tokens, model and team', () => {
    const generation = events.find((event) => event.event === '$ai_generation');
    expect(generation).toBeDefined();
    const genops = calls.allowed.attributes;
    expect(typeof genops['genops.accounting.actual']).toBe('number');
    expect(generation!.distinct_id).toBe('user-42');
    expect(generation!.properties).toMatchObject({
      $ai_model: genops['gen_ai.response.model'],
      $ai_provider: 'openai',
      $ai_input_tokens: genops['gen_ai.usage.input_tokens'],
      $ai_output_tokens: genops['gen_ai.usage.output_tokens'],
      $ai_total_cost_usd: genops['genops.accounting.actual'],
      $ai_trace_id: calls.allowed.spanContext().traceId,
      $ai_span_id: calls.allowed.spanContext().spanId,
      $ai_is_error: false,
      genops_team: 'support',
      genops_project: 'helpdesk-bot',
      genops_customer: 'acme-corp',
      genops_policy_result: 'ALLOWED',
      genops_reserved_usd: genops['genops.accounting.reserved'],
    });
    expect(generation!.properties.$ai_latency).toBeGreaterThan(0);
  });

  it('captures a blocked call as genops_call_blocked with its reason, not as a generation', () => {
    const blocked = events.filter((event) => event.event === 'genops_call_blocked');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.properties).toMatchObject({
      $ai_model: 'o1-preview',
      genops_policy_result: 'BLOCKED',
      genops_reason_code: 'POLICY_DENY_MODEL',
      genops_policy: 'no-o1',
    });
    expect(events.filter((event) => event.event === '$ai_generation')).toHaveLength(1);
  });

  it('sends no prompt or completion content', () => {
    expect(JSON.stringify(receiver.requests.map((request) => request.body))).not.toContain('ticket 1234');
  });
});
