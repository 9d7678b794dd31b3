// `pnpm --filter @genops/example-governance start`: the governance engine end to end with the real
// `openai` SDK, no API key and no network. A policy file redacts personal data, blocks secrets,
// rate-limits a team, downgrades a premium model past its budget and holds expensive calls for
// approval; every decision lands in a hash-chained audit file that is verified at the end.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GenOps, GenOpsError, readAuditFile, verifyAuditChain, withAttribution } from '@genops/core';
import { createTestTelemetry, startFakeOpenAI } from '@genops/testing';
import OpenAI from 'openai';

const server = await startFakeOpenAI();
const telemetry = createTestTelemetry();
const auditFile = join(mkdtempSync(join(tmpdir(), 'genops-example-')), 'audit.jsonl');

const genops = GenOps.init({
  policy: fileURLToPath(new URL('../genops.policy.yaml', import.meta.url)),
  audit: { file: auditFile },
  defaults: { project: 'governance-example', environment: 'development' },
  approver: (request) => {
    console.log(`  approval asked: ${request.reason}`);
    return { approved: true, approver: 'alice@example.com', reason: 'month-end report' };
  },
  tracerProvider: telemetry.tracerProvider,
  meterProvider: telemetry.meterProvider,
});
const client = new OpenAI({ apiKey: 'not-needed', baseURL: server.url, maxRetries: 0 });
const ask = (content, extra = {}) =>
  client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }], max_tokens: 50, ...extra });
const lastSpan = () => telemetry.spans().at(-1);

console.log(`Policy version ${genops.policyVersion}\n`);

console.log('1. Redaction: personal data is rewritten before the request leaves the process');
await withAttribution({ team: 'support' }, () =>
  ask('Refund card 4111 1111 1111 1111 for jane.doe@example.com, order ORD-2024-000123.'),
);
console.log(`  the provider received: ${JSON.stringify(server.requests.at(-1).body.messages[0].content)}`);
console.log(`  span: ${lastSpan().attributes['genops.content.redactions'].join(', ')}\n`);

console.log('2. A secret is never sent');
try {
  await withAttribution({ team: 'support' }, () =>
    ask(`Use the key sk-proj-${'Ab3dEf6hIj9kLm2n'.repeat(3)} to call it`),
  );
} catch (error) {
  console.log(`  ${error.name} (${error.reasonCode}): ${error.message}\n`);
}

console.log('3. Downgrade: past the premium budget, gpt-4o calls go to gpt-4o-mini');
for (let index = 0; index < 3; index++) {
  await withAttribution({ team: 'support' }, () => ask('Summarise this ticket.', { max_tokens: 60 }));
  console.log(`  call ${index + 1}: sent to ${server.requests.at(-1).body.model} (span ${lastSpan().name})`);
}
console.log('');

console.log('4. Rate limit: research may make 3 requests a minute');
for (let index = 0; index < 4; index++) {
  try {
    await withAttribution({ team: 'research' }, () => ask('Next experiment?', { model: 'gpt-4o-mini' }));
    console.log(`  request ${index + 1}: ok`);
  } catch (error) {
    if (!GenOpsError.isInstance(error)) throw error;
    console.log(`  request ${index + 1}: ${error.name} (${error.reasonCode})`);
  }
}
console.log('');

console.log('5. Approval: a call that may cost more than $0.05 waits for a decision');
await withAttribution({ team: 'finance' }, () =>
  ask('Write the month-end report.', { model: 'gpt-5', max_tokens: 8000 }),
);
console.log(
  `  ${lastSpan().attributes['genops.approval.status']} by ${lastSpan().attributes['genops.approval.decided_by']}\n`,
);

await genops.flushAudit();
const verification = await verifyAuditChain(readAuditFile(auditFile));
console.log(
  `6. Audit: ${verification.checked} hash-chained records, chain ${verification.ok ? 'intact' : 'BROKEN'} (${auditFile})`,
);
console.log('   check it yourself: npx genops audit verify --file <that file>');

await genops.shutdown();
await server.close();
await telemetry.shutdown();
