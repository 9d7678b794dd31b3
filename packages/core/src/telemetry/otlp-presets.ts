// OTLP presets: where each observability platform of the list takes OTLP/HTTP, with which headers, from
// which environment variables. Pure data and one resolver: no OpenTelemetry SDK is loaded here (that is
// otlp-preset-exporters.ts), so the table can be tested and documented on its own.
//
// Every preset speaks OTLP/HTTP, never gRPC: each platform below accepts OTLP/HTTP, and it needs no
// `@grpc/grpc-js` (a native-feeling dependency with its own TLS stack) in the app. Secrets are read from
// environment variables only, and only their names ever appear in errors.
import { z } from 'zod';
import { ConfigError } from '../errors/config-error';

/** The platforms with a preset. `otel-collector` is any OTLP/HTTP receiver (a Collector, Alloy, an Agent). */
export const OTLP_PRESETS = [
  'otel-collector',
  'datadog',
  'grafana-cloud',
  'honeycomb',
  'splunk',
  'elastic',
  'new-relic',
  'jaeger',
  'signoz',
  'cribl',
] as const;

export type OtlpPresetName = (typeof OTLP_PRESETS)[number];

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** A host name part (site, realm, zone, region): letters, digits, dots and dashes, nothing else. */
const hostPart = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{0,62}$/, 'must be a lower-case host name part, e.g. "eu" or "datadoghq.eu"');

/** `exporter: { otlp: { ... } }` in `GenOps.init()`. */
export const otlpExporterSchema = z.strictObject({
  /** The platform. Without it: plain OTLP/HTTP to `endpoint` (else `OTEL_EXPORTER_OTLP_ENDPOINT`). */
  preset: z.enum(OTLP_PRESETS).optional(),
  /**
   * The base URL (scheme, host, port, optional path prefix), for self-hosted receivers, proxies and
   * platforms whose URL is per account (Grafana Cloud, Elastic, Cribl). Signal paths are appended.
   */
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** Datadog site (`datadoghq.eu`), Splunk realm (`us1`), Grafana Cloud zone (`prod-eu-west-2`), Honeycomb, New Relic or SigNoz region (`eu`). */
  region: hostPart.optional(),
  /** Wire encoding; default `http/protobuf` (the one encoding every platform here accepts). */
  protocol: z.enum(['http/protobuf', 'http/json']).optional(),
  /** Also export OpenTelemetry log records (audit records, and decision records with `decisionLogs`). Default false. */
  logs: z.boolean().optional(),
});

export type OtlpExporterOptions = z.input<typeof otlpExporterSchema>;

const otlpOptionSchema = z.strictObject({ otlp: otlpExporterSchema });

/**
 * The `exporter` option: one of `names`, or `{ otlp: { preset, ... } }`. One schema with its own issues
 * (not a union), so a mistake is reported where it is: `exporter`, or `exporter.otlp.region`.
 */
export function exporterOption<const Name extends string>(names: readonly Name[]) {
  const expected = `${names.map((name) => `"${name}"`).join(', ')} or { otlp: { preset, endpoint, region, protocol, logs } }`;
  return z.custom<Name | { otlp: OtlpExporterOptions }>().superRefine((value, context) => {
    if (typeof value === 'string' && (names as readonly string[]).includes(value)) return;
    if (typeof value !== 'object' || value === null) {
      context.addIssue({ code: 'custom', message: 'must be an exporter name or an OTLP preset', params: { expected } });
      return;
    }
    const parsed = otlpOptionSchema.safeParse(value);
    if (!parsed.success) for (const issue of parsed.error.issues) context.addIssue({ ...issue } as never);
  });
}

/** Where one signal goes. */
export interface OtlpSignalTarget {
  url: string;
  headers: Record<string, string>;
}

