// `pnpm --filter @genops/example-llamaindex start`: a LlamaIndex.TS LLM governed by GenOps, no API key
// and no network. The real `@llamaindex/openai` LLM talks to GenOps' fake OpenAI server on 127.0.0.1:
// a chat and a stream are priced to the micro-dollar (cached and reasoning tokens included), and a
// call that does not fit the daily budget is refused before anything is sent.
import { formatUsdNanosExact, GenOps, GenOpsError, usdToNanos } from '@genops/core';
import { governLLM } from '@genops/framework-llamaindex';
import { createTestTelemetry, startFakeOpenAI } from '@genops/testing';
import { OpenAI } from '@llamaindex/openai';

const server = await startFakeOpenAI({
  // Every reply reports 1000 prompt tokens (400 of them cached) and 300 completion tokens (120 reasoning).
  defaults: { usage: { input: 1000, output: 300, cachedInput: 400, reasoning: 120 } },
});
const telemetry = createTestTelemetry();
const genops = GenOps.init({
  defaults: { team: 'search', project: 'llamaindex-example', environment: 'development' },
  budgets: [{ name: 'daily', limit: 0.05, window: 'day' }],
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});
const openai = (options = {}) =>
  new OpenAI({ apiKey: 'not-needed', baseURL: server.url, model: 'gpt-4o', maxRetries: 0, maxTokens: 400, ...options });
const llm = governLLM(openai());
const lastSpan = () => telemetry.spans().at(-1);
const costOf = (span) => formatUsdNanosExact(usdToNanos(span.attributes['genops.accounting.actual']));

console.log('1. chat()');
const response = await llm.chat({ messages: [{ role: 'user', content: 'What is LlamaIndex?' }] });
console.log(`  answer: ${response.message.content}`);
console.log(
  `  span ${lastSpan().name}: ${lastSpan().attributes['gen_ai.usage.input_tokens']} input tokens ` +
    `(${lastSpan().attributes['gen_ai.usage.cache_read.input_tokens']} cached), ` +
    `${lastSpan().attributes['gen_ai.usage.output_tokens']} output tokens ` +
    `(${lastSpan().attributes['gen_ai.usage.reasoning.output_tokens']} reasoning), cost ${costOf(lastSpan())}\n`,
);

console.log('2. chat({ stream: true })');
let streamed = '';
for await (const chunk of await llm.chat({ messages: [{ role: 'user', content: 'Stream it.' }], stream: true })) {
  streamed += chunk.delta;
}
console.log(`  streamed: ${streamed}`);
console.log(`  GenOps asked for the stream's usage: ${JSON.stringify(server.requests.at(-1).body.stream_options)}`);
console.log(`  span ${lastSpan().name} (stream): cost ${costOf(lastSpan())}\n`);

console.log('3. A call that does not fit the daily budget');
const before = server.requests.length;
try {
  await governLLM(openai({ maxTokens: 8192 })).chat({ messages: [{ role: 'user', content: 'Write a long essay.' }] });
} catch (error) {
  if (!(error instanceof GenOpsError)) throw error;
  console.log(`  ${error.name} (${error.reasonCode}): ${error.message}`);
}
console.log(`  requests the server received for it: ${server.requests.length - before}\n`);

const daily = (await genops.status()).budgets.find((line) => line.budget === 'daily');
console.log(`Budget "daily": used $${daily.used} of $${daily.limit}`);

await genops.shutdown();
await server.close();
await telemetry.shutdown();
