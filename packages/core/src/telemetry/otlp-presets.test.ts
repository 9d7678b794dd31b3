import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GenOpsOptions } from '../config';
import { ConfigError } from '../errors/config-error';
import { GenOps } from '../genops';
import { chatRequest } from '../test-support/core-test-setup';
import { OTLP_PRESETS, type OtlpExporterOptions, resolveOtlpTarget } from './otlp-presets';

// Each preset is checked twice: its URLs and headers as resolved from the environment (the vendor's
// documented endpoint, region by region), and on the wire: GenOps.init({ exporter: { otlp: { preset } } })
// sets up the OpenTelemetry SDK with the preset's exporters, a governed call runs, and shutdown() flushes
// traces, metrics and logs to a receiver on 127.0.0.1 that records path, headers and body.

interface Captured {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const received: Captured[] = [];
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
    const json = request.headers['content-type'] === 'application/json';
    response
      .writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
      .end(json ? '{}' : '');
  });
});
let endpoint = '';

const SECRETS = {
  DD_API_KEY: 'dd-secret-0001',
  GRAFANA_CLOUD_INSTANCE_ID: '123456',
  GRAFANA_CLOUD_API_KEY: 'glc_secret_0002',
  HONEYCOMB_API_KEY: 'hc-secret-0003',
  SPLUNK_ACCESS_TOKEN: 'sf-secret-0004',
  ELASTIC_API_KEY: 'es-secret-0005',
  NEW_RELIC_LICENSE_KEY: 'nr-secret-0006',
  SIGNOZ_INGESTION_KEY: 'sz-secret-0007',
  CRIBL_AUTH_TOKEN: 'cr-secret-0008',
} as const;

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => receiver.close(resolve)));
afterEach(() => {
  received.length = 0;
  for (const name of Object.keys(SECRETS)) delete process.env[name];
  // Each GenOps.init() below registers its own SDK globally; shutdown() flushed it, this unregisters it.
  trace.disable();
  metrics.disable();
});

