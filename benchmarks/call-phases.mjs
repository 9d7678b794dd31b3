// Where in a chat call the time goes, for the raw SDK and GenOps on each store: not part of `pnpm bench`,
// writes nothing. Each call of the real `openai` SDK is cut into three phases by undici's diagnostics
// channels: before its request leaves (the call's start → `undici:client:sendHeaders`), the wait for the
// answer (→ `undici:request:trailers`) and after it (→ the caller has its result). Work that runs in the
// event loop's check phase (`setImmediate` callbacks) while a call's request has not left yet is counted
// too, by callback name: Node's `fetch` sends from the check phase, so an immediate queued before it runs
// in front of the request (how the deferred telemetry was found there, see pipeline/deferred.ts).
//
//   node benchmarks/call-phases.mjs                               # after a build: raw and GenOps (memory store)
//   node benchmarks/call-phases.mjs raw genops-sqlite genops-redis
//   PHASES_CALLS=10000 PHASES_ROUNDS=5 node benchmarks/call-phases.mjs
//
// Each contender runs in a fresh process per round (rounds alternate the order), against the fake OpenAI
// server in a process of its own; medians per phase are pooled over the rounds. Redis needs a
// redis-server on the machine (started here on a free loopback port).
import { fork } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runForResult } from './lib/child.mjs';
import { startRedisServer } from './lib/redis-server.mjs';
import { table } from './lib/report.mjs';

const CONTENDERS = ['raw', 'genops-memory', 'genops-sqlite', 'genops-redis'];
const CALLS = Number(process.env.PHASES_CALLS ?? 5000);
const ROUNDS = Number(process.env.PHASES_ROUNDS ?? 3);
const WARMUP = 2000;

if (process.argv[2]?.startsWith('{')) await child(JSON.parse(process.argv[2]));
else await main(process.argv.slice(2));

