// `pnpm bench` (gateway part): what a governance gateway adds to a call, side by side, in one run: the
// real `openai` SDK calling the fake OpenAI upstream directly, through the GenOps gateway
// (@genops/gateway, on each store) and through Portkey's open-source gateway (@portkey-ai/gateway).
//
// Every party has a process of its own: the fake upstream (one for the whole run), the gateway (a fresh
// one per contender and round) and the client (a fresh one per contender and round). Rounds alternate
// the order of the contenders, so machine drift lands on all of them alike. See docs/benchmarks.md
// ("Gateways") for the method and what each column means.
//
//   node benchmarks/gateway/gateway-overhead.mjs                 # after a build: 5 rounds, prints the tables
//   BENCH_QUICK=1 node benchmarks/gateway/gateway-overhead.mjs   # smoke run: 2 rounds, few calls
//   node benchmarks/gateway/gateway-overhead.mjs --only direct,genops-memory,portkey
//   node benchmarks/gateway/gateway-overhead.mjs --only direct,bare-hop,bare-hop-fastify,bare-hop-agent,bare-hop-request,bare-hop-early,node-hop,tcp-relay,bare-hop-write-end
//                                                                # the forms of the hop, down to a raw TCP relay
//   BENCH_GATEWAY_BASELINE=packages/gateway/dist-base/index.js node benchmarks/gateway/gateway-overhead.mjs \
//     --only direct,genops-memory,genops-memory-baseline        # a paired A/B of two builds of the gateway
//   node benchmarks/gateway/gateway-overhead.mjs --json out.json
//   node benchmarks/gateway/gateway-overhead.mjs --write       # also the figures into docs/benchmarks.md
//   BENCH_PROFILE=/tmp/prof node benchmarks/gateway/gateway-overhead.mjs --only direct,genops-memory
//                                                                # also a V8 CPU profile of every gateway process
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runForResult } from '../lib/child.mjs';
import { startRedisServer } from '../lib/redis-server.mjs';
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
} from '../lib/report.mjs';
import { roundCounts } from '../lib/workload.mjs';
import { startProcess } from './lib/processes.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = positiveIntFromEnv('BENCH_ROUNDS', QUICK ? 2 : 5);
/** Calls (and, for the concurrent phases, milliseconds) per contender per round: those of side-by-side.mjs (no allocation phase here). */
const COUNTS = roundCounts(QUICK);
/** The GenOps gateway's goal from issue 15: added median per call. */
const GOAL_ADDED_MEDIAN_US = 300;

const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const DOC_PATH = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const FIGURES_START = '<!-- gateway-figures:start -->';
const FIGURES_END = '<!-- gateway-figures:end -->';

const HERE = new URL('./', import.meta.url);
const LIB = new URL('./lib/', import.meta.url);
const libPath = (name) => fileURLToPath(new URL(name, LIB));
const FAKE_UPSTREAM = fileURLToPath(new URL('../lib/fake-openai-process.mjs', HERE));

/** The installed version of a dependency of the benchmarks package. */
const versionOf = (name) =>
  JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, HERE), 'utf8')).version;

/**
 * The contenders. `gateway` names the process started in front of the upstream (none: the client calls
 * the upstream itself); `client(upstreamUrl, gatewayUrl)` says how the SDK reaches it.
 */