/** A preset resolved against the environment: URLs, headers and encoding per signal. */
export interface ResolvedOtlpTarget {
  preset: OtlpPresetName | undefined;
  protocol: OtlpProtocol;
  traces: OtlpSignalTarget;
  /** Absent where the platform takes no OTLP metrics (Jaeger). */
  metrics?: (OtlpSignalTarget & { temporality: 'cumulative' | 'delta' }) | undefined;
  /** Present only with `logs: true`. */
  logs?: OtlpSignalTarget | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** How one platform is reached. */
interface PresetSpec {
  /** Base URLs per signal from the region, or `undefined` when the platform has no default (per-account URL). */
  base(region: string | undefined, env: Env): { traces: string; metrics: string; logs: string } | undefined;
  /** The environment variable naming the base URL when there is no default, e.g. `ELASTIC_OTLP_ENDPOINT`. */
  endpointEnv?: string;
  /** Signal paths appended to the base. */
  paths: { traces: string; metrics: string | undefined; logs: string | undefined };
  /** Headers per signal from the environment (throws a ConfigError naming a missing variable). */
  headers(env: Env, signal: 'traces' | 'metrics' | 'logs'): Record<string, string>;
  /** Metric temporality the platform documents; default cumulative. */
  temporality?: 'delta';
  /** Why there are no logs, for the error when `logs: true`. */
  noLogs?: string;
  /** Where the region comes from when not given, and its default. */
  regionEnv?: string;
  defaultRegion?: string;
  /** The documentation the table follows. */
  docs: string;
}

const STANDARD_PATHS = { traces: '/v1/traces', metrics: '/v1/metrics', logs: '/v1/logs' } as const;

const same = (url: string) => ({ traces: url, metrics: url, logs: url });

/** The table. Each entry cites the vendor page it follows (also in docs/platforms/<vendor>.md). */
const PRESETS: Readonly<Record<OtlpPresetName, PresetSpec>> = {
  'otel-collector': {
    base: () => same('http://localhost:4318'),
    endpointEnv: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    paths: STANDARD_PATHS,
    headers: () => ({}),
    docs: 'https://opentelemetry.io/docs/specs/otlp/#otlphttp',
  },
  datadog: {
    // Agentless intake: traces and logs at their own hosts, metrics under the API host (delta only).
    base: (site = 'datadoghq.com') => ({
      traces: `https://otlp.${site}`,
      metrics: `https://api.${site}`,
      logs: `https://http-intake.logs.${site}`,
    }),
    regionEnv: 'DD_SITE',
    defaultRegion: 'datadoghq.com',
    paths: { traces: '/v1/traces', metrics: '/api/intake/otlp/v1/metrics', logs: '/v1/logs' },
    headers: (env, signal) => ({
      'dd-api-key': required(env, 'DD_API_KEY', 'datadog', 'your Datadog API key'),
      ...(signal === 'logs' ? { 'dd-protocol': 'otlp' } : {}),
    }),
    temporality: 'delta',
    docs: 'https://docs.datadoghq.com/opentelemetry/setup/otlp_ingest/',
  },
  'grafana-cloud': {
    base: (zone) => (zone ? same(`https://otlp-gateway-${zone}.grafana.net/otlp`) : undefined),
    endpointEnv: 'GRAFANA_CLOUD_OTLP_ENDPOINT',
    regionEnv: 'GRAFANA_CLOUD_ZONE',
    paths: STANDARD_PATHS,
    headers: (env) => {
      const instance = required(
        env,
        'GRAFANA_CLOUD_INSTANCE_ID',
        'grafana-cloud',
        'the OTLP instance ID of your stack',
      );
      const token = required(env, 'GRAFANA_CLOUD_API_KEY', 'grafana-cloud', 'an access policy token with write scopes');
      return { Authorization: `Basic ${Buffer.from(`${instance}:${token}`).toString('base64')}` };
    },
    docs: 'https://grafana.com/docs/grafana-cloud/send-data/otlp/send-data-otlp/',
  },
  honeycomb: {
    base: (region = 'us') => same(region === 'us' ? 'https://api.honeycomb.io' : `https://api.${region}.honeycomb.io`),
    regionEnv: 'HONEYCOMB_REGION',
    defaultRegion: 'us',
    paths: STANDARD_PATHS,
    headers: (env, signal) => ({
      'x-honeycomb-team': required(env, 'HONEYCOMB_API_KEY', 'honeycomb', 'an ingest API key'),
      // Metrics need a dataset (traces and logs go to the dataset named by service.name).
      ...(signal === 'metrics' ? { 'x-honeycomb-dataset': env.HONEYCOMB_METRICS_DATASET || 'genops-metrics' } : {}),
    }),
    docs: 'https://docs.honeycomb.io/send-data/opentelemetry/',
  },
  splunk: {
    base: (realm) => (realm ? same(`https://ingest.${realm}.signalfx.com`) : undefined),
    regionEnv: 'SPLUNK_REALM',
    paths: { traces: '/v2/trace/otlp', metrics: '/v2/datapoint/otlp', logs: undefined },
    headers: (env) => ({ 'X-SF-Token': required(env, 'SPLUNK_ACCESS_TOKEN', 'splunk', 'an ingest access token') }),
    noLogs:
      'Splunk Observability Cloud has no OTLP logs intake; send logs through an OpenTelemetry Collector to Splunk HEC (observability/otel-collector/config.yaml)',
    docs: 'https://help.splunk.com/splunk-observability-cloud/manage-data/other-data-ingestion-methods/other-data-ingestion-methods/send-traces-to-splunk-observability-cloud-using-the-grpc-endpoint',
  },
  elastic: {
    base: () => undefined,
    endpointEnv: 'ELASTIC_OTLP_ENDPOINT',
    paths: STANDARD_PATHS,
    headers: (env) => {
      if (env.ELASTIC_API_KEY) return { Authorization: `ApiKey ${env.ELASTIC_API_KEY}` };
      if (env.ELASTIC_APM_SECRET_TOKEN) return { Authorization: `Bearer ${env.ELASTIC_APM_SECRET_TOKEN}` };
      throw missing(
        'elastic',
        'ELASTIC_API_KEY',
        'an Elastic API key (or ELASTIC_APM_SECRET_TOKEN for an APM Server secret token)',
      );
    },
    docs: 'https://elastic.co/guide/en/serverless/current/collect-data-with-native-otlp.html',
  },
  'new-relic': {
    base: (region = 'us') => same(newRelicHost(region)),
    regionEnv: 'NEW_RELIC_REGION',
    defaultRegion: 'us',
    paths: STANDARD_PATHS,
    headers: (env) => ({
      'api-key': required(env, 'NEW_RELIC_LICENSE_KEY', 'new-relic', 'the license (ingest) key of the account'),
    }),
    temporality: 'delta',
    docs: 'https://docs.newrelic.com/docs/opentelemetry/best-practices/opentelemetry-otlp/',
  },
  jaeger: {
    base: () => same('http://localhost:4318'),
    paths: { traces: '/v1/traces', metrics: undefined, logs: undefined },
    headers: () => ({}),
    noLogs: 'Jaeger stores traces only; send logs to a log backend (Loki, Elastic, Splunk) instead',
    docs: 'https://medium.com/jaegertracing/introducing-native-support-for-opentelemetry-in-jaeger-eb661be8183c',
  },
  signoz: {
    // SigNoz Cloud when a region is given (one port, 443, for OTLP/HTTP); self-hosted SigNoz otherwise.
    base: (region) => same(region ? `https://ingest.${region}.signoz.cloud:443` : 'http://localhost:4318'),
    regionEnv: 'SIGNOZ_REGION',
    paths: STANDARD_PATHS,
    headers: (env): Record<string, string> =>
      env.SIGNOZ_INGESTION_KEY ? { 'signoz-ingestion-key': env.SIGNOZ_INGESTION_KEY } : {},
    docs: 'https://signoz.io/docs/ingestion/signoz-cloud/overview/',
  },
  cribl: {
    base: () => undefined,
    endpointEnv: 'CRIBL_OTLP_ENDPOINT',
    paths: STANDARD_PATHS,
    headers: (env): Record<string, string> =>
      env.CRIBL_AUTH_TOKEN ? { Authorization: `Bearer ${env.CRIBL_AUTH_TOKEN}` } : {},
    docs: 'https://docs.cribl.io/stream/sources-otel/',
  },
};

/** New Relic's OTLP host per region: US, EU (`eu01`), FedRAMP (`gov-otlp`), else `otlp.<region>`. */
function newRelicHost(region: string): string {
  if (region === 'us') return 'https://otlp.nr-data.net';
  if (region === 'eu') return 'https://otlp.eu01.nr-data.net';
  if (region === 'fedramp') return 'https://gov-otlp.nr-data.net';
  return `https://otlp.${region}.nr-data.net`;
}

/** The vendor documentation a preset follows. */
export function otlpPresetDocs(preset: OtlpPresetName): string {
  return PRESETS[preset].docs;
}

/**
 * Resolves `exporter: { otlp }` against `env`: the URL and headers of each signal. Throws a
 * {@link ConfigError} that names the option or environment variable to set (never a secret's value).
 */
export function resolveOtlpTarget(options: OtlpExporterOptions, env: Env = process.env): ResolvedOtlpTarget {
  const protocol: OtlpProtocol = options.protocol ?? 'http/protobuf';
  const preset = options.preset;
  if (preset === undefined) {
    // Plain OTLP/HTTP: the endpoint option, else the standard variable, else the OTLP default.
    const base = trimSlash(options.endpoint ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || 'http://localhost:4318'));
    return {
      preset,
      protocol,
      traces: { url: `${base}/v1/traces`, headers: {} },
      metrics: { url: `${base}/v1/metrics`, headers: {}, temporality: 'cumulative' },
      ...(options.logs ? { logs: { url: `${base}/v1/logs`, headers: {} } } : {}),
    };
  }
  const spec = PRESETS[preset];
  const region = options.region ?? envRegion(spec, env) ?? spec.defaultRegion;
  const fromEnv = spec.endpointEnv ? env[spec.endpointEnv]?.trim() || undefined : undefined;
  const endpoint = options.endpoint ?? fromEnv;
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint))
    throw new ConfigError({
      path: spec.endpointEnv && options.endpoint === undefined ? spec.endpointEnv : 'exporter.otlp.endpoint',
      message: `got "${endpoint}"`,
      expected: 'an http(s) URL such as https://host:4318',
      received: endpoint,
    });
  const bases = endpoint !== undefined ? same(trimSlash(endpoint)) : spec.base(region, env);
  if (bases === undefined) {
    const how = [
      'exporter.otlp.endpoint',
      ...(spec.endpointEnv ? [spec.endpointEnv] : []),
      ...(spec.regionEnv ? [`exporter.otlp.region (or ${spec.regionEnv})`] : []),
    ].join(' or ');
    throw new ConfigError({
      path: 'exporter.otlp',
      message: `preset "${preset}" needs the address of your account`,
      expected: how,
      received: preset,
    });
  }
  if (options.logs && spec.paths.logs === undefined)
    throw new ConfigError({
      path: 'exporter.otlp.logs',
      message: spec.noLogs ?? `preset "${preset}" takes no logs`,
      expected: 'logs: false with this preset',
      received: true,
    });
  const target: ResolvedOtlpTarget = {
    preset,
    protocol,
    traces: { url: bases.traces + spec.paths.traces, headers: spec.headers(env, 'traces') },
  };
  if (spec.paths.metrics !== undefined)
    target.metrics = {
      url: bases.metrics + spec.paths.metrics,
      headers: spec.headers(env, 'metrics'),
      temporality: spec.temporality ?? 'cumulative',
    };
  if (options.logs && spec.paths.logs !== undefined)
    target.logs = { url: bases.logs + spec.paths.logs, headers: spec.headers(env, 'logs') };
  return target;
}

