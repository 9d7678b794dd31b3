// `pnpm --filter @genops/example-vercel-ai start`: GenOps governing the Vercel AI SDK (ai 7) with the
// real `@ai-sdk/openai` provider, no API key and no network: a fake OpenAI server on 127.0.0.1 answers.
// A governed model runs generateText and streamText with exact cost, a spent budget blocks a call
// before it is sent, and a tool rule denies a tool before it runs.
import { createOpenAI } from '@ai-sdk/openai';
import { GenOps, GenOpsError, withAttribution } from '@genops/core';
import { governedModel, governTools } from '@genops/framework-vercel-ai';
import { createTestTelemetry, startFakeOpenAI } from '@genops/testing';
import { generateText, streamText, tool } from 'ai';
import { z } from 'zod';

const server = await startFakeOpenAI();
const telemetry = createTestTelemetry();

const genops = GenOps.init({
  defaults: { team: 'support', project: 'vercel-ai-example', environment: 'development' },
  policy: {
    version: 1,
    rules: [{ name: 'no-shell', type: 'tool', deny: ['shell_*'] }],
    budgets: [{ name: 'research', limit: 0.000001, window: 'day', match: { team: 'research' } }],
  },
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});

const openai = createOpenAI({ baseURL: server.url, apiKey: 'not-needed' });
const model = governedModel(openai.chat('gpt-4o'));
const lastSpan = () => telemetry.spans().at(-1);
const costOf = (span) => `$${span.attributes['genops.accounting.actual'].toFixed(6)}`;

console.log('1. generateText');
server.enqueue({ content: 'Your order ships tomorrow.', usage: { input: 1200, output: 300, cachedInput: 200 } });
const { text } = await generateText({ model, prompt: 'When does my order ship?', maxOutputTokens: 400 });
let span = lastSpan();
console.log(`  text: ${text}`);
console.log(
  `  span ${span.name}: ${span.attributes['gen_ai.usage.input_tokens']} input tokens (${span.attributes['gen_ai.usage.cache_read.input_tokens']} cached), ${span.attributes['gen_ai.usage.output_tokens']} output, cost ${costOf(span)}\n`,
);

console.log('2. streamText');
server.enqueue({ content: 'Streaming from the fake server.', usage: { input: 40, output: 12 }, chunks: 4 });
const parts = [];
for await (const delta of streamText({ model, prompt: 'Stream something.' }).textStream) parts.push(delta);
span = lastSpan();
console.log(`  ${parts.length} deltas: ${parts.join('')}`);
console.log(
  `  span ${span.name}: ${span.attributes['gen_ai.usage.input_tokens']} input, ${span.attributes['gen_ai.usage.output_tokens']} output, cost ${costOf(span)}\n`,
);

console.log('3. A spent budget blocks the call before it is sent');
const before = server.requests.length;
try {
  await withAttribution({ team: 'research' }, () => generateText({ model, prompt: 'Summarise the paper.' }));
} catch (error) {
  if (!(error instanceof GenOpsError)) throw error;
  console.log(`  ${error.name} (${error.reasonCode}): ${error.message}`);
}
console.log(`  requests the server received: ${server.requests.length - before}\n`);

console.log('4. A tool the policy denies never runs');
let ran = false;
const tools = governTools({
  shell_exec: tool({
    description: 'Run a shell command',
    inputSchema: z.object({ command: z.string() }),
    execute: async () => {
      ran = true;
      return 'done';
    },
  }),
});
// The AI SDK calls `execute` like this when the model asks for the tool.
try {
  await tools.shell_exec.execute({ command: 'rm -rf /tmp/cache' }, { toolCallId: 'call-1', messages: [] });
} catch (error) {
  if (!(error instanceof GenOpsError)) throw error;
  console.log(`  ${error.name} (${error.reasonCode}): ${error.message}`);
}
span = lastSpan();
console.log(`  tool ran: ${ran}; span ${span.name}: ${span.attributes['genops.policy.result']}`);

await genops.shutdown();
await server.close();
await telemetry.shutdown();
