// What a governed call costs in the core alone (governor.begin() + call.end(), memory store, recording
// tracer and meter, no SDK and no HTTP), with 1, 10, 100 and 1,000 budgets that all match the call, each
// with a warnAt threshold (so settlement checks alerts on every line). The target: 1,000
// matching budgets add at most 1 ms per call.
//
//   pnpm build && node --expose-gc benchmarks/many-budgets.mjs
//   GENOPS_CORE=/path/to/other/packages/core/dist/index.js node --expose-gc benchmarks/many-budgets.mjs
//     (the same measurement against another build of @genops/core, e.g. main's, for a before/after)
//   BENCH_AUDIT=0 ...   without the audit trail
//   node --expose-gc benchmarks/many-budgets.mjs --json   the rows as one JSON line (side-by-side.mjs runs it so and
//     checks the target in its issue-11 table)
import { createTestTelemetry } from '@genops/testing';

const { GenOps } = await import(process.env.GENOPS_CORE ?? '@genops/core');
const AUDIT = process.env.BENCH_AUDIT !== '0';
const COUNTS = [1, 10, 100, 1_000];
const WARMUP = 200;
const CALLS = Number(process.env.BENCH_CALLS ?? 1_000);

const telemetry = createTestTelemetry();
const request = {
  provider: 'openai',
  operation: 'chat',
  model: 'gpt-4o-mini',
  stream: false,
  maxOutputTokens: 64,
  estimatedInputTokens: 40,
  serverAddress: '127.0.0.1',
  serverPort: 8080,
};
const outcome = {
  usage: { inputTokens: 20, outputTokens: 10 },
  response: { id: 'chatcmpl-bench', model: 'gpt-4o-mini', finishReasons: ['stop'] },
};

function budgets(count) {
  return Array.from({ length: count }, (_, index) => ({
    name: `b${index}`,
    limit: 1_000_000,
    window: 'day',
    match: { team: 'search' },
    warnAt: [0.8],
  }));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function measure(count) {
  const handle = GenOps.init({
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    autoInstrument: false,
    defaults: { team: 'search', project: 'bench', environment: 'bench' },
    budgets: budgets(count),
    ...(AUDIT ? {} : { audit: false }),
  });
  const one = async () => {
    const call = await handle.governor.begin(request);
    await call.end(outcome);
  };
  for (let index = 0; index < WARMUP; index++) await one();
  telemetry.resetSpans();
  const times = [];
  const cpuStart = process.cpuUsage();
  globalThis.gc?.();
  const heapStart = process.memoryUsage().heapUsed;
  for (let index = 0; index < CALLS; index++) {
    const started = performance.now();
    await one();
    times.push(performance.now() - started);
    if ((index + 1) % 100 === 0) {
      telemetry.resetSpans();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  const heapGrowth = process.memoryUsage().heapUsed - heapStart;
  await handle.shutdown();
  telemetry.resetSpans();
  return {
    budgets: count,
    medianUs: median(times) * 1000,
    cpuUs: (cpu.user + cpu.system) / CALLS,
    heapKiBPerCall: heapGrowth / 1024 / CALLS,
  };
}

const rows = [];
for (const count of COUNTS) rows.push(await measure(count));
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ calls: CALLS, audit: AUDIT, rows }));
  process.exit(0);
}
console.log(
  `governor.begin() + call.end(), memory store, ${CALLS} calls per row, audit ${AUDIT ? 'on' : 'off'}, Node ${process.version}`,
);
console.log('| Matching budgets | Median µs/call | CPU µs/call | Heap growth KiB/call (GC may run) |');
console.log('| ---------------- | -------------- | ----------- | --------------------------------- |');
for (const row of rows)
  console.log(
    `| ${row.budgets} | ${row.medianUs.toFixed(1)} | ${row.cpuUs.toFixed(1)} | ${row.heapKiBPerCall.toFixed(1)} |`,
  );
