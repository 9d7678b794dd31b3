// Where GenOps' added cost per governed OpenAI call goes, in load-insensitive measures: heap bytes
// allocated per call and promises created per call, for the raw SDK, the SDK with the OpenTelemetry
// providers registered, GenOps (memory store) and GenOps with one part switched off at a time (the audit
// trail, span recording, metric recording, egress governance). Client CPU per call is printed too, but
// on a busy machine it moves from run to run; the allocation and promise counts do not.
//
// The `core*` variants are the governance hot path alone, without the SDK and HTTP: `governor.begin()` +
// `call.end()` as openai-overhead.mjs times it (memory store, the benchmark's budgets and policy), whole,
// and with the audit trail, span recording or metric recording left out, or all three (`core-bare`: GenOps'
// own stages and store). Each part's cost is its row's figure minus the whole one's, from one run.
// `core-keys` is the whole core loop with calls of 8 frozen attributions interleaved (`withAttribution`,
// as the gateway attributes each virtual key's calls): per-attribution caches that remembered only the
// last attribution would miss on every call there, and show as its row's figure above `core`'s.
//
//   node benchmarks/hot-path-breakdown.mjs                  # every variant, each in a fresh process
//   node benchmarks/hot-path-breakdown.mjs genops raw       # some variants
//   node benchmarks/hot-path-breakdown.mjs core core-no-audit core-no-spans core-no-metrics core-bare
//   node benchmarks/hot-path-breakdown.mjs core core-keys
//   BREAKDOWN_CALLS=2000 node benchmarks/hot-path-breakdown.mjs
//   BREAKDOWN_HEAP_PROFILE=/tmp/heap.json node benchmarks/hot-path-breakdown.mjs genops
//       # also a sampling heap profile of the measured calls, collected objects included
//       # (open it in Chrome DevTools, or sum selfSize by call frame); with several variants, one file
//       # each (/tmp/heap-raw-otel.json, /tmp/heap-genops.json, ...)
//   BREAKDOWN_HEAP_PROFILE=/tmp/heap.json node benchmarks/hot-path-breakdown.mjs raw-otel genops
//       # and a table of who allocates what each variant adds over the first: inside calls into the
//       # OpenTelemetry SDK, in GenOps' own frames, or elsewhere (lib/heap-profile.mjs, allocationByOwner)
//
// The fake OpenAI server runs in a process of its own (benchmarks/lib/fake-openai-process.mjs), as in
// side-by-side.mjs. Prints one JSON line per variant and a table; writes nothing into docs.
import { createHook } from 'node:async_hooks';
import { fork } from 'node:child_process';
import { countAllocation } from './lib/allocation.mjs';
import { allocationByOwner, startHeapProfile } from './lib/heap-profile.mjs';
import {
  chatCall,
  GOVERNED_CHAT_OUTCOME,
  governanceOptions,
  governedChatRequest,
  keyAttributions,
  MESSAGES,
} from './lib/workload.mjs';

const VARIANTS = {
  raw: { telemetry: false },
  'raw-otel': { telemetry: true },
  genops: { telemetry: true, genops: {} },
  'genops-no-audit': { telemetry: true, genops: { audit: false } },
  'genops-no-spans': { telemetry: true, genops: {}, noSpans: true },
  'genops-no-metrics': { telemetry: true, genops: {}, noMetrics: true },
  'genops-no-egress': { telemetry: true, genops: { egress: { mode: 'off' } } },
  core: { telemetry: true, genops: {}, core: true },
  'core-no-audit': { telemetry: true, genops: { audit: false }, core: true },
  'core-no-spans': { telemetry: true, genops: {}, noSpans: true, core: true },
  'core-no-metrics': { telemetry: true, genops: {}, noMetrics: true, core: true },
  'core-bare': { telemetry: true, genops: { audit: false }, noSpans: true, noMetrics: true, core: true },
  'core-keys': { telemetry: true, genops: {}, core: true, keys: 8 },
};
const CALLS = Number(process.env.BREAKDOWN_CALLS ?? 1000);
const WARMUP = 1500;
const PROMISE_CALLS = 100;
const ALLOCATION_CALLS = 500;

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], process.argv[5]);
else await parent(process.argv.slice(2));

