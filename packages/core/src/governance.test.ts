import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCompliance, fromReadableSpans } from '@genops/conformance';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withAttribution } from './attribution';
import { readAuditFile } from './audit/jsonl';
import { verifyAuditChain } from './audit/verify';
import type { BudgetAlert } from './config';
import { ApprovalDeniedError, ApprovalTimeoutError } from './errors/approval-denied-error';
import { BudgetExceededError } from './errors/budget-exceeded-error';
import { PolicyViolationError } from './errors/policy-violation-error';
import { RateLimitedError } from './errors/rate-limited-error';
import { ReservationFailedError } from './errors/reservation-failed-error';
import { StoreUnavailableError } from './errors/store-unavailable-error';
import { GenOps } from './genops';
import { settlementsDone } from './pipeline/deferred';
import { MemoryStore } from './store/memory-store';
import type { ApprovalRecord, GovernanceStore } from './store/types';
import { governIterator } from './stream';
import { chatRequest, useCoreTestSetup } from './test-support/core-test-setup';
import type { GovernedRequest, Usage } from './types';

// The governance engine end to end through GenOps.init(): policy files, rate limits, budget actions,
// approvals, alerts, audit and SLA. The execution step stands in for a provider SDK; adapter packages
// run the same pipeline through real SDKs against fake provider servers.

const setup = useCoreTestSetup();
const { init } = setup;

// gpt-4o: 1000 in + 100 out worst case = 2500 + 1000 = 3500 µ$
const chat = (overrides: Partial<GovernedRequest> = {}): GovernedRequest =>
  chatRequest({ editable: { model: true, text: true }, ...overrides });

const USAGE: Usage = { inputTokens: 200, outputTokens: 50 }; // gpt-4o: 500 + 500 = 1000 µ$

async function run(request: GovernedRequest = chat(), usage: Usage = USAGE) {
  const call = await setup.genops!.governor.begin(request);
  await call.end({ usage, response: { id: 'r1', model: request.model, finishReasons: ['stop'] } });
  return call;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to be denied');
}

function lastSpan(): ReadableSpan {
  const spans = setup.spans();
  return spans[spans.length - 1]!;
}