async function main(names) {
  const chosen = names.length > 0 ? names : ['raw', 'genops-memory'];
  for (const name of chosen)
    if (!CONTENDERS.includes(name)) throw new Error(`unknown contender "${name}" (one of ${CONTENDERS.join(', ')})`);
  const server = fork(fileURLToPath(new URL('./lib/fake-openai-process.mjs', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const serverUrl = await new Promise((resolve) => server.once('message', (message) => resolve(message.url)));
  const redis = chosen.includes('genops-redis') ? await startRedisServer() : undefined;
  if (redis?.skipped) throw new Error(`genops-redis: ${redis.skipped}`);
  console.error(`load average at start: ${loadText()}`);
  const results = new Map(chosen.map((name) => [name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? chosen : [...chosen].reverse();
      for (const name of order) {
        const result = await runForResult(
          fileURLToPath(import.meta.url),
          { contender: name, serverUrl, redisUrl: redis?.url, calls: CALLS },
          name,
        );
        results.get(name).push(result);
        console.error(`round ${round + 1}/${ROUNDS} ${name}: done`);
      }
    }
  } finally {
    server.disconnect();
    await redis?.stop();
  }
  console.error(`load average at end: ${loadText()}`);
  const pooled = (name, phase) => median(results.get(name).flatMap((result) => result[phase]));
  const base = chosen.includes('raw') ? 'raw' : undefined;
  const added = (name, phase) => (base && name !== base ? signed(pooled(name, phase) - pooled(base, phase)) : '');
  console.log(
    table(
      [
        'Contender',
        'Before send µs',
        'Added',
        'Wait µs',
        'Added',
        'After answer µs',
        'Added',
        'Whole call µs',
        'Added',
      ],
      chosen.map((name) => [
        name,
        ...['before', 'wait', 'after', 'total'].flatMap((phase) => [
          Math.round(pooled(name, phase)),
          added(name, phase),
        ]),
      ]),
    ),
  );
  console.log('\nCheck-phase callbacks that ran before a request left (per call, summed over the rounds)\n');
  const rows = [];
  for (const name of chosen) {
    const byCallback = new Map();
    let calls = 0;
    for (const result of results.get(name)) {
      calls += result.total.length;
      for (const [callback, { count, micros }] of Object.entries(result.beforeSend)) {
        const sum = byCallback.get(callback) ?? { count: 0, micros: 0 };
        sum.count += count;
        sum.micros += micros;
        byCallback.set(callback, sum);
      }
    }
    for (const [callback, { count, micros }] of byCallback)
      rows.push([name, callback, (count / calls).toFixed(2), (micros / calls).toFixed(1)]);
  }
  console.log(table(['Contender', 'Callback', 'Runs per call', 'µs per call'], rows));
}

/** One contender, one round: its per-call phases (µs) and the check-phase work before each send. */
async function child({ contender, serverUrl, redisUrl, calls }) {
  // Wrapped before anything queues an immediate: which callbacks run while the request has not left.
  let beforeSend = false;
  const checkPhase = {};
  const setImmediateOriginal = globalThis.setImmediate;
  globalThis.setImmediate = (callback, ...args) =>
    setImmediateOriginal(
      (...callbackArgs) => {
        const started = performance.now();
        try {
          return callback(...callbackArgs);
        } finally {
          if (beforeSend) {
            const entry = (checkPhase[callback.name || '(anonymous)'] ??= { count: 0, micros: 0 });
            entry.count++;
            entry.micros += (performance.now() - started) * 1000;
          }
        }
      },
      ...args,
    );
  const { default: OpenAI } = await import('openai');
  const { chatCall, governanceOptions } = await import('./lib/workload.mjs');
  let telemetry;
  let handle;
  let dir;
  // Loaded by the raw SDK's process too: a process that has loaded it makes the same calls slower on the
  // benchmark VM (docs/benchmarks.md, "Every process loads the same harness").
  const { createTestTelemetry } = await import('@genops/testing');
  if (contender !== 'raw') {
    const { GenOps } = await import('@genops/core');
    telemetry = createTestTelemetry({ serviceName: 'call-phases' });
    const extra = {};
    if (contender === 'genops-sqlite') {
      dir = mkdtempSync(join(tmpdir(), 'genops-phases-'));
      extra.store = `sqlite:${join(dir, 'state.db')}`;
    }
    if (contender === 'genops-redis') extra.store = redisUrl;
    handle = GenOps.init(governanceOptions(telemetry, extra));
  }
  const client = new OpenAI({ apiKey: 'bench', baseURL: serverUrl, maxRetries: 0 });
  let sentAt = 0;
  let answeredAt = 0;
  channel('undici:client:sendHeaders').subscribe(() => {
    sentAt = performance.now();
    beforeSend = false;
  });
  channel('undici:request:trailers').subscribe(() => {
    answeredAt = performance.now();
  });
  // The in-memory exporter keeps every span: drained as an exporter would.
  const drain = (index) => {
    if (telemetry && index % 100 === 99) telemetry.resetSpans();
  };
  for (let index = 0; index < WARMUP; index++) {
    await chatCall(client);
    drain(index);
  }
  for (const key of Object.keys(checkPhase)) delete checkPhase[key];
  const phases = { before: [], wait: [], after: [], total: [] };
  for (let index = 0; index < calls; index++) {
    const started = performance.now();
    beforeSend = true;
    await chatCall(client);
    const ended = performance.now();
    phases.before.push((sentAt - started) * 1000);
    phases.wait.push((answeredAt - sentAt) * 1000);
    phases.after.push((ended - answeredAt) * 1000);
    phases.total.push((ended - started) * 1000);
    drain(index);
  }
  await handle?.shutdown();
  if (dir) rmSync(dir, { recursive: true, force: true });
  process.send({ ...phases, beforeSend: checkPhase }, () => process.exit(0));
}

function loadText() {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function signed(value) {
  return `${value >= 0 ? '+' : ''}${Math.round(value)}`;
}
