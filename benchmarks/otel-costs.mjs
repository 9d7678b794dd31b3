// What the OpenTelemetry SDK itself costs per operation GenOps performs on it, with the providers every
// benchmark uses (`createTestTelemetry()` of @genops/testing: a SimpleSpanProcessor into an in-memory
// exporter, a MeterProvider never collected during the run): a span started and ended, an attribute set on
// it, an event, a histogram record, a counter add. And the span of a governed chat call replayed on the SDK
// alone: the same name, attributes (values included, set one by one in the same order) and events as
// `governor.begin()` + `call.end()` of the benchmark's request made, with none of GenOps' own work. The
// difference between that row and the spans' share of GenOps' cost (benchmarks/hot-path-breakdown.mjs,
// `core` − `core-no-spans`) is what GenOps itself spends on its span.
//
//   node benchmarks/otel-costs.mjs            # after a build: prints the table
//   node benchmarks/otel-costs.mjs --write    # also rewrites the OpenTelemetry section of docs/benchmarks.md
//
// Allocation per operation: heap used at the end minus at the start, plus what every garbage collection in
// between freed (V8's GCProfiler), minus the same for an empty loop; it does not depend on how busy the
// machine is. CPU per operation: the main thread's (`process.threadCpuUsage()`), best of 3 blocks; it does.
// Every 100 operations the loop drains the exporter and yields to the event loop (the exporter acknowledges
// each span in a timer, as in the other benchmarks), untimed work that is counted in both measures.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { GenOps } from '@genops/core';
import { estimateInputTokens } from '@genops/core/adapter';
import { createTestTelemetry } from '@genops/testing';
import { countAllocation } from './lib/allocation.mjs';
import { commandLine, machine, machineLine, revision, table, writeBetweenMarkers } from './lib/report.mjs';
import { GOVERNED_CHAT_OUTCOME, governanceOptions, governedChatRequest, MESSAGES } from './lib/workload.mjs';

const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const DOC_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const OPERATIONS = 20_000;
const WARMUP = 5_000;

const telemetry = createTestTelemetry({ serviceName: 'otel-costs' });
const tracer = telemetry.tracerProvider.getTracer('otel-costs');
const meter = telemetry.meterProvider.getMeter('otel-costs');
const histogram = meter.createHistogram('otel_costs.histogram', { unit: 's' });
const counter = meter.createCounter('otel_costs.counter', { unit: '{call}' });

/** One governed chat call's span, as GenOps made it (begin + end of the benchmark's request, memory store). */
async function governedSpan() {
  const handle = GenOps.init(governanceOptions(telemetry));
  const call = await handle.governor.begin(governedChatRequest(estimateInputTokens(MESSAGES), 443));
  await call.end(GOVERNED_CHAT_OUTCOME);
  await handle.shutdown();
  const span = telemetry.spans().at(-1);
  telemetry.resetSpans();
  if (!span) throw new Error('the governed call recorded no span');
  return span;
}

const span = await governedSpan();
const attributes = Object.entries(span.attributes);
const events = span.events.map((event) => [event.name, event.attributes ?? {}]);
const DURATION_ATTRIBUTES = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.response.model': 'gpt-4o-mini',
  'server.address': '127.0.0.1',
};
const NAMES = Array.from({ length: 10 }, (_, index) => `otel_costs.attribute_${index}`);

