// `pnpm bench` (second part): reserve + settle latency and throughput of each governance store.
//
// Every call GenOps governs reserves its worst case in the matching budget lines and settles the actual
// cost afterwards; this measures that pair on the memory store, on SQLite (one file, WAL) and on Redis
// (a redis-server started here on 127.0.0.1; skipped, and said so, when the machine has none).
//
//   node benchmarks/store-throughput.mjs            # after a build
//   node benchmarks/store-throughput.mjs --write    # also rewrite the stores section of docs/benchmarks.md
//   STORES=redis node benchmarks/store-throughput.mjs  # only some stores (memory, sqlite, redis), never with --write
//
// For Redis it also prints where the server's CPU goes per pair: script runs, commands, the µs inside the
// runs (`INFO commandstats`: their Lua and the commands it runs) and the rest (sockets, event loop). An
// idle redis-server uses about 3 ms of CPU a second (serverCron), under 1 µs per sequential pair.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryStore } from '@genops/core';
import { startRedisServer } from './lib/redis-server.mjs';
import { table as markdownTable } from './lib/report.mjs';

const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const DOC_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const START = '<!-- stores:start -->';
const END = '<!-- stores:end -->';
const WARMUP = 500;
const SEQUENTIAL = 5_000;
const CONCURRENCY = 16;
const CONCURRENT_MS = 3_000;
const ONLY = process.env.STORES ? new Set(process.env.STORES.split(',')) : undefined;
if (ONLY && WRITE)
  throw new Error('STORES picks some stores only: the docs table is written from a run of all of them');
const wanted = (store) => !ONLY || ONLY.has(store);
/** Client (this process's) CPU µs since `before` (a `process.cpuUsage()` reading), per `count` pairs. */
const clientCpuUs = (before, count) => {
  const used = process.cpuUsage(before);
  return Math.round((used.user + used.system) / count);
};

/** When the day's budgets end: fixed, as a calendar period's end is for every call in it. */
const PERIOD_END = Date.now() + 86_400_000;

/** Two lines per call, as a typical configuration has: an org-wide daily budget and one per team. */
function lines(index) {
  return [
    {
      key: 'daily||2026-11-23',
      budget: 'daily',
      unit: 'USD',
      limit: 1e15,
      amount: 3_500,
      enforce: true,
      expiresAt: PERIOD_END,
    },
    {
      key: `team|team=t${index % 8}|2026-11-23`,
      budget: 'team',
      unit: 'USD',
      limit: 1e15,
      amount: 3_500,
      enforce: true,
      expiresAt: PERIOD_END,
    },
  ];
}

let next = 0;
/** One reserve + settle, through the synchronous forms when the store has them, as the governor calls it. */
async function pair(store) {
  next++;
  // A random id per pair, as the governor's (a UUID per call): a store that keys rows by id writes the
  // pages a governed call makes it write (sequential ids would all land on the last page).
  const id = randomUUID();
  const request = { id, lines: lines(next), leaseMs: 600_000, sent: true };
  const result = await (store.reserveSync ? store.reserveSync(request) : store.reserve(request));
  if (!result.ok) throw new Error('the benchmark budget refused a reservation');
  // A store that did not store the mark with the reservation is marked sent, as the governor does.
  if (result.sent !== true) await (store.markSentSync ? store.markSentSync(id) : store.markSent?.(id));
  const actual = { USD: 1_000, tokens: 250, requests: 1 };
  await (store.settleSync ? store.settleSync(id, actual) : store.settle(id, actual));
}

/**
 * What redis-server has done so far (`INFO cpu stats commandstats`, over a raw connection): `cpu` seconds
 * (its main thread and children), `commands` processed, and the group-commit script `runs` (FCALL and
 * EVALSHA) with the µs spent inside them (`scriptUs`: the Lua and the commands it runs).
 */
function redisCounters(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      reply += chunk;
      const header = /^\$(\d+)\r\n/.exec(reply);
      if (header && Buffer.byteLength(reply) >= header[0].length + Number(header[1])) {
        socket.end();
        const field = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(reply)?.[1] ?? Number.NaN);
        const stat = (command, name) =>
          Number(new RegExp(`cmdstat_${command}:.*?${name}=(\\d+)`).exec(reply)?.[1] ?? 0);
        resolve({
          cpu: field('used_cpu_sys') + field('used_cpu_user'),
          commands: field('total_commands_processed'),
          runs: stat('fcall', 'calls') + stat('evalsha', 'calls'),
          scriptUs: stat('fcall', 'usec') + stat('evalsha', 'usec'),
        });
      }
    });
    socket.on('error', reject);
    socket.write('INFO cpu stats commandstats\r\n');
  });
}

