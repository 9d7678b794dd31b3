// `pnpm bench` (first part): GenOps side by side with the raw `openai` SDK and the OpenTelemetry
// instrumentations of OpenLLMetry and OpenInference, in one run.
//
// Each contender makes the same chat completions (non-streaming and streaming, sequential, then 50 at
// a time) with the real `openai` SDK against the fake OpenAI server of @genops/testing. The server runs
// in its own process; each contender runs in a fresh process of its own per round (instrumentations
// patch the SDK globally), and the rounds alternate the order of the contenders so machine drift lands
// on all of them alike. A control (`raw-again`, the raw SDK in a second process) measures the run's
// noise floor: what two processes running the same code differ by. See docs/benchmarks.md ("Side by
// side") for what each column means.
//
//   pnpm bench                                   # build, then all benchmarks
//   node benchmarks/side-by-side.mjs             # after a build: this one alone
//   BENCH_QUICK=1 node benchmarks/side-by-side.mjs   # a smoke run: 2 rounds, few calls
//   node benchmarks/side-by-side.mjs --json out.json --only raw,genops-memory
//   node benchmarks/side-by-side.mjs --write     # also put the figures into docs/benchmarks.md
import { fork, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runForResult } from './lib/child.mjs';
import { startRedisServer } from './lib/redis-server.mjs';
import {
  argument,
  commandLine,
  loadAverage,
  machine,
  machineLine,
  median,
  ms,
  percentile,
  positiveIntFromEnv,
  revision,
  signedUs,
  table,
  thousands,
  writeBetweenMarkers,
} from './lib/report.mjs';
import { roundCounts } from './lib/workload.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = positiveIntFromEnv('BENCH_ROUNDS', QUICK ? 2 : 5);
/** Calls (and, for the concurrent phase, milliseconds) per contender per round. */
const COUNTS = roundCounts(QUICK);

/** The installed version of a dependency of this package (pnpm links each one under node_modules/). */
const versionOf = (name) =>
  JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;

const CONTENDERS = [
  { id: 'raw', label: `openai ${versionOf('openai')} (raw)` },
  { id: 'raw-again', label: 'raw SDK again (control)' },
  { id: 'raw-otel', label: 'raw + OTel SDK' },
  { id: 'openllmetry', label: `OpenLLMetry ${versionOf('@traceloop/instrumentation-openai')}` },
  { id: 'openinference', label: `OpenInference ${versionOf('@arizeai/openinference-instrumentation-openai')}` },
  { id: 'genops-memory', label: 'GenOps, memory store' },
  { id: 'genops-sqlite', label: 'GenOps, SQLite store' },
  { id: 'genops-redis', label: 'GenOps, Redis store' },
];

const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const DOC_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const FIGURES_START = '<!-- side-by-side-figures:start -->';
const FIGURES_END = '<!-- side-by-side-figures:end -->';

// ---------------------------------------------------------------------------------------------
// Processes

const LIB = new URL('./lib/', import.meta.url);

function startFakeServer() {
  const child = fork(fileURLToPath(new URL('fake-openai-process.mjs', LIB)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.url));
    child.once('exit', (code) => reject(new Error(`the fake OpenAI server exited with ${code} before it listened`)));
  });
  return {
    ready,
    reset: () =>
      new Promise((resolve) => {
        child.once('message', resolve);
        child.send('reset');
      }),
    stop: () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      return exited;
    },
  };
}

function runContender(settings) {
  return runForResult(fileURLToPath(new URL('contender.mjs', LIB)), settings, `contender ${settings.contender}`);
}

// ---------------------------------------------------------------------------------------------
// Aggregation

function aggregate(contender, rounds) {
  const pooled = (key) => Float64Array.from(rounds.flatMap((round) => round[key])).sort();
  const chat = pooled('chat');
  const stream = pooled('stream');
  return {
    ...contender,
    rounds,
    chatMedian: percentile(chat, 0.5),
    chatP99: percentile(chat, 0.99),
    streamMedian: percentile(stream, 0.5),
    streamP99: percentile(stream, 0.99),
    roundChatMedians: rounds.map((round) => median(round.chat)),
    cpuPerCall: median(rounds.map((round) => round.chatCpuMicrosPerCall)),
    concurrentCpuPerCall: median(rounds.map((round) => round.concurrentCpuMicrosPerCall)),
    threadCpuPerCall: median(rounds.map((round) => round.chatThreadCpuMicrosPerCall)),
    concurrentThreadCpuPerCall: median(rounds.map((round) => round.concurrentThreadCpuMicrosPerCall)),
    allocatedPerCall: median(rounds.map((round) => round.allocatedBytesPerCall)),
    callsPerSecond: median(rounds.map((round) => round.concurrentCallsPerSecond)),
    spans: rounds.reduce((total, round) => total + round.spans, 0),
    calls: rounds.reduce((total, round) => total + round.calls, 0),
    sampleSpan: rounds[0].sampleSpan,
  };
}

