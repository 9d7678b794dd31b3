// Stage: hold a call for approval (a cost threshold, a tool rule, or a budget whose action is approval).
import { diag } from '@opentelemetry/api';
import { type ApprovalAsk, holdForApproval } from '../approval/approvals';
import { ApprovalDeniedError, ApprovalTimeoutError } from '../errors/approval-denied-error';
import { formatUsdNanosExact, nanosToUsd } from '../money';
import type { PolicyEvaluation } from '../policy/policy-engine';
import type { ApprovalRecord, GovernanceStore } from '../store/types';
import type { StageContext } from './context';
import { storeUnavailable } from './deny';
import type { ApprovalInfo, Decision, Unit } from './types';

/** What approval a call needs before it runs (cost threshold or tool rule), if any. */
export function approvalAsk(unit: Unit, evaluation: PolicyEvaluation, reservedNanos: number): ApprovalAsk | undefined {
  const { overNanos, overUsd } = unit.policy.approvals;
  if (overNanos !== undefined && reservedNanos > overNanos)
    return askFor(
      unit,
      reservedNanos,
      'requireApprovalOver',
      `may cost ${formatUsdNanosExact(reservedNanos)}, over the approval threshold of $${overUsd} (requireApprovalOver / approvals.over)`,
    );
  if (evaluation.approval) return askFor(unit, reservedNanos, evaluation.approval.rule, evaluation.approval.reason);
  return undefined;
}

/** Whether {@link approvalAsk} asks for an approval (without building the ask). */
export function needsApproval(unit: Unit, evaluation: PolicyEvaluation, reservedNanos: number): boolean {
  const { overNanos } = unit.policy.approvals;
  return (overNanos !== undefined && reservedNanos > overNanos) || evaluation.approval !== undefined;
}

export function askFor(unit: Unit, reservedNanos: number, rule: string, reason: string): ApprovalAsk {
  const { request } = unit;
  const attribution: Record<string, string> = {};
  for (const [key, value] of Object.entries(unit.attribution)) if (value !== undefined) attribution[key] = value;
  return {
    id: unit.id,
    reason,
    rule,
    provider: request.provider,
    model: request.model,
    operation: request.tool ? `${request.operation} ${request.tool.name}` : request.operation,
    attribution,
    estimatedCostUsd: nanosToUsd(reservedNanos),
  };
}

/** Holds the call for approval; on a denial or timeout, releases the reservation and denies. */
export async function approve(
  context: StageContext,
  unit: Unit,
  ask: ApprovalAsk,
  reservedNanos: number,
  hasLines: boolean,
): Promise<ApprovalInfo> {
  const { store, recorder, settings } = context;
  const policySettings = unit.policy.approvals;
  recorder.approvalRequested(unit, ask, reservedNanos);
  let record: ApprovalRecord;
  try {
    record = await holdForApproval(
      store,
      ask,
      {
        timeoutMs: policySettings.timeoutMs,
        onTimeout: policySettings.onTimeout,
        approver: settings.approver,
        onApprovalRequired: settings.onApprovalRequired,
        thresholdUsd: ask.rule === 'requireApprovalOver' ? (policySettings.overUsd ?? 0) : 0,
        ...(!settings.approver && !settings.onApprovalRequired && store.kind === 'memory'
          ? {
              denyAtOnce:
                'no approver is configured (GenOps.init({ approver }) or onApprovalRequired), and no other process shares the in-memory store to decide',
            }
          : {}),
      },
      { request: unit.request, attribution: unit.attribution },
    );
  } catch (cause) {
    await releaseQuietly(store, unit.id, hasLines);
    const message = `The governance store (${store.kind}) could not hold approval ${unit.id}: ${(cause as Error)?.message ?? cause}. The call was denied: an approval needs the store.`;
    throw storeUnavailable(context, unit, 'approval', message, cause);
  }
  const approval: ApprovalInfo = {
    status: record.status === 'approved' ? 'approved' : record.status === 'timed_out' ? 'timed_out' : 'denied',
    ...(record.decidedBy ? { decidedBy: record.decidedBy } : {}),
    ...(record.decisionReason ? { reason: record.decisionReason } : {}),
  };
  recorder.approvalDecided(unit, ask, approval);
  if (approval.status === 'approved') return approval;
  await releaseQuietly(store, unit.id, hasLines);
  const timedOut = approval.status === 'timed_out';
  const why = `a call that ${ask.reason}`;
  const message = timedOut
    ? `Approval ${unit.id} for ${why} timed out after ${policySettings.timeoutMs} ms; the timeout decision is deny. Decide sooner (GenOps.current.approvals.approve('${unit.id}') from any process sharing the store), or raise the timeout (approvalTimeoutMs / approvals.timeout) or change its decision (approvalTimeoutDecision / approvals.onTimeout).`
    : `Approval ${unit.id} for ${why} was denied${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}${approval.reason ? `: ${approval.reason}` : ''}.`;
  const blocked: Decision = {
    result: 'BLOCKED',
    reasonCode: timedOut ? 'x_approval_timeout' : 'x_approval_denied',
    rule: ask.rule,
    message,
    constraint: 'approval',
  };
  const details = {
    approvalId: unit.id,
    message,
    ...(approval.decidedBy ? { decidedBy: approval.decidedBy } : {}),
    ...(approval.reason ? { reason: approval.reason } : {}),
  };
  const error = timedOut ? new ApprovalTimeoutError(details) : new ApprovalDeniedError(details);
  throw recorder.blocked(unit, blocked, error, nanosToUsd(reservedNanos), approval);
}

/** Releases a reservation a denied call held; a store that cannot lets the lease expire. */
export async function releaseQuietly(store: GovernanceStore, id: string, hasLines: boolean): Promise<void> {
  if (!hasLines) return;
  try {
    await store.release(id);
  } catch (error) {
    diag.error(`genops: could not release reservation ${id}; its lease will expire`, error);
  }
}