function expectCompliant(spans: ReadableSpan[] = setup.spans()): void {
  const report = checkCompliance(fromReadableSpans(spans));
  expect(report.violations).toEqual([]);
  expect(report.checked).toBe(spans.length);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('rate limits', () => {
  it('requests per window, per dimension: the call over the limit is RATE_LIMITED before it runs', async () => {
    init({
      policy: { version: 1, rules: [{ name: 'rpm', type: 'rate_limit', limit: 2, window: 'minute', per: 'team' }] },
    });
    await run();
    await run();
    const error = await rejection(setup.genops!.governor.begin(chat()));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ rule: 'rpm', limit: 2, unit: 'requests', windowMs: 60_000, result: 'RATE_LIMITED' });
    expect(error.message).toContain('Rate limit "rpm" (rate:rpm|team=eng|rolling) allows 2 requests per minute');
    expect(lastSpan().attributes).toMatchObject({
      'genops.policy.result': 'RATE_LIMITED',
      'genops.policy.reason_code': 'RATE_LIMITED',
      'genops.policy.name': 'rpm',
    });
    // Another team has its own limit.
    await withAttribution({ team: 'search' }, () => run());
    expectCompliant();
  });

  it('tokens per window count the actual tokens once the call settles', async () => {
    init({
      policy: { version: 1, rules: [{ name: 'tpm', type: 'rate_limit', limit: 2000, unit: 'tokens', window: '1m' }] },
    });
    // Worst case 1100 tokens reserved; actual 250 committed each time.
    for (let index = 0; index < 4; index++) await run();
    const lines = await setup.genops!.governor.store.lines('rate:tpm');
    expect(lines).toEqual([expect.objectContaining({ used: 1000, reserved: 0, limit: 2000, unit: 'tokens' })]);
    // 1000 used + 1100 worst case > 2000.
    await expect(setup.genops!.governor.begin(chat())).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('warn mode lets the call run with WARNING RATE_LIMITED; shadow mode only records', async () => {
    init({
      policy: { version: 1, rules: [{ name: 'rpm', type: 'rate_limit', limit: 1, window: 'hour', mode: 'warn' }] },
    });
    await run();
    await run();
    expect(lastSpan().attributes).toMatchObject({
      'genops.policy.result': 'WARNING',
      'genops.policy.reason_code': 'RATE_LIMITED',
    });
    await setup.genops!.shutdown();
    init({
      policy: { version: 1, rules: [{ name: 'rpm', type: 'rate_limit', limit: 1, window: 'hour', mode: 'shadow' }] },
    });
    await run();
    await run();
    expect(lastSpan().attributes).toMatchObject({
      'genops.policy.result': 'ALLOWED',
      'genops.policy.shadow_result': 'RATE_LIMITED',
    });
  });
});

describe('budget actions', () => {
  it('downgrade: a call that does not fit is sent to the cheaper model, recorded on the span', async () => {
    init({
      budgets: [
        {
          name: 'gpt4-budget',
          limit: 0.004,
          window: 'day',
          match: { model: 'gpt-4o' },
          action: 'downgrade',
          downgradeTo: 'gpt-4o-mini',
        },
      ],
    });
    await run(); // 3500 µ$ reserved, 1000 committed
    await run(); // 1000 + 3500 > 4000? no: 1000 + 3500 = 4500 > 4000 → downgraded
    const span = lastSpan();
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.attributes).toMatchObject({
      'gen_ai.request.model': 'gpt-4o-mini',
      'genops.downgrade.original_model': 'gpt-4o',
      'genops.downgrade.budget': 'gpt4-budget',
    });
    const call = await setup.genops!.governor.begin(chat());
    expect(call.edits).toEqual({ model: 'gpt-4o-mini' });
    await call.end({ usage: USAGE });
    expectCompliant();
  });

  it('after a downgrade, only the cheaper model’s shadow findings are recorded', async () => {
    init({
      policy: { version: 1, rules: [{ name: 'no-gpt4o', type: 'model', deny: ['gpt-4o'], mode: 'shadow' }] },
      budgets: [{ name: 'b', limit: 0.001, window: 'day', action: 'downgrade', downgradeTo: 'gpt-4o-mini' }],
    });
    await run();
    const span = lastSpan();
    expect(span.attributes['gen_ai.request.model']).toBe('gpt-4o-mini');
    expect(span.attributes['genops.policy.shadow_rules']).toBeUndefined();
    await setup.genops!.flushAudit();
    const decision = (await setup.genops!.governor.store.readAudit()).find((record) => record.type === 'decision');
    expect(decision?.data).toMatchObject({ downgradedFrom: 'gpt-4o', model: 'gpt-4o-mini' });
    expect(decision?.data.shadow).toBeUndefined();
  });

  it('downgrade needs an SDK call whose model GenOps can change; otherwise the budget blocks', async () => {
    init({ budgets: [{ name: 'b', limit: 0.001, window: 'day', action: 'downgrade', downgradeTo: 'gpt-4o-mini' }] });
    const error = await rejection(setup.genops!.governor.begin(chat({ editable: {} })));
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.message).toContain('this SDK call cannot be downgraded by GenOps');
  });

  it('approval: a call over the budget waits for approval, then runs over the limit with a WARNING', async () => {
    const asked: string[] = [];
    init({
      budgets: [{ name: 'team', limit: 0.001, window: 'day', action: 'approval' }],
      approver: (request) => {
        asked.push(`${request.rule}: ${request.reason}`);
        return { approved: true, approver: 'alice', reason: 'launch day' };
      },
      telemetry: { compatAttributes: true },
    });
    await run();
    expect(asked).toEqual([
      'budget:team: budget "team" (team||2026-11-23) has $0.001 left of $0.001 and this call needs up to $0.0035'.replace(
        '2026-11-23',
        new Date().toISOString().slice(0, 10),
      ),
    ]);
    expect(lastSpan().attributes).toMatchObject({
      'genops.policy.result': 'WARNING',
      'genops.policy.reason_code': 'BUDGET_EXCEEDED',
      'genops.approval.status': 'approved',
      'genops.approval.decided_by': 'alice',
      'genops.governance.authority_constraint': 'approval',
    });
    const [line] = await setup.genops!.governor.store.lines('team|');
    expect(line).toMatchObject({ used: 1_000_000, reserved: 0, limit: 1_000_000 });
  });

  it('a zero-priced model is never blocked by a money budget, even when the budget is spent', async () => {
    init({
      budgets: [{ name: 'all', limit: 0.004, window: 'total' }],
      prices: { openai: { 'free-model': { input: 0, output: 0 } } },
    });
    // Reserved $0.0035, but the provider reported more input than estimated: $0.005 + $0.001 = $0.006 used.
    await run(chat(), { inputTokens: 2000, outputTokens: 100 });
    expect(await setup.genops!.governor.store.lines('all|')).toEqual([
      expect.objectContaining({ used: 6_000_000, limit: 4_000_000 }),
    ]);
    await expect(setup.genops!.governor.begin(chat())).rejects.toBeInstanceOf(BudgetExceededError);
    await run(chat({ model: 'free-model' }));
    expect(lastSpan().attributes).toMatchObject({ 'genops.policy.result': 'ALLOWED', 'genops.accounting.reserved': 0 });
  });

  it('a request without an output cap reserves the model output limit from price data, and the span says so', async () => {
    init({ budgets: [{ name: 'all', limit: 100, window: 'total' }] });
    await run(chat({ maxOutputTokens: undefined }));
    expect(lastSpan().attributes['genops.reservation.output_bound']).toBe('price_data');
  });
});

