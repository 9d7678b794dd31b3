import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Raindrop } from 'raindrop-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GovernedCalls, runGovernedCalls } from './__fixtures__/governed-calls';
import { type IngestionServer, spanWithId, startIngestionServer } from './__fixtures__/ingestion-server';
import { type DecodedSpan, receivedProtobufSpans } from './__fixtures__/otlp-protobuf';
import { GENOPS_INSTRUMENTATION_SCOPE, raindropSpanProcessor } from './raindrop';

// The real raindrop-ai client (external OpenTelemetry mode) builds the span processor; it exports OTLP
// protobuf to a local stand-in for Raindrop's API. What that receives is what Raindrop shows.
const ASSOCIATION = 'traceloop.association.properties';
let receiver: IngestionServer;
let raindrop: Raindrop;
let calls: GovernedCalls;
let received: DecodedSpan[];

beforeAll(async () => {
  receiver = await startIngestionServer();
  raindrop = new Raindrop({
    writeKey: 'rd_test_write_key_0001',
    endpoint: `${receiver.url}/v1/`,
    useExternalOtel: true,
    // No mirror to a local Raindrop Workshop daemon (it is auto-detected on loopback endpoints).
    localWorkshopUrl: false,
  });
  calls = await runGovernedCalls([raindropSpanProcessor(raindrop)]);
  received = receivedProtobufSpans(receiver.requests, '/v1/traces');
});
afterAll(async () => {
  await raindrop?.close();
  await receiver?.close();
});

const receivedSpan = (spanId: string): DecodedSpan => spanWithId(received, spanId);

describe('raindropSpanProcessor(new Raindrop({ useExternalOtel: true }))', () => {
  it("exports GenOps' spans (its scope allowed) to Raindrop's /v1/traces with the write key", () => {
    const requests = receiver.requests.filter((request) => request.path === '/v1/traces');
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.headers.authorization).toBe('Bearer rd_test_write_key_0001');
      expect(request.headers['content-type']).toBe('application/x-protobuf');
    }
    expect(received.map((span) => span.scope)).toContain(GENOPS_INSTRUMENTATION_SCOPE);
    expect(receivedSpan(calls.allowed.spanContext().spanId).traceId).toBe(calls.allowed.spanContext().traceId);
  });

  it('files the call under the user and conversation, with the attribution as properties', () => {
    const attributes = receivedSpan(calls.allowed.spanContext().spanId).attributes;
    expect(attributes).toMatchObject({
      [`${ASSOCIATION}.user_id`]: 'user-42',
      [`${ASSOCIATION}.convo_id`]: 'session-7',
      [`${ASSOCIATION}.genops_team`]: 'support',
      [`${ASSOCIATION}.genops_project`]: 'helpdesk-bot',
      [`${ASSOCIATION}.genops_customer`]: 'acme-corp',
      [`${ASSOCIATION}.genops_feature`]: 'triage',
      [`${ASSOCIATION}.genops_policy_result`]: 'ALLOWED',
    });
  });

  it('carries the cost GenOps settled (exact double) and the tokens in Traceloop names', () => {
    const genops = calls.allowed.attributes;
    const attributes = receivedSpan(calls.allowed.spanContext().spanId).attributes;
    expect(typeof genops['genops.accounting.actual']).toBe('number');
    expect(attributes[`${ASSOCIATION}.genops_cost_usd`]).toBe(genops['genops.accounting.actual']);
    expect(attributes[`${ASSOCIATION}.genops_reserved_usd`]).toBe(genops['genops.accounting.reserved']);
    const input = genops['gen_ai.usage.input_tokens'] as number;
    const output = genops['gen_ai.usage.output_tokens'] as number;
    expect(attributes).toMatchObject({
      'gen_ai.usage.prompt_tokens': input,
      'gen_ai.usage.completion_tokens': output,
      'llm.usage.total_tokens': input + output,
      'gen_ai.system': 'openai',
      'llm.request.type': 'chat',
      'gen_ai.response.model': genops['gen_ai.response.model'],
    });
  });

  it('shows a blocked call with its reason code and rule, as an error span without cost', () => {
    const span = receivedSpan(calls.blocked.spanContext().spanId);
    expect(span.attributes).toMatchObject({
      [`${ASSOCIATION}.genops_policy_result`]: 'BLOCKED',
      [`${ASSOCIATION}.genops_reason_code`]: 'POLICY_DENY_MODEL',
      [`${ASSOCIATION}.genops_policy`]: 'no-o1',
      'gen_ai.request.model': 'o1-preview',
    });
    expect(span.attributes[`${ASSOCIATION}.genops_cost_usd`]).toBeUndefined();
    expect(span.status.code).toBe(2);
  });

  it('sends no prompt or completion content', () => {
    for (const request of receiver.requests) expect(request.raw.includes('ticket 1234')).toBe(false);
  });
});

describe('inside a Raindrop interaction', () => {
  it("the call carries the interaction's event_id, so Raindrop shows it in the interaction's trace", async () => {
    // As in an app with the OpenTelemetry Node SDK: a context manager carries Raindrop's association
    // properties from interaction.withSpan() to the spans started inside it.
    const contextManager = new AsyncLocalStorageContextManager();
    context.setGlobalContextManager(contextManager.enable());
    const inner = await startIngestionServer();
    const client = new Raindrop({
      writeKey: 'rd_test_write_key_0001',
      endpoint: `${inner.url}/v1/`,
      useExternalOtel: true,
      localWorkshopUrl: false,
    });
    try {
      const interaction = client.begin({ eventId: 'evt-123', event: 'support_chat', userId: 'user-42' });
      const inside = await interaction.withSpan({ name: 'answer' }, () =>
        runGovernedCalls([raindropSpanProcessor(client)]),
      );
      const span = spanWithId(receivedProtobufSpans(inner.requests, '/v1/traces'), inside.allowed.spanContext().spanId);
      expect(span.attributes[`${ASSOCIATION}.event_id`]).toBe('evt-123');
      expect(span.attributes[`${ASSOCIATION}.genops_cost_usd`]).toBe(
        inside.allowed.attributes['genops.accounting.actual'],
      );
    } finally {
      await client.close();
      await inner.close();
      context.disable();
    }
  });
});