const CONTENDERS = [
  {
    id: 'direct',
    label: 'direct (no gateway)',
    client: (upstream) => ({ baseURL: upstream, apiKey: 'sk-upstream', headers: {} }),
  },
  // Hops without governance (./lib/bare-proxy-process.mjs): the GenOps gateway's own (`bare-hop`), and
  // the alternatives for each side of it, down to a raw TCP relay (the floor of any proxy).
  ...[
    ['bare-hop', 'bare hop (node:http before fastify + undici Pool.dispatch)', 'fastify-direct', 'pool'],
    ['bare-hop-fastify', 'bare hop (fastify route + undici Pool.dispatch)', 'fastify', 'pool'],
    ['bare-hop-agent', 'bare hop (fastify route + undici Agent.dispatch)', 'fastify', 'agent'],
    ['bare-hop-request', 'bare hop (fastify route + undici Pool request())', 'fastify', 'request'],
    ['bare-hop-early', 'bare hop (fastify onRequest hook + undici Pool.dispatch)', 'fastify-early', 'pool'],
    ['node-hop', 'bare hop (node:http + undici Pool.dispatch)', 'node', 'pool'],
    ['tcp-relay', 'TCP relay (net, no HTTP parsing)', 'tcp', undefined],
    // The bare hop relaying as the gateway did before it ended a reply with its last chunk.
    ['bare-hop-write-end', 'bare hop, every chunk written then end()', 'fastify-direct', 'pool', true],
  ].map(([id, label, server, client, writeThenEnd = false]) => ({
    id,
    label,
    // Left out unless named in --only: the default run stays direct, bare hop, GenOps, Portkey.
    optional: id !== 'bare-hop',
    gateway: { script: 'bare-proxy-process.mjs', settings: { server, client, writeThenEnd } },
    client: (_upstream, gateway) => ({ baseURL: gateway, apiKey: 'sk-upstream', headers: {} }),
  })),
  ...['memory', 'sqlite', 'redis'].map((store) => ({
    id: `genops-${store}`,
    label: `GenOps gateway, ${store === 'sqlite' ? 'SQLite' : store === 'redis' ? 'Redis' : 'memory'} store`,
    gateway: { script: 'genops-gateway-process.mjs', store },
    // The virtual key of the gateway process; the upstream's key stays in the gateway.
    client: (_upstream, gateway) => ({ baseURL: gateway, apiKey: 'gk-bench', headers: {} }),
  })),
  // A paired A/B of two builds of the gateway in one run: BENCH_GATEWAY_BASELINE names the entry module
  // of another build of @genops/gateway (e.g. a copy of packages/gateway/dist from another commit, put
  // inside packages/gateway/ so that it resolves the same @genops/core), run on the memory store.
  ...(process.env.BENCH_GATEWAY_BASELINE
    ? [
        {
          id: 'genops-memory-baseline',
          label: 'GenOps gateway, memory store (BENCH_GATEWAY_BASELINE build)',
          gateway: {
            script: 'genops-gateway-process.mjs',
            settings: { module: pathToFileURL(resolve(process.env.BENCH_GATEWAY_BASELINE)).href },
          },
          client: (_upstream, gateway) => ({ baseURL: gateway, apiKey: 'gk-bench', headers: {} }),
        },
      ]
    : []),
  {
    id: 'portkey',
    label: `Portkey gateway ${versionOf('@portkey-ai/gateway')}`,
    gateway: { script: 'portkey-process.mjs' },
    // Portkey forwards the client's key to the provider and takes the upstream from a header.
    client: (upstream, gateway) => ({
      baseURL: gateway,
      apiKey: 'sk-upstream',
      headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstream },
    }),
  },
];

// ---------------------------------------------------------------------------------------------
// Processes

function runClient(settings) {
  return runForResult(libPath('client.mjs'), settings, `the client through ${settings.baseURL}`);
}