/** The operations measured: a name, what one operation is, and how many of the unit it performs. */
const CASES = [
  { name: 'span started and ended, no attributes', per: 1, run: () => tracer.startSpan('chat').end() },
  {
    name: 'the same with 10 attributes (setAttribute), per attribute',
    per: 10,
    base: 'span started and ended, no attributes',
    run: () => {
      const target = tracer.startSpan('chat');
      for (let index = 0; index < 10; index++) target.setAttribute(NAMES[index], index % 2 ? 'value' : index);
      target.end();
    },
  },
  {
    name: 'the same with 3 events of 3 attributes, per event',
    per: 3,
    base: 'span started and ended, no attributes',
    run: () => {
      const target = tracer.startSpan('chat');
      for (let index = 0; index < 3; index++)
        target.addEvent('otel_costs.event', { [NAMES[0]]: 0.5, [NAMES[1]]: 'USD', [NAMES[2]]: index });
      target.end();
    },
  },
  {
    name: `a governed chat call's span replayed: ${attributes.length} attributes, ${events.length} events`,
    per: 1,
    run: () => {
      const target = tracer.startSpan(span.name, { kind: span.kind });
      for (const [name, value] of attributes) target.setAttribute(name, value);
      for (const [name, values] of events) target.addEvent(name, values);
      target.end();
    },
  },
  {
    name: `histogram record, ${Object.keys(DURATION_ATTRIBUTES).length} attributes`,
    per: 1,
    run: () => histogram.record(0.5, DURATION_ATTRIBUTES),
  },
  {
    name: `counter add, ${Object.keys(DURATION_ATTRIBUTES).length} attributes`,
    per: 1,
    run: () => counter.add(1, DURATION_ATTRIBUTES),
  },
];

/** Allocated bytes and main-thread CPU µs of `count` runs of `run`, drained and yielding every 100. */
async function measure(run, count) {
  const loop = async () => {
    for (let index = 0; index < count; index++) {
      run();
      if (index % 100 === 99) {
        telemetry.resetSpans();
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  };
  const allocation = countAllocation();
  const cpuBefore = process.threadCpuUsage();
  await loop();
  const cpu = process.threadCpuUsage(cpuBefore);
  return { bytes: allocation.stop().bytes, cpuMicros: cpu.user + cpu.system };
}

/** Per operation: KiB allocated (less the empty loop's) and the best of 3 blocks' main-thread CPU µs. */
async function perOperation(run, empty) {
  await measure(run, WARMUP);
  let bytes = Number.POSITIVE_INFINITY;
  let cpuMicros = Number.POSITIVE_INFINITY;
  for (let block = 0; block < 3; block++) {
    const result = await measure(run, OPERATIONS);
    bytes = Math.min(bytes, result.bytes);
    cpuMicros = Math.min(cpuMicros, result.cpuMicros);
  }
  return {
    kib: (bytes - (empty?.bytes ?? 0)) / OPERATIONS / 1024,
    cpu: (cpuMicros - (empty?.cpuMicros ?? 0)) / OPERATIONS,
    bytes,
    cpuMicros,
  };
}

const load = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const loadAtStart = load();
const empty = await perOperation(() => {});
const results = new Map();
for (const entry of CASES) {
  const result = await perOperation(entry.run, empty);
  const base = entry.base ? results.get(entry.base) : undefined;
  results.set(entry.name, {
    ...result,
    unitKib: (result.kib - (base?.kib ?? 0)) / entry.per,
    unitCpu: (result.cpu - (base?.cpu ?? 0)) / entry.per,
  });
}
await telemetry.shutdown();

const rows = CASES.map((entry) => {
  const result = results.get(entry.name);
  return [entry.name, result.unitKib.toFixed(2), result.unitCpu.toFixed(2)];
});
const output = [
  '### Latest run',
  '',
  `- Command: \`${commandLine('benchmarks/otel-costs.mjs', ['BENCH_WRITE'])}\``,
  `- Date: ${new Date().toISOString()}; GenOps commit ${revision()}; load average at start ${loadAtStart}, at the end ${load()}`,
  `- Machine: ${machineLine(machine())}`,
  `- ${OPERATIONS} operations per row (best of 3 blocks, after ${WARMUP} untimed)`,
  '',
  table(['Operation', 'Allocated KiB', 'Main-thread CPU µs'], rows),
  '',
  `The governed call's span: ${attributes.length} attributes (${attributes.map(([name]) => `\`${name}\``).join(', ')}); events ${events.map(([name]) => `\`${name}\``).join(', ')}.`,
].join('\n');
console.log(output);
if (WRITE)
  writeBetweenMarkers(DOC_PATH, '<!-- otel-costs-figures:start -->', '<!-- otel-costs-figures:end -->', output);
