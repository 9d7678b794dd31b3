// The official OpenAI SDK through the GenOps gateway: only the base URL and the key change (a gateway
// virtual key; the gateway holds the provider key). No GenOps package in this process: the gateway
// governs every call. The SDK also reads OPENAI_BASE_URL and OPENAI_API_KEY from the environment.
//
//   OPENAI_BASE_URL=http://127.0.0.1:4000/v1 OPENAI_API_KEY=gk-... node src/openai-sdk.mjs
import OpenAI from 'openai';

const client = new OpenAI({
  baseURL: process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:4000/v1',
  apiKey: process.env.OPENAI_API_KEY, // the virtual key
  maxRetries: 0, // a governance refusal (403, 429 with x-genops-*) is final: do not retry it
});
const model = process.env.GENOPS_EXAMPLE_MODEL ?? 'gpt-4o-mini';

const completion = await client.chat.completions.create({
  model,
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
});
console.log(`answer: ${completion.choices[0]?.message.content}`);
console.log(`tokens: ${completion.usage?.prompt_tokens} input, ${completion.usage?.completion_tokens} output`);

const stream = await client.chat.completions.create({
  model,
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
  stream: true,
  stream_options: { include_usage: true },
});
let streamed = '';
for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
console.log(`streamed: ${streamed}`);

try {
  await client.chat.completions.create({ model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'Hi' }] });
} catch (error) {
  if (!(error instanceof OpenAI.APIError)) throw error;
  // The refusal as an OpenAI error: the GenOps status, reason and headers.
  const genops = [...error.headers.entries()].filter(([name]) => name.startsWith('x-genops-'));
  console.log(`refused: ${error.status} ${error.code ?? error.type}: ${error.message}`);
  for (const [name, value] of genops) console.log(`  ${name}: ${value}`);
}
