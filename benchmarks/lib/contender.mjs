// One contender of benchmarks/side-by-side.mjs, one round, in a process of its own (instrumentations
// patch the SDK globally, so no two contenders share a process). Forked by the orchestrator; receives
// its settings as JSON in argv[2] and sends its measurements back over IPC.
//
// Every contender makes the same calls with the same `openai` client against the same fake server
// (in another process). Contenders with OpenTelemetry register the same recording providers
// (`createTestTelemetry()`: an in-memory span exporter behind a SimpleSpanProcessor, and a meter
// provider) as the global ones and hand them to the instrumentation, and every span is counted: an
// instrumented contender must record exactly one span per call, an uninstrumented one none.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openaiModule from 'openai';
import { countAllocation } from './allocation.mjs';
import { chatCall, governanceOptions, streamingCall } from './workload.mjs';

const settings = JSON.parse(process.argv[2]);
const { contender, serverUrl, counts } = settings;
const OpenAI = openaiModule.default;

// The in-memory exporter keeps every span until reset; draining it this often keeps stored spans from
// dominating the heap (a real app exports and forgets them).
const SPAN_DRAIN_EVERY = 100;

/** How each contender is switched on. Returns what to close at the end and a description of it. */
const SETUPS = {
  raw: async () => ({ spansPerCall: 0 }),
  'raw-again': async () => ({ spansPerCall: 0 }),
  'raw-otel': async () => ({ spansPerCall: 0 }),
  openllmetry: async (telemetry) => {
    const { OpenAIInstrumentation } = await import('@traceloop/instrumentation-openai');
    const instrumentation = new OpenAIInstrumentation();
    instrumentation.setTracerProvider(telemetry.tracerProvider);
    instrumentation.setMeterProvider(telemetry.meterProvider);
    // Its require hook matches openai ">=4 <7" only (and never sees an ESM import): patch by hand,
    // as its docs say for ESM apps. manuallyInstrument() takes the OpenAI class.
    instrumentation.manuallyInstrument(OpenAI);
    return { spansPerCall: 1, close: () => instrumentation.disable() };
  },
  openinference: async (telemetry) => {
    const { OpenAIInstrumentation } = await import('@arizeai/openinference-instrumentation-openai');
    const instrumentation = new OpenAIInstrumentation({ tracerProvider: telemetry.tracerProvider });
    instrumentation.setMeterProvider(telemetry.meterProvider);
    // Its require hook never sees an ESM import: patch by hand. manuallyInstrument() takes the module.
    instrumentation.manuallyInstrument(openaiModule);
    return { spansPerCall: 1, close: () => instrumentation.disable() };
  },
  'genops-memory': (telemetry) => genops(telemetry, {}),
  'genops-sqlite': async (telemetry) => {
    const dir = mkdtempSync(join(tmpdir(), 'genops-bench-sqlite-'));
    const setup = await genops(telemetry, { store: `sqlite:${join(dir, 'state.db')}` });
    return {
      ...setup,
      close: async () => {
        await setup.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  'genops-redis': (telemetry) => genops(telemetry, { store: settings.redisUrl }),
};

async function genops(telemetry, extra) {
  const { GenOps } = await import('@genops/core');
  const handle = GenOps.init(governanceOptions(telemetry, extra));
  return { spansPerCall: 1, close: () => handle.shutdown() };
}

// ---------------------------------------------------------------------------------------------

// The benchmark's harness (the recording providers come from it), loaded by every contender, the raw SDK
// included: on the 2-core benchmark VM the raw SDK in a process that had also loaded it, nothing of it
// used, measured +72 to +349 µs median and +42 to +208 µs of main-thread CPU per call over the raw SDK
// without it (four runs). A raw process without it would be the one light process of the run, and every
// "added" figure would carry that (docs/benchmarks.md, "Every process loads the same harness").
const harness = await import('@genops/testing');

/** The recording providers, registered as the global ones; the raw contenders create none. */
async function recordingTelemetry() {
  const { createTestTelemetry } = harness;
  const { metrics, trace } = await import('@opentelemetry/api');
  const telemetry = createTestTelemetry({ serviceName: 'bench' });
  trace.setGlobalTracerProvider(telemetry.tracerProvider);
  metrics.setGlobalMeterProvider(telemetry.meterProvider);
  return telemetry;
}

const telemetry = contender === 'raw' || contender === 'raw-again' ? undefined : await recordingTelemetry();
const setup = await SETUPS[contender](telemetry);
const client = new OpenAI({ apiKey: 'bench', baseURL: serverUrl, maxRetries: 0 });

let calls = 0;
let spans = 0;
let sampleSpan;
function afterCall() {
  calls++;
  if (telemetry && calls % SPAN_DRAIN_EVERY === 0) drainSpans();
}
function drainSpans() {
  if (!telemetry) return;
  const finished = telemetry.spans();
  if (!sampleSpan && finished.length > 0) {
    const span = finished[0];
    sampleSpan = {
      name: span.name,
      scope: span.instrumentationScope?.name,
      attributes: Object.keys(span.attributes).length,
      events: span.events.length,
    };
  }
  spans += finished.length;
  telemetry.resetSpans();
}

async function sequential(count, call) {
  const latencies = new Array(count);
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await call(client);
    latencies[index] = performance.now() - started;
    afterCall();
  }
  return latencies;
}

/** `concurrency` callers, each starting its next call when its last one ends, until `durationMs` is over. */
async function concurrent(durationMs, concurrency, call) {
  let completed = 0;
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await call(client);
        completed++;
        afterCall();
      }
    }),
  );
  return { completed, ms: performance.now() - started };
}