describe('budget alerts (warnAt)', () => {
  it('fire once per threshold per period: span event, callback and webhook', async () => {
    const received: unknown[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const alerts: BudgetAlert[] = [];
    try {
      init({
        budgets: [{ name: 'daily-eng', limit: 0.004, window: 'day', per: 'team', warnAt: [0.5, 0.75] }],
        alerts: { webhook: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` },
        onBudgetAlert: (alert) => alerts.push(alert),
      });
      // Worst case = actual = 200 × 2.5 + 50 × 10 = 1000 µ$.
      const small = chat({ estimatedInputTokens: 200, maxOutputTokens: 50 });
      await run(small); // 1000 of 4000: 25%
      expect(alerts).toEqual([]);
      await run(small); // 2000: 50% → alert 0.5
      await run(small); // 3000: 75% → alert 0.75
      await run(small); // 4000: over 75% again, no new alert
      const alertEvents = setup
        .spans()
        .flatMap((span) => span.events.filter((event) => event.name === 'genops.budget.alert'));
      expect(alerts.map((alert) => [alert.threshold, alert.used, alert.limit])).toEqual([
        [0.5, 0.002, 0.004],
        [0.75, 0.003, 0.004],
      ]);
      expect(alertEvents.map((event) => event.attributes?.['genops.budget.threshold'])).toEqual([0.5, 0.75]);
      await vi.waitFor(() => expect(received).toHaveLength(2));
      expect(received[0]).toMatchObject({ type: 'genops.budget.alert', budget: 'daily-eng', threshold: 0.5 });
    } finally {
      server.close();
    }
  });

  it('with many matching budgets, each budget alerts on its own threshold, in budget order', async () => {
    const alerts: BudgetAlert[] = [];
    // Budget i (limit (i + 1) × 1000 µ$) crosses its 50% threshold once (i + 1) / 2 calls of 1000 µ$ settled.
    init({
      budgets: Array.from({ length: 200 }, (_, index) => ({
        name: `b${index}`,
        limit: (index + 1) * 0.001,
        window: 'day' as const,
        action: 'warn' as const,
        warnAt: [0.5],
      })),
      onBudgetAlert: (alert) => alerts.push(alert),
    });
    const small = chat({ estimatedInputTokens: 200, maxOutputTokens: 50 });
    await run(small);
    expect(alerts.map((alert) => alert.budget)).toEqual(['b0', 'b1']);
    await run(small);
    expect(alerts.map((alert) => alert.budget)).toEqual(['b0', 'b1', 'b2', 'b3']);
    expect(alerts.every((alert) => alert.threshold === 0.5)).toBe(true);
  });
});

describe('approvals', () => {
  it('a held call resumes when another caller approves it by id (the durable queue)', async () => {
    const pending: ApprovalRecord[] = [];
    const handle = init({ requireApprovalOver: 0.001, onApprovalRequired: (record) => void pending.push(record) });
    const call = setup.genops!.governor.begin(chat());
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    expect(pending[0]).toMatchObject({ status: 'pending', rule: 'requireApprovalOver', estimatedCostUsd: 0.0035 });
    expect(await handle.approvals.list({ status: 'pending' })).toHaveLength(1);
    await handle.approvals.approve(pending[0]!.id, { by: 'bob', reason: 'ok for the demo' });
    const started = await call;
    await started.end({ usage: USAGE });
    expect(lastSpan().attributes).toMatchObject({
      'genops.approval.status': 'approved',
      'genops.approval.decided_by': 'bob',
    });
    expect(await handle.approvals.get(pending[0]!.id)).toMatchObject({
      status: 'approved',
      decidedBy: 'bob',
      decisionReason: 'ok for the demo',
    });
  });

  it('a denial by id fails the held call with ApprovalDeniedError carrying who and why', async () => {
    const handle = init({
      requireApprovalOver: 0.001,
      onApprovalRequired: (record) => void handle.approvals.deny(record.id, { by: 'carol', reason: 'too expensive' }),
    });
    const error = await rejection(setup.genops!.governor.begin(chat()));
    expect(error).toBeInstanceOf(ApprovalDeniedError);
    expect(error).not.toBeInstanceOf(ApprovalTimeoutError);
    expect(error).toMatchObject({ decidedBy: 'carol', reason: 'too expensive', reasonCode: 'x_approval_denied' });
    expect(await setup.genops!.governor.store.openReservations()).toBe(0);
  });

  it('times out with the configured decision: deny → ApprovalTimeoutError, approve → the call runs', async () => {
    init({ requireApprovalOver: 0.001, approvalTimeoutMs: 50, onApprovalRequired: () => undefined });
    const error = await rejection(setup.genops!.governor.begin(chat()));
    expect(error).toBeInstanceOf(ApprovalTimeoutError);
    expect(ApprovalDeniedError.isInstance(error)).toBe(true);
    expect(error.message).toContain('timed out after 50 ms');
    expect(lastSpan().attributes).toMatchObject({
      'genops.approval.status': 'timed_out',
      'genops.policy.reason_code': 'x_approval_timeout',
    });
    await setup.genops!.shutdown();
    init({
      requireApprovalOver: 0.001,
      approvalTimeoutMs: 50,
      approvalTimeoutDecision: 'approve',
      onApprovalRequired: () => undefined,
    });
    await run();
    expect(lastSpan().attributes).toMatchObject({
      'genops.approval.status': 'approved',
      'genops.approval.decided_by': 'timeout',
    });
  });

  it('tool rules hold a tool call for approval', async () => {
    const reasons: string[] = [];
    init({
      policy: { version: 1, rules: [{ name: 'deploys', type: 'tool', requireApproval: ['deploy_*'] }] },
      prices: { mcp: { deploy_prod: { input: 0, output: 0 } } },
      approver: (request) => {
        reasons.push(request.reason);
        return false;
      },
    });
    const tool: GovernedRequest = {
      provider: 'mcp',
      operation: 'execute_tool',
      model: 'deploy_prod',
      estimatedInputTokens: 10,
      maxOutputTokens: 0,
      tool: { name: 'deploy_prod' },
    };
    await expect(setup.genops!.governor.begin(tool)).rejects.toBeInstanceOf(ApprovalDeniedError);
    expect(reasons).toEqual(['tool "deploy_prod" requires approval (rule "deploys")']);
  });
});

describe('audit trail', () => {
  it('records every decision, reservation, approval and settlement in one verifiable hash chain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genops-audit-'));
    const file = join(dir, 'audit.jsonl');
    init({
      budgets: [{ name: 'all', limit: 1, window: 'total' }],
      requireApprovalOver: 0.003,
      approver: () => true,
      policy: { version: 1, rules: [{ name: 'no-o1', type: 'model', deny: ['o1*'] }] },
      audit: { file },
    });
    await run();
    await rejection(setup.genops!.governor.begin(chat({ model: 'o1-preview' })));
    await setup.genops!.flushAudit();
    const records = await setup.genops!.governor.store.readAudit();
    expect(records.map((record) => record.type)).toEqual([
      'policy',
      'reservation',
      'approval',
      'approval',
      'decision',
      'settlement',
      'decision',
    ]);
    expect(records[0]!.data).toMatchObject({ source: 'init', rules: 1, budgets: 1 });
    expect(records[3]!.data).toMatchObject({ status: 'approved', decidedBy: 'approver', rule: 'requireApprovalOver' });
    expect(records[4]!.data).toMatchObject({
      result: 'ALLOWED',
      model: 'gpt-4o',
      reservedUsd: 0.0035,
      approval: 'approved',
    });
    expect(records[5]!.data).toMatchObject({ actualUsd: 0.001, reservedUsd: 0.0035, incomplete: false });
    expect(records[6]!.data).toMatchObject({ result: 'BLOCKED', reasonCode: 'POLICY_DENY_MODEL', rule: 'no-o1' });
    expect(await verifyAuditChain(records)).toMatchObject({ ok: true, checked: 7 });
    // The JSONL mirror verifies too, and an edited line is caught.
    expect(await verifyAuditChain(readAuditFile(file))).toMatchObject({ ok: true, checked: 7 });
    writeFileSync(file, readFileSync(file, 'utf8').replace('"actualUsd":0.001', '"actualUsd":0.0001'));
    const tampered = await verifyAuditChain(readAuditFile(file));
    expect(tampered.ok).toBe(false);
    expect(tampered.problems[0]).toMatchObject({ seq: 6, kind: 'edited' });
  });
});

describe('audit trail, one record per admission', () => {
  it('writes a reservation made with no approval wait into the decision record: two records per call', async () => {
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    await run();
    await setup.genops!.flushAudit();
    const records = await setup.genops!.governor.store.readAudit();
    expect(records.map((record) => record.type)).toEqual(['policy', 'decision', 'settlement']);
    expect(records[1]!.data).toMatchObject({
      result: 'ALLOWED',
      model: 'gpt-4o',
      reservedUsd: 0.0035,
      reservedNanos: 3_500_000,
      leaseMs: expect.any(Number),
      lines: [{ key: expect.stringMatching(/^all\|/), unit: 'USD', amount: 3_500_000, enforce: true }],
    });
    expect(await verifyAuditChain(records)).toMatchObject({ ok: true, checked: 3 });
  });
});

describe('audit file across restarts', () => {
  it('a new process continues the chain in the audit file instead of restarting at seq 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genops-audit-'));
    const file = join(dir, 'audit.jsonl');
    for (let process = 0; process < 2; process++) {
      init({ budgets: [{ name: 'all', limit: 1, window: 'total' }], audit: { file } });
      await run();
      await setup.genops!.shutdown();
      setup.forget();
    }
    const verification = await verifyAuditChain(readAuditFile(file));
    // Per process: its policy record, then the call's decision (with its reservation) and settlement.
    expect(verification).toMatchObject({ ok: true, checked: 6, firstSeq: 1, lastSeq: 6 });
  });
});

describe('audit records as OpenTelemetry log records', () => {
  it('emits one log record per audit record, with the chain fields as attributes', async () => {
    const logs = new InMemoryLogRecordExporter();
    const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
    init({ budgets: [{ name: 'all', limit: 1, window: 'total' }], loggerProvider });
    await run();
    await setup.genops!.flushAudit();
    const records = logs.getFinishedLogRecords();
    expect(records.map((record) => record.eventName)).toEqual([
      'genops.audit.policy',
      'genops.audit.decision',
      'genops.audit.settlement',
    ]);
    const stored = await setup.genops!.governor.store.readAudit();
    expect(records.map((record) => record.attributes['genops.audit.hash'])).toEqual(
      stored.map((record) => record.hash),
    );
    expect(records[2]!.attributes).toMatchObject({ 'genops.audit.seq': 3, 'genops.audit.data.actualUsd': 0.001 });
    await loggerProvider.shutdown();
  });
});

describe('SLA', () => {
  it('records genops.sla.* on every matching call and SLA_LATENCY_VIOLATION on a slow one', async () => {
    // Targets far from the call's real latency in both directions, so a loaded machine cannot flip them.
    init({
      policy: {
        version: 1,
        rules: [
          { name: 'batch', type: 'sla', latencyMs: 60_000, tier: 'bronze', when: { team: 'eng' } },
          { name: 'interactive', type: 'sla', latencyMs: 20, tier: 'gold', when: { team: 'search' } },
        ],
      },
    });
    await run();
    expect(lastSpan().attributes).toMatchObject({
      'genops.sla.tier': 'bronze',
      'genops.sla.latency_target_ms': 60_000,
      'genops.sla.met': true,
    });
    const call = await withAttribution({ team: 'search' }, () => setup.genops!.governor.begin(chat()));
    // Wait past 40 ms: a timer may fire a millisecond early by performance.now()'s clock.
    await new Promise((resolve) => setTimeout(resolve, 45));
    await call.end({ usage: USAGE });
    const span = lastSpan();
    expect(span.attributes['genops.sla.tier']).toBe('gold');
    expect(span.attributes['genops.sla.met']).toBe(false);
    expect(span.attributes['genops.sla.actual_latency_ms']).toBeGreaterThanOrEqual(40);
    expect(span.events.find((event) => event.name === 'genops.sla.violation')?.attributes).toMatchObject({
      'genops.policy.reason_code': 'SLA_LATENCY_VIOLATION',
      'genops.policy.name': 'interactive',
    });
    expectCompliant();
  });
});

describe('output content rules on streams', () => {
  it('stop the stream before the chunk carrying a secret reaches the caller', async () => {
    init({
      policy: { version: 1, rules: [{ name: 'no-keys-out', type: 'content', detect: ['secret'], scope: 'output' }] },
    });
    const call = await setup.genops!.governor.begin(chat({ stream: true }));
    const chunks = [
      'Here is the key: sk-proj-',
      'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGhIj2kLm5nOp8qRs1tUv4wXy7z',
      ' and more',
    ];
    const source = async function* () {
      yield* chunks;
    };
    const iterate = governIterator(call, () => source()[Symbol.asyncIterator](), {
      onChunk: () => undefined,
      outcome: () => ({ usage: { inputTokens: 10, outputTokens: 20 } }),
      text: (chunk: string) => chunk,
    });
    const seen: string[] = [];
    const iterator = iterate();
    const error = await rejection(
      (async () => {
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          seen.push(next.value);
        }
      })(),
    );
    expect(error).toBeInstanceOf(PolicyViolationError);
    expect(error.message).toContain('1 secret');
    expect(error.message).not.toContain('sk-proj');
    expect(seen).toEqual(['Here is the key: sk-proj-']);
    expect(lastSpan().attributes).toMatchObject({
      'genops.execution.reason_code': 'POLICY_DENY_CONTENT',
      'genops.accounting.incomplete': true,
    });
  });
});

describe('policy file', () => {
  it('is reloaded atomically when it changes; a bad edit keeps the last good policy and reports why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genops-policy-'));
    const file = join(dir, 'genops.policy.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  - name: no-o1\n    type: model\n    deny: ["o1*"]\n');
    const errors: Error[] = [];
    const handle = init({ policy: file, onPolicyError: (error) => errors.push(error) });
    const first = handle.policyVersion;
    await run(); // gpt-4o allowed
    // Replace the file as editors do (write a temp file, rename over).
    writeFileSync(`${file}.tmp`, 'version: 1\nrules:\n  - name: no-gpt4\n    type: model\n    deny: ["gpt-4o*"]\n');
    renameSync(`${file}.tmp`, file);
    await vi.waitFor(() => expect(handle.policyVersion).not.toBe(first), { timeout: 5_000 });
    await expect(setup.genops!.governor.begin(chat())).rejects.toBeInstanceOf(PolicyViolationError);
    const second = handle.policyVersion;
    writeFileSync(file, 'version: 1\nrules:\n  - name: broken\n    type: model\n    deny: "gpt-[4o"\n');
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 5_000 });
    expect(errors[0]!.message).toMatch(/genops\.policy\.yaml:5:/);
    expect(handle.policyVersion).toBe(second);
    await expect(setup.genops!.governor.begin(chat())).rejects.toBeInstanceOf(PolicyViolationError);
  });

  it('a bad policy file at init throws and leaves GenOps unconfigured', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genops-policy-'));
    const file = join(dir, 'genops.policy.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  - name: x\n    type: modle\n');
    expect(() => init({ policy: file })).toThrow(/genops\.policy\.yaml:4:11/);
    expect(GenOps.current).toBeUndefined();
    setup.forget();
  });
});

/**
 * A real MemoryStore behind a switch that makes every call fail as an unreachable server would: the
 * stand-in for a store outage (the SQLite and Redis packages test real outages of real servers).
 */
function switchableStore(failMode: 'closed' | 'open'): {
  store: GovernanceStore;
  inner: MemoryStore;
  down: { value: boolean };
} {
  const inner = new MemoryStore();
  const down = { value: false };
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'failMode') return failMode;
      if (property === 'kind') return 'switchable';
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (down.value && property !== 'close') return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6390'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as unknown as GovernanceStore;
  return { store, inner, down };
}

describe('store outages', () => {
  it('failMode closed (default): the call is denied with StoreUnavailableError and never runs', async () => {
    const { store, down } = switchableStore('closed');
    init({ store, budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    down.value = true;
    const error = await rejection(setup.genops!.governor.begin(chat()));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(ReservationFailedError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ store: 'switchable', operation: 'reserve', reasonCode: 'BUDGET_RESERVATION_FAILED' });
    expect(error.message).toContain('ECONNREFUSED 127.0.0.1:6390');
    expect(error.message).toContain("set failMode: 'open'");
    down.value = false;
  });

  it('failMode open: the call runs, the span says so, and its cost is committed when the store is back', async () => {
    const { store, inner, down } = switchableStore('open');
    init({ store, budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    down.value = true;
    await run(); // actual 1000 µ$
    expect(lastSpan().attributes).toMatchObject({
      'genops.store.fail_open': true,
      'genops.policy.result': 'WARNING',
      'genops.policy.reason_code': 'BUDGET_RESERVATION_FAILED',
    });
    expect(setup.genops!.governor.journal.size).toBe(1);
    await setup.genops!.governor.journal.replay(); // still down: kept
    expect(setup.genops!.governor.journal.size).toBe(1);
    down.value = false;
    await setup.genops!.governor.journal.replay();
    expect(setup.genops!.governor.journal.size).toBe(0);
    expect(await inner.lines('all|')).toEqual([expect.objectContaining({ used: 1_000_000, reserved: 0 })]);
    expectCompliant();
  });

  it('a settlement the store cannot take is journaled and replayed: nothing is lost, nothing stays reserved', async () => {
    const { store, inner, down } = switchableStore('closed');
    init({ store, budgets: [{ name: 'all', limit: 1, window: 'total' }] });
    const call = await setup.genops!.governor.begin(chat());
    down.value = true;
    await call.end({ usage: USAGE });
    // The store answers asynchronously: the caller did not wait for the settlement (the audit record
    // cannot reach the store while it is down, so this waits for the settlement alone, not flush()).
    await settlementsDone();
    expect(setup.genops!.governor.journal.size).toBe(1);
    down.value = false;
    await setup.genops!.governor.journal.replay();
    expect(await inner.lines('all|')).toEqual([expect.objectContaining({ used: 1_000_000, reserved: 0 })]);
    expect(await inner.openReservations()).toBe(0);
  });

  it('a journal file survives a restart and is replayed by the next process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genops-journal-'));
    const journalFile = join(dir, 'journal.jsonl');
    const { store, inner, down } = switchableStore('open');
    init({ store, budgets: [{ name: 'all', limit: 1, window: 'total' }], journalFile });
    down.value = true;
    await run();
    await setup.genops!.shutdown(); // the store is still down: the settlement stays in the file
    setup.forget();
    expect(readFileSync(journalFile, 'utf8').trim().split('\n')).toHaveLength(1);
    down.value = false;
    init({ store, budgets: [{ name: 'all', limit: 1, window: 'total' }], journalFile });
    await setup.genops!.governor.journal.replay();
    expect(await inner.lines('all|')).toEqual([expect.objectContaining({ used: 1_000_000 })]);
    expect(readFileSync(journalFile, 'utf8')).toBe('');
  });
});

describe('store URLs', () => {
  it('an unknown store URL is a ConfigError that names the option and the accepted forms, without the password', () => {
    expect(() => init({ store: 'ftp://admin:s3cret@example.com' })).toThrow(
      /store.*unknown store "ftp:\/\/admin:\*\*\*@example\.com".*"sqlite:<path>"/s,
    );
    setup.forget();
  });

  it('GENOPS_STORE chooses the store when the option is not set', () => {
    process.env.GENOPS_STORE = 'memory';
    try {
      init();
      expect(setup.genops!.governor.store.kind).toBe('memory');
    } finally {
      delete process.env.GENOPS_STORE;
    }
  });
});
