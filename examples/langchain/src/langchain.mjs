// `pnpm --filter @genops/example-langchain start`: a LangChain.js chain (prompt | ChatOpenAI) governed by
// GenOps through its callback handler, with the real @langchain/openai and openai SDK against a built-in
// fake OpenAI server: no API key and no network. The first call fits the daily budget and is priced
// exactly; the second would not fit and is denied before any request leaves the process.
import { GenOps, GenOpsError } from '@genops/core';
import { GenOpsCallbackHandler } from '@genops/framework-langchain';
import { createTestTelemetry, startFakeOpenAI } from '@genops/testing';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { ChatOpenAI } from '@langchain/openai';

const server = await startFakeOpenAI();
const telemetry = createTestTelemetry();
const genops = GenOps.init({
  policy: { version: 1, rules: [], budgets: [{ name: 'daily', limit: 0.01, window: 'day' }] },
  defaults: { team: 'research', project: 'langchain-example', environment: 'development' },
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});
// Chain spans go where GenOps' own spans go.
const handler = new GenOpsCallbackHandler();

const prompt = ChatPromptTemplate.fromMessages([
  ['system', 'You answer in one sentence.'],
  ['human', 'Tell me about {topic}.'],
]);
const model = (maxTokens) =>
  new ChatOpenAI({
    model: 'gpt-4o',
    apiKey: 'not-needed',
    maxRetries: 0,
    maxTokens,
    configuration: { baseURL: server.url },
  });

console.log('1. A governed chain call');
server.enqueue({
  content: 'Otters hold hands while they sleep.',
  usage: { input: 1200, output: 300, cachedInput: 1024 },
});
const answer = await prompt
  .pipe(model(400))
  .invoke({ topic: 'otters' }, { callbacks: [handler], runName: 'otter_facts' });
const chat = telemetry.spans().find((span) => span.name === 'chat gpt-4o');
console.log(`  answer: ${answer.content}`);
console.log(
  `  tokens: ${chat.attributes['gen_ai.usage.input_tokens']} in (${chat.attributes['gen_ai.usage.cache_read.input_tokens']} cached), ${chat.attributes['gen_ai.usage.output_tokens']} out`,
);
console.log(
  `  cost: $${chat.attributes['genops.accounting.actual']} (policy ${chat.attributes['genops.policy.result']})\n`,
);

console.log('2. A call that would not fit the budget is denied before it is sent');
const sentBefore = server.requests.length;
try {
  await prompt.pipe(model(4000)).invoke({ topic: 'the history of otters' }, { callbacks: [handler] });
} catch (error) {
  if (!(error instanceof GenOpsError)) throw error;
  console.log(`  ${error.name} (${error.reasonCode}): ${error.message}`);
}
console.log(`  requests sent to the provider: ${server.requests.length - sentBefore}\n`);

console.log('3. The span tree');
const spans = telemetry.spans();
const children = new Map();
for (const span of spans) {
  const parent = span.parentSpanContext?.spanId ?? 'root';
  children.set(parent, [...(children.get(parent) ?? []), span]);
}
const print = (parent, depth) => {
  for (const span of (children.get(parent) ?? []).sort(
    (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
  )) {
    const result = span.attributes['genops.policy.result'];
    const cost = span.attributes['genops.accounting.actual'];
    console.log(
      `  ${'  '.repeat(depth)}${span.name}${result ? ` [${result}${cost !== undefined ? `, $${cost}` : ''}]` : ''}`,
    );
    print(span.spanContext().spanId, depth + 1);
  }
};
print('root', 0);

const [daily] = (await genops.status()).budgets;
console.log(`\nBudget "${daily.budget}": $${daily.used} used of $${daily.limit}`);

await genops.shutdown();
await server.close();
