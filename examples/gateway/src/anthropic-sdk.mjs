// The official Anthropic SDK through the GenOps gateway: the base URL is the gateway's origin (the SDK
// appends /v1/messages) and the key is a gateway virtual key. The SDK also reads ANTHROPIC_BASE_URL and
// ANTHROPIC_API_KEY from the environment.
//
//   ANTHROPIC_BASE_URL=http://127.0.0.1:4000 ANTHROPIC_API_KEY=gk-... node src/anthropic-sdk.mjs
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic({
  baseURL: process.env.ANTHROPIC_BASE_URL ?? 'http://127.0.0.1:4000',
  apiKey: process.env.ANTHROPIC_API_KEY, // the virtual key
  maxRetries: 0,
});
const model = process.env.GENOPS_EXAMPLE_CLAUDE ?? 'claude-haiku-4-5';

const message = await client.messages.create({
  model,
  max_tokens: 256,
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
});
const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
console.log(`answer: ${text}`);
console.log(`tokens: ${message.usage.input_tokens} input, ${message.usage.output_tokens} output`);

const stream = client.messages.stream({
  model,
  max_tokens: 256,
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
});
let streamed = '';
stream.on('text', (delta) => {
  streamed += delta;
});
const final = await stream.finalMessage();
console.log(`streamed: ${streamed}`);
console.log(`streamed tokens: ${final.usage.input_tokens} input, ${final.usage.output_tokens} output`);
