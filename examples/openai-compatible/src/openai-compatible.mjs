// `pnpm --filter @genops/example-openai-compatible start`: OpenAI-compatible providers called through
// the `openai` SDK, governed by GenOps, with no API key and no network. `gen_ai.provider.name`, the
// policy's provider rules and the price all follow the service that runs the model (read from the
// client's `baseURL`), not the wire protocol. GenOps.init() finds @genops/provider-openai (installed
// next to @genops/core) and governs every client with no other change.
import { formatUsdNanosExact, GenOps, GenOpsError, usdToNanos, withAttribution } from '@genops/core';
import { instrumentOpenAI } from '@genops/provider-openai';
import { createTestTelemetry, startFakeOpenAI } from '@genops/testing';
import OpenAI from 'openai';

const server = await startFakeOpenAI();
const telemetry = createTestTelemetry();

const genops = GenOps.init({
  // xAI models are not approved here, whichever route they take.
  policies: { denyProviders: ['x_ai'] },
  defaults: { team: 'platform', project: 'compatible-example', environment: 'development' },
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});

// Demo plumbing only: the clients below use the providers' real base URLs, and this `fetch` delivers
// their requests to the fake server on 127.0.0.1 instead of the internet. Drop it in a real app.
const toFakeServer = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const path = url.pathname.replace(/^.*?\/(chat|responses|embeddings|completions)/, '/$1');
  return fetch(`${server.url}${path}`, init);
};
const clientFor = (baseURL) => new OpenAI({ baseURL, apiKey: 'not-needed', maxRetries: 0, fetch: toFakeServer });
const ask = (client, model, content, extra = {}) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content }], max_tokens: 500, ...extra });

/** The span GenOps recorded for the last call. */
function report() {
  const span = telemetry.spans().at(-1);
  const attributes = span.attributes;
  const cached = attributes['gen_ai.usage.cache_read.input_tokens'];
  console.log(
    `  span ${span.name}: gen_ai.provider.name=${attributes['gen_ai.provider.name']}, server.address=${attributes['server.address']}`,
  );
  console.log(
    `  tokens: ${attributes['gen_ai.usage.input_tokens']} input${cached ? ` (${cached} cached)` : ''}, ${attributes['gen_ai.usage.output_tokens']} output`,
  );
  console.log(`  genops.accounting.actual: ${formatUsdNanosExact(usdToNanos(attributes['genops.accounting.actual']))}`);
}

console.log('openai SDK → OpenAI-compatible providers (fake server on 127.0.0.1), governed by GenOps\n');

console.log('1. DeepSeek (https://api.deepseek.com): priced from deepseek.json, cache hits at the cache rate');
server.enqueue({
  content: 'Use a B-tree index on (tenant_id, created_at).',
  usage: { input: 1200, cachedInput: 1000, output: 300 },
});
const deepseek = clientFor('https://api.deepseek.com');
const completion = await ask(deepseek, 'deepseek-chat', 'How do I speed up this query?');
console.log(`  answer: ${completion.choices[0].message.content}`);
report();

console.log('\n2. Groq (https://api.groq.com/openai/v1), streamed: priced from groq.json');
server.enqueue({ content: 'Groq streams fast.', usage: { input: 400, output: 250 } });
const groq = clientFor('https://api.groq.com/openai/v1');
let streamed = '';
const stream = await ask(groq, 'llama-3.3-70b-versatile', 'Say something quick.', { stream: true });
for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
console.log(`  answer (streamed): ${streamed}`);
report();

console.log('\n3. OpenRouter (https://openrouter.ai/api/v1): the vendor in the model id runs it, and prices it');
server.enqueue({ content: 'Routed to Claude.', usage: { input: 500, output: 200 } });
const openrouter = clientFor('https://openrouter.ai/api/v1');
const routed = await ask(openrouter, 'anthropic/claude-haiku-4-5', 'Which model are you?');
console.log(`  answer: ${routed.choices[0].message.content}`);
report();

console.log('\n4. Policy: the same OpenRouter client asks for an xAI model, and provider x_ai is denied');
const sentBefore = server.requests.length;
try {
  await ask(openrouter, 'x-ai/grok-4', 'Which model are you?');
} catch (error) {
  if (!GenOpsError.isInstance(error)) throw error;
  console.log(`  ${error.name} (${error.reasonCode}): ${error.message}`);
}
console.log(`  span: gen_ai.provider.name=${telemetry.spans().at(-1).attributes['gen_ai.provider.name']}`);
console.log(`  requests the server received for it: ${server.requests.length - sentBefore}`);

console.log('\n5. Helicone (https://oai.helicone.ai/v1): the attribution travels as Helicone custom properties');
server.enqueue({ content: 'Ranked.', usage: { input: 300, output: 120 } });
const helicone = clientFor('https://oai.helicone.ai/v1');
await withAttribution({ team: 'search', costCenter: 'cc-042' }, () =>
  ask(helicone, 'gpt-4o-mini', 'Rank these results.'),
);
const sent = server.requests.at(-1).headers;
console.log(
  `  headers sent: Helicone-Property-Team: ${sent['helicone-property-team']}, Helicone-Property-Cost-Center: ${sent['helicone-property-cost-center']}`,
);
report();

console.log('\n6. A LiteLLM proxy on 127.0.0.1 in front of DeepSeek: the proxy reports the cost');
// A local proxy URL says nothing about the provider: name it. The proxy's `x-litellm-response-cost`
// response header is then the call's actual cost.
server.enqueue({
  content: 'Answered through the proxy.',
  usage: { input: 1200, output: 300 },
  headers: { 'x-litellm-response-cost': '0.000185' },
});
const proxy = instrumentOpenAI(new OpenAI({ baseURL: server.url, apiKey: 'not-needed', maxRetries: 0 }), {
  provider: 'deepseek',
});
const proxied = await ask(proxy, 'deepseek-chat', 'Hello through the proxy.');
console.log(`  answer: ${proxied.choices[0].message.content}`);
report();

console.log(`\nThe fake server received ${server.requests.length} requests in all.`);

await genops.shutdown();
await server.close();
await telemetry.shutdown();
