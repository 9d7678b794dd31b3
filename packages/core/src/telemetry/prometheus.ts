// `exporter: 'prometheus'`: a meter provider whose reader is the OpenTelemetry Prometheus exporter,
// serving /metrics on 127.0.0.1 (not every interface) unless told otherwise. Metrics only: Prometheus
// takes no spans, so traces stay on the app's own (or the global) tracer provider.
import { diag, type MeterProvider, metrics } from '@opentelemetry/api';
import { ConfigError } from '../errors/config-error';

/** Where the Prometheus endpoint listens. */
export interface PrometheusOptions {
  /** Interface to bind (default `OTEL_EXPORTER_PROMETHEUS_HOST`, else `127.0.0.1`; `0.0.0.0` for all). */
  host?: string | undefined;
  /** Port (default `OTEL_EXPORTER_PROMETHEUS_PORT`, else 9464). */
  port?: number | undefined;
  /** Path of the endpoint (default `/metrics`). */
  endpoint?: string | undefined;
}

export const DEFAULT_PROMETHEUS_HOST = '127.0.0.1';
export const DEFAULT_PROMETHEUS_PORT = 9464;

/** Host, port and endpoint from the options, else the standard OTEL_EXPORTER_PROMETHEUS_* variables, else the defaults. */
export function prometheusAddress(
  options: PrometheusOptions | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { host: string; port: number; endpoint: string } {
  const host = options?.host ?? (env.OTEL_EXPORTER_PROMETHEUS_HOST?.trim() || DEFAULT_PROMETHEUS_HOST);
  let port = options?.port;
  if (port === undefined) {
    const raw = env.OTEL_EXPORTER_PROMETHEUS_PORT?.trim();
    if (raw) {
      port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
      if (!(port >= 1 && port <= 65_535))
        throw new ConfigError({
          path: 'OTEL_EXPORTER_PROMETHEUS_PORT',
          message: `got "${raw}"`,
          expected: 'a port number from 1 to 65535',
          received: raw,
        });
    }
  }
  return { host, port: port ?? DEFAULT_PROMETHEUS_PORT, endpoint: options?.endpoint ?? '/metrics' };
}

type MetricsSdk = typeof import('@opentelemetry/sdk-metrics');
type PrometheusPackage = typeof import('@opentelemetry/exporter-prometheus');
type Resource = import('@opentelemetry/resources').Resource;

/**
 * A meter provider exporting to Prometheus, registered globally when no meter provider is registered
 * yet (otherwise it is shut down again and the registered one is used, as for the other exporters).
 */
export function setUpPrometheus(
  metricsSdk: MetricsSdk,
  prometheus: PrometheusPackage,
  resource: Resource,
  options: PrometheusOptions | undefined,
): { meterProvider?: MeterProvider; owned: { shutdown(): Promise<void> }[] } {
  const { host, port, endpoint } = prometheusAddress(options);
  const reader = new prometheus.PrometheusExporter({ host, port, endpoint }, (error) => {
    if (error) diag.error(`genops: the Prometheus endpoint could not listen on ${host}:${port}`, error);
  });
  const meterProvider = new metricsSdk.MeterProvider({ resource, readers: [reader] });
  if (metrics.setGlobalMeterProvider(meterProvider)) return { meterProvider, owned: [meterProvider] };
  void meterProvider.shutdown();
  return { owned: [] };
}
