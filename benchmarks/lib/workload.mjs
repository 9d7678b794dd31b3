// The workload every OpenAI benchmark runs: the same request, the same governance configuration.

export const MODEL = 'gpt-4o-mini';
export const MAX_TOKENS = 64;
export const MESSAGES = [
  { role: 'system', content: 'You are a concise assistant for a support team.' },
  { role: 'user', content: 'Summarise the three most common themes in this week’s support tickets.' },
];
export const CHAT_BODY = { model: MODEL, messages: MESSAGES, max_tokens: MAX_TOKENS };
export const STREAM_BODY = { ...CHAT_BODY, stream: true };

/**
 * What a platform team would configure: an org-wide daily limit, a per-team budget, a model allow-list.
 * `extra` adds options (e.g. `store`).
 */
export function governanceOptions(telemetry, extra = {}) {
  return {
    dailyBudgetLimit: 1_000,
    budgets: [{ name: 'per-team', limit: 500, window: 'day', per: 'team' }],
    policies: { allowModels: ['gpt-4o*'] },
    defaults: { team: 'bench', project: 'overhead', environment: 'benchmark' },
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    ...extra,
  };
}

/**
 * The chat request as the OpenAI adapter hands it to `governor.begin()`, for the benchmarks of the
 * governance hot path alone (no SDK, no HTTP); `estimatedInputTokens` is the adapter's estimate of
 * {@link MESSAGES} (`estimateInputTokens` of `@genops/core/adapter`).
 */
export function governedChatRequest(estimatedInputTokens, serverPort) {
  return {
    provider: 'openai',
    operation: 'chat',
    model: MODEL,
    method: 'chat.completions.create',
    stream: false,
    maxOutputTokens: MAX_TOKENS,
    estimatedInputTokens,
    requestAttributes: {},
    serverAddress: '127.0.0.1',
    serverPort,
  };
}

/**
 * `count` frozen attributions of distinct teams and customers, as the gateway makes one per virtual key
 * (each call of a key is attributed to its object).
 */
export function keyAttributions(count) {
  return Array.from({ length: count }, (_, index) =>
    Object.freeze({ team: `team-${index}`, customer: `customer-${index}`, virtualKey: `key-${index}` }),
  );
}

/** What `call.end()` gets for {@link governedChatRequest}: the fake server's usage and response. */
export const GOVERNED_CHAT_OUTCOME = {
  usage: { inputTokens: 20, outputTokens: 10 },
  response: { id: 'chatcmpl-bench', model: MODEL, finishReasons: ['stop'] },
};

/** A chat completion, exactly as an app makes it. */
export function chatCall(client) {
  return client.chat.completions.create(CHAT_BODY);
}

/** A streamed chat completion, read to its last chunk: the call is over when the stream is. */
export async function streamingCall(client) {
  const stream = await client.chat.completions.create(STREAM_BODY);
  for await (const _chunk of stream) {
    // Read every chunk.
  }
}

/**
 * Calls (and, for the concurrent phases, milliseconds) per contender and round of the side-by-side
 * benchmarks (side-by-side.mjs, gateway/gateway-overhead.mjs); `quick` for a smoke run (BENCH_QUICK=1).
 *
 * The warm-up is 3,000 chat calls: a fresh Node process keeps getting cheaper per call for its first
 * couple of thousand calls (V8 grows the young generation, the JIT settles), and on the 2-core benchmark
 * VM its main-thread CPU per call was still falling by hundreds of µs around call 2,000. With 500 the
 * timed calls fell in that slope, each process at its own point of it: the raw SDK measured 1.01 ms per
 * chat call and the control differed from it by −753 to +178 µs per round; with 3,000, in the same
 * hour, 0.53 ms and −171 to +230 (docs/benchmarks.md, "Warm-up").
 */
export function roundCounts(quick) {
  return quick
    ? {
        warmupChat: 100,
        warmupStream: 20,
        warmupConcurrentMs: 200,
        chat: 100,
        stream: 30,
        allocation: 50,
        concurrentMs: 500,
        concurrency: 50,
      }
    : {
        warmupChat: 3_000,
        warmupStream: 100,
        warmupConcurrentMs: 500,
        chat: 500,
        stream: 120,
        allocation: 200,
        concurrentMs: 2_000,
        concurrency: 50,
      };
}
