// Where the GenOps gateway's own cost per call goes, in measures a busy machine moves little: the gateway
// process's heap allocation and promises per call (and, on request, its system calls per call), beside
// its CPU time per call and the client's median and p99 call (which load does move), for the bare hop (no
// governance), the GenOps gateway (memory store) and the GenOps gateway with one part switched off at a
// time (the audit trail, span recording, metric recording) or all three (the governance pipeline
// alone), as ../hot-path-breakdown.mjs does for a client. The gateway's garbage collection is shown too
// (./lib/process-stats.mjs): its pauses per call, and the KiB per call its scavenges promote to the old
// generation, which is what makes a scavenge long and the p99 high. Every variant runs in a fresh gateway process in front of the same fake OpenAI upstream, called
// one call at a time by the real `openai` SDK in this process; rounds alternate the order of the
// variants, and each figure is the median over the rounds. Promises are counted in a separate, shorter
// run of each variant (the async hook that counts them slows every promise), and so are system calls.
// Prints a table; writes nothing into docs.
//
//   node benchmarks/gateway/gateway-breakdown.mjs                    # every variant, 3 rounds
//   node benchmarks/gateway/gateway-breakdown.mjs bare bare-write-end
//       # the bare hop as the gateway relays (a reply of declared length ends with its last chunk), and
//       # writing every chunk then end() (only when named)
//   node benchmarks/gateway/gateway-breakdown.mjs bare genops        # some variants
//   BREAKDOWN_CALLS=4000 BREAKDOWN_ROUNDS=5 node benchmarks/gateway/gateway-breakdown.mjs
//   BENCH_GATEWAY_BASELINE=packages/gateway/dist-base/index.js node benchmarks/gateway/gateway-breakdown.mjs genops genops-baseline
//       # a paired A/B of two builds of the gateway (see gateway-overhead.mjs for the baseline's layout)
//   BREAKDOWN_SYSCALLS=1 node benchmarks/gateway/gateway-breakdown.mjs bare genops
//       # also the gateway process's system calls per call (`strace -c -f` attached for 500 calls)
//   BREAKDOWN_PROFILE=/tmp/gateway-profiles node benchmarks/gateway/gateway-breakdown.mjs bare genops
//       # also a V8 CPU profile of each variant's gateway process (<dir>/<variant>/*.cpuprofile, one per round)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { CHAT_BODY } from '../lib/workload.mjs';
import { startProcess } from './lib/processes.mjs';

const libPath = (name) => fileURLToPath(new URL(`./lib/${name}`, import.meta.url));
const BARE = libPath('bare-proxy-process.mjs');
const GENOPS = libPath('genops-gateway-process.mjs');
const VARIANTS = {
  bare: { script: BARE, settings: {}, apiKey: 'sk-upstream' },
  // Only when named: the bare hop relaying as the gateway did before a reply ended with its last chunk.
  'bare-write-end': { script: BARE, settings: { writeThenEnd: true }, apiKey: 'sk-upstream', optional: true },
  genops: { script: GENOPS, settings: {} },
  'genops-no-audit': { script: GENOPS, settings: { parts: { audit: false } } },
  'genops-no-spans': { script: GENOPS, settings: { parts: { spans: false } } },
  'genops-no-metrics': { script: GENOPS, settings: { parts: { metrics: false } } },
  'genops-no-telemetry': { script: GENOPS, settings: { parts: { audit: false, spans: false, metrics: false } } },
  ...(process.env.BENCH_GATEWAY_BASELINE
    ? {
        'genops-baseline': {
          script: GENOPS,
          settings: { module: pathToFileURL(resolve(process.env.BENCH_GATEWAY_BASELINE)).href },
        },
      }
    : {}),
};
const CALLS = Number(process.env.BREAKDOWN_CALLS ?? 2000);
const ROUNDS = Number(process.env.BREAKDOWN_ROUNDS ?? 3);
const WARMUP = 500;
const PROMISE_CALLS = 200;
/** With BREAKDOWN_SYSCALLS=1: the gateway's system calls are counted over this many calls (after the warm-up). */
const SYSCALLS = process.env.BREAKDOWN_SYSCALLS === '1';
const SYSCALL_CALLS = 500;
const PROFILE_DIR = process.env.BREAKDOWN_PROFILE ? resolve(process.env.BREAKDOWN_PROFILE) : undefined;

