// What egress governance (docs/egress.md) costs, against the fake OpenAI server on 127.0.0.1
// (configured as an egress host, as a real provider host would be):
//
// 1. An already-governed call (the openai SDK through @genops/provider-openai), egress `off` vs
//    `govern`: what egress adds to a call an adapter governs (its request passes after one context
//    lookup).
// 2. A raw `fetch` of a chat completion, ungoverned (egress `off`) vs governed from the wire by egress.
//
// Modes run in alternating blocks in one process, so machine drift lands on both alike. Figures are
// printed, not written into the docs: record them on an idle machine, with the load average beside them.
//
//   pnpm build && node benchmarks/egress-overhead.mjs
//   BENCH_CALLS=5000 node benchmarks/egress-overhead.mjs
import os from 'node:os';
import { GenOps } from '@genops/core';
import '@genops/provider-openai';
import { createTestTelemetry, startFakeOpenAI } from '@genops/testing';
import OpenAI from 'openai';
import { machine, machineLine, revision, summarise, table } from './lib/report.mjs';
import { CHAT_BODY, chatCall, governanceOptions } from './lib/workload.mjs';

const ROUNDS = 10;
const CALLS = Number(process.env.BENCH_CALLS ?? 2_000);
const WARMUP = 200;
if (!Number.isInteger(CALLS) || CALLS < ROUNDS) throw new Error(`BENCH_CALLS must be an integer >= ${ROUNDS}`);

const server = await startFakeOpenAI();
const telemetry = createTestTelemetry();
const client = new OpenAI({ apiKey: 'bench', baseURL: server.url, maxRetries: 0 });
const body = JSON.stringify(CHAT_BODY);

function rawFetchCall() {
  return fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  }).then((response) => response.json());
}

/** Runs `count` sequential calls with GenOps initialised with `egress`; returns the latencies (ms). */
async function block(call, options, count) {
  const handle = options ? GenOps.init(governanceOptions(telemetry, options)) : undefined;
  const latencies = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await call();
    latencies[index] = performance.now() - started;
  }
  const spans = telemetry.spans().length;
  telemetry.resetSpans();
  server.reset();
  await handle?.shutdown();
  return { latencies, spans };
}

async function compare(name, call, modes) {
  const results = Object.fromEntries(Object.keys(modes).map((mode) => [mode, []]));
  for (const [options] of Object.values(modes)) await block(call, options, WARMUP);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? Object.keys(modes) : Object.keys(modes).reverse();
    for (const mode of order) {
      const [options, unitsPerCall] = modes[mode];
      const count = CALLS / ROUNDS;
      const { latencies, spans } = await block(call, options, count);
      // The spans prove the mode: one unit per governed call, none for an ungoverned one.
      if (spans !== unitsPerCall * count) throw new Error(`${name}, ${mode}: ${spans} spans for ${count} calls`);
      results[mode].push(latencies);
    }
  }
  return Object.entries(results).map(([mode, blocks]) => {
    const all = Float64Array.from(blocks.flatMap((latencies) => [...latencies]));
    const { median, p99 } = summarise(all);
    return [name, mode, all.length, (median * 1000).toFixed(0), (p99 * 1000).toFixed(0)];
  });
}

const hosts = { hosts: [server.url] };
const load = os.loadavg();
const rows = [
  ...(await compare('SDK call governed by the adapter', () => chatCall(client), {
    'egress off': [{ egress: 'off' }, 1],
    'egress govern': [{ egress: hosts }, 1],
  })),
  ...(await compare('raw fetch', rawFetchCall, {
    'not governed (egress off)': [{ egress: 'off' }, 0],
    'governed by egress': [{ egress: hosts }, 1],
  })),
];
await server.close();
await telemetry.shutdown();

console.log(`Egress overhead — ${machineLine(machine())}`);
console.log(`Revision ${revision()}; load average at start ${load.map((value) => value.toFixed(2)).join(' ')}`);
console.log(`${CALLS} calls per mode in ${ROUNDS} alternating blocks, after ${WARMUP} warm-up calls per mode.\n`);
console.log(table(['case', 'mode', 'calls', 'median µs', 'p99 µs'], rows));
