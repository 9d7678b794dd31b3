// Preloaded (`node --import`) before GenOps in the example's child process: registers a global tracer
// provider whose exporter appends every ended span, converted for the conformance checker, as one JSON line
// to GENOPS_EXAMPLES_SPANS. GenOps then uses the global provider, as it does in an app that set up
// OpenTelemetry itself. appendFileSync: nothing is lost when the example ends the process abruptly.
import { appendFileSync } from 'node:fs';
import { fromReadableSpan } from '@genops/conformance';
import { trace } from '@opentelemetry/api';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const file = process.env.GENOPS_EXAMPLES_SPANS;
if (!file) throw new Error('span-file.mjs: set GENOPS_EXAMPLES_SPANS to the file the spans go to');

const exporter = {
  export(spans, done) {
    for (const span of spans) appendFileSync(file, `${JSON.stringify(fromReadableSpan(span))}\n`);
    done({ code: 0 });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