/** `count` chat calls one at a time through `url`; every reply is checked. */
async function calls(url, apiKey, count) {
  const client = new OpenAI({ apiKey, baseURL: url, maxRetries: 0 });
  const latencies = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    const completion = await client.chat.completions.create(CHAT_BODY);
    latencies[index] = performance.now() - started;
    if (completion.choices[0]?.message?.content !== 'Hello from the fake OpenAI server.')
      throw new Error(`unexpected reply through ${url}`);
  }
  return latencies;
}

/** One variant, one process: its figures per call over `count` calls after the warm-up. */
async function measure(variant, upstream, { count, countPromises, profile }) {
  const gateway = await startProcess(
    variant.script,
    [JSON.stringify({ upstream, ...variant.settings, countPromises })],
    profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [],
  );
  try {
    const apiKey = variant.apiKey ?? 'gk-bench';
    await calls(gateway.url, apiKey, WARMUP);
    // The process's figures cover everything since it listened: the warm-up is counted too (and divided by).
    const latencies = await calls(gateway.url, apiKey, count);
    const stats = await gateway.stats();
    const made = WARMUP + count;
    return {
      medianMicros: median(latencies) * 1000,
      p99Micros: quantile(latencies, 0.99) * 1000,
      cpuMicros: stats.cpuMicros / made,
      allocatedKiB: stats.allocatedBytes / made / 1024,
      gcMicros: stats.gc.pauseMicros / made,
      longestGcMicros: stats.gc.longestPauseMicros,
      promotedKiB: stats.gc.promotedBytes / made / 1024,
      scavenges: stats.gc.scavenges,
      fullCollections: stats.gc.fullCollections,
      promises: stats.promises === undefined ? undefined : stats.promises / made,
    };
  } finally {
    await gateway.stop();
  }
}

/**
 * The system calls the process `pid` makes (every thread) while `work()` runs: `strace -c -f` attached
 * before, stopped after; its summary table read back as `{ total, bySyscall: { name: count } }`. Most
 * of what a gateway's call costs beyond JavaScript is in these (socket reads and writes, epoll).
 */
