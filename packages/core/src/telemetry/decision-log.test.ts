import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import type { GenOpsOptions } from '../config';
import { chatRequest, useCoreTestSetup } from '../test-support/core-test-setup';

// `decisionLogs: true`: every decision and settlement as an OpenTelemetry log record, read back with the
// logs SDK's in-memory exporter, in the trace of the call's span.

const logExporter = new InMemoryLogRecordExporter();
const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
const setup = useCoreTestSetup();
afterEach(() => logExporter.reset());

function init(options: GenOpsOptions = {}) {
  return setup.init({
    loggerProvider,
    exporter: 'none',
    audit: false,
    defaults: { team: 'search', project: 'ranker', environment: 'prod', customer: 'acme' },
    ...options,
  });
}

const decisionRecords = () =>
  logExporter
    .getFinishedLogRecords()
    .filter((record) => record.eventName?.startsWith('genops.decision') || record.eventName === 'genops.settlement');

describe('decision log records', () => {
  it('an allowed call: a decision record and a settlement record with the span attributes, in its trace', async () => {
    const decided: string[] = [];
    const genops = init({ decisionLogs: true, onDecision: (decision) => decided.push(decision.phase) });
    const call = await genops.governor.begin(chatRequest());
    await call.end({ usage: { inputTokens: 50, outputTokens: 5 } });

    // The user's own hook still runs, after the emitter.
    expect(decided).toEqual(['decided', 'settled']);
    const [decision, settlement] = decisionRecords();
    const span = setup.lastSpan();
    expect(decision).toMatchObject({
      eventName: 'genops.decision',
      severityNumber: 9,
      severityText: 'INFO',
      body: 'ALLOWED chat gpt-4o (team=search)',
      spanContext: { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId },
    });
    expect(decision!.attributes).toEqual({
      'genops.call.id': call.id,
      'genops.decision.phase': 'decided',
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'genops.policy.result': 'ALLOWED',
      'genops.spec.version': '0.1.0',
      'genops.team': 'search',
      'genops.project': 'ranker',
      'genops.environment': 'prod',
      'genops.customer_id': 'acme',
      'genops.accounting.reserved': span.attributes['genops.accounting.reserved'],
      'genops.accounting.unit': 'USD',
    });
    expect(settlement).toMatchObject({ eventName: 'genops.settlement', severityText: 'INFO' });
    expect(settlement!.attributes).toMatchObject({
      'genops.decision.phase': 'settled',
      'genops.accounting.actual': span.attributes['genops.accounting.actual'],
      'genops.accounting.incomplete': false,
    });
    // chatRequest(): 1000 in + 100 out reserved at $2.50/$10 per 1M = $0.0035; 50 in + 5 out used = $0.000175.
    expect(settlement!.body).toBe('settled chat gpt-4o (team=search): $0.000175 of $0.0035 reserved');
  });

  it('a blocked call: WARN with reason code and rule, and no prompt content or secret in any record', async () => {
    const email = 'jane.doe@example.com';
    const secret = `sk-proj-${'Ab3dE5gH7jK9mN1pQ3sT5vX7zB9cD1fG3hJ5'}`;
    const genops = init({
      decisionLogs: true,
      captureContent: false,
      policy: { version: 1, rules: [{ name: 'no-pii', type: 'content', detect: ['email', 'secret'], action: 'deny' }] },
    });
    await expect(
      genops.governor.begin(chatRequest({ text: () => [`mail ${email} the key ${secret}`] })),
    ).rejects.toMatchObject({ reasonCode: 'POLICY_DENY_CONTENT' });

    const records = decisionRecords();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      eventName: 'genops.decision',
      severityNumber: 13,
      severityText: 'WARN',
      body: 'BLOCKED chat gpt-4o (team=search): POLICY_DENY_CONTENT by rule no-pii',
    });
    expect(records[0]!.attributes).toMatchObject({
      'genops.policy.result': 'BLOCKED',
      'genops.policy.reason_code': 'POLICY_DENY_CONTENT',
      'genops.policy.name': 'no-pii',
    });
    const everything = JSON.stringify(records.map((record) => [record.body, record.attributes]));
    expect(everything).not.toContain(email);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain('jane.doe');
  });

  it('is opt-in: without decisionLogs no decision record is emitted', async () => {
    const genops = init();
    const call = await genops.governor.begin(chatRequest());
    await call.end({ usage: { inputTokens: 5, outputTokens: 5 } });
    expect(decisionRecords()).toEqual([]);
  });
});