/** `GENOPS_OTLP_PRESET=honeycomb` (with `GENOPS_EXPORTER` unset or `otlp`): the preset, checked. */
export function otlpPresetFromEnv(env: Env = process.env): OtlpExporterOptions | undefined {
  const value = env.GENOPS_OTLP_PRESET?.trim();
  if (!value) return undefined;
  if (!(OTLP_PRESETS as readonly string[]).includes(value))
    throw new ConfigError({
      path: 'GENOPS_OTLP_PRESET',
      message: `got "${value}"`,
      expected: `one of ${OTLP_PRESETS.map((name) => `"${name}"`).join(', ')}`,
      received: value,
    });
  return { preset: value as OtlpPresetName, ...(envBoolean(env.GENOPS_OTLP_LOGS) ? { logs: true } : {}) };
}

function envRegion(spec: PresetSpec, env: Env): string | undefined {
  if (!spec.regionEnv) return undefined;
  const value = env[spec.regionEnv]?.trim();
  if (!value) return undefined;
  const parsed = hostPart.safeParse(value);
  if (!parsed.success)
    throw new ConfigError({
      path: spec.regionEnv,
      message: `got "${value}"`,
      expected: 'a lower-case host name part, e.g. "eu" or "datadoghq.eu"',
      received: value,
    });
  return value;
}

function envBoolean(value: string | undefined): boolean {
  const normalised = value?.trim().toLowerCase();
  return normalised === 'true' || normalised === '1';
}

function required(env: Env, name: string, preset: OtlpPresetName, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw missing(preset, name, what);
  return value;
}

function missing(preset: OtlpPresetName, name: string, what: string): ConfigError {
  return new ConfigError({
    path: 'exporter.otlp',
    message: `preset "${preset}" reads ${what} from ${name}, which is not set`,
    expected: `${name} in the environment (never in code)`,
    received: preset,
  });
}

/** `url` without trailing slashes (a loop, not a regex: no backtracking on a long run of slashes). */
function trimSlash(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  return url.slice(0, end);
}
