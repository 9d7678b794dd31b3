import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkCompliance, fromOtlpJson } from '@genops/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from './errors/config-error';
import { GenOps } from './genops';

// `exporter: 'otlp'` sets up the OpenTelemetry SDK itself (none is registered in this test file's
// process) and exports over OTLP/HTTP to a receiver on 127.0.0.1; the conformance checker reads
// exactly what went over the wire.

const received: Array<{ path: string; body: string }> = [];
const receiver = createServer((request: IncomingMessage, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    received.push({ path: request.url ?? '', body });
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  await new Promise((resolve) => receiver.close(resolve));
});

describe("GenOps.init({ exporter: 'otlp' })", () => {
  it('exports compliant spans and the metrics over OTLP/HTTP, flushed by shutdown()', async () => {
    const genops = GenOps.init({
      exporter: 'otlp',
      serviceName: 'otlp-test',
      autoInstrument: false,
      defaults: { team: 'a', project: 'b', environment: 'test' },
    });
    const call = await genops.governor.begin({
      provider: 'openai',
      operation: 'chat',
      model: 'gpt-4o',
      estimatedInputTokens: 100,
      maxOutputTokens: 10,
    });
    await call.end({ usage: { inputTokens: 50, outputTokens: 5 } });
    await genops.shutdown();

    const traces = received.filter((request) => request.path === '/v1/traces');
    expect(traces).toHaveLength(1);
    const spans = fromOtlpJson(traces[0]!.body);
    expect(spans.map((span) => span.name)).toEqual(['chat gpt-4o']);
    expect(traces[0]!.body).toContain('"otlp-test"');
    expect(checkCompliance(spans)).toMatchObject({ compliant: true, checked: 1, violations: [] });
    const metricsBody = received.find((request) => request.path === '/v1/metrics')?.body ?? '';
    for (const name of [
      'gen_ai.client.operation.duration',
      'gen_ai.client.token.usage',
      'genops.cost',
      'genops.policy.decisions',
    ]) {
      expect(metricsBody).toContain(`"${name}"`);
    }
  });

  it('rejects a bad GENOPS_EXPORTER with a ConfigError', () => {
    process.env.GENOPS_EXPORTER = 'zipkin';
    try {
      expect(() => GenOps.init({ autoInstrument: false })).toThrow(ConfigError);
      expect(() => GenOps.init({ autoInstrument: false })).toThrow(
        /GENOPS_EXPORTER.*"console", "otlp", "prometheus" or "none"/,
      );
    } finally {
      delete process.env.GENOPS_EXPORTER;
    }
  });
});
