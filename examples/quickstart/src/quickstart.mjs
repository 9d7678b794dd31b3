// The README quick start, verbatim in spirit: init GenOps, then use the OpenAI SDK as usual.
// Run against the fake server with `npm run demo`, or against OpenAI with OPENAI_API_KEY set.
import { GenOps } from '@genops/core';
import OpenAI from 'openai';

GenOps.init({ dailyBudgetLimit: 100, requireApprovalOver: 50, enablePolicyEnforcement: true, exporter: 'console' });

const client = new OpenAI(); // now governed: priced, budgeted, policy-checked, traced
const response = await client.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hello!' }],
  max_tokens: 100,
});
console.log(response.choices[0]?.message.content);
await GenOps.current?.shutdown();
