// `pnpm --filter @genops/example-bedrock start`: an `@aws-sdk/client-bedrock-runtime` app governed by
// GenOps, with no AWS account and no network. The real SDK signs and sends its requests to GenOps' fake
// Bedrock Runtime on 127.0.0.1, which answers in Bedrock's wire formats (JSON, AWS event-stream) and in
// each model family's native InvokeModel body. The app code is plain SDK code: `GenOps.init()` finds
// @genops/provider-bedrock (installed next to @genops/core) and adds its middleware to every client.
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { formatUsdNanosExact, GenOps, GenOpsError, usdToNanos } from '@genops/core';
import { createTestTelemetry, startFakeBedrock } from '@genops/testing';

const server = await startFakeBedrock();
const telemetry = createTestTelemetry();

const genops = GenOps.init({
  policy: {
    version: 1,
    // Data residency: nothing may be sent to an EU region from this app.
    rules: [{ name: 'no-eu-regions', type: 'region', deny: ['eu-*'] }],
    // Every call reserves its worst case against this budget first, then settles the exact cost.
    budgets: [{ name: 'bedrock-assistant', limit: 1, window: 'day' }],
  },
  defaults: { team: 'support', project: 'bedrock-example', environment: 'development' },
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});

// The app: ordinary Bedrock Runtime clients (`endpoint` points at the fake server for this demo).
const bedrock = (region) =>
  new BedrockRuntimeClient({
    region,
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-needed' },
    maxAttempts: 1,
  });
const client = bedrock('us-east-1');
const claude = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const messages = [{ role: 'user', content: [{ text: 'How do I detach a volume?' }] }];

/** The span GenOps recorded for the last call: tokens and the exact cost, in micro-dollars. */
function report() {
  const attributes = telemetry.spans().at(-1).attributes;
  console.log(
    `  tokens: ${attributes['gen_ai.usage.input_tokens']} input (${attributes['gen_ai.usage.cache_read.input_tokens'] ?? 0} cache read), ${attributes['gen_ai.usage.output_tokens']} output`,
  );
  console.log(
    `  cost: ${formatUsdNanosExact(usdToNanos(attributes['genops.accounting.actual']))} (span ${telemetry.spans().at(-1).name})`,
  );
}

console.log('Bedrock Runtime SDK → fake Bedrock on 127.0.0.1, governed by GenOps\n');

console.log('1. ConverseCommand: usage from the response, prompt-cache reads priced apart');
server.enqueue({
  content: 'Stop the instance, then detach the volume from the console.',
  usage: { input: 150, output: 200, cacheRead: 3000 },
});
const answer = await client.send(
  new ConverseCommand({ modelId: claude, messages, inferenceConfig: { maxTokens: 512 } }),
);
console.log(`  answer: ${answer.output.message.content[0].text}`);
report();

console.log('\n2. ConverseStreamCommand: settled from the final metadata event');
server.enqueue({ content: 'Snapshots are kept for 30 days.', usage: { input: 120, output: 90 } });
const stream = await client.send(
  new ConverseStreamCommand({ modelId: claude, messages, inferenceConfig: { maxTokens: 512 } }),
);
let streamed = '';
for await (const event of stream.stream) streamed += event.contentBlockDelta?.delta?.text ?? '';
console.log(`  streamed: ${streamed}`);
report();

console.log('\n3. InvokeModelCommand with a Meta Llama body: usage from the native body');
server.enqueue({ content: 'Volumes can be detached while stopped.', usage: { input: 900, output: 100 } });
const llama = await client.send(
  new InvokeModelCommand({
    modelId: 'us.meta.llama3-1-70b-instruct-v1:0',
    contentType: 'application/json',
    body: JSON.stringify({
      prompt: '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\nHow do I detach a volume?<|eot_id|>',
      max_gen_len: 256,
    }),
  }),
);
console.log(`  generation: ${JSON.parse(new TextDecoder().decode(llama.body)).generation}`);
report();

console.log('\n4. Region rule: a client in eu-west-1 is denied before anything is sent');
const before = server.requests.length;
try {
  await bedrock('eu-west-1').send(
    new ConverseCommand({ modelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0', messages }),
  );
} catch (error) {
  if (!(error instanceof GenOpsError)) throw error;
  console.log(`  ${error.name} (${error.reasonCode}): ${error.message}`);
}
console.log(`  requests sent to Bedrock: ${server.requests.length - before}`);

const [budget] = (await genops.status()).budgets;
console.log(
  `\nBudget ${budget.budget}: ${formatUsdNanosExact(usdToNanos(budget.used))} used of $${budget.limit}, ${formatUsdNanosExact(usdToNanos(budget.reserved))} reserved`,
);

await genops.shutdown();
await telemetry.shutdown();
await server.close();
