import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GovernedCalls, runGovernedCalls } from './__fixtures__/governed-calls';
import { type IngestionServer, spanWithId, startIngestionServer } from './__fixtures__/ingestion-server';
import { type DecodedSpan, receivedProtobufSpans } from './__fixtures__/otlp-protobuf';
import { IntegrationConfigError } from './integration-config-error';
import { weaveOtlpExporterConfig, withWeave } from './weave';

// The OpenTelemetry protobuf exporter, configured by weaveOtlpExporterConfig(), sends to a local stand-in
// for Weave's trace server; what it receives is what Weave's OTLP ingestion maps onto calls.
const WEAVE_PATH = '/otel/v1/traces';
let receiver: IngestionServer;
let calls: GovernedCalls;
let received: DecodedSpan[];

beforeAll(async () => {
  receiver = await startIngestionServer();
  const config = weaveOtlpExporterConfig(
    { baseUrl: receiver.url },
    { WANDB_API_KEY: 'wandb-test-key-0001', WANDB_ENTITY: 'acme', WANDB_PROJECT: 'helpdesk' },
  );
  const exporter = new OTLPTraceExporter(config);
  calls = await runGovernedCalls([withWeave(new SimpleSpanProcessor({ exporter }))]);
  received = receivedProtobufSpans(receiver.requests, WEAVE_PATH);
});
afterAll(async () => {
  await receiver?.close();
});

const receivedSpan = (spanId: string): DecodedSpan => spanWithId(received, spanId);

describe('withWeave() and weaveOtlpExporterConfig()', () => {
  it("posts protobuf to Weave's OTLP path with the documented auth and project headers", () => {
    const requests = receiver.requests.filter((request) => request.path === WEAVE_PATH);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/x-protobuf');
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from('api:wandb-test-key-0001').toString('base64')}`);
      expect(request.headers.project_id).toBe('acme/helpdesk');
      // The key travels in its header only.
      expect(request.raw.includes('wandb-test-key-0001')).toBe(false);
    }
  });

  it('carries the model, tokens and the cost GenOps settled (exact double) into the call attributes', () => {
    const genops = calls.allowed.attributes;
    const attributes = receivedSpan(calls.allowed.spanContext().spanId).attributes;
    // Weave reads the model and tokens from the GenAI attributes GenOps records.
    expect(attributes['gen_ai.response.model']).toBe(genops['gen_ai.response.model']);
    expect(attributes['gen_ai.usage.input_tokens']).toBe(genops['gen_ai.usage.input_tokens']);
    expect(attributes['gen_ai.usage.output_tokens']).toBe(genops['gen_ai.usage.output_tokens']);
    expect(typeof genops['genops.accounting.actual']).toBe('number');
    expect(attributes['wandb.attributes.genops_cost_usd']).toBe(genops['genops.accounting.actual']);
    expect(attributes['wandb.attributes.genops_reserved_usd']).toBe(genops['genops.accounting.reserved']);
    expect(attributes['wandb.display_name']).toBe(`chat ${genops['gen_ai.response.model']}`);
  });

  it('maps the attribution to call attributes and the session to a Weave thread', () => {
    const attributes = receivedSpan(calls.allowed.spanContext().spanId).attributes;
    expect(attributes['wandb.thread_id']).toBe('session-7');
    expect(attributes).toMatchObject({
      'wandb.attributes.genops_team': 'support',
      'wandb.attributes.genops_project': 'helpdesk-bot',
      'wandb.attributes.genops_customer': 'acme-corp',
      'wandb.attributes.genops_user': 'user-42',
      'wandb.attributes.genops_feature': 'triage',
      'wandb.attributes.genops_policy_result': 'ALLOWED',
    });
  });

  it('shows a blocked call by name and status, with its reason and rule, and no cost', () => {
    const span = receivedSpan(calls.blocked.spanContext().spanId);
    expect(span.attributes['wandb.display_name']).toBe('chat o1-preview BLOCKED POLICY_DENY_MODEL');
    expect(span.attributes['wandb.attributes.genops_policy_result']).toBe('BLOCKED');
    expect(span.attributes['wandb.attributes.genops_reason_code']).toBe('POLICY_DENY_MODEL');
    expect(span.attributes['wandb.attributes.genops_policy']).toBe('no-o1');
    expect(span.attributes['wandb.attributes.genops_cost_usd']).toBeUndefined();
    // Weave marks a call whose span has an ERROR status as failed, with the status message as exception.
    expect(span.status.code).toBe(2);
  });

  it('sends no prompt or completion content', () => {
    for (const request of receiver.requests) expect(request.raw.includes('ticket 1234')).toBe(false);
  });
});

describe('weaveOtlpExporterConfig()', () => {
  const env = { WANDB_API_KEY: 'k', WANDB_ENTITY: 'acme', WANDB_PROJECT: 'helpdesk' };

  it('defaults to the multi-tenant cloud and appends the OTLP path to a dedicated-cloud base', () => {
    expect(weaveOtlpExporterConfig({}, env).url).toBe('https://trace.wandb.ai/otel/v1/traces');
    expect(weaveOtlpExporterConfig({ baseUrl: 'https://acme.wandb.io/traces/' }, env).url).toBe(
      'https://acme.wandb.io/traces/otel/v1/traces',
    );
  });

  it('names the missing option and its environment variable', () => {
    const attempt = () => weaveOtlpExporterConfig({}, { WANDB_API_KEY: 'k', WANDB_ENTITY: 'acme' });
    expect(attempt).toThrow(IntegrationConfigError);
    expect(attempt).toThrow(
      'weave: no Weave project (pass { project } to weaveOtlpExporterConfig(), or set WANDB_PROJECT)',
    );
    expect(() => weaveOtlpExporterConfig({ apiKey: ' ' }, {})).toThrow(/WANDB_API_KEY/);
  });

  it('refuses an entity/project pair in one option and a base URL that is not http(s)', () => {
    expect(() => weaveOtlpExporterConfig({ project: 'acme/helpdesk' }, env)).toThrow(/without "\/"/);
    expect(() => weaveOtlpExporterConfig({ baseUrl: 'ftp://trace.wandb.ai' }, env)).toThrow(/http\(s\)/);
    expect(() => weaveOtlpExporterConfig({ baseUrl: 'not a url' }, env)).toThrow(/not a URL/);
  });
});