async function countSyscalls(pid, work) {
  const dir = mkdtempSync(join(tmpdir(), 'genops-gateway-strace-'));
  const file = join(dir, 'summary.txt');
  const strace = spawn('strace', ['-c', '-f', '-p', String(pid), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve, reject) => {
    strace.once('error', reject);
    strace.once('exit', resolve);
  });
  try {
    // Attached once strace says so (it names each thread it attached to).
    await new Promise((resolve, reject) => {
      let seen = '';
      strace.stderr.on('data', (chunk) => {
        seen += chunk;
        if (seen.includes('attached')) resolve();
      });
      exited.then(() => reject(new Error(`strace could not attach to ${pid}: ${seen.trim()}`)), reject);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await work();
    strace.kill('SIGINT');
    await exited;
    const bySyscall = {};
    let total = 0;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      // `% time  seconds  usecs/call  calls  [errors]  syscall`
      const fields = line.trim().split(/\s+/);
      if (fields.length < 5 || !/^\d/.test(fields[0])) continue;
      const name = fields[fields.length - 1];
      const calls = Number(fields[3]);
      if (name === 'total') total = calls;
      else bySyscall[name] = calls;
    }
    return { total, bySyscall };
  } finally {
    if (strace.exitCode === null) strace.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One variant's system calls per call over {@link SYSCALL_CALLS} calls after the warm-up. */
async function measureSyscalls(variant, upstream) {
  const gateway = await startProcess(variant.script, [JSON.stringify({ upstream, ...variant.settings })]);
  try {
    const apiKey = variant.apiKey ?? 'gk-bench';
    await calls(gateway.url, apiKey, WARMUP);
    const counted = await countSyscalls(gateway.pid, () => calls(gateway.url, apiKey, SYSCALL_CALLS));
    const perCall = (count) => count / SYSCALL_CALLS;
    const top = Object.entries(counted.bySyscall)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([name, count]) => `${name} ${perCall(count).toFixed(2)}`);
    return { syscalls: perCall(counted.total), top: top.join(', ') };
  } finally {
    await gateway.stop();
  }
}

const median = (values) => quantile(values, 0.5);
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
};
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

async function main() {
  const names =
    process.argv.slice(2).length > 0
      ? process.argv.slice(2)
      : Object.keys(VARIANTS).filter((name) => !VARIANTS[name].optional);
  for (const name of names)
    if (!VARIANTS[name]) throw new Error(`unknown variant ${name} (known: ${Object.keys(VARIANTS).join(', ')})`);
  const upstream = await startProcess(libPath('../../lib/fake-openai-process.mjs'));
  console.error(`load average at start: ${load()}`);
  const results = new Map(names.map((name) => [name, { runs: [], promises: undefined }]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const profile = PROFILE_DIR ? join(PROFILE_DIR, name) : undefined;
        const run = await measure(VARIANTS[name], upstream.url, { count: CALLS, profile });
        results.get(name).runs.push(run);
        console.error(
          `round ${round + 1}/${ROUNDS} ${name}: ${run.cpuMicros.toFixed(0)} µs CPU, ${run.allocatedKiB.toFixed(1)} KiB per call, ` +
            `median call ${run.medianMicros.toFixed(0)} µs, p99 ${run.p99Micros.toFixed(0)} µs; GC ${run.gcMicros.toFixed(1)} µs per call ` +
            `(${run.scavenges} scavenges, ${run.fullCollections} full, longest pause ${(run.longestGcMicros / 1000).toFixed(1)} ms), ` +
            `${run.promotedKiB.toFixed(1)} KiB promoted per call`,
        );
      }
    }
    for (const name of names) {
      const counted = await measure(VARIANTS[name], upstream.url, { count: PROMISE_CALLS, countPromises: true });
      results.get(name).promises = counted.promises;
    }
    if (SYSCALLS)
      for (const name of names) {
        const counted = await measureSyscalls(VARIANTS[name], upstream.url);
        results.get(name).syscalls = counted;
        console.error(`${name}: ${counted.syscalls.toFixed(2)} system calls per call (${counted.top})`);
      }
  } finally {
    await upstream.stop();
  }
  console.error(`load average at end: ${load()}`);
  const rows = names.map((name) => {
    const { runs, promises, syscalls } = results.get(name);
    return {
      variant: name,
      medianMicros: median(runs.map((run) => run.medianMicros)),
      p99Micros: median(runs.map((run) => run.p99Micros)),
      cpuMicros: median(runs.map((run) => run.cpuMicros)),
      allocatedKiB: median(runs.map((run) => run.allocatedKiB)),
      gcMicros: median(runs.map((run) => run.gcMicros)),
      promotedKiB: median(runs.map((run) => run.promotedKiB)),
      promises,
      syscalls: syscalls?.syscalls,
      syscallsTop: syscalls?.top,
    };
  });
  for (const row of rows) console.log(JSON.stringify(row));
  const base = rows.find((row) => row.variant === 'bare');
  const added = (value, of) => (base && value !== undefined && of !== undefined ? (value - of).toFixed(1) : '');
  const syscallColumns = SYSCALLS ? ' System calls/call | Added system calls |' : '';
  console.log(
    `\n| Variant | Median call µs | Added µs | p99 call µs | Gateway CPU µs/call | Added µs | GC pauses µs/call | KiB/call | Added KiB | Promoted KiB/call | Promises/call | Added promises |${syscallColumns}`,
  );
  console.log(
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |${SYSCALLS ? ' --- | --- |' : ''}`,
  );
  for (const row of rows)
    console.log(
      `| ${row.variant} | ${row.medianMicros.toFixed(0)} | ${added(row.medianMicros, base?.medianMicros)} | ${row.p99Micros.toFixed(0)} | ` +
        `${row.cpuMicros.toFixed(0)} | ${added(row.cpuMicros, base?.cpuMicros)} | ${row.gcMicros.toFixed(1)} | ` +
        `${row.allocatedKiB.toFixed(1)} | ${added(row.allocatedKiB, base?.allocatedKiB)} | ${row.promotedKiB.toFixed(1)} | ` +
        `${row.promises?.toFixed(2) ?? ''} | ${added(row.promises, base?.promises)} |` +
        (SYSCALLS ? ` ${row.syscalls?.toFixed(1) ?? ''} | ${added(row.syscalls, base?.syscalls)} |` : ''),
    );
}

await main();
