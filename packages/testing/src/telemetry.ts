import { drainPending } from '@genops/core/internal';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricData, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/** Options for `createTestTelemetry()`. */
export interface TestTelemetryOptions {
  /** `service.name` on the resource. Default `genops-test`. */
  serviceName?: string;
}

/** In-memory OpenTelemetry providers for tests. Nothing is registered globally. */
export interface TestTelemetry {
  /** Pass to `GenOps.init({ tracerProvider })` or `getTracer()`: spans land in memory. */
  readonly tracerProvider: TracerProvider;
  /** Pass to `GenOps.init({ meterProvider })` or `getMeter()`: read with `collectMetrics()`. */
  readonly meterProvider: MeterProvider;
  /**
   * Finished spans so far, in the order they ended. Records first what GenOps queued to record right
   * after its calls returned (`drainPending()`), as `resetSpans`, `collectMetrics` and `flush` do.
   */
  spans(): ReadableSpan[];
  /** Forgets the finished spans. */
  resetSpans(): void;
  /** Collects every metric now (cumulative temporality). Throws if the SDK reported collection errors. */
  collectMetrics(): Promise<ResourceMetrics>;
  /** Collects now and returns the metric with this name, or `undefined`. */
  findMetric(name: string): Promise<MetricData | undefined>;
  /** Waits for pending span exports (only needed with async resource attributes). */
  flush(): Promise<void>;
  /** Shuts both providers down. */
  shutdown(): Promise<void>;
}

/** A metric reader that exports nothing and collects on demand. */
class OnDemandMetricReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Builds an OpenTelemetry JS 3.x `TracerProvider` that keeps finished spans in memory
 * (`InMemorySpanExporter` behind a `SimpleSpanProcessor`) and a `MeterProvider` whose metrics you collect
 * on demand. Neither is registered globally: hand them to the code under test.
 */
export function createTestTelemetry(options: TestTelemetryOptions = {}): TestTelemetry {
  const resource = resourceFromAttributes({ 'service.name': options.serviceName ?? 'genops-test' });
  const exporter = new InMemorySpanExporter();
  // OpenTelemetry JS 3.x: processors take an options object; the 2.x positional form drops every span.
  const tracerProvider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const reader = new OnDemandMetricReader();
  const meterProvider = new MeterProvider({ resource, readers: [reader] });

  async function collectMetrics(): Promise<ResourceMetrics> {
    // GenOps records a call's spans and metrics right after the call returns: record them now.
    drainPending();
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) {
      throw new AggregateError(errors, `metric collection reported ${errors.length} error(s)`);
    }
    return resourceMetrics;
  }

  return {
    tracerProvider,
    meterProvider,
    spans: () => {
      drainPending();
      return exporter.getFinishedSpans();
    },
    resetSpans: () => {
      drainPending();
      exporter.reset();
    },
    collectMetrics,
    async findMetric(name) {
      const resourceMetrics = await collectMetrics();
      for (const scope of resourceMetrics.scopeMetrics) {
        const found = scope.metrics.find((metric) => metric.descriptor.name === name);
        if (found) return found;
      }
      return undefined;
    },
    flush: () => {
      drainPending();
      return tracerProvider.forceFlush();
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