async function parent(names) {
  const chosen = names.length > 0 ? names : Object.keys(VARIANTS).filter((name) => !VARIANTS[name].core);
  for (const name of chosen) if (!VARIANTS[name]) throw new Error(`unknown variant ${name}: ${Object.keys(VARIANTS)}`);
  const server = fork(new URL('./lib/fake-openai-process.mjs', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { url } = await new Promise((resolve) => server.once('message', resolve));
  const { loadavg } = await import('node:os');
  console.error(
    `load average at start: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  const rows = [];
  for (const name of chosen) {
    const result = await new Promise((resolve, reject) => {
      const variant = fork(new URL(import.meta.url), ['--child', name, url, heapProfileFile(name, chosen)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let message;
      variant.once('message', (value) => {
        message = value;
      });
      variant.once('exit', (code) =>
        code === 0 && message ? resolve(message) : reject(new Error(`${name}: ${code}`)),
      );
    });
    console.log(JSON.stringify(result));
    rows.push(result);
    // Waits for the reply: a reply still on its way when the server is disconnected fails it (EPIPE).
    await new Promise((resolve) => {
      server.once('message', resolve);
      server.send('reset');
    });
  }
  console.error(
    `load average at end: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  const base = ['raw-otel', 'raw', 'core-bare'].map((name) => rows.find((row) => row.variant === name)).find(Boolean);
  console.log('\n| Variant | KiB/call | Added KiB | Promises/call | Added promises | CPU µs/call |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const added = (value, of) => (base ? (value - of).toFixed(1) : '');
    console.log(
      `| ${row.variant} | ${row.kibPerCall.toFixed(1)} | ${added(row.kibPerCall, base?.kibPerCall)} | ` +
        `${row.promisesPerCall.toFixed(1)} | ${added(row.promisesPerCall, base?.promisesPerCall)} | ${row.cpuMicrosPerCall.toFixed(0)} |`,
    );
  }
  const profiled = rows.filter((row) => row.allocatedBy);
  if (profiled.length > 1) {
    const [first] = profiled;
    const kib = (bytes) => (bytes / 1024).toFixed(1);
    console.log(
      `\nAdded allocation by who allocates it (sampling heap profiles, KiB per call over ${first.variant}):\n` +
        "\n| Variant | Inside OpenTelemetry SDK calls | GenOps' own frames | Elsewhere (Node.js, undici, SDK, builtins) | Total |" +
        '\n| --- | --- | --- | --- | --- |',
    );
    for (const row of profiled.slice(1)) {
      const added = (owner) => row.allocatedBy[owner] - first.allocatedBy[owner];
      const total = added('opentelemetry') + added('genops') + added('other');
      console.log(
        `| ${row.variant} | ${kib(added('opentelemetry'))} | ${kib(added('genops'))} | ${kib(added('other'))} | ${kib(total)} |`,
      );
    }
  }
  server.disconnect();
}

/** Where a variant's heap profile goes (BREAKDOWN_HEAP_PROFILE; one file per variant when there are several), or ''. */
function heapProfileFile(name, chosen) {
  const file = process.env.BREAKDOWN_HEAP_PROFILE ?? '';
  if (!file || chosen.length === 1) return file;
  return /\.json$/.test(file) ? file.replace(/\.json$/, `-${name}.json`) : `${file}-${name}.json`;
}

async function child(name, url, heapProfile) {
  const variant = VARIANTS[name];
  const { default: OpenAI } = await import('openai');
  let telemetry;
  let handle;
  // Loaded by every variant, raw included: a process that has loaded it makes the same calls slower on the
  // benchmark VM (docs/benchmarks.md, "Every process loads the same harness").
  const { createTestTelemetry } = await import('@genops/testing');
  if (variant.telemetry) {
    const { metrics, trace } = await import('@opentelemetry/api');
    telemetry = createTestTelemetry({ serviceName: 'bench' });
    trace.setGlobalTracerProvider(telemetry.tracerProvider);
    metrics.setGlobalMeterProvider(telemetry.meterProvider);
  }
  if (variant.genops) {
    const api = await import('@opentelemetry/api');
    const { GenOps } = await import('@genops/core');
    const options = governanceOptions(telemetry, variant.genops);
    // A provider whose tracer or meter records nothing: that part's cost is left out.
    if (variant.noSpans) options.tracerProvider = { getTracer: () => noopTracer(api) };
    if (variant.noMetrics) options.meterProvider = { getMeter: () => api.createNoopMeter() };
    handle = GenOps.init(options);
  }
  const call = variant.core
    ? await governedCall(handle, variant.keys)
    : chatCall.bind(undefined, new OpenAI({ apiKey: 'bench', baseURL: url, maxRetries: 0 }));
  let calls = 0;
  const run = async (count) => {
    for (let index = 0; index < count; index++) {
      await call();
      // The in-memory exporter keeps every span: drain it as an exporter would.
      if (telemetry && ++calls % 100 === 0) {
        telemetry.resetSpans();
        // A loop of awaits alone never reaches the timer phase, where the in-memory exporter acknowledges
        // each span (calls over HTTP do): until then the span processor holds the span.
        if (variant.core) await new Promise((resolve) => setImmediate(resolve));
      }
    }
  };
  await run(WARMUP);

  // Client CPU: the best of three blocks (the least disturbed by other processes).
  let cpuMicrosPerCall = Number.POSITIVE_INFINITY;
  for (let block = 0; block < 3; block++) {
    const before = process.cpuUsage();
    await run(CALLS);
    const { user, system } = process.cpuUsage(before);
    cpuMicrosPerCall = Math.min(cpuMicrosPerCall, (user + system) / CALLS);
  }

  // Allocation: heap used after minus before, plus what every collection in between freed.
  const allocation = countAllocation();
  await run(ALLOCATION_CALLS);
  const kibPerCall = allocation.stop().bytes / ALLOCATION_CALLS / 1024;

  // Promises: every promise created while the calls ran (the SDK's, undici's, OpenTelemetry's, GenOps').
  let promises = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') promises++;
    },
  });
  hook.enable();
  await run(PROMISE_CALLS);
  hook.disable();

  let allocatedBy;
  if (heapProfile) {
    const profiler = await startHeapProfile(heapProfile);
    await run(CALLS);
    allocatedBy = allocationByOwner(await profiler.stop(), CALLS);
  }

  await handle?.shutdown();
  await telemetry?.shutdown();
  process.send(
    { variant: name, cpuMicrosPerCall, kibPerCall, promisesPerCall: promises / PROMISE_CALLS, allocatedBy },
    () => process.exit(0),
  );
}

/**
 * `governor.begin()` + `call.end()` of the benchmark's chat request, as openai-overhead.mjs times it; with
 * `keys`, each call inside `withAttribution` of the next of that many frozen attributions, in turn.
 */
async function governedCall(handle, keys) {
  const { estimateInputTokens } = await import('@genops/core/adapter');
  const request = governedChatRequest(estimateInputTokens(MESSAGES), 443);
  const governed = async () => {
    const call = await handle.governor.begin(request);
    await call.end(GOVERNED_CHAT_OUTCOME);
  };
  if (!keys) return governed;
  const { withAttribution } = await import('@genops/core');
  const attributions = keyAttributions(keys);
  let next = 0;
  return () => withAttribution(attributions[next++ % keys], governed);
}

/** A tracer whose spans record nothing (the API's no-op tracer, from a provider nobody registered). */
function noopTracer(api) {
  return new api.ProxyTracerProvider().getTracer('noop');
}
