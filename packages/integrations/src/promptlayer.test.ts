import { PromptLayer } from 'promptlayer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GovernedCalls, runGovernedCalls } from './__fixtures__/governed-calls';
import { type IngestionServer, startIngestionServer } from './__fixtures__/ingestion-server';
import { type PromptLayerRequestLog, PromptLayerSpanProcessor } from './promptlayer';

// The real promptlayer client logs requests to a local stand-in for PromptLayer's API, which answers
// `/log-request` with 201 as PromptLayer does (the SDK treats any other status as a failure).
let receiver: IngestionServer;
let calls: GovernedCalls;
let logs: PromptLayerRequestLog[];

beforeAll(async () => {
  receiver = await startIngestionServer((path) =>
    path === '/log-request' ? { status: 201, body: { id: 1, prompt_version: null } } : undefined,
  );
  const client = new PromptLayer({ apiKey: 'pl_test_key_0001', baseURL: receiver.url });
  calls = await runGovernedCalls([new PromptLayerSpanProcessor({ client })]);
  logs = receiver.requests
    .filter((request) => request.path === '/log-request')
    .map((request) => request.body as PromptLayerRequestLog);
});
afterAll(async () => {
  await receiver?.close();
});

const logOf = (model: string): PromptLayerRequestLog => {
  const log = logs.find((candidate) => candidate.model === model);
  if (!log) throw new Error(`PromptLayer received no request log for ${model}`);
  return log;
};

describe('PromptLayerSpanProcessor', () => {
  it('logs through the SDK to /log-request with the API key header', () => {
    const requests = receiver.requests.filter((request) => request.path === '/log-request');
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.method).toBe('POST');
      expect(request.headers['x-api-key']).toBe('pl_test_key_0001');
    }
  });

  it('logs an allowed call with its model, tokens, and the cost GenOps settled as its price', () => {
    const genops = calls.allowed.attributes;
    const log = logOf(String(genops['gen_ai.response.model']));
    expect(typeof genops['genops.accounting.actual']).toBe('number');
    expect(log).toMatchObject({
      provider: 'openai',
      input_tokens: genops['gen_ai.usage.input_tokens'],
      output_tokens: genops['gen_ai.usage.output_tokens'],
      price: genops['genops.accounting.actual'],
      status: 'SUCCESS',
      tags: ['team:support', 'project:helpdesk-bot', 'customer:acme-corp', 'genops:ALLOWED'],
    });
    expect(log.metadata).toMatchObject({
      user_id: 'user-42',
      session_id: 'session-7',
      genops_team: 'support',
      genops_project: 'helpdesk-bot',
      genops_customer: 'acme-corp',
      genops_feature: 'triage',
      genops_policy_result: 'ALLOWED',
      genops_cost_usd: String(genops['genops.accounting.actual']),
      trace_id: calls.allowed.spanContext().traceId,
      span_id: calls.allowed.spanContext().spanId,
    });
    // Unix seconds, as PromptLayer takes them.
    expect(log.request_start_time).toBeCloseTo(calls.allowed.startTime[0], -1);
    expect(log.request_end_time).toBeGreaterThanOrEqual(log.request_start_time);
  });

  it('logs a blocked call as an ERROR with its reason code and rule, and no price', () => {
    const log = logOf('o1-preview');
    expect(log).toMatchObject({
      status: 'ERROR',
      error_type: 'POLICY_DENY_MODEL',
      error_message: 'GenOps BLOCKED POLICY_DENY_MODEL (rule no-o1)',
      tags: ['team:support', 'project:helpdesk-bot', 'customer:acme-corp', 'genops:BLOCKED'],
    });
    expect(log.metadata).toMatchObject({ genops_reason_code: 'POLICY_DENY_MODEL', genops_policy: 'no-o1' });
    expect(log.price).toBeUndefined();
  });

  it('sends empty prompt and completion templates: no content', () => {
    for (const log of logs) {
      expect(log.input).toEqual({ type: 'chat', messages: [] });
      expect(log.output).toEqual({ type: 'chat', messages: [] });
    }
    expect(JSON.stringify(logs)).not.toContain('ticket 1234');
  });

  it('never throws into the app when PromptLayer refuses a log', async () => {
    // A 4xx: the SDK does not retry it (it retries 5xx with a back-off), and rejects with its message.
    const failing = await startIngestionServer(() => ({ status: 400, body: { message: 'invalid request log' } }));
    try {
      const client = new PromptLayer({ apiKey: 'pl_test_key_0001', baseURL: failing.url });
      const processor = new PromptLayerSpanProcessor({ client });
      expect(() => processor.onEnd(calls.allowed)).not.toThrow();
      await expect(processor.forceFlush()).resolves.toBeUndefined();
      expect(failing.requests.filter((request) => request.path === '/log-request').length).toBeGreaterThan(0);
    } finally {
      await failing.close();
    }
  });
});
