import { SemanticConventions as OI, OpenInferenceSpanKind } from '@arizeai/openinference-semantic-conventions';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GovernedCalls, runGovernedCalls } from './__fixtures__/governed-calls';
import { type IngestionServer, receivedSpans, spanWithId, startIngestionServer } from './__fixtures__/ingestion-server';
import { withOpenInference } from './openinference';

// GenOps units exported over OTLP/HTTP to a local stand-in for Phoenix's collector (`/v1/traces`), read
// with the attribute names of the OpenInference conventions package.
let receiver: IngestionServer;
let calls: GovernedCalls;
let received: ReturnType<typeof receivedSpans>;

beforeAll(async () => {
  receiver = await startIngestionServer();
  const exporter = new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` });
  calls = await runGovernedCalls([withOpenInference(new SimpleSpanProcessor({ exporter }))]);
  received = receivedSpans(receiver, '/v1/traces');
});
afterAll(async () => {
  await receiver?.close();
});

const receivedSpan = (spanId: string) => spanWithId(received, spanId);

describe('withOpenInference(processor)', () => {
  it('makes a governed call an LLM span with token counts and the cost GenOps settled', () => {
    const genops = calls.allowed.attributes;
    const attributes = receivedSpan(calls.allowed.spanContext().spanId).attributes;
    expect(attributes[OI.OPENINFERENCE_SPAN_KIND]).toBe(OpenInferenceSpanKind.LLM);
    expect(attributes[OI.LLM_MODEL_NAME]).toBe(genops['gen_ai.response.model']);
    expect(attributes[OI.LLM_PROVIDER]).toBe('openai');
    expect(attributes[OI.LLM_SYSTEM]).toBe('openai');
    const input = genops['gen_ai.usage.input_tokens'] as number;
    const output = genops['gen_ai.usage.output_tokens'] as number;
    expect(attributes[OI.LLM_TOKEN_COUNT_PROMPT]).toBe(input);
    expect(attributes[OI.LLM_TOKEN_COUNT_COMPLETION]).toBe(output);
    expect(attributes[OI.LLM_TOKEN_COUNT_TOTAL]).toBe(input + output);
    expect(typeof genops['genops.accounting.actual']).toBe('number');
    expect(attributes[OI.LLM_COST_TOTAL]).toBe(genops['genops.accounting.actual']);
  });

  it('carries user, session, tags and the attribution and decision as metadata', () => {
    const attributes = receivedSpan(calls.allowed.spanContext().spanId).attributes;
    expect(attributes[OI.USER_ID]).toBe('user-42');
    expect(attributes[OI.SESSION_ID]).toBe('session-7');
    expect(attributes[OI.TAG_TAGS]).toEqual(['team:support', 'project:helpdesk-bot', 'customer:acme-corp']);
    expect(JSON.parse(String(attributes[OI.METADATA]))).toMatchObject({
      team: 'support',
      project: 'helpdesk-bot',
      customer: 'acme-corp',
      'genops.policy.result': 'ALLOWED',
      'genops.accounting.reserved': calls.allowed.attributes['genops.accounting.reserved'],
    });
  });

  it('shows a blocked call with its decision and no token counts or cost', () => {
    const attributes = receivedSpan(calls.blocked.spanContext().spanId).attributes;
    expect(JSON.parse(String(attributes[OI.METADATA]))).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'POLICY_DENY_MODEL',
      'genops.policy.name': 'no-o1',
    });
    expect(attributes[OI.LLM_TOKEN_COUNT_PROMPT]).toBeUndefined();
    expect(attributes[OI.LLM_COST_TOTAL]).toBeUndefined();
  });
});
