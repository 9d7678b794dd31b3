// `pnpm --filter @genops/example-anthropic start`: an `@anthropic-ai/sdk` app governed by GenOps, with
// no API key and no network. The real SDK talks to GenOps' fake Anthropic server on 127.0.0.1, which
// answers in the Messages API wire format (JSON and SSE) with the usage each step scripts below.
// The app code is plain SDK code: `GenOps.init()` finds @genops/provider-anthropic (installed next to
// @genops/core) and governs `messages.create` and `messages.stream()` with no other change.
import Anthropic from '@anthropic-ai/sdk';
import { formatUsdNanosExact, GenOps, GenOpsError, usdToNanos, withAttribution } from '@genops/core';
import { createTestTelemetry, startFakeAnthropic } from '@genops/testing';

const server = await startFakeAnthropic();
const telemetry = createTestTelemetry();

const genops = GenOps.init({
  // The support assistant may spend $0.05 a day; every call reserves its worst case first.
  budgets: [{ name: 'support-assistant', limit: 0.05, window: 'day', match: { team: 'support' } }],
  // Opus 4.1 is retired here: too expensive for a support assistant.
  policies: { denyModels: ['claude-opus-4-1*'] },
  defaults: { project: 'anthropic-example', environment: 'development' },
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});

// The app: an ordinary Anthropic client (`baseURL` points at the fake server for this demo).
const client = new Anthropic({ apiKey: 'not-needed', baseURL: server.url, maxRetries: 0 });
const model = 'claude-sonnet-4-6';
// A long, stable system prompt marked for prompt caching: the first call writes it to the cache,
// later calls read it at a tenth of the input price.
const system = [
  {
    type: 'text',
    text: 'You are the support assistant of Acme Cloud. Answer from the handbook below. <handbook>…</handbook>',
    cache_control: { type: 'ephemeral' },
  },
];
const support = (run) => withAttribution({ team: 'support' }, run);

/** The span GenOps recorded for the last call: tokens and the exact cost, in micro-dollars. */
function report() {
  const attributes = telemetry.spans().at(-1).attributes;
  const input = attributes['gen_ai.usage.input_tokens'];
  const written = attributes['gen_ai.usage.cache_creation.input_tokens'] ?? 0;
  const read = attributes['gen_ai.usage.cache_read.input_tokens'] ?? 0;
  console.log(
    `  tokens: ${input} input (${written} cache write, ${read} cache read), ${attributes['gen_ai.usage.output_tokens']} output`,
  );
  console.log(`  cost: ${formatUsdNanosExact(usdToNanos(attributes['genops.accounting.actual']))}`);
}

console.log('Anthropic SDK → fake Anthropic server on 127.0.0.1, governed by GenOps\n');

console.log('1. messages.create: the first call writes the system prompt to the prompt cache');
server.enqueue({
  content: 'Restart the VM from the console, then detach the volume.',
  usage: { input: 150, cacheWrite: 3000, output: 200 },
});
let message = await support(() =>
  client.messages.create({
    model,
    system,
    max_tokens: 1024,
    messages: [{ role: 'user', content: 'How do I detach a volume?' }],
  }),
);
console.log(`  answer: ${message.content[0].text}`);
report();

console.log('\n2. messages.create again: the system prompt is now read from the cache');
server.enqueue({ content: 'Snapshots are kept for 30 days.', usage: { input: 160, cacheRead: 3000, output: 180 } });
message = await support(() =>
  client.messages.create({
    model,
    system,
    max_tokens: 1024,
    messages: [{ role: 'user', content: 'How long are snapshots kept?' }],
  }),
);
console.log(`  answer: ${message.content[0].text}`);
report();

console.log('\n3. The messages.stream() helper: one governed call, priced from the streamed usage');
server.enqueue({
  content: 'Open Billing, then Invoices, then Download.',
  usage: { input: 40, cacheRead: 3000, output: 120 },
});
let streamed = '';
await support(() => {
  // The helper sends the request when it is created: create it inside the attribution scope.
  const stream = client.messages.stream({
    model,
    system,
    max_tokens: 1024,
    messages: [{ role: 'user', content: 'Where are my invoices?' }],
  });
  stream.on('text', (text) => {
    streamed += text;
  });
  return stream.finalMessage();
});
console.log(`  answer (streamed): ${streamed}`);
report();

const [budget] = (await genops.status()).budgets;
console.log(
  `  budget "${budget.budget}": ${formatUsdNanosExact(usdToNanos(budget.used))} of ${formatUsdNanosExact(usdToNanos(budget.limit))} used today`,
);

console.log('\n4. Budget: a long answer (max_tokens 2048) may cost more than what is left today');
const sentBefore = server.requests.length;
try {
  await support(() =>
    client.messages.create({
      model,
      system,
      max_tokens: 2048,
      messages: [{ role: 'user', content: 'Write the full runbook.' }],
    }),
  );
} catch (error) {
  if (!GenOpsError.isInstance(error)) throw error;
  console.log(`  ${error.name} (${error.reasonCode}): ${error.message}`);
}
console.log(`  requests the server received for it: ${server.requests.length - sentBefore}`);

console.log('\n5. Policy: a denied model is refused before anything is sent');
try {
  await support(() =>
    client.messages.create({ model: 'claude-opus-4-1', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] }),
  );
} catch (error) {
  if (!GenOpsError.isInstance(error)) throw error;
  console.log(`  ${error.name} (${error.reasonCode}): ${error.message}`);
}
console.log(
  `  span: ${telemetry.spans().at(-1).name}, genops.policy.result=${telemetry.spans().at(-1).attributes['genops.policy.result']}`,
);
console.log(`\nThe fake server received ${server.requests.length} requests in all.`);

await genops.shutdown();
await server.close();
await telemetry.shutdown();
