// The client of the gateway benchmark, in a fresh process per contender and round: the real `openai`
// SDK pointed at a base URL (the fake upstream itself, or a gateway in front of it), making the same
// calls as every other OpenAI benchmark (../../lib/workload.mjs). Started with fork() and one JSON
// argument `{ baseURL, apiKey, headers, counts }`; it sends its timings to the parent and exits.
//
// Every reply is checked (the fake server's text, usage on the last stream chunk), so a gateway that
// answers fast but wrong fails the run instead of winning it.
import OpenAI from 'openai';
import { CHAT_BODY, STREAM_BODY } from '../../lib/workload.mjs';

const { baseURL, apiKey, headers, counts } = JSON.parse(process.argv[2]);
const client = new OpenAI({ apiKey, baseURL, defaultHeaders: headers, maxRetries: 0 });
const EXPECTED_TEXT = 'Hello from the fake OpenAI server.';
/** Every call made, warm-up included: what the gateway's CPU time is divided by. */
let calls = 0;

async function chat() {
  const completion = await client.chat.completions.create(CHAT_BODY);
  calls++;
  const text = completion.choices[0]?.message?.content;
  if (text !== EXPECTED_TEXT) throw new Error(`unexpected chat reply through ${baseURL}: ${JSON.stringify(text)}`);
}

async function stream() {
  let text = '';
  const chunks = await client.chat.completions.create(STREAM_BODY);
  for await (const chunk of chunks) text += chunk.choices[0]?.delta?.content ?? '';
  calls++;
  if (text !== EXPECTED_TEXT) throw new Error(`unexpected streamed reply through ${baseURL}: ${JSON.stringify(text)}`);
}

/** `count` calls one at a time; the latency of each in ms. */
async function oneAtATime(count, call) {
  const latencies = new Array(count);
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await call();
    latencies[index] = performance.now() - started;
  }
  return latencies;
}

/** `callers` loops, each starting its next call when its last one ends, until `durationMs` is over. */
async function manyAtOnce(durationMs, callers, call) {
  let completed = 0;
  const started = performance.now();
  const until = started + durationMs;
  const latencies = [];
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        const callStarted = performance.now();
        await call();
        latencies.push(performance.now() - callStarted);
        completed++;
      }
    }),
  );
  return { completed, ms: performance.now() - started, latencies };
}

// Warm-up: the JIT of the client, the gateway and the fake server, and their connection pools.
await oneAtATime(counts.warmupChat, chat);
await oneAtATime(counts.warmupStream, stream);
await manyAtOnce(counts.warmupConcurrentMs, counts.concurrency, chat);

const chatLatencies = await oneAtATime(counts.chat, chat);
const streamLatencies = await oneAtATime(counts.stream, stream);
const concurrent = await manyAtOnce(counts.concurrentMs, counts.concurrency, chat);

process.send(
  {
    calls,
    chat: chatLatencies,
    stream: streamLatencies,
    concurrentLatencies: concurrent.latencies,
    concurrentCallsPerSecond: concurrent.completed / (concurrent.ms / 1000),
  },
  () => process.exit(0),
);
