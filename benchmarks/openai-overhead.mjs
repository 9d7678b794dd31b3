// `pnpm bench`: what GenOps governance adds to each call of the real `openai` SDK.
//
// The SDK talks to GenOps' fake OpenAI server on 127.0.0.1 (no network, no API key), so a call costs
// a loopback HTTP round trip and the difference between the two modes is GenOps' own work. Plain and
// governed calls run in alternating blocks in one process, so machine drift (other tenants of a
// shared VM, CPU frequency, JIT state) lands on both modes alike.
//
//   pnpm bench                                                # build, then run with the defaults
//   node --expose-gc benchmarks/openai-overhead.mjs --write   # after a build: also rewrite docs/benchmarks.md
//   BENCH_CALLS=5000 node --expose-gc benchmarks/openai-overhead.mjs
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { GenOps } from '@genops/core';
import { estimateInputTokens } from '@genops/core/adapter';
import { createTestTelemetry, startFakeOpenAI } from '@genops/testing';
import OpenAI from 'openai';
import { VERSION as OPENAI_VERSION } from 'openai/version';
import { countAllocation } from './lib/allocation.mjs';
import { machine, machineLine, median, revision, summarise, table, thousands } from './lib/report.mjs';
import {
  CHAT_BODY,
  chatCall,
  GOVERNED_CHAT_OUTCOME,
  governanceOptions,
  governedChatRequest,
  MAX_TOKENS,
  MESSAGES,
  MODEL,
  streamingCall,
} from './lib/workload.mjs';

// Rounds of one plain block and one governed block each; which mode goes first alternates per round.
const ROUNDS = 10;
const DEFAULT_CALLS = 2_000;
const CALLS = positiveIntFromEnv('BENCH_CALLS', DEFAULT_CALLS);
// Streams cost more per call (several SSE events); fewer of them keep the run short.
const STREAM_CALLS = positiveIntFromEnv('BENCH_STREAM_CALLS', Math.max(ROUNDS, Math.ceil(CALLS / 4)));
// Enough calls for the JIT to optimise both paths before anything is timed.
const WARMUP_CALLS = 300;
const WARMUP_STREAM_CALLS = 100;
const MICRO_ITERATIONS = 20_000;
const MICRO_WARMUP_ITERATIONS = 2_000;
// The in-memory span exporter keeps every span until reset; draining it this often keeps stored spans
// from dominating the heap (a real app exports and forgets them).
const SPAN_DRAIN_EVERY = 100;
// Calls over which allocation per call is measured (see allocatedPerCall).
const ALLOCATION_CALLS = 1_000;
const KIB = 1024;
const MIB = 1024 * 1024;

const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const DOC_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
// docs/benchmarks.md keeps the headline figures of the last few --write runs, to show run-to-run spread.
const HISTORY_SIZE = 5;
const HISTORY_MARKER = /<!-- bench-history: (.*?) -->/s;

const MODES = ['plain', 'governed'];

function positiveIntFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  // Every block needs at least one call.
  if (!Number.isInteger(value) || value < ROUNDS) {
    throw new Error(`${name} must be an integer >= ${ROUNDS} (one call per block), got "${raw}"`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers

const canCollect = typeof globalThis.gc === 'function';
const loadedCommonJsModules = () => Object.keys(createRequire(import.meta.url).cache).length;

/** Heap used after a full GC: live data, not garbage waiting to be collected. */
function settledHeap() {
  if (!canCollect) return Number.NaN;
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/** Resident set size, and the heap V8 has reserved (which it keeps after growing it under load). */
function residentMemory() {
  const { rss, heapTotal } = process.memoryUsage();
  return { rss, heapTotal };
}

function concat(arrays) {
  const out = new Float64Array(arrays.reduce((total, array) => total + array.length, 0));
  let offset = 0;
  for (const array of arrays) {
    out.set(array, offset);
    offset += array.length;
  }
  return out;
}

/** Splits `total` into `parts` block sizes that differ by at most one. */
function blockSizes(total, parts) {
  return Array.from(
    { length: parts },
    (_, index) => Math.floor((total * (index + 1)) / parts) - Math.floor((total * index) / parts),
  );
}

function drainSpans(telemetry) {
  const count = telemetry.spans().length;
  telemetry.resetSpans();
  return count;
}

/**
 * Bytes allocated per call of `run` over {@link ALLOCATION_CALLS} calls (each followed by `between`), minus
 * what the same loop allocates around a call that does nothing: heap used at the end minus at the start,
 * plus what every garbage collection in between freed (V8's GCProfiler reports the heap before and after
 * each one), as side-by-side.mjs measures it. The run is long enough to include the work a call leaves
 * for later (its span and metric recording on a timer, the audit trail's batches every 10 ms); a few
 * calls right after a full GC, with no GC among them, missed it (a loop of awaits never reaches a timer).
 */
async function allocatedPerCall(run, between = async () => {}) {
  const probe = await heapAllocatedPerCall(async () => {}, between);
  return (await heapAllocatedPerCall(run, between)) - probe;
}

async function heapAllocatedPerCall(run, between) {
  const allocation = countAllocation();
  for (let index = 0; index < ALLOCATION_CALLS; index++) {
    await run();
    await between(index);
  }
  return allocation.stop().bytes / ALLOCATION_CALLS;
}

// ---------------------------------------------------------------------------------------------
// One-time cost of switching governance on

/**
 * The first GenOps.init() of the process: it validates the options, discovers and loads adapter
 * packages, and the OpenAI adapter loads (and patches) every build of `openai` it can reach.
 */
async function measureFirstInit(env) {
  const modulesBefore = loadedCommonJsModules();
  const heapBefore = settledHeap();
  const started = performance.now();
  const handle = GenOps.init(governanceOptions(env.telemetry));
  const ms = performance.now() - started;
  const heapAfter = settledHeap();
  await handle.shutdown();
  return { ms, heap: heapAfter - heapBefore, commonJsModules: loadedCommonJsModules() - modulesBefore };
}

// ---------------------------------------------------------------------------------------------
// Blocks: one mode, a number of sequential calls, heap measured around it

/**
 * Runs `count` sequential calls in one mode and times each. Governance is switched on for the block
 * with GenOps.init() (which patches the SDK) and off after it with shutdown() (which unpatches it);
 * both happen outside the timed window and outside the heap window. The spans recorded prove the
 * toggle: exactly one per governed call, none for plain calls.
 */
async function runBlock({ mode, count, call, env }) {
  const initStarted = performance.now();
  const handle = mode === 'governed' ? GenOps.init(governanceOptions(env.telemetry)) : undefined;
  const initMs = handle ? performance.now() - initStarted : undefined;
  const heapBefore = settledHeap();
  const latencies = new Float64Array(count);
  let spans = 0;
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await call(env.client);
    latencies[index] = performance.now() - started;
    if (index === 0 && handle) env.spanShape ??= shapeOf(env.telemetry.spans()[0]);
    if ((index + 1) % SPAN_DRAIN_EVERY === 0) spans += drainSpans(env.telemetry);
  }
  spans += drainSpans(env.telemetry);
  env.server.reset(); // the fake server records every request; forget them, in both modes alike
  const heapAfter = settledHeap();
  await handle?.shutdown();

  const expected = mode === 'governed' ? count : 0;
  if (spans !== expected) {
    throw new Error(
      `governance did not toggle: a ${mode} block of ${count} calls recorded ${spans} spans, expected ${expected}`,
    );
  }
  return { mode, latencies, heapBefore, heapAfter, spans, initMs };
}

function shapeOf(span) {
  return span ? { attributes: Object.keys(span.attributes).length, events: span.events.length } : undefined;
}

/** Interleaves plain and governed blocks, `total` calls per mode, alternating which mode goes first. */
async function compareModes({ total, call, env }) {
  const blocks = { plain: [], governed: [] };
  for (const [round, count] of blockSizes(total, ROUNDS).entries()) {
    const order = round % 2 === 0 ? MODES : [...MODES].reverse();
    for (const mode of order) blocks[mode].push(await runBlock({ mode, count, call, env }));
  }
  return {
    plain: modeResult(blocks.plain),
    governed: modeResult(blocks.governed),
    rounds: roundDeltas(blocks),
    initMs: median(blocks.governed.map((block) => block.initMs)),
  };
}

function modeResult(blocks) {
  const retained = blocks.map((block) => block.heapAfter - block.heapBefore);
  return {
    ...summarise(concat(blocks.map((block) => block.latencies))),
    spans: blocks.reduce((total, block) => total + block.spans, 0),
    heapBefore: blocks[0].heapBefore,
    heapAfter: blocks.at(-1).heapAfter,
    // Heap growth that survived the GC at the end of each block, summed over the mode's blocks.
    heapRetained: retained.reduce((total, value) => total + value, 0),
    blockRetainedMin: Math.min(...retained),
    blockRetainedMax: Math.max(...retained),
  };
}

/** Median added time per round (governed − plain, same round): the spread shows the noise floor. */
function roundDeltas(blocks) {
  const deltas = blocks.plain.map((plain, round) => median(blocks.governed[round].latencies) - median(plain.latencies));
  return { min: Math.min(...deltas), max: Math.max(...deltas) };
}

async function warmUp(env) {
  for (const mode of MODES) {
    await runBlock({ mode, count: WARMUP_CALLS, call: chatCall, env });
    await runBlock({ mode, count: WARMUP_STREAM_CALLS, call: streamingCall, env });
  }
}

/** Bytes allocated per SDK call in each mode (collected right away, so not retained). */
async function measureAllocations(env) {
  const result = {};
  for (const mode of MODES) {
    const handle = mode === 'governed' ? GenOps.init(governanceOptions(env.telemetry)) : undefined;
    result[mode] = {
      chat: await allocatedPerCall(() => chatCall(env.client)),
      stream: await allocatedPerCall(() => streamingCall(env.client)),
    };
    await handle?.shutdown();
    drainSpans(env.telemetry);
    env.server.reset();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// The hot path alone: no SDK, no HTTP

/**
 * Times `operation` per iteration after a warm-up. ops/s is iterations over the sum of the timed
 * iterations, so the pauses between them (`between`) do not count. `cpuPerOp` (µs) is the process CPU
 * of the whole timed loop, pauses and `settle` (what the operations left to run later) included,
 * over the iterations: what each operation costs in all, deferred work and GC included.
 */
async function timeLoop(operation, between, settle = async () => {}) {
  for (let index = 0; index < MICRO_WARMUP_ITERATIONS; index++) {
    await operation();
    await between(index);
  }
  await settle();
  const heapBefore = settledHeap();
  const times = new Float64Array(MICRO_ITERATIONS);
  const cpuBefore = process.cpuUsage();
  for (let index = 0; index < MICRO_ITERATIONS; index++) {
    const started = performance.now();
    await operation();
    times[index] = performance.now() - started;
    await between(index);
  }
  await settle();
  const { user, system } = process.cpuUsage(cpuBefore);
  const heapRetained = settledHeap() - heapBefore;
  const totalMs = times.reduce((total, time) => total + time, 0);
  return {
    iterations: MICRO_ITERATIONS,
    opsPerSecond: MICRO_ITERATIONS / (totalMs / 1000),
    cpuPerOp: (user + system) / MICRO_ITERATIONS,
    heapRetained,
    ...summarise(times),
  };
}

/**
 * The two halves of GenOps' per-call work, without the SDK and HTTP around them:
 * - the governor: `governor.begin()` + `call.end()` with the same options as the governed blocks
 *   (memory store, two budgets, allow-list, span, metrics and audit records), and again without audit;
 * - the OpenAI adapter's request description (body fields, input-token bound, server address).
 */
async function microBenchmark(env) {
  // Loaded here, after the first GenOps.init() was measured, so it does not change what that loads.
  const { describeOpenAIRequest } = await import('@genops/provider-openai');
  let handle = GenOps.init(governanceOptions(env.telemetry));
  const request = governedChatRequest(estimateInputTokens(MESSAGES), env.server.port);
  const outcome = GOVERNED_CHAT_OUTCOME;
  const governOne = async () => {
    const call = await handle.governor.begin(request);
    await call.end(outcome);
  };
  // A loop of awaits alone never reaches the event loop's timer phase, and the in-memory span exporter
  // acknowledges each export with a setTimeout(0): until that fires, the span processor holds the span.
  // Yielding now and then lets those acknowledgements run, as the I/O of real calls does.
  const drainAndYield = async (index) => {
    if ((index + 1) % SPAN_DRAIN_EVERY !== 0) return;
    drainSpans(env.telemetry);
    await new Promise((resolve) => setImmediate(resolve));
  };
  // The span and metric recordings and the audit batch (each on a timer) of the last calls.
  const governor = await timeLoop(governOne, drainAndYield, () => handle.flush());
  governor.allocated = await allocatedPerCall(governOne, drainAndYield);
  const open = await handle.governor.store.openReservations();
  await handle.shutdown();
  // Dropped, so its store (and the audit records it keeps) is not counted in the next loop's retained heap.
  handle = undefined;
  drainSpans(env.telemetry);
  if (open !== 0) throw new Error(`the micro-benchmark left ${open} reservations open`);

  // The same without the audit trail (two hash-chained records per call), to show what it costs.
  const noAudit = GenOps.init({ ...governanceOptions(env.telemetry), audit: false });
  const governNoAudit = async () => {
    const call = await noAudit.governor.begin(request);
    await call.end(outcome);
  };
  const governorNoAudit = await timeLoop(governNoAudit, drainAndYield, () => noAudit.flush());
  governorNoAudit.allocated = await allocatedPerCall(governNoAudit, drainAndYield);
  await noAudit.shutdown();
  drainSpans(env.telemetry);

  const describeOne = () => describeOpenAIRequest('chat.completions.create', CHAT_BODY, env.server.url);
  const describe = await timeLoop(describeOne, async () => {});
  describe.allocated = await allocatedPerCall(describeOne);
  return { governor, governorNoAudit, describe };
}

// ---------------------------------------------------------------------------------------------
// Formatting

const ms = (value) => value.toFixed(3);
const us = (valueMs) => (valueMs < 0.01 ? (valueMs * 1000).toFixed(1) : `${Math.round(valueMs * 1000)}`);
const signedUs = (valueMs) => `${valueMs >= 0 ? '+' : ''}${Math.round(valueMs * 1000)}`;
const mib = (bytes) => (Number.isNaN(bytes) ? 'n/a' : (bytes / MIB).toFixed(1));
const signedMib = (bytes) => (Number.isNaN(bytes) ? 'n/a' : `${bytes >= 0 ? '+' : ''}${(bytes / MIB).toFixed(1)}`);
const kib = (bytes) => (Number.isNaN(bytes) ? 'n/a' : (bytes / KIB).toFixed(1));
const signedKib = (bytes) => (Number.isNaN(bytes) ? 'n/a' : `${bytes >= 0 ? '+' : ''}${Math.round(bytes / KIB)}`);

function callKinds(results) {
  return [
    ['chat.completions.create', results.chat, 'chat'],
    ['chat.completions.create, stream', results.stream, 'stream'],
  ];
}

function latencyTable(results) {
  const rows = callKinds(results).map(([label, { plain, governed, rounds }]) => [
    label,
    plain.count,
    ms(plain.median),
    ms(governed.median),
    signedUs(governed.median - plain.median),
    ms(plain.p99),
    ms(governed.p99),
    signedUs(governed.p99 - plain.p99),
    `${signedUs(rounds.min)} … ${signedUs(rounds.max)}`,
  ]);
  return table(
    [
      'Call',
      'Calls/mode',
      'Plain median ms',
      'Governed median ms',
      'Added median µs',
      'Plain p99 ms',
      'Governed p99 ms',
      'Added p99 µs',
      'Added median µs per round (min … max)',
    ],
    rows,
  );
}

function hotPathTable(micro) {
  return table(
    [
      'Operation',
      'Iterations',
      'ops/s',
      'Median µs',
      'p99 µs',
      'CPU µs/op, all work',
      'Allocated KiB/op',
      'Retained after loop KiB',
    ],
    [
      ['governor.begin() + call.end()', micro.governor],
      ['the same with audit: false', micro.governorNoAudit],
      ['describeOpenAIRequest() (adapter)', micro.describe],
    ].map(([label, entry]) => [
      label,
      entry.iterations,
      thousands(entry.opsPerSecond),
      us(entry.median),
      us(entry.p99),
      entry.cpuPerOp.toFixed(1),
      kib(entry.allocated),
      signedKib(entry.heapRetained),
    ]),
  );
}

function allocationTable(results) {
  return table(
    ['Call', 'Plain KiB/call', 'Governed KiB/call', 'Added KiB/call'],
    callKinds(results).map(([label, , kind]) => {
      const plain = results.allocations.plain[kind];
      const governed = results.allocations.governed[kind];
      return [label, kib(plain), kib(governed), kib(governed - plain)];
    }),
  );
}

function retainedTable(results) {
  const rows = [];
  for (const [label, result] of callKinds(results)) {
    for (const mode of MODES) {
      const entry = result[mode];
      rows.push([
        label,
        mode,
        mib(entry.heapBefore),
        mib(entry.heapAfter),
        `${signedKib(entry.blockRetainedMin)} … ${signedKib(entry.blockRetainedMax)}`,
        signedKib(entry.heapRetained),
      ]);
    }
  }
  return table(
    [
      'Call',
      'Mode',
      'Heap before MiB',
      'Heap after MiB',
      'Retained per block KiB (min … max)',
      'Retained, all blocks KiB',
    ],
    rows,
  );
}

function rssTable(results) {
  return table(
    ['After', 'RSS MiB', 'V8 heap reserved MiB'],
    [
      ...Object.entries(results.resident).map(([phase, memory]) => [phase, mib(memory.rss), mib(memory.heapTotal)]),
      ['peak', mib(results.peakRss), ''],
    ],
  );
}

/**
 * Retained heap per 1000 governed calls beyond what as many plain calls retained, compared with the
 * spread of plain blocks (GC and JIT noise).
 */
function retentionVerdict(result) {
  const { plain, governed } = result;
  if (Number.isNaN(plain.heapRetained)) return 'n/a (needs node --expose-gc)';
  const difference = governed.heapRetained - plain.heapRetained;
  const perBlock = difference / ROUNDS;
  const noise = plain.blockRetainedMax - plain.blockRetainedMin;
  const comparison = `${signedKib(perBlock)} KiB per block vs a ${Math.round(noise / KIB)} KiB spread between plain blocks`;
  if (Math.abs(perBlock) < noise) return `not measurable (${comparison})`;
  return `${signedKib((difference / governed.count) * 1000)} KiB per 1000 calls (${comparison})`;
}

function commandLine() {
  const settings = ['BENCH_CALLS', 'BENCH_STREAM_CALLS', 'BENCH_WRITE']
    .filter((name) => process.env[name])
    .map((name) => `${name}=${process.env[name]} `)
    .join('');
  const args = process.argv.slice(2).join(' ');
  return `${settings}node --expose-gc benchmarks/openai-overhead.mjs${args ? ` ${args}` : ''}`;
}

function spanShapeLine(results) {
  const shape = results.spanShape;
  return shape ? `${shape.attributes} attributes and ${shape.events} events` : 'no span captured';
}

function initLine(results) {
  const { firstInit } = results;
  return (
    `first GenOps.init() ${firstInit.ms.toFixed(1)} ms, ${signedMib(firstInit.heap)} MiB heap, ` +
    `${firstInit.commonJsModules} CommonJS modules loaded; later init() calls median ${results.chat.initMs.toFixed(2)} ms`
  );
}

// ---------------------------------------------------------------------------------------------
// stdout

function report(results) {
  return [
    `GenOps ${GenOps.version} (commit ${results.revision}) overhead on openai ${OPENAI_VERSION} — ${machineLine(results.host)}`,
    `${results.calls} chat + ${results.streamCalls} streaming calls per mode in ${ROUNDS} alternating rounds, after ` +
      `${WARMUP_CALLS} + ${WARMUP_STREAM_CALLS} warm-up calls per mode; run took ${(results.durationMs / 1000).toFixed(1)} s.`,
    '',
    'Per-call latency, real OpenAI SDK → fake OpenAI server on 127.0.0.1',
    latencyTable(results),
    '',
    'Governance hot path alone (no SDK, no HTTP)',
    hotPathTable(results.micro),
    '',
    'Allocated per call (garbage, collected)',
    allocationTable(results),
    '',
    'Heap retained after a full GC',
    retainedTable(results),
    `Added heap retained per 1000 governed calls: chat ${retentionVerdict(results.chat)}; stream ${retentionVerdict(results.stream)}.`,
    '',
    rssTable(results),
    '',
    `One-time: ${initLine(results)}.`,
    `A governed span carries ${spanShapeLine(results)}.`,
    ...(canCollect ? [] : ['', 'Retained-heap figures need `node --expose-gc` (pnpm bench passes it).']),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// docs/benchmarks.md

function historyEntry(results) {
  const addedUs = (result, key) => Math.round((result.governed[key] - result.plain[key]) * 1000);
  return {
    date: results.date.slice(0, 10),
    machine: `${results.host.cpu}, ${results.host.cores} cores`,
    node: results.host.node,
    calls: results.calls,
    chatMedianUs: addedUs(results.chat, 'median'),
    chatP99Us: addedUs(results.chat, 'p99'),
    streamMedianUs: addedUs(results.stream, 'median'),
    streamP99Us: addedUs(results.stream, 'p99'),
    hotPathOpsPerSecond: Math.round(results.micro.governor.opsPerSecond),
    hotPathMedianUs: Math.round(results.micro.governor.median * 1000),
  };
}

function readHistory() {
  if (!existsSync(DOC_PATH)) return [];
  const match = HISTORY_MARKER.exec(readFileSync(DOC_PATH, 'utf8'));
  if (!match) return [];
  try {
    const parsed = JSON.parse(match[1]);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

function range(history, key) {
  const values = history.map((entry) => entry[key]);
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? `${low}` : `${low} to ${high}`;
}

function historySection(history) {
  const signed = (value) => `${value >= 0 ? '+' : ''}${value}`;
  const rows = history.map((entry) => [
    entry.date,
    entry.machine,
    entry.node,
    entry.calls,
    signed(entry.chatMedianUs),
    signed(entry.chatP99Us),
    signed(entry.streamMedianUs),
    signed(entry.streamP99Us),
    thousands(entry.hotPathOpsPerSecond),
    entry.hotPathMedianUs,
  ]);
  const runs =
    history.length === 1 ? 'The last `--write` run' : `The last ${history.length} \`--write\` runs, newest last`;
  return [
    `${runs}. Governance added ${range(history, 'chatMedianUs')} µs to the median chat call and`,
    `${range(history, 'streamMedianUs')} µs to the median streaming call. The p99 difference was ${range(history, 'chatP99Us')} µs for chat`,
    `and ${range(history, 'streamP99Us')} µs for streams: it rests on the slowest 1% of calls, which GC pauses and the`,
    'other tenants of the machine dominate, and is negative when the plain calls happened to have the slower tail.',
    '',
    table(
      [
        'Date',
        'Machine',
        'Node',
        'Calls/mode',
        'Chat +median µs',
        'Chat +p99 µs',
        'Stream +median µs',
        'Stream +p99 µs',
        'Hot path ops/s',
        'Hot path median µs',
      ],
      rows,
    ),
    '',
    `<!-- bench-history: ${JSON.stringify(history)} -->`,
  ].join('\n');
}

function renderDoc(results, history, preserved) {
  const chatAdded = results.chat.governed.median - results.chat.plain.median;
  return `# Benchmarks

What GenOps governance adds to a call of the real \`openai\` SDK, on its own and side by side with the
OpenTelemetry instrumentations of its peers, and what the GenOps gateway adds beside Portkey's.
\`pnpm bench\` builds, then runs five scripts:

1. \`benchmarks/side-by-side.mjs\`: [side by side](#side-by-side) with the raw SDK, OpenLLMetry and
   OpenInference, GenOps on each store, each contender in its own process.
2. \`benchmarks/openai-overhead.mjs\`: [GenOps on and off in one process](#genops-on-and-off-in-one-process),
   the governance hot path alone, memory.
3. \`benchmarks/store-throughput.mjs\`: [reserve + settle on each store](#stores-reserve--settle).
4. \`benchmarks/egress-overhead.mjs\`: [egress governance](#egress-governance).
5. \`benchmarks/gateway/gateway-overhead.mjs\`: [gateways](#gateways-direct-genops-portkey): direct calls,
   the GenOps gateway on each store and Portkey's gateway, each party in its own process.

This file is written by \`node --expose-gc benchmarks/openai-overhead.mjs --write\`; change the script, not
this file. The script keeps three sections as they are: "Side by side" (its method is written here by hand,
its figures by \`node benchmarks/side-by-side.mjs --write\`), "Stores" (written by
\`node benchmarks/store-throughput.mjs --write\`) and "Gateways" (its method by hand, its figures by
\`node benchmarks/gateway/gateway-overhead.mjs --write\`).

## How to run

\`\`\`sh
pnpm bench                                                # builds, then runs all five (about 14 minutes)
BENCH_WRITE=1 pnpm bench                                  # the same, and writes every figure into this file
node --expose-gc benchmarks/openai-overhead.mjs --write   # after a build: this one alone, rewrites this file
\`\`\`

\`BENCH_CALLS\` (default ${DEFAULT_CALLS}) sets the chat calls per mode of \`openai-overhead.mjs\`, \`BENCH_STREAM_CALLS\`
(default a quarter of that) its streaming calls per mode. \`BENCH_WRITE=1\` is the same as \`--write\` for every
script. The side-by-side script's own settings are [below](#side-by-side).

\`node benchmarks/hot-path-breakdown.mjs\` (after a build; not part of \`pnpm bench\`, writes nothing here) says
where GenOps' added cost per call goes, in measures a busy machine does not move: heap KiB allocated and
promises created per chat call, for the raw SDK, the SDK with the OpenTelemetry providers, GenOps on the
memory store, and GenOps with one part off at a time (audit trail, span recording, metric recording,
egress governance), each in a fresh process; \`BREAKDOWN_HEAP_PROFILE=<file>\` also writes a sampling
heap profile of each variant's calls (one file per variant) and says who allocates what each variant adds
over the first: code inside calls into the OpenTelemetry SDK, GenOps' own frames, or the rest.
\`node benchmarks/otel-costs.mjs\` (after a build; not part of \`pnpm bench\`) says what the OpenTelemetry SDK
itself costs per span, attribute, event and metric record, and for a governed call's span replayed on it:
[what the OpenTelemetry SDK costs](#what-the-opentelemetry-sdk-costs).
\`node benchmarks/call-phases.mjs\` (after a build; not part of \`pnpm bench\`, writes nothing here) says when in a
chat call the added time is spent: before the request leaves, waiting for the answer, or after it (undici's
diagnostics channels cut each call), for the raw SDK and GenOps on each store, and which check-phase
(\`setImmediate\`) callbacks ran while a request had not left yet: Node's \`fetch\` sends from the check
phase, so an immediate queued before it runs in front of the request.
${preserved.sideBySide ? `\n${preserved.sideBySide}\n` : ''}
## GenOps on and off in one process

- Command: \`${commandLine()}\`
- Date: ${results.date}
- Machine: ${machineLine(results.host)}
- Versions: GenOps ${GenOps.version} (commit ${results.revision}), openai ${OPENAI_VERSION}
- Run time: ${(results.durationMs / 1000).toFixed(1)} s

**This is a shared 2-core cloud VM, and every figure moves from run to run** (other tenants, CPU
frequency, GC timing); see [run-to-run variation](#run-to-run-variation). The fake server runs in the
same process as the client, so absolute latencies say little about a real deployment: read the
_added_ figures, as orders of magnitude. In this run governance added about ${Math.round(chatAdded * 1000)} µs to the
median chat call; a real OpenAI call takes hundreds of milliseconds or more.

### Per-call latency

${results.calls} chat calls and ${results.streamCalls} streaming calls per mode, in ${ROUNDS} rounds of one plain and one
governed block (alternating which goes first), after ${WARMUP_CALLS} chat and ${WARMUP_STREAM_CALLS} streaming warm-up calls
per mode. Each time is \`performance.now()\` around one awaited call (for a stream, until its last
chunk was read). "Added" is governed − plain. The last column is the added median of each round on
its own: its spread is a rough noise floor.

${latencyTable(results)}

### Governance hot path alone

No SDK and no HTTP: \`handle.governor.begin(request)\` + \`call.end({ usage, response })\` with the same
configuration as the governed calls (memory store, the daily and per-team budgets, the allow-list,
span and metrics recorded), and the OpenAI adapter's \`describeOpenAIRequest()\`, which runs once per
call before it. ${MICRO_WARMUP_ITERATIONS} warm-up then ${MICRO_ITERATIONS} timed iterations each, one at a time; ops/s is
iterations over the sum of their times. Every ${SPAN_DRAIN_EVERY} iterations, untimed, the governor loop drains the
stored spans and yields to the event loop: the in-memory exporter acknowledges each span with a
\`setTimeout(0)\`, and until that runs the span processor holds the span, so a loop that only awaits
promises piles up spans that an app doing real I/O never would.
The median, p99 and ops/s time \`begin()\` + \`end()\` alone: the span and metric recordings GenOps defers to
a timer (or to the span reader's drain) and the audit batch (hashed and appended on a timer) run in those
untimed pauses.
**CPU µs/op, all work** is the process CPU of the whole timed loop (pauses, deferred recordings, audit
batches, GC, and a final \`flush()\`) over the iterations: what a governed call pays in all, and the
figure to compare with the added client CPU per call of the side-by-side run. "Allocated KiB/op" is
measured as in Memory below, with the same pauses, so the deferred work counts.
"Retained after loop" is heap after a full GC after the timed loop minus before it.

The first row includes the audit trail: two hash-chained records per call (a decision, which carries the
reservation, and a settlement; SHA-256 over canonical JSON), appended to the memory store in batches off the call's
path, which keeps the last 10,000 (its retained heap). The second row is the same with \`audit: false\`:
the difference is what the audit trail costs.

${hotPathTable(results.micro)}

### Memory

**Allocated per call**: bytes allocated on the V8 heap over ${thousands(ALLOCATION_CALLS)} calls (heap used at the end minus at
the start, plus what every garbage collection in between freed, from V8's \`GCProfiler\`), minus what the loop
allocates around a call that does nothing; the work a call leaves for later (its telemetry, recorded on a
timer, and the audit trail's batches) counts. This is short-lived garbage: it costs GC time, not resident memory. The client and the in-process fake server
both count, so only the added column is GenOps'.

${allocationTable(results)}

**Retained**: heap used after a full GC (\`node --expose-gc\`) before and after every block, with the
stored spans and the fake server's request log cleared first in both modes. "Heap before" is before
the mode's first block, "heap after" after its last.

${retainedTable(results)}

Added heap retained per 1000 governed calls (governed − plain, over all blocks): chat
${retentionVerdict(results.chat)}; stream ${retentionVerdict(results.stream)}. The hot-path loop
above is the finer check: ${signedKib(results.micro.governor.heapRetained)} KiB over ${MICRO_ITERATIONS} \`begin()\` + \`end()\` pairs.

**Resident set size** of the whole process (client, server, both modes), and the heap V8 has reserved
at that moment. RSS is close to a high-water mark: memory the process touched mostly stays resident
after V8 shrinks its heap again, so RSS is highest after the hot-path loops (which allocate fastest)
although the live heap did not grow (see "retained" above):

${rssTable(results)}

**One-time cost**: ${initLine(results)}. The first \`init()\` finds \`@genops/provider-openai\`
and loads it with \`require()\`, and the adapter loads both builds of \`openai\` (CommonJS and ESM) to patch
both, so an ESM-only app also gets the CommonJS copies of \`openai\`, \`@genops/core\` and their dependencies.

## Run-to-run variation

${historySection(history)}

## Methodology

**Setup.** One Node process starts the fake OpenAI server from \`@genops/testing\` on 127.0.0.1 and
creates a real \`openai\` client (\`baseURL\` the fake server, \`maxRetries: 0\`). Every call is
\`client.chat.completions.create({ model: '${MODEL}', messages: <a system and a user message>, max_tokens: ${MAX_TOKENS} })\`,
sequential, one at a time; streaming calls add \`stream: true\` and iterate to the end. The fake server
answers at once with a fixed reply (streams: 3 content chunks and the finish chunk).

**Plain vs governed.** A plain block runs with GenOps shut down: the SDK is unpatched and the calls
are the SDK's own. A governed block runs after
\`GenOps.init({ dailyBudgetLimit: 1000, budgets: [{ name: 'per-team', limit: 500, window: 'day', per: 'team' }], policies: { allowModels: ['gpt-4o*'] }, defaults, tracerProvider, meterProvider })\`
with the in-memory providers of \`createTestTelemetry()\`; \`init()\` finds \`@genops/provider-openai\`
and patches the SDK, and \`shutdown()\` after the block unpatches it, both outside the timed window.
The toggle is checked on every block: a governed block must record exactly one span per call and a
plain block none, or the run fails.

**Included in the governed time**, per call: the adapter (reading the request body, the input-token
bound, which JSON-serialises the messages, and wrapping the SDK's promise), attribution, price lookup
and worst-case cost, policy evaluation, reservation in the memory store (daily and per-team budget),
the decision, running the SDK call inside the span's context, settlement at the exact cost, the span
(${spanShapeLine(results)}) ended into a \`SimpleSpanProcessor\` and the in-memory exporter, and the
metric recordings (decision, duration, input and output tokens, cost, reservation accuracy). For streams also: the
\`stream_options.include_usage\` GenOps adds (the server then sends one more chunk, which GenOps hides
from the caller), the iterator wrapper on every chunk and the time to first chunk.

**Excluded**: network and model latency (loopback, instant replies); exporting telemetry (spans go to
an in-memory exporter drained every ${SPAN_DRAIN_EVERY} calls, metrics are never collected during the run; an OTLP
exporter behind a \`BatchSpanProcessor\` does its work off the call path); approvals (no
\`requireApprovalOver\`); content capture (off); \`withAttribution()\` (attribution comes from
\`defaults\`); remote governance stores; \`GenOps.init()\` and \`shutdown()\` (the cost of \`init()\` is reported above);
concurrent calls.

**Fairness.** Both modes share one process, one client, one server and one warm JIT. A full GC runs
before and after every block, so neither mode pays for the other's garbage, and alternating rounds
spread drift over both. Percentiles pool every timed call of a mode (nearest rank).
`;
}

function writeDoc(results) {
  const history = [...readHistory(), historyEntry(results)].slice(-HISTORY_SIZE);
  // The side-by-side section (benchmarks/side-by-side.mjs, method by hand) and the stores section
  // (benchmarks/store-throughput.mjs) are kept as they are.
  const previous = existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : '';
  const sideBySide = /<!-- side-by-side:start -->[\s\S]*?<!-- side-by-side:end -->/.exec(previous)?.[0];
  const stores = /<!-- stores:start -->[\s\S]*?<!-- stores:end -->/.exec(previous)?.[0];
  // The OpenTelemetry SDK's own costs (benchmarks/otel-costs.mjs, method by hand) too.
  const otelCosts = /<!-- otel-costs:start -->[\s\S]*?<!-- otel-costs:end -->/.exec(previous)?.[0];
  // The gateway section (benchmarks/gateway/gateway-overhead.mjs, method by hand) too, at the end.
  const gateway = /<!-- gateway:start -->[\s\S]*?<!-- gateway:end -->/.exec(previous)?.[0];
  // And the egress section (benchmarks/egress-overhead.mjs, figures copied by hand).
  const egress = /<!-- egress:start -->[\s\S]*?<!-- egress:end -->/.exec(previous)?.[0];
  const doc = renderDoc(results, history, { sideBySide });
  const kept = [stores, otelCosts, egress, gateway].filter((section) => section !== undefined);
  writeFileSync(DOC_PATH, kept.length > 0 ? `${doc.trimEnd()}\n\n${kept.join('\n\n')}\n` : doc);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = performance.now();
  const server = await startFakeOpenAI();
  const telemetry = createTestTelemetry();
  const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 });
  const env = { server, telemetry, client, spanShape: undefined };
  const resident = { start: residentMemory() };
  try {
    const firstInit = await measureFirstInit(env);
    await warmUp(env);
    resident['warm-up'] = residentMemory();
    const chat = await compareModes({ total: CALLS, call: chatCall, env });
    resident['chat blocks'] = residentMemory();
    const stream = await compareModes({ total: STREAM_CALLS, call: streamingCall, env });
    resident['stream blocks'] = residentMemory();
    const allocations = await measureAllocations(env);
    const micro = await microBenchmark(env);
    resident['hot-path loops'] = residentMemory();
    const results = {
      date: new Date().toISOString(),
      revision: revision(),
      host: machine(),
      calls: CALLS,
      streamCalls: STREAM_CALLS,
      firstInit,
      chat,
      stream,
      allocations,
      micro,
      spanShape: env.spanShape,
      resident,
      peakRss: process.resourceUsage().maxRSS * KIB,
      durationMs: performance.now() - started,
    };
    console.log(report(results));
    if (WRITE) {
      writeDoc(results);
      console.log(`\nWrote ${DOC_PATH}`);
    }
  } finally {
    await GenOps.current?.shutdown();
    await telemetry.shutdown();
    await server.close();
  }
}

await main();
