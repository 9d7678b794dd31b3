// `pnpm --filter @genops/example-google start`: a `@google/genai` app governed by GenOps, with no API
// key and no network. The real SDK talks to GenOps' fake Gemini API server on 127.0.0.1, which answers
// in the Gemini wire format (JSON and SSE) with the `usageMetadata` each step scripts below.
// The app code is plain SDK code: `GenOps.init()` finds @genops/provider-google (installed next to
// @genops/core) and governs `models.*` and chats with no other change.
import { formatUsdNanosExact, GenOps, GenOpsError, usdToNanos, withAttribution } from '@genops/core';
import { createTestTelemetry, startFakeGemini } from '@genops/testing';
import { GoogleGenAI } from '@google/genai';

const server = await startFakeGemini();
const telemetry = createTestTelemetry();

const genops = GenOps.init({
  policy: {
    version: 1,
    // API keys and tokens never leave the process.
    rules: [{ name: 'no-secrets', type: 'content', detect: ['secret'] }],
    budgets: [{ name: 'research-daily', limit: 5, window: 'day', per: 'team' }],
  },
  defaults: { project: 'google-example', environment: 'development' },
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});

// The app: an ordinary Gen AI client (`baseUrl` points at the fake server for this demo).
const ai = new GoogleGenAI({ apiKey: 'not-needed', httpOptions: { baseUrl: server.url } });
const research = (run) => withAttribution({ team: 'research' }, run);

/** The span GenOps recorded for the last call: tokens and the exact cost, in micro-dollars. */
function report() {
  const attributes = telemetry.spans().at(-1).attributes;
  const output = attributes['gen_ai.usage.output_tokens'];
  const thoughts = attributes['gen_ai.usage.reasoning.output_tokens'] ?? 0;
  console.log(
    `  tokens: ${attributes['gen_ai.usage.input_tokens']} input (${attributes['gen_ai.usage.cache_read.input_tokens'] ?? 0} cached), ` +
      `${output ?? 0} output (${thoughts} thoughts)`,
  );
  console.log(
    `  cost: ${formatUsdNanosExact(usdToNanos(attributes['genops.accounting.actual']))} (span ${telemetry.spans().at(-1).name})`,
  );
}

console.log('@google/genai → fake Gemini API on 127.0.0.1, governed by GenOps\n');

console.log('1. models.generateContent with thinking: thoughts are billed as output, cached input at the cache rate');
server.enqueue({
  content: 'The contract renews on 1 March unless cancelled 60 days before.',
  usage: { prompt: 1000, cached: 400, candidates: 200, thoughts: 300 },
});
const answer = await research(() =>
  ai.models.generateContent({
    model: 'gemini-2.5-pro',
    contents: 'When does the contract renew?',
    config: { maxOutputTokens: 2048, thinkingConfig: { thinkingBudget: 1024 } },
  }),
);
console.log(`  answer: ${answer.text}`);
report();

console.log('\n2. Long context: a prompt over 200k tokens is billed entirely at the higher tier');
// The fake server reports a 250 000-token prompt, as the real API would for a long document.
server.enqueue({
  content: 'Clause 14.2 conflicts with the annex.',
  usage: { prompt: 250_000, cached: 50_000, candidates: 1000, thoughts: 1000 },
});
const longAnswer = await research(() =>
  ai.models.generateContent({
    model: 'gemini-2.5-pro',
    contents: 'Find conflicting clauses in the attached contract and all its annexes.',
    config: { maxOutputTokens: 4096 },
  }),
);
console.log(`  answer: ${longAnswer.text}`);
report();

console.log('\n3. models.generateContentStream: chunks pass through, priced from the final usageMetadata');
server.enqueue({
  content: 'Three risks: renewal, liability, data.',
  usage: { prompt: 60, candidates: 150, thoughts: 90 },
});
let streamed = '';
await research(async () => {
  const stream = await ai.models.generateContentStream({
    model: 'gemini-2.5-flash',
    contents: 'List the top three risks.',
    config: { maxOutputTokens: 1024 },
  });
  for await (const chunk of stream) streamed += chunk.text ?? '';
});
console.log(`  answer (streamed): ${streamed}`);
report();

console.log('\n4. ai.chats: every turn is its own governed call');
server.enqueue(
  { content: 'Hello! What should we review?', usage: { prompt: 30, candidates: 40 } },
  { content: 'The liability cap is 12 months of fees.', usage: { prompt: 80, candidates: 60 } },
);
await research(async () => {
  const chat = ai.chats.create({ model: 'gemini-2.5-flash', config: { maxOutputTokens: 512 } });
  for (const message of ['Hi, I need a contract review.', 'What is the liability cap?']) {
    const turn = await chat.sendMessage({ message });
    console.log(`  turn: ${turn.text}`);
    report();
  }
});

console.log('\n5. models.embedContent: input tokens priced at the embedding rate');
server.enqueue({ usage: { prompt: 800, candidates: 0 } });
const embedded = await research(() =>
  ai.models.embedContent({ model: 'gemini-embedding-001', contents: ['clause 14.2 …', 'annex B …'] }),
);
console.log(`  vectors: ${embedded.embeddings.length} × ${embedded.embeddings[0].values.length} dimensions`);
report();

console.log('\n6. Policy: a request carrying an API key is denied before it is sent');
const sentBefore = server.requests.length;
try {
  await research(() =>
    ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: `Why does this key fail? AIzaSy${'D3mo_k3y-'.repeat(3)}n0tR3a`,
    }),
  );
} catch (error) {
  if (!GenOpsError.isInstance(error)) throw error;
  console.log(`  ${error.name} (${error.reasonCode}): ${error.message}`);
}
console.log(`  requests the server received for it: ${server.requests.length - sentBefore}`);

const [budget] = (await genops.status()).budgets;
console.log(
  `\nBudget "${budget.budget}" for team ${budget.per.team}: ${formatUsdNanosExact(usdToNanos(budget.used))} used today, ` +
    `${server.requests.length} requests sent.`,
);

await genops.shutdown();
await server.close();
await telemetry.shutdown();