/** One contender, one round: its gateway process (if any), a client process, the gateway's figures. */
async function runRound(contender, { upstream, redisUrl, profileDir }) {
  let gateway;
  let scratch;
  if (contender.gateway) {
    const { script, store, settings } = contender.gateway;
    let storeSetting;
    if (store === 'sqlite') {
      scratch = mkdtempSync(join(os.tmpdir(), 'genops-gateway-bench-'));
      storeSetting = `sqlite:${join(scratch, 'state.db')}`;
    } else if (store === 'redis') storeSetting = redisUrl;
    const execArgv = profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, contender.id)] : [];
    gateway = await startProcess(
      libPath(script),
      [JSON.stringify({ upstream, store: storeSetting, ...settings })],
      execArgv,
    );
  }
  try {
    const result = await runClient({ ...contender.client(upstream, gateway?.url), counts: COUNTS });
    const stats = gateway ? await gateway.stats() : undefined;
    return {
      ...result,
      gatewayCpuMicrosPerCall: stats ? stats.cpuMicros / result.calls : undefined,
      gatewayAllocatedBytesPerCall: stats ? stats.allocatedBytes / result.calls : undefined,
      stats,
    };
  } finally {
    await gateway?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Aggregation and formatting

/** Pooled over the rounds: the median and p99 of each latency series, and the medians of the rest. */
function aggregate(contender, rounds) {
  const latency = {};
  for (const series of ['chat', 'stream', 'concurrentLatencies']) {
    const all = Float64Array.from(rounds.flatMap((round) => round[series])).sort();
    latency[series] = { median: percentile(all, 0.5), p99: percentile(all, 0.99) };
  }
  const cpu = rounds.map((round) => round.gatewayCpuMicrosPerCall);
  const allocated = rounds.map((round) => round.gatewayAllocatedBytesPerCall);
  return {
    ...contender,
    rounds,
    latency,
    roundChatMedians: rounds.map((round) => median(round.chat)),
    callsPerSecond: median(rounds.map((round) => round.concurrentCallsPerSecond)),
    gatewayCpu: cpu.includes(undefined) ? undefined : median(cpu),
    gatewayAllocated: allocated.includes(undefined) ? undefined : median(allocated),
    spans: rounds.reduce((total, round) => total + (round.stats?.spans ?? 0), 0),
    calls: rounds.reduce((total, round) => total + round.calls, 0),
  };
}

function latencyTable(results, direct) {
  return table(
    [
      'Contender',
      'Chat median ms',
      'Added median µs',
      'Added per round µs: median (min … max)',
      'Chat p99 ms',
      'Added p99 µs',
      'Stream median ms',
      'Added stream median µs',
      'Stream p99 ms',
    ],
    results.map((row) => {
      const base = row === direct;
      const perRound = row.roundChatMedians.map((value, round) => value - direct.roundChatMedians[round]);
      return [
        row.label,
        ms(row.latency.chat.median),
        base ? '' : signedUs(row.latency.chat.median - direct.latency.chat.median),
        base
          ? ''
          : `${signedUs(median(perRound))} (${signedUs(Math.min(...perRound))} … ${signedUs(Math.max(...perRound))})`,
        ms(row.latency.chat.p99),
        base ? '' : signedUs(row.latency.chat.p99 - direct.latency.chat.p99),
        ms(row.latency.stream.median),
        base ? '' : signedUs(row.latency.stream.median - direct.latency.stream.median),
        ms(row.latency.stream.p99),
      ];
    }),
  );
}

function throughputTable(results, direct) {
  return table(
    [
      'Contender',
      'Calls/s at concurrency 50',
      '% of direct',
      'Median ms at 50',
      'p99 ms at 50',
      'Gateway CPU µs/call',
      'Gateway allocated KiB/call',
      'Spans/call',
    ],
    results.map((row) => {
      const share = median(
        row.rounds.map(
          (round, index) => round.concurrentCallsPerSecond / direct.rounds[index].concurrentCallsPerSecond,
        ),
      );
      return [
        row.label,
        thousands(row.callsPerSecond),
        `${Math.round(share * 100)}%`,
        ms(row.latency.concurrentLatencies.median),
        ms(row.latency.concurrentLatencies.p99),
        row.gatewayCpu === undefined ? '' : thousands(row.gatewayCpu),
        row.gatewayAllocated === undefined ? '' : (row.gatewayAllocated / 1024).toFixed(1),
        row.id.startsWith('genops') ? (row.spans / row.calls).toFixed(2) : '',
      ];
    }),
  );
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = performance.now();
  const host = { ...machine(), loadAverage: loadAverage() };
  const only = argument('--only')?.split(',');
  let contenders = only
    ? CONTENDERS.filter((contender) => only.includes(contender.id))
    : CONTENDERS.filter((contender) => !contender.optional);
  if (!contenders.some((contender) => contender.id === 'direct'))
    throw new Error('--only must include direct: every figure is relative to it');
  const unknown = only?.filter((id) => !CONTENDERS.some((contender) => contender.id === id)) ?? [];
  if (unknown.length > 0)
    throw new Error(
      `--only: unknown contender ${unknown.join(', ')} (known: ${CONTENDERS.map((c) => c.id).join(', ')})`,
    );
  const profileDir = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const notes = [];
  const redis = contenders.some((contender) => contender.id === 'genops-redis') ? await startRedisServer() : undefined;
  if (redis?.skipped) {
    notes.push(`The GenOps gateway with the Redis store was not measured: ${redis.skipped}.`);
    contenders = contenders.filter((contender) => contender.id !== 'genops-redis');
  }
  const upstream = await startProcess(FAKE_UPSTREAM);
  const rounds = new Map(contenders.map((contender) => [contender.id, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const contender of order) {
        const roundStarted = performance.now();
        const result = await runRound(contender, { upstream: upstream.url, redisUrl: redis?.url, profileDir });
        rounds.get(contender.id).push(result);
        process.stderr.write(
          `round ${round + 1}/${ROUNDS}: ${contender.id} ${((performance.now() - roundStarted) / 1000).toFixed(1)} s\n`,
        );
        await upstream.reset();
      }
    }
  } finally {
    await upstream.stop();
    await redis?.stop?.();
  }

  const results = contenders.map((contender) => aggregate(contender, rounds.get(contender.id)));
  const direct = results.find((row) => row.id === 'direct');
  for (const row of results)
    if (row.id.startsWith('genops') && row.spans !== row.calls)
      throw new Error(`${row.id}: ${row.calls} calls recorded ${row.spans} spans, expected one per call`);
  const loadAverageEnd = loadAverage();
  // More runnable processes than cores: the figures say more about the other tenants than about the
  // gateways. (During a round the run keeps about three processes busy: client, gateway, upstream.)
  if (Number(host.loadAverage.split(' ')[0]) > host.cores || os.loadavg()[0] > host.cores + 3)
    notes.push(
      `**The machine was busy** (1-minute load average above its ${host.cores} cores before or during the run): ` +
        'these figures are not comparable. Run again on a quiet machine.',
    );
  const { GenOps } = await import('@genops/core');
  const memory = results.find((row) => row.id === 'genops-memory');
  const added = memory ? memory.latency.chat.median - direct.latency.chat.median : 0;
  const hop = results.find((row) => row.id === 'bare-hop');
  const relay = results.find((row) => row.id === 'tcp-relay');
  const goal = memory
    ? [
        '',
        `Issue 15 goal: the GenOps gateway (memory store) adds ≤ ${GOAL_ADDED_MEDIAN_US} µs to the median call: ` +
          `measured ${signedUs(added)} µs, ${added * 1000 <= GOAL_ADDED_MEDIAN_US ? 'met' : 'not met'}.` +
          (hop
            ? ` Of it, the HTTP hop alone (bare hop − direct): ${signedUs(hop.latency.chat.median - direct.latency.chat.median)} µs; ` +
              `governance (GenOps, memory − bare hop): ${signedUs(memory.latency.chat.median - hop.latency.chat.median)} µs.`
            : '') +
          (relay
            ? ` The floor of any proxy on this machine (TCP relay − direct): ${signedUs(relay.latency.chat.median - direct.latency.chat.median)} µs.`
            : ''),
      ]
    : [];

  const output = [
    `### Latest run${QUICK ? ' (BENCH_QUICK=1: a smoke run, not figures to quote)' : ''}`,
    '',
    `- Command: \`${commandLine('benchmarks/gateway/gateway-overhead.mjs', ['BENCH_QUICK', 'BENCH_ROUNDS', 'BENCH_PROFILE'])}\``,
    `- Date: ${new Date().toISOString()}; GenOps ${GenOps.version} (commit ${revision()}); openai ${versionOf('openai')}`,
    `- Machine: ${machineLine(host)}; load average at start ${host.loadAverage}, at the end ${loadAverageEnd}`,
    `- ${ROUNDS} rounds, a fresh gateway and client process per contender and round, order reversed every other round; ` +
      `per contender and round ${COUNTS.warmupChat} chat and ${COUNTS.warmupStream} streaming warm-up calls and ` +
      `${COUNTS.warmupConcurrentMs} ms of concurrent ones, then ${COUNTS.chat} chat and ${COUNTS.stream} streaming calls ` +
      `one at a time and ${COUNTS.concurrentMs / 1000} s of chat calls ${COUNTS.concurrency} at a time`,
    `- Run time ${((performance.now() - started) / 1000).toFixed(0)} s`,
    ...notes.map((note) => `- ${note}`),
    '',
    'Per-call latency, one call at a time ("added" is contender − direct, pooled over all rounds)',
    '',
    latencyTable(results, direct),
    '',
    `Throughput at concurrency ${COUNTS.concurrency} (medians over the rounds; "% of direct" paired round by round)`,
    '',
    throughputTable(results, direct),
    ...goal,
  ];
  console.log(output.join('\n'));
  if (profileDir) console.log(`\nCPU profiles of the gateway processes: ${profileDir}/<contender>/*.cpuprofile`);

  const jsonPath = argument('--json') ?? process.env.BENCH_JSON;
  if (jsonPath) {
    // Every figure but the raw latencies (pooled into the tables above).
    const contendersJson = results.map(({ rounds: perRound, client, gateway, ...row }) => ({
      ...row,
      rounds: perRound.map(({ chat, stream, concurrentLatencies, ...rest }) => rest),
    }));
    const run = { date: new Date().toISOString(), host, loadAverageEnd, quick: QUICK, rounds: ROUNDS, counts: COUNTS };
    writeFileSync(jsonPath, `${JSON.stringify({ ...run, contenders: contendersJson }, null, 2)}\n`);
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