describe('resolveOtlpTarget: the documented endpoint and headers of each platform', () => {
  const env = { ...SECRETS };
  const urls = (options: OtlpExporterOptions, environment: Record<string, string> = env) => {
    const target = resolveOtlpTarget({ ...options, logs: options.logs ?? false }, environment);
    return { traces: target.traces.url, metrics: target.metrics?.url, logs: target.logs?.url };
  };

  it('otel-collector and jaeger default to a local OTLP/HTTP receiver on 4318; jaeger takes traces only', () => {
    expect(urls({ preset: 'otel-collector', logs: true })).toEqual({
      traces: 'http://localhost:4318/v1/traces',
      metrics: 'http://localhost:4318/v1/metrics',
      logs: 'http://localhost:4318/v1/logs',
    });
    expect(urls({ preset: 'jaeger', endpoint: 'http://jaeger:4318/' })).toEqual({
      traces: 'http://jaeger:4318/v1/traces',
      metrics: undefined,
      logs: undefined,
    });
  });

  it('datadog: agentless intake per site, dd-api-key, delta metrics, dd-protocol on logs', () => {
    const us = resolveOtlpTarget({ preset: 'datadog', logs: true }, env);
    expect(us.traces).toEqual({
      url: 'https://otlp.datadoghq.com/v1/traces',
      headers: { 'dd-api-key': SECRETS.DD_API_KEY },
    });
    expect(us.metrics).toEqual({
      url: 'https://api.datadoghq.com/api/intake/otlp/v1/metrics',
      headers: { 'dd-api-key': SECRETS.DD_API_KEY },
      temporality: 'delta',
    });
    expect(us.logs).toEqual({
      url: 'https://http-intake.logs.datadoghq.com/v1/logs',
      headers: { 'dd-api-key': SECRETS.DD_API_KEY, 'dd-protocol': 'otlp' },
    });
    expect(urls({ preset: 'datadog' }, { ...env, DD_SITE: 'datadoghq.eu' }).traces).toBe(
      'https://otlp.datadoghq.eu/v1/traces',
    );
    expect(urls({ preset: 'datadog', region: 'us5.datadoghq.com' }).metrics).toBe(
      'https://api.us5.datadoghq.com/api/intake/otlp/v1/metrics',
    );
  });

  it('grafana-cloud: the OTLP gateway of the zone, Basic base64(instance:token)', () => {
    const target = resolveOtlpTarget({ preset: 'grafana-cloud', region: 'prod-eu-west-2', logs: true }, env);
    expect(target.traces.url).toBe('https://otlp-gateway-prod-eu-west-2.grafana.net/otlp/v1/traces');
    expect(target.metrics?.url).toBe('https://otlp-gateway-prod-eu-west-2.grafana.net/otlp/v1/metrics');
    expect(target.logs?.url).toBe('https://otlp-gateway-prod-eu-west-2.grafana.net/otlp/v1/logs');
    expect(target.traces.headers).toEqual({
      Authorization: `Basic ${Buffer.from('123456:glc_secret_0002').toString('base64')}`,
    });
    expect(
      urls(
        { preset: 'grafana-cloud' },
        { ...env, GRAFANA_CLOUD_OTLP_ENDPOINT: 'https://otlp-gateway-prod-us-east-0.grafana.net/otlp' },
      ).traces,
    ).toBe('https://otlp-gateway-prod-us-east-0.grafana.net/otlp/v1/traces');
  });

  it('honeycomb: US and EU hosts, x-honeycomb-team, a dataset header on metrics only', () => {
    const us = resolveOtlpTarget({ preset: 'honeycomb' }, env);
    expect(us.traces).toEqual({
      url: 'https://api.honeycomb.io/v1/traces',
      headers: { 'x-honeycomb-team': SECRETS.HONEYCOMB_API_KEY },
    });
    expect(us.metrics?.headers).toEqual({
      'x-honeycomb-team': SECRETS.HONEYCOMB_API_KEY,
      'x-honeycomb-dataset': 'genops-metrics',
    });
    expect(urls({ preset: 'honeycomb', region: 'eu1' }).traces).toBe('https://api.eu1.honeycomb.io/v1/traces');
  });

  it('splunk: the realm ingest host, /v2/trace/otlp and /v2/datapoint/otlp, X-SF-Token; no logs intake', () => {
    const target = resolveOtlpTarget({ preset: 'splunk', region: 'us1' }, env);
    expect(target.traces).toEqual({
      url: 'https://ingest.us1.signalfx.com/v2/trace/otlp',
      headers: { 'X-SF-Token': SECRETS.SPLUNK_ACCESS_TOKEN },
    });
    expect(target.metrics?.url).toBe('https://ingest.us1.signalfx.com/v2/datapoint/otlp');
    expect(() => resolveOtlpTarget({ preset: 'splunk', region: 'us1', logs: true }, env)).toThrow(
      /no OTLP logs intake.*Splunk HEC/,
    );
  });

  it('elastic: the deployment endpoint, Authorization ApiKey (or Bearer for an APM secret token)', () => {
    const endpointEnv = { ELASTIC_OTLP_ENDPOINT: 'https://my-project.ingest.us-east-1.aws.elastic.cloud:443' };
    const apiKey = resolveOtlpTarget({ preset: 'elastic' }, { ...endpointEnv, ELASTIC_API_KEY: 'es-secret-0005' });
    expect(apiKey.traces).toEqual({
      url: 'https://my-project.ingest.us-east-1.aws.elastic.cloud:443/v1/traces',
      headers: { Authorization: 'ApiKey es-secret-0005' },
    });
    const token = resolveOtlpTarget({ preset: 'elastic' }, { ...endpointEnv, ELASTIC_APM_SECRET_TOKEN: 'apm-token' });
    expect(token.traces.headers).toEqual({ Authorization: 'Bearer apm-token' });
  });

  it('new-relic: US and EU endpoints, api-key, delta metrics', () => {
    const us = resolveOtlpTarget({ preset: 'new-relic' }, env);
    expect(us.traces).toEqual({
      url: 'https://otlp.nr-data.net/v1/traces',
      headers: { 'api-key': SECRETS.NEW_RELIC_LICENSE_KEY },
    });
    expect(us.metrics?.temporality).toBe('delta');
    expect(urls({ preset: 'new-relic', region: 'eu' }).traces).toBe('https://otlp.eu01.nr-data.net/v1/traces');
    expect(urls({ preset: 'new-relic', region: 'fedramp' }).traces).toBe('https://gov-otlp.nr-data.net/v1/traces');
  });

  it('signoz: SigNoz Cloud on 443 with signoz-ingestion-key per region, self-hosted on 4318 without a key', () => {
    const cloud = resolveOtlpTarget({ preset: 'signoz', region: 'eu' }, env);
    expect(cloud.traces).toEqual({
      url: 'https://ingest.eu.signoz.cloud:443/v1/traces',
      headers: { 'signoz-ingestion-key': SECRETS.SIGNOZ_INGESTION_KEY },
    });
    expect(resolveOtlpTarget({ preset: 'signoz' }, {}).traces).toEqual({
      url: 'http://localhost:4318/v1/traces',
      headers: {},
    });
  });

  it('cribl: the OpenTelemetry Source address, a Bearer auth token when one is set', () => {
    const target = resolveOtlpTarget({ preset: 'cribl', endpoint: 'https://default.main.acme.cribl.cloud:20000' }, env);
    expect(target.traces).toEqual({
      url: 'https://default.main.acme.cribl.cloud:20000/v1/traces',
      headers: { Authorization: 'Bearer cr-secret-0008' },
    });
  });

  it('a missing key, address or bad region is a ConfigError naming the variable, never a value', () => {
    const error = (run: () => unknown): ConfigError => {
      try {
        run();
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    const noKey = error(() => resolveOtlpTarget({ preset: 'datadog' }, {}));
    expect(noKey).toBeInstanceOf(ConfigError);
    expect(noKey.message).toBe(
      'Invalid GenOps option `exporter.otlp`: preset "datadog" reads your Datadog API key from DD_API_KEY, which is not set (expected DD_API_KEY in the environment (never in code))',
    );
    const noAddress = error(() => resolveOtlpTarget({ preset: 'elastic' }, { ELASTIC_API_KEY: 'es-secret-0005' }));
    expect(noAddress.message).toContain('preset "elastic" needs the address of your account');
    expect(noAddress.message).toContain('ELASTIC_OTLP_ENDPOINT');
    expect(noAddress.message).not.toContain('es-secret-0005');
    expect(error(() => resolveOtlpTarget({ preset: 'datadog' }, { ...env, DD_SITE: 'evil.com/x?' })).message).toContain(
      'Invalid GenOps option `DD_SITE`',
    );
    expect(() =>
      GenOps.init({ exporter: { otlp: { preset: 'datadog', region: 'EU WEST' } }, autoInstrument: false }),
    ).toThrow(/exporter\.otlp\.region/);
  });
});

/** One governed call through GenOps set up with `options`, flushed by shutdown(): what the receiver got. */
async function governedCall(options: GenOpsOptions): Promise<Captured[]> {
  const genops = GenOps.init({ decisionLogs: true, serviceName: 'preset-test', autoInstrument: false, ...options });
  const call = await genops.governor.begin(chatRequest());
  await call.end({ usage: { inputTokens: 50, outputTokens: 5 } });
  await genops.shutdown();
  return [...received];
}

const governedCallThrough = (otlp: OtlpExporterOptions) => governedCall({ exporter: { otlp } });

const byPath = (requests: Captured[], path: string) => requests.filter((request) => request.path === path);

describe('every preset on the wire (OTLP/HTTP protobuf to a receiver on 127.0.0.1)', () => {
  // The vendor host is replaced by the receiver (`endpoint`, as for a proxy); paths and headers are the preset's.
  const cases: Array<{
    preset: (typeof OTLP_PRESETS)[number];
    paths: { traces: string; metrics?: string; logs?: string };
    headers: Record<string, string>;
    logs: boolean;
  }> = [
    {
      preset: 'otel-collector',
      paths: { traces: '/v1/traces', metrics: '/v1/metrics', logs: '/v1/logs' },
      headers: {},
      logs: true,
    },
    {
      preset: 'datadog',
      paths: { traces: '/v1/traces', metrics: '/api/intake/otlp/v1/metrics', logs: '/v1/logs' },
      headers: { 'dd-api-key': SECRETS.DD_API_KEY },
      logs: true,
    },
    {
      preset: 'grafana-cloud',
      paths: { traces: '/otlp/v1/traces', metrics: '/otlp/v1/metrics', logs: '/otlp/v1/logs' },
      headers: { authorization: `Basic ${Buffer.from('123456:glc_secret_0002').toString('base64')}` },
      logs: true,
    },
    {
      preset: 'honeycomb',
      paths: { traces: '/v1/traces', metrics: '/v1/metrics', logs: '/v1/logs' },
      headers: { 'x-honeycomb-team': SECRETS.HONEYCOMB_API_KEY },
      logs: true,
    },
    {
      preset: 'splunk',
      paths: { traces: '/v2/trace/otlp', metrics: '/v2/datapoint/otlp' },
      headers: { 'x-sf-token': SECRETS.SPLUNK_ACCESS_TOKEN },
      logs: false,
    },
    {
      preset: 'elastic',
      paths: { traces: '/v1/traces', metrics: '/v1/metrics', logs: '/v1/logs' },
      headers: { authorization: `ApiKey ${SECRETS.ELASTIC_API_KEY}` },
      logs: true,
    },
    {
      preset: 'new-relic',
      paths: { traces: '/v1/traces', metrics: '/v1/metrics', logs: '/v1/logs' },
      headers: { 'api-key': SECRETS.NEW_RELIC_LICENSE_KEY },
      logs: true,
    },
    { preset: 'jaeger', paths: { traces: '/v1/traces' }, headers: {}, logs: false },
    {
      preset: 'signoz',
      paths: { traces: '/v1/traces', metrics: '/v1/metrics', logs: '/v1/logs' },
      headers: { 'signoz-ingestion-key': SECRETS.SIGNOZ_INGESTION_KEY },
      logs: true,
    },
    {
      preset: 'cribl',
      paths: { traces: '/v1/traces', metrics: '/v1/metrics', logs: '/v1/logs' },
      headers: { authorization: `Bearer ${SECRETS.CRIBL_AUTH_TOKEN}` },
      logs: true,
    },
  ];

  it('covers every preset', () => {
    expect(cases.map((entry) => entry.preset).sort()).toEqual([...OTLP_PRESETS].sort());
  });

  it.each(cases)(
    '$preset: exact paths, auth headers and application/x-protobuf',
    async ({ preset, paths, headers, logs }) => {
      Object.assign(process.env, SECRETS);
      const base = preset === 'grafana-cloud' ? `${endpoint}/otlp` : endpoint;
      const requests = await governedCallThrough({ preset, endpoint: base, logs });

      const expectedPaths = Object.values(paths).sort();
      expect([...new Set(requests.map((request) => request.path))].sort()).toEqual(expectedPaths);
      for (const request of requests) {
        expect(request.headers['content-type']).toBe('application/x-protobuf');
        for (const [name, value] of Object.entries(headers)) expect(request.headers[name.toLowerCase()]).toBe(value);
        // No secret travels in a body, only in its header.
        for (const secret of Object.values(SECRETS)) expect(request.body.includes(secret)).toBe(false);
      }
      const [traces] = byPath(requests, paths.traces);
      expect(traces?.body.includes('chat gpt-4o')).toBe(true);
      expect(traces?.body.includes('preset-test')).toBe(true);
      if (paths.metrics) expect(byPath(requests, paths.metrics)[0]?.body.includes('genops.cost')).toBe(true);
      if (paths.logs) {
        const logBodies = Buffer.concat(byPath(requests, paths.logs).map((request) => request.body));
        expect(logBodies.includes('genops.decision')).toBe(true);
        expect(logBodies.includes('genops.settlement')).toBe(true);
      }
      if (preset === 'datadog') expect(byPath(requests, paths.logs!)[0]?.headers['dd-protocol']).toBe('otlp');
      if (preset === 'honeycomb') {
        expect(byPath(requests, paths.metrics!)[0]?.headers['x-honeycomb-dataset']).toBe('genops-metrics');
        expect(byPath(requests, paths.traces)[0]?.headers['x-honeycomb-dataset']).toBeUndefined();
      }
    },
  );

  it('protocol http/json sends OTLP JSON; a delta preset sends delta temporality', async () => {
    process.env.DD_API_KEY = SECRETS.DD_API_KEY;
    const requests = await governedCallThrough({ preset: 'datadog', endpoint, protocol: 'http/json' });
    const [metricsRequest] = byPath(requests, '/api/intake/otlp/v1/metrics');
    expect(metricsRequest?.headers['content-type']).toBe('application/json');
    const body = JSON.parse(metricsRequest!.body.toString('utf8')) as {
      resourceMetrics: Array<{
        scopeMetrics: Array<{ metrics: Array<{ name: string; sum?: { aggregationTemporality: number } }> }>;
      }>;
    };
    const cost = body.resourceMetrics
      .flatMap((resource) => resource.scopeMetrics)
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.name === 'genops.cost');
    // OTLP AggregationTemporality: 1 = DELTA, 2 = CUMULATIVE.
    expect(cost?.sum?.aggregationTemporality).toBe(1);
  });

  it('GENOPS_OTLP_PRESET and GENOPS_OTLP_LOGS pick the preset from the environment; an unknown one is a ConfigError', async () => {
    Object.assign(process.env, {
      GENOPS_OTLP_PRESET: 'otel-collector',
      GENOPS_OTLP_LOGS: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    });
    try {
      await governedCall({});
      expect([...new Set(received.map((request) => request.path))].sort()).toEqual([
        '/v1/logs',
        '/v1/metrics',
        '/v1/traces',
      ]);
      process.env.GENOPS_OTLP_PRESET = 'zipkin';
      expect(() => GenOps.init({ autoInstrument: false })).toThrow(/GENOPS_OTLP_PRESET.*"otel-collector", "datadog"/);
    } finally {
      for (const name of ['GENOPS_OTLP_PRESET', 'GENOPS_OTLP_LOGS', 'OTEL_EXPORTER_OTLP_ENDPOINT'])
        delete process.env[name];
    }
  });
});