/** Per pair between two {@link redisCounters} readings: server CPU µs, script runs, commands, µs in scripts. */
function perPair(before, after, pairs) {
  return {
    cpuUs: Math.round(((after.cpu - before.cpu) * 1e6) / pairs),
    runs: (after.runs - before.runs) / pairs,
    // The INFO that took the first reading counts as one.
    commands: (after.commands - before.commands - 1) / pairs,
    scriptUs: (after.scriptUs - before.scriptUs) / pairs,
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `serverCounters`: reads the server's counters (Redis, {@link redisCounters}), for its work per pair. */
async function measure(name, store, serverCounters) {
  for (let index = 0; index < WARMUP; index++) await pair(store);
  const times = new Float64Array(SEQUENTIAL);
  const serverBefore = await serverCounters?.();
  const clientBefore = process.cpuUsage();
  for (let index = 0; index < SEQUENTIAL; index++) {
    const started = performance.now();
    await pair(store);
    times[index] = performance.now() - started;
  }
  const clientCpuPerPair = clientCpuUs(clientBefore, SEQUENTIAL);
  const server = serverCounters ? perPair(serverBefore, await serverCounters(), SEQUENTIAL) : undefined;
  const sorted = [...times].sort((a, b) => a - b);
  let done = 0;
  const concurrentServerBefore = await serverCounters?.();
  const concurrentClientBefore = process.cpuUsage();
  const until = performance.now() + CONCURRENT_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await pair(store);
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const concurrentClientCpuPerPair = clientCpuUs(concurrentClientBefore, done);
  const concurrentServer = serverCounters ? perPair(concurrentServerBefore, await serverCounters(), done) : undefined;
  const open = await store.openReservations();
  if (open !== 0) throw new Error(`${name}: ${open} reservations left open`);
  return {
    name,
    medianUs: Math.round(percentile(sorted, 50) * 1000),
    p99Us: Math.round(percentile(sorted, 99) * 1000),
    sequentialPerSecond: Math.round(1000 / (sorted.reduce((sum, time) => sum + time, 0) / sorted.length)),
    concurrentPerSecond: Math.round(done / seconds),
    serverCpuUs: server?.cpuUs,
    concurrentServerCpuUs: concurrentServer?.cpuUs,
    server,
    concurrentServer,
    clientCpuPerPair,
    concurrentClientCpuPerPair,
  };
}

async function withRedis(fn) {
  const redis = await startRedisServer();
  if (redis.skipped) return redis;
  try {
    const { openStore } = await import('@genops/store-redis');
    const store = openStore(redis.url);
    try {
      return await fn(store, redis.url);
    } finally {
      await store.close();
    }
  } finally {
    await redis.stop();
  }
}

const results = [];
if (wanted('memory')) results.push(await measure('memory', new MemoryStore()));
if (wanted('sqlite')) {
  const dir = mkdtempSync(join(tmpdir(), 'genops-bench-sqlite-'));
  const { openStore } = await import('@genops/store-sqlite');
  const store = openStore(`sqlite:${join(dir, 'state.db')}`);
  results.push(await measure('sqlite (one file, WAL)', store));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
const redis = wanted('redis')
  ? await withRedis((store, url) => measure('redis (loopback)', store, () => redisCounters(url)))
  : { skipped: 'not asked for (STORES)' };
if (redis.skipped) console.log(`redis: skipped, ${redis.skipped}`);
else results.push(redis);

const table = markdownTable(
  [
    'Store',
    'reserve + settle median µs',
    'p99 µs',
    'sequential pairs/s',
    'pairs/s with 16 concurrent callers',
    'server CPU µs per pair',
    `server CPU µs per pair, ${CONCURRENCY} callers`,
    'client CPU µs per pair',
    `client CPU µs per pair, ${CONCURRENCY} callers`,
  ],
  results.map((row) => [
    row.name,
    row.medianUs,
    row.p99Us,
    row.sequentialPerSecond.toLocaleString('en-US'),
    row.concurrentPerSecond.toLocaleString('en-US'),
    row.serverCpuUs ?? '—',
    row.concurrentServerCpuUs ?? '—',
    row.clientCpuPerPair,
    row.concurrentClientCpuPerPair,
  ]),
);
console.log(table);
if (!redis.skipped) {
  // Where the server's CPU goes per pair: inside the group-commit runs (their Lua and the commands it
  // runs), and outside them (reading and writing sockets, the event loop, idle housekeeping).
  const rows = [
    ['sequential', redis.server],
    [`${CONCURRENCY} callers`, redis.concurrentServer],
  ].map(([phase, counts]) => [
    phase,
    counts.cpuUs,
    counts.runs.toFixed(2),
    counts.commands.toFixed(1),
    counts.scriptUs.toFixed(1),
    Math.round(counts.cpuUs - counts.scriptUs),
  ]);
  console.log(
    `\n${markdownTable(['Redis, per pair', 'server CPU µs', 'script runs', 'commands', 'µs in script runs', 'µs outside them'], rows)}`,
  );
}

if (WRITE) {
  const cpu = os.cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? 'unknown CPU';
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  const section = `${START}
## Stores: reserve + settle

\`node benchmarks/store-throughput.mjs\` (part of \`pnpm bench\`), commit ${commit}, ${cpu}, ${os.cpus().length} cores, Node ${process.version}.
One pair is what every governed call costs the store: an all-or-nothing reservation in two budget lines
(an org-wide daily budget and a per-team one), marked sent, then its settlement, through the synchronous
forms (\`reserveSync\`, \`markSentSync\` when the reservation was not stored marked sent, \`settleSync\`) where
the store has them, as the governor calls it, each with a random UUID id as the governor gives a call.
${SEQUENTIAL.toLocaleString('en-US')} sequential pairs after
${WARMUP} warm-up ones, then ${CONCURRENCY} concurrent callers for ${CONCURRENT_MS / 1000} s, one process. SQLite is one WAL file in a
temporary directory; Redis is a redis-server started by the benchmark on 127.0.0.1 (no persistence).
"server CPU" is the CPU redis-server used per pair (\`INFO cpu\`), sequential and with ${CONCURRENCY} callers (whose
reservations and settlements of one tick go to Redis in one script run): unlike the times, it hardly
depends on what else the machine runs. "client CPU" is the CPU the benchmark's own process used per pair
(the store's client code, and for SQLite the database work itself); on a 2-core machine server and client
share the cores, so together they bound the pairs per second.
${redis.skipped ? `\nRedis was not measured: ${redis.skipped}.\n` : ''}
${table}
${END}`;
  const doc = readFileSync(DOC_PATH, 'utf8');
  const updated = doc.includes(START)
    ? doc.replace(new RegExp(`${START}[\\s\\S]*?${END}`), section)
    : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC_PATH, updated);
  console.log(`\nWrote ${DOC_PATH}`);
}
