// Governance decisions as OpenTelemetry log records (opt-in: `GenOps.init({ decisionLogs: true })`), for
// teams whose questions are answered in a log backend (Loki, Splunk, Elastic): "which calls were blocked
// today and why?". Fed by the recorder's `onDecision` hook; one record per decision and per settlement,
// flat attributes with the span's names, in the AWU span's trace so a log line links to its trace.
//
// Never in a record: prompt or completion content, provider error text, keys. Only what the span carries
// without content capture: attribution, provider, model, operation, result, reason code, rule, amounts.
import { type Context, isSpanContextValid, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { safely } from '../adapter/safely';
import { type AuditLogger, getAuditLogger } from '../audit/audit-trail';
import { formatUsdExact, usdToMicros } from '../money';
import type { DecisionRecord } from '../pipeline/types';
import * as sc from '../semconv';

/** The AWU id a record is about (the audit trail's `subject`). */
export const ATTR_GENOPS_CALL_ID = 'genops.call.id' as const;
/** `decided` (before the provider is called) or `settled` (after). */
export const ATTR_GENOPS_DECISION_PHASE = 'genops.decision.phase' as const;
/** Event names of the two kinds of record. */
export const EVENT_GENOPS_DECISION = 'genops.decision' as const;
export const EVENT_GENOPS_SETTLEMENT = 'genops.settlement' as const;

/** OpenTelemetry severity numbers (logs data model). */
const INFO = 9;
const WARN = 13;

/** Attribution keys and the span attribute each goes to. */
const ATTRIBUTION_ATTRIBUTES: ReadonlyArray<readonly [string, string]> = [
  ['team', sc.ATTR_GENOPS_TEAM],
  ['project', sc.ATTR_GENOPS_PROJECT],
  ['environment', sc.ATTR_GENOPS_ENVIRONMENT],
  ['customer', sc.ATTR_GENOPS_CUSTOMER_ID],
  ['feature', sc.ATTR_GENOPS_FEATURE],
  ['session', sc.ATTR_GENOPS_SESSION_ID],
  ['costCenter', sc.ATTR_GENOPS_COST_CENTER],
  ['user', sc.ATTR_GENOPS_USER_ID],
];

/** The log record of one decision or settlement (what `Logger.emit` receives). */
export interface DecisionLogRecord {
  eventName: string;
  timestamp: Date;
  severityNumber: number;
  severityText: string;
  body: string;
  attributes: Record<string, string | number | boolean>;
  context: Context;
}

export interface DecisionLogEmitter {
  emit(decision: DecisionRecord): void;
}

/**
 * An emitter that writes each decision record to the logger of `loggerProvider` (else the global logger
 * provider), as logger `@genops/core`. A failure is logged through `diag` and never reaches the call.
 */
export function createDecisionLogEmitter(loggerProvider: unknown, now: () => number = Date.now): DecisionLogEmitter {
  const logger: AuditLogger | undefined = getAuditLogger(loggerProvider);
  return {
    emit(decision) {
      if (!logger) return;
      safely(() => logger.emit(decisionLogRecord(decision, now())), 'decision log record');
    },
  };
}

/** `options` with `onDecision` calling `emitter` first, then the user's own hook (if any). */
export function withDecisionLogs<T extends { onDecision?: ((decision: DecisionRecord) => void) | undefined }>(
  options: T,
  emitter: DecisionLogEmitter,
): T {
  const own = options.onDecision;
  return {
    ...options,
    onDecision: (decision: DecisionRecord) => {
      emitter.emit(decision);
      own?.(decision);
    },
  };
}

/** The log record of `decision` (pure; `at` is the record's timestamp, epoch ms). */
export function decisionLogRecord(decision: DecisionRecord, at: number): DecisionLogRecord {
  const settled = decision.phase === 'settled';
  const attributes: DecisionLogRecord['attributes'] = {
    [ATTR_GENOPS_CALL_ID]: decision.id,
    [ATTR_GENOPS_DECISION_PHASE]: decision.phase,
    [sc.ATTR_GEN_AI_OPERATION_NAME]: decision.operation,
    [sc.ATTR_GEN_AI_PROVIDER_NAME]: decision.provider,
    [sc.ATTR_GEN_AI_REQUEST_MODEL]: decision.model,
    [sc.ATTR_GENOPS_POLICY_RESULT]: decision.result,
    [sc.ATTR_GENOPS_SPEC_VERSION]: sc.GENOPS_SPEC_VERSION,
  };
  const attribution = decision.attribution as Readonly<Record<string, string | undefined>>;
  for (const [key, name] of ATTRIBUTION_ATTRIBUTES) {
    const value = attribution[key];
    if (value) attributes[name] = value;
  }
  if (decision.reasonCode) attributes[sc.ATTR_GENOPS_POLICY_REASON_CODE] = decision.reasonCode;
  if (decision.rule) attributes[sc.ATTR_GENOPS_POLICY_NAME] = decision.rule;
  if (decision.message) attributes[sc.ATTR_GENOPS_POLICY_REASON] = decision.message;
  if (decision.reserved !== undefined) {
    attributes[sc.ATTR_GENOPS_ACCOUNTING_RESERVED] = decision.reserved;
    attributes[sc.ATTR_GENOPS_ACCOUNTING_UNIT] = 'USD';
  }
  if (decision.actual !== undefined) {
    attributes[sc.ATTR_GENOPS_ACCOUNTING_ACTUAL] = decision.actual;
    attributes[sc.ATTR_GENOPS_ACCOUNTING_UNIT] = 'USD';
  }
  if (decision.incomplete !== undefined) attributes[sc.ATTR_GENOPS_ACCOUNTING_INCOMPLETE] = decision.incomplete;
  if (decision.approval) {
    attributes[sc.ATTR_GENOPS_APPROVAL_STATUS] = decision.approval.status;
    if (decision.approval.decidedBy) attributes[sc.ATTR_GENOPS_APPROVAL_DECIDED_BY] = decision.approval.decidedBy;
  }
  const warn = decision.result !== 'ALLOWED' || decision.incomplete === true;
  return {
    eventName: settled ? EVENT_GENOPS_SETTLEMENT : EVENT_GENOPS_DECISION,
    timestamp: new Date(at),
    severityNumber: warn ? WARN : INFO,
    severityText: warn ? 'WARN' : 'INFO',
    body: summary(decision),
    attributes,
    context: traceContext(decision),
  };
}

/** `BLOCKED chat gpt-4o (team=search): POLICY_DENY_MODEL by rule no-gpt4`, `settled chat gpt-4o: $0.0013 of $0.0055`. */
function summary(decision: DecisionRecord): string {
  const call = `${decision.operation} ${decision.model}`;
  const team = decision.attribution.team ? ` (team=${decision.attribution.team})` : '';
  if (decision.phase === 'settled')
    return `settled ${call}${team}: ${usd(decision.actual)} of ${usd(decision.reserved)} reserved${decision.incomplete ? ', incomplete' : ''}`;
  const why = decision.reasonCode ? `: ${decision.reasonCode}${decision.rule ? ` by rule ${decision.rule}` : ''}` : '';
  return `${decision.result} ${call}${team}${why}`;
}

/** `$0.000175`: a USD amount of a decision record, through core's money helpers. */
function usd(amount: number | undefined): string {
  return formatUsdExact(usdToMicros(amount ?? 0));
}

/** The AWU span's context, so the record carries its trace and span ids; the root context without them. */
function traceContext(decision: DecisionRecord): Context {
  const { traceId, spanId } = decision;
  if (!traceId || !spanId) return ROOT_CONTEXT;
  const spanContext = { traceId, spanId, traceFlags: TraceFlags.SAMPLED };
  return isSpanContextValid(spanContext) ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}
