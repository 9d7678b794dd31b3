// Preloaded (`node --import`) before GenOps in a child process: a global tracer provider whose exporter
// appends every ended span's name, parent and attributes as one JSON line to GENOPS_TEST_SPANS. GenOps uses
// the global provider, as in an app that set up OpenTelemetry itself; appendFileSync loses nothing when the
// child is killed.
import { appendFileSync } from 'node:fs';
import { trace } from '@opentelemetry/api';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const file = process.env.GENOPS_TEST_SPANS;
if (!file) throw new Error('span-lines.mjs: set GENOPS_TEST_SPANS');
const exporter = {
  export(spans, done) {
    for (const span of spans)
      appendFileSync(
        file,
        `${JSON.stringify({ name: span.name, spanId: span.spanContext().spanId, parentSpanId: span.parentSpanContext?.spanId, attributes: span.attributes })}\n`,
      );
    done({ code: 0 });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
