import type { DecisionAuditFields, SettlementAuditFields } from '../call-records';

/** One record of {@link auditCalls}: the fields the recorder hands to `decisionAuditEntry` / `settlementAuditEntry`. */
export type AuditCallRecord =
  | { type: 'decision'; at: number; subject: string; fields: DecisionAuditFields }
  | { type: 'settlement'; at: number; subject: string; fields: SettlementAuditFields };

/**
 * Eight calls' decision and settlement records, shaped as the call recorder writes them: the ordinary case,
 * every optional field, strings that need escaping (and `,"seq":` inside strings), attribution that is not in
 * sorted order (integer-like keys, unsorted), numbers JSON does not keep (`-0`, `NaN`, infinity), empty
 * members. audit-calls-v1.jsonl is what main 4a7e4b6 (before the call records were serialised by hand)
 * wrote for them: each record recorded as a plain entry `{type, at, subject, data: fields}` into an
 * `AuditTrail` over a `MemoryStore` whose clock is the first record's time, with `file` set, then `close()`.
 */
export function auditCalls(): AuditCallRecord[] {
  const out: AuditCallRecord[] = [];
  let at = Date.UTC(2026, 11, 6, 9, 0, 0);
  const lines = [
    { amount: 66_600, enforce: true, key: 'daily||2026-12-06', unit: 'USD' },
    { amount: 66_600, enforce: false, key: 'per-team|team=bench|2026-12-06', unit: 'USD' },
  ];
  // Members without a value left out here (the recorder writes them as `undefined`: the same record).
  const base: DecisionAuditFields = {
    attribution: Object.freeze({ environment: 'benchmark', project: 'overhead', team: 'bench' }),
    leaseMs: 600_000,
    lines,
    model: 'gpt-4o-mini',
    operation: 'chat',
    policyVersion: 'aa5ad269dfed',
    provider: 'openai',
    reservedNanos: 66_600,
    reservedUsd: 0.0000666,
    result: 'ALLOWED',
  };
  const settled: SettlementAuditFields = {
    actualNanos: 9_000,
    actualTokens: 30,
    actualUsd: 0.000009,
    error: undefined,
    estimated: false,
    incomplete: false,
    leaseOpen: true,
    outputBlocked: undefined,
    reservedNanos: 66_600,
    reservedUsd: 0.0000666,
    violation: undefined,
  };
  const decisions: DecisionAuditFields[] = [
    base,
    {
      approval: 'approved',
      attribution: base.attribution,
      downgradedFrom: 'gpt-4o',
      model: 'gpt-4o-mini',
      operation: 'chat',
      policyVersion: 'aa5ad269dfed',
      provider: 'openai',
      reasonCode: 'POLICY_DENY_MODEL',
      redactions: { email: 2, phone: 1 },
      result: 'BLOCKED',
      rule: 'deny-gpt-4o',
      shadow: ['shadow-rule'],
      tool: 'search',
    },
    {
      ...base,
      attribution: { seq: '1', team: 'é\u2028 "q" \\', user: 'lone \ud800 surrogate' },
      model: 'ü ✓ "q"\\,"seq":2',
    },
    { ...base, attribution: { '10': 'a', '9': 'b', team: 'x' } },
    { ...base, attribution: { team: 't', project: 'p' } },
    { ...base, reservedUsd: 1e-7, reservedNanos: 1e21, leaseMs: -0 },
    { ...base, reservedUsd: Number.NaN, leaseMs: Number.POSITIVE_INFINITY },
    { ...base, attribution: {}, shadow: [], redactions: {}, lines: [] },
  ];
  const settlements: SettlementAuditFields[] = [
    settled,
    {
      ...settled,
      error: 'timeout',
      outputBlocked: 'OUTPUT_POLICY',
      violation: { problems: ['inputTokens:negative', 'outputTokens:over_cap'], reasonCode: 'ACCOUNTING_INVARIANT_VIOLATION' },
    },
    { ...settled, actualUsd: Number.NaN, actualTokens: -0 },
    { ...settled, estimated: true, incomplete: true, leaseOpen: false, actualNanos: 1e21, actualUsd: 1e12 },
    settled,
    settled,
    settled,
    settled,
  ];
  decisions.forEach((decision, index) => {
    const subject = index === 2 ? 'call "2",\\"seq\\":9,"seq":8' : `0000000${index}-aaaa-4bbb-8ccc-${String(index).padStart(12, '0')}`;
    at += 5;
    out.push({ type: 'decision', at, subject, fields: decision });
    at += 3;
    out.push({ type: 'settlement', at, subject, fields: settlements[index] as SettlementAuditFields });
  });
  return out;
}