/** CPU time (user + system, µs) since `since`, of every thread of the process. */
function cpuMicros(since) {
  const { user, system } = process.cpuUsage(since);
  return user + system;
}

/**
 * The same for the main thread alone (`process.threadCpuUsage()`, Node ≥ 23.9): the JavaScript the calls
 * run, without V8's background compiler and GC helper threads, whose share swings from run to run.
 * `undefined` on a Node without it.
 */
const threadCpu = typeof process.threadCpuUsage === 'function' ? () => process.threadCpuUsage() : () => undefined;

function threadCpuMicros(since) {
  if (since === undefined) return Number.NaN;
  const { user, system } = process.threadCpuUsage(since);
  return user + system;
}

/** Bytes allocated per call over `count` sequential calls (./allocation.mjs). */
async function allocatedPerCall(count, call) {
  const allocation = countAllocation();
  for (let index = 0; index < count; index++) {
    await call(client);
    afterCall();
  }
  return allocation.stop().bytes / count;
}

// ---------------------------------------------------------------------------------------------

/** Milliseconds since the process started at the end of each phase, to show where a round's time goes. */
const phases = { setup: performance.now() };

// Warm-up: the JIT optimises the whole path (client, instrumentation, sockets) before anything is timed.
await sequential(counts.warmupChat, chatCall);
await sequential(counts.warmupStream, streamingCall);
await concurrent(counts.warmupConcurrentMs, counts.concurrency, chatCall);
drainSpans();
phases.warmup = performance.now();

const cpuBefore = process.cpuUsage();
const threadCpuBefore = threadCpu();
const chat = await sequential(counts.chat, chatCall);
const chatThreadCpu = threadCpuMicros(threadCpuBefore);
const chatCpu = cpuMicros(cpuBefore);
const stream = await sequential(counts.stream, streamingCall);
drainSpans();
phases.sequential = performance.now();

const allocated = await allocatedPerCall(counts.allocation, chatCall);
drainSpans();
phases.allocation = performance.now();

const concurrentCpuBefore = process.cpuUsage();
const concurrentThreadCpuBefore = threadCpu();
const throughput = await concurrent(counts.concurrentMs, counts.concurrency, chatCall);
const concurrentThreadCpu = threadCpuMicros(concurrentThreadCpuBefore);
const concurrentCpu = cpuMicros(concurrentCpuBefore);
if (telemetry) await telemetry.flush();
drainSpans();

phases.concurrent = performance.now();
await setup.close?.();
// A store that answers asynchronously (Redis) settles after the call returns, and the span ends with the
// settlement: GenOps' shutdown() waited for those, so count the spans they ended.
drainSpans();
await telemetry?.shutdown();
phases.close = performance.now();

const expectedSpans = calls * setup.spansPerCall;
if (spans !== expectedSpans) {
  throw new Error(
    `${contender}: ${calls} calls recorded ${spans} spans, expected ${expectedSpans} (${setup.spansPerCall} per call)`,
  );
}

process.send(
  {
    contender,
    calls,
    spans,
    sampleSpan,
    phases,
    chat,
    stream,
    chatCpuMicrosPerCall: chatCpu / counts.chat,
    chatThreadCpuMicrosPerCall: chatThreadCpu / counts.chat,
    allocatedBytesPerCall: allocated,
    concurrentCalls: throughput.completed,
    concurrentCallsPerSecond: throughput.completed / (throughput.ms / 1000),
    concurrentCpuMicrosPerCall: concurrentCpu / throughput.completed,
    concurrentThreadCpuMicrosPerCall: concurrentThreadCpu / throughput.completed,
  },
  () => process.exit(0),
);
