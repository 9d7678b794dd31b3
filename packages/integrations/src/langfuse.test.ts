import { LangfuseOtelSpanAttributes as Langfuse } from '@langfuse/core';
import { LangfuseSpanProcessor } from '@langfuse/otel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GovernedCalls, runGovernedCalls } from './__fixtures__/governed-calls';
import { type IngestionServer, receivedSpans, spanWithId, startIngestionServer } from './__fixtures__/ingestion-server';
import { withLangfuse } from './langfuse';

// The real @langfuse/otel processor exports to a local stand-in for Langfuse's OTLP endpoint; what it
// receives is what Langfuse would show.
let receiver: IngestionServer;
let calls: GovernedCalls;
let received: ReturnType<typeof receivedSpans>;

beforeAll(async () => {
  receiver = await startIngestionServer();
  const processor = new LangfuseSpanProcessor({
    baseUrl: receiver.url,
    publicKey: 'pk-lf-test',
    secretKey: 'sk-lf-test',
    mediaUploadEnabled: false,
  });
  calls = await runGovernedCalls([withLangfuse(processor)]);
  received = receivedSpans(receiver, '/api/public/otel/v1/traces');
});
afterAll(async () => {
  await receiver?.close();
});

const receivedSpan = (spanId: string) => spanWithId(received, spanId);

describe('withLangfuse(new LangfuseSpanProcessor())', () => {
  it('exports to Langfuse OTLP endpoint with the project keys', () => {
    const request = receiver.requests.find((candidate) => candidate.path === '/api/public/otel/v1/traces');
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('pk-lf-test:sk-lf-test').toString('base64')}`);
  });

  it('shows an allowed call as a generation with the cost GenOps settled and its usage', () => {
    const genops = calls.allowed.attributes;
    const attributes = receivedSpan(calls.allowed.spanContext().spanId).attributes;
    expect(attributes[Langfuse.OBSERVATION_TYPE]).toBe('generation');
    expect(attributes[Langfuse.OBSERVATION_MODEL]).toBe(genops['gen_ai.response.model']);
    expect(typeof genops['genops.accounting.actual']).toBe('number');
    expect(JSON.parse(String(attributes[Langfuse.OBSERVATION_COST_DETAILS]))).toEqual({
      total: genops['genops.accounting.actual'],
    });
    const input = genops['gen_ai.usage.input_tokens'] as number;
    const output = genops['gen_ai.usage.output_tokens'] as number;
    const expected: Record<string, unknown> = { input, output, total: input + output };
    // Cached and reasoning tokens are passed on when recorded (GenOps leaves out a zero count: 0 here).
    if (genops['gen_ai.usage.cache_read.input_tokens'] !== undefined)
      expected.cache_read_input_tokens = genops['gen_ai.usage.cache_read.input_tokens'];
    if (genops['gen_ai.usage.reasoning.output_tokens'] !== undefined)
      expected.reasoning_tokens = genops['gen_ai.usage.reasoning.output_tokens'];
    expect(JSON.parse(String(attributes[Langfuse.OBSERVATION_USAGE_DETAILS]))).toEqual(expected);
    expect(genops['gen_ai.usage.cache_read.input_tokens']).toBeUndefined();
    expect(attributes[Langfuse.OBSERVATION_LEVEL]).toBeUndefined();
  });

  it('maps user, session, environment and the attribution (customer, team, project)', () => {
    const attributes = receivedSpan(calls.allowed.spanContext().spanId).attributes;
    expect(attributes[Langfuse.TRACE_USER_ID]).toBe('user-42');
    expect(attributes[Langfuse.TRACE_SESSION_ID]).toBe('session-7');
    expect(attributes[Langfuse.ENVIRONMENT]).toBe('staging');
    expect(attributes[Langfuse.TRACE_TAGS]).toEqual(['team:support', 'project:helpdesk-bot', 'customer:acme-corp']);
    expect(attributes[`${Langfuse.OBSERVATION_METADATA}.genops_customer`]).toBe('acme-corp');
    expect(attributes[`${Langfuse.OBSERVATION_METADATA}.genops_team`]).toBe('support');
    expect(attributes[`${Langfuse.OBSERVATION_METADATA}.genops_policy_result`]).toBe('ALLOWED');
    // GenOps' own attributes reach Langfuse too, unchanged.
    expect(attributes['genops.accounting.actual']).toBe(calls.allowed.attributes['genops.accounting.actual']);
    expect(attributes['genops.customer_id']).toBe('acme-corp');
  });

  it('marks a blocked call as an error with its reason code, and it has no cost', () => {
    const attributes = receivedSpan(calls.blocked.spanContext().spanId).attributes;
    expect(attributes[Langfuse.OBSERVATION_LEVEL]).toBe('ERROR');
    expect(attributes[Langfuse.OBSERVATION_STATUS_MESSAGE]).toBe('POLICY_DENY_MODEL');
    expect(attributes[Langfuse.OBSERVATION_COST_DETAILS]).toBeUndefined();
    expect(attributes['genops.policy.result']).toBe('BLOCKED');
  });

  it('sends no prompt or completion content', () => {
    expect(JSON.stringify(receiver.requests.map((request) => request.body))).not.toContain('ticket 1234');
  });
});