/**
 * What a contender adds to the raw SDK, paired by round (its figure minus the raw SDK's in the same
 * round, median over the rounds), so drift between rounds cancels out.
 */
function comparedWithRaw(row, raw) {
  const paired = (compare) => median(row.rounds.map((round, index) => compare(round, raw.rounds[index])));
  return {
    ...row,
    /** Its chat median minus the raw SDK's, round by round (ms). */
    addedChatPerRound: row.roundChatMedians.map((value, round) => value - raw.roundChatMedians[round]),
    addedCpu: paired((mine, theirs) => mine.chatCpuMicrosPerCall - theirs.chatCpuMicrosPerCall),
    addedThreadCpu: paired((mine, theirs) => mine.chatThreadCpuMicrosPerCall - theirs.chatThreadCpuMicrosPerCall),
    addedAllocated: paired((mine, theirs) => mine.allocatedBytesPerCall - theirs.allocatedBytesPerCall),
    throughputShare: paired((mine, theirs) => mine.concurrentCallsPerSecond / theirs.concurrentCallsPerSecond),
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting

const signed = (value, digits = 0) => `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
const kib = (bytes) => (Number.isNaN(bytes) ? 'n/a' : (bytes / 1024).toFixed(1));
/** Whole µs, or `n/a` (main-thread CPU on a Node without `process.threadCpuUsage()`). */
const micros = (value) => (Number.isNaN(value) ? 'n/a' : Math.round(value));

function latencyTable(results, raw) {
  return table(
    [
      'Contender',
      'Chat median ms',
      'Added median µs',
      'Added per round µs: median (min … max)',
      'Chat p99 ms',
      'Stream median ms',
      'Added stream median µs',
      'Stream p99 ms',
    ],
    results.map((row) => {
      const perRound = row.addedChatPerRound;
      return [
        row.label,
        ms(row.chatMedian),
        row === raw ? '' : signedUs(row.chatMedian - raw.chatMedian),
        row === raw
          ? ''
          : `${signedUs(median(perRound))} (${signedUs(Math.min(...perRound))} … ${signedUs(Math.max(...perRound))})`,
        ms(row.chatP99),
        ms(row.streamMedian),
        row === raw ? '' : signedUs(row.streamMedian - raw.streamMedian),
        ms(row.streamP99),
      ];
    }),
  );
}

function costTable(results, raw) {
  return table(
    [
      'Contender',
      'Client CPU µs/call',
      'Added CPU µs',
      'Main-thread CPU µs/call',
      'Added main-thread µs',
      'Allocated KiB/call',
      'Added KiB',
      'Calls/s at concurrency 50',
      '% of raw',
      'CPU µs/call at 50',
      'Main-thread µs/call at 50',
      'Spans/call',
    ],
    results.map((row) => [
      row.label,
      Math.round(row.cpuPerCall),
      row === raw ? '' : signed(row.addedCpu),
      micros(row.threadCpuPerCall),
      row === raw || Number.isNaN(row.addedThreadCpu) ? '' : signed(row.addedThreadCpu),
      kib(row.allocatedPerCall),
      row === raw ? '' : signed(row.addedAllocated / 1024, 1),
      thousands(row.callsPerSecond),
      row === raw ? '100%' : `${Math.round(row.throughputShare * 100)}%`,
      Math.round(row.concurrentCpuPerCall),
      micros(row.concurrentThreadCpuPerCall),
      (row.spans / row.calls).toFixed(2),
    ]),
  );
}

function spanTable(results) {
  return table(
    ['Contender', 'Calls', 'Spans counted', 'Sample span', 'Scope', 'Attributes', 'Events'],
    results.map((row) => [
      row.label,
      thousands(row.calls),
      thousands(row.spans),
      row.sampleSpan?.name ?? '—',
      row.sampleSpan?.scope ?? '—',
      row.sampleSpan?.attributes ?? '—',
      row.sampleSpan?.events ?? '—',
    ]),
  );
}

/**
 * `many-budgets.mjs` in a process of its own: the core's begin + end with 1, 10, 100 and 1,000 budgets that all
 * match the call. Its rows, or `undefined` when `--only` leaves it out.
 */
function runManyBudgets() {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', fileURLToPath(new URL('many-budgets.mjs', import.meta.url)), '--json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = stdout.trim().split('\n').at(-1);
      if (code === 0 && line?.startsWith('{')) resolve(JSON.parse(line));
      else reject(new Error(`many-budgets.mjs exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

function manyBudgetsTable(many) {
  return table(
    ['Matching budgets', 'Median µs/call', 'Added over 1 budget µs'],
    many.rows.map((row) => [
      thousands(row.budgets),
      row.medianUs.toFixed(1),
      row.budgets === 1 ? '' : signed(row.medianUs - many.rows[0].medianUs),
    ]),
  );
}

/** The issue-11 targets, checked against this run. */
function targets(byId, many) {
  const raw = byId.raw;
  const memory = byId['genops-memory'];
  const peer = byId.openllmetry;
  if (!raw || !memory) return [];
  const added = (row) => (row.chatMedian - raw.chatMedian) * 1000;
  const check = (label, measured, ok) => [label, measured, ok ? 'yes' : 'no'];
  const rows = [];
  if (peer)
    rows.push(
      check(
        'GenOps added median < OpenLLMetry added median',
        `${Math.round(added(memory))} µs vs ${Math.round(added(peer))} µs`,
        added(memory) < added(peer),
      ),
    );
  const cpu = memory.addedCpu;
  rows.push(check('GenOps added client CPU ≤ 100 µs/call', `${Math.round(cpu)} µs`, cpu <= 100));
  const alloc = memory.addedAllocated / 1024;
  rows.push(check('GenOps added allocation ≤ 30 KiB/call', `${alloc.toFixed(1)} KiB`, alloc <= 30));
  const share = memory.throughputShare * 100;
  rows.push(check('GenOps throughput at 50 ≥ 85% of raw', `${share.toFixed(0)}%`, share >= 85));
  for (const [id, limit] of [
    ['genops-sqlite', 60],
    ['genops-redis', 250],
  ]) {
    const store = byId[id];
    if (!store) continue;
    const over = (store.chatMedian - memory.chatMedian) * 1000;
    rows.push(check(`${store.label}: ≤ +${limit} µs median over memory`, `${signed(over)} µs`, over <= limit));
  }
  const thousand = many?.rows.find((row) => row.budgets === 1_000);
  if (thousand) {
    const over = thousand.medianUs - many.rows[0].medianUs;
    rows.push(check('1,000 matching budgets: ≤ 1 ms added per call (core alone)', `${signed(over)} µs`, over <= 1_000));
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = performance.now();
  const host = { ...machine(), loadAverage: loadAverage() };
  const only = argument('--only')?.split(',');
  let contenders = only ? CONTENDERS.filter((contender) => only.includes(contender.id)) : CONTENDERS;
  if (!contenders.some((contender) => contender.id === 'raw'))
    throw new Error('--only must include raw: every figure is relative to it');

  const notes = [];
  // The core with many matching budgets: its own process, before the contenders (it needs no server).
  const many = !only || only.includes('many-budgets') ? await runManyBudgets() : undefined;
  const redis = contenders.some((contender) => contender.id === 'genops-redis') ? await startRedisServer() : undefined;
  if (redis?.skipped) {
    notes.push(`GenOps with the Redis store was not measured: ${redis.skipped}.`);
    contenders = contenders.filter((contender) => contender.id !== 'genops-redis');
  }
  const server = startFakeServer();
  const rounds = new Map(contenders.map((contender) => [contender.id, []]));
  try {
    const serverUrl = await server.ready;
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const contender of order) {
        const childStarted = performance.now();
        const result = await runContender({
          contender: contender.id,
          serverUrl,
          redisUrl: redis?.url,
          counts: COUNTS,
        });
        rounds.get(contender.id).push(result);
        process.stderr.write(
          `round ${round + 1}/${ROUNDS}: ${contender.id} ${((performance.now() - childStarted) / 1000).toFixed(1)} s ` +
            `(${Object.entries(result.phases)
              .map(([phase, at]) => `${phase} ${(at / 1000).toFixed(1)}`)
              .join(', ')})\n`,
        );
        await server.reset();
      }
    }
  } finally {
    await server.stop();
    await redis?.stop?.();
  }

  const aggregated = contenders.map((contender) => aggregate(contender, rounds.get(contender.id)));
  const rawRounds = aggregated.find((row) => row.id === 'raw');
  const results = aggregated.map((row) => (row === rawRounds ? row : comparedWithRaw(row, rawRounds)));
  const byId = Object.fromEntries(results.map((row) => [row.id, row]));
  const raw = byId.raw;
  const durationS = (performance.now() - started) / 1000;
  const loadAverageEnd = loadAverage();
  // More runnable processes than cores: the contenders waited for the CPU, and the figures say more
  // about the other tenants than about the contenders. (At the end the run itself keeps about two
  // processes busy: the contender and the fake server.)
  if (Number(host.loadAverage.split(' ')[0]) > host.cores || os.loadavg()[0] > host.cores + 2)
    notes.push(
      `**The machine was busy** (1-minute load average above its ${host.cores} cores before or during the run): latency and throughput ` +
        'figures of this run are not comparable; allocation is the least affected. Run again on a quiet machine.',
    );
  const { VERSION: openaiVersion } = await import('openai/version');
  const { GenOps } = await import('@genops/core');

  const output = [
    `### Latest run${QUICK ? ' (BENCH_QUICK=1: a smoke run, not figures to quote)' : ''}`,
    '',
    `- Command: \`${commandLine('benchmarks/side-by-side.mjs', ['BENCH_QUICK', 'BENCH_ROUNDS'])}\``,
    `- Date: ${new Date().toISOString()}; GenOps ${GenOps.version} (commit ${revision()}); openai ${openaiVersion}`,
    `- Machine: ${machineLine(host)}; load average at start ${host.loadAverage}, at the end ${loadAverageEnd}`,
    `- ${ROUNDS} rounds, each contender in a fresh process per round, order reversed every other round; per contender and round ` +
      `${COUNTS.warmupChat} chat and ${COUNTS.warmupStream} streaming warm-up calls and ${COUNTS.warmupConcurrentMs} ms of concurrent ones, ` +
      `then ${COUNTS.chat} chat and ${COUNTS.stream} streaming calls one at a time, ${COUNTS.allocation} more for allocation, and ` +
      `${COUNTS.concurrentMs / 1000} s of chat calls ${COUNTS.concurrency} at a time`,
    `- Run time ${durationS.toFixed(0)} s`,
    ...notes.map((note) => `- ${note}`),
    '',
    'Per-call latency (sequential; "added" is contender − raw, pooled over all rounds)',
    '',
    latencyTable(results, raw),
    '',
    'Client cost and throughput (medians over the rounds; "added" and "% of raw" paired with the raw SDK round by round)',
    '',
    costTable(results, raw),
    '',
    'Spans recorded (every one counted; the run fails unless each instrumented call made exactly one)',
    '',
    spanTable(results),
  ];
  if (many)
    output.push(
      '',
      `Many matching budgets (\`many-budgets.mjs\`: \`governor.begin()\` + \`call.end()\` alone, memory store, audit ${many.audit ? 'on' : 'off'}, ${many.calls} calls per row, each budget with a \`warnAt\` threshold)`,
      '',
      manyBudgetsTable(many),
    );
  const checks = targets(byId, many);
  if (checks.length > 0)
    output.push('', 'Issue 11 targets in this run', '', table(['Target', 'Measured', 'Met'], checks));
  const control = byId['raw-again'];
  if (control)
    output.push(
      '',
      `Noise floor of this run: the control, a second process of the raw SDK doing exactly what the first does, ` +
        `differed from it by ${signed((control.chatMedian - raw.chatMedian) * 1000)} µs in median latency ` +
        `(per round ${signed(median(control.addedChatPerRound) * 1000)} µs), ` +
        `${signed(control.addedCpu)} µs of client CPU, ${signed(control.addedThreadCpu)} µs of main-thread CPU and ` +
        `${(control.throughputShare * 100).toFixed(0)}% of its throughput at concurrency 50: a difference between ` +
        'contenders no larger than that is not measured by this run.',
    );
  console.log(output.join('\n'));

  const jsonPath = argument('--json') ?? process.env.BENCH_JSON;
  if (jsonPath) {
    writeFileSync(
      jsonPath,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          host,
          quick: QUICK,
          rounds: ROUNDS,
          counts: COUNTS,
          contenders: results.map(({ rounds: perRound, ...row }) => ({
            ...row,
            rounds: perRound.map(({ chat, stream, ...rest }) => rest),
          })),
          targets: checks.map(([target, measured, met]) => ({ target, measured, met: met === 'yes' })),
        },
        null,
        2,
      )}\n`,
    );
    console.log(`\nWrote ${jsonPath}`);
  }
  if (WRITE) {
    writeBetweenMarkers(DOC_PATH, FIGURES_START, FIGURES_END, output.join('\n'));
    console.log(`\nWrote the figures into ${DOC_PATH}`);
  }
}

// Ctrl-C or a kill: exit normally, so the exit hook stops the redis-server this run started.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

await main();
