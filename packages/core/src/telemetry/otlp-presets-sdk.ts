// The OTLP exporters of a resolved preset (otlp-presets.ts): OTLP/HTTP with protobuf (`*-otlp-proto`
// packages) or JSON (`*-otlp-http` packages), loaded only when a preset is used.
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { ResolvedOtlpTarget } from './otlp-presets';

/** The exporters of one preset; metrics and logs only where the platform and the options have them. */
export interface PresetExporters {
  spanExporter: SpanExporter;
  metricExporter: PushMetricExporter | undefined;
  logExporter: LogRecordExporter | undefined;
}

/** Loads an optional package, or throws the error that names it (genops.ts's loader). */
export type PackageLoader = <T>(name: string) => T;

type ExporterClass<T> = new (config: {
  url: string;
  headers: Record<string, string>;
  temporalityPreference?: number;
}) => T;

/** Builds the exporters of `target` with packages from `load`. */
export function createPresetExporters(target: ResolvedOtlpTarget, load: PackageLoader): PresetExporters {
  const encoding = target.protocol === 'http/json' ? 'http' : 'proto';
  const traceModule = load<{ OTLPTraceExporter: ExporterClass<SpanExporter> }>(
    `@opentelemetry/exporter-trace-otlp-${encoding}`,
  );
  const spanExporter = new traceModule.OTLPTraceExporter({ url: target.traces.url, headers: target.traces.headers });
  let metricExporter: PushMetricExporter | undefined;
  if (target.metrics) {
    const metricModule = load<{ OTLPMetricExporter: ExporterClass<PushMetricExporter> }>(
      `@opentelemetry/exporter-metrics-otlp-${encoding}`,
    );
    metricExporter = new metricModule.OTLPMetricExporter({
      url: target.metrics.url,
      headers: target.metrics.headers,
      // AggregationTemporalityPreference: DELTA = 0, CUMULATIVE = 1 (exporter-metrics-otlp-http).
      temporalityPreference: target.metrics.temporality === 'delta' ? 0 : 1,
    });
  }
  let logExporter: LogRecordExporter | undefined;
  if (target.logs) {
    const logModule = load<{ OTLPLogExporter: ExporterClass<LogRecordExporter> }>(
      `@opentelemetry/exporter-logs-otlp-${encoding}`,
    );
    logExporter = new logModule.OTLPLogExporter({ url: target.logs.url, headers: target.logs.headers });
  }
  return { spanExporter, metricExporter, logExporter };
}
