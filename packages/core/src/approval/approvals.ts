import { hostname } from 'node:os';
import { diag } from '@opentelemetry/api';
import type { ApprovalDecisionInput, ApprovalRecord, GovernanceStore } from '../store/types';
import type { Attribution } from '../types';
import type { ApprovalDecision, ApprovalRequest, Approver } from './types';

/** What a held call is waiting for, before the store gives it a status and times. */
export type ApprovalAsk = Omit<ApprovalRecord, 'status' | 'createdAt' | 'expiresAt' | 'requestedBy'>;

export interface ApprovalSettings {
  timeoutMs: number;
  onTimeout: 'deny' | 'approve';
  approver: Approver | undefined;
  onApprovalRequired: ((approval: ApprovalRecord) => void | Promise<void>) | undefined;
  /** Threshold in USD shown to a programmatic approver (0 when approval came from a rule). */
  thresholdUsd: number;
  /**
   * When set, nobody can decide (no approver, no hook, a store no other process shares): the request is
   * recorded and denied at once with this reason instead of waiting for the timeout.
   */
  denyAtOnce?: string;
}

const REQUESTED_BY = `${hostname()}:${process.pid}`;

/**
 * Holds a call until it is approved, denied or timed out. The pending request is durable in the store,
 * so any process sharing it (`genops approvals approve <id>`, `GenOps.current.approvals.approve(id)`)
 * can decide; the first decision wins (the store's compare-and-set). A programmatic `approver` and the
 * `onApprovalRequired` hook run alongside; a hook that throws never decides anything.
 */
export async function holdForApproval(
  store: GovernanceStore,
  ask: ApprovalAsk,
  settings: ApprovalSettings,
  context: { request: ApprovalRequest['request']; attribution: Attribution },
): Promise<ApprovalRecord> {
  const now = Date.now();
  const record: ApprovalRecord = {
    ...ask,
    status: 'pending',
    createdAt: now,
    expiresAt: now + settings.timeoutMs,
    requestedBy: REQUESTED_BY,
  };
  await store.createApproval(record);
  if (settings.denyAtOnce !== undefined) {
    const denied = await store.decideApproval(ask.id, {
      status: 'denied',
      decidedBy: 'genops',
      reason: settings.denyAtOnce,
    });
    return denied ?? { ...record, ...statusOf({ status: 'denied', decidedBy: 'genops', reason: settings.denyAtOnce }) };
  }
  if (settings.onApprovalRequired) {
    try {
      const pending = settings.onApprovalRequired({ ...record });
      if (pending && typeof (pending as Promise<void>).catch === 'function')
        (pending as Promise<void>).catch((error) => diag.warn('genops: onApprovalRequired failed (ignored)', error));
    } catch (error) {
      diag.warn('genops: onApprovalRequired threw (ignored)', error);
    }
  }
  if (settings.approver) {
    const approver = settings.approver;
    void (async () => {
      let decision: ApprovalDecisionInput;
      try {
        decision = normalize(
          await approver({
            id: ask.id,
            request: context.request,
            attribution: context.attribution,
            estimatedCost: ask.estimatedCostUsd,
            threshold: settings.thresholdUsd,
            reason: ask.reason,
            rule: ask.rule,
          }),
        );
      } catch (error) {
        decision = {
          status: 'denied',
          decidedBy: 'genops',
          reason: `the approver threw: ${(error as Error)?.message ?? error}`,
        };
      }
      await store
        .decideApproval(ask.id, decision)
        .catch((error) => diag.error('genops: could not record an approval decision', error));
    })();
  }
  let final = await store.waitForApproval(ask.id, settings.timeoutMs);
  if (!final || final.status === 'pending') {
    const timeout: ApprovalDecisionInput =
      settings.onTimeout === 'approve'
        ? { status: 'approved', decidedBy: 'timeout', reason: `no decision within ${settings.timeoutMs} ms` }
        : { status: 'timed_out', decidedBy: 'timeout', reason: `no decision within ${settings.timeoutMs} ms` };
    // Compare-and-set: a decision that arrived at the last moment wins over the timeout.
    final = (await store.decideApproval(ask.id, timeout)) ?? { ...record, ...statusOf(timeout) };
  }
  return final;
}

function statusOf(decision: ApprovalDecisionInput): Partial<ApprovalRecord> {
  return {
    status: decision.status,
    decidedBy: decision.decidedBy,
    decidedAt: Date.now(),
    ...(decision.reason ? { decisionReason: decision.reason } : {}),
  };
}

function normalize(answer: ApprovalDecision): ApprovalDecisionInput {
  if (typeof answer === 'boolean') return { status: answer ? 'approved' : 'denied', decidedBy: 'approver' };
  return {
    status: answer.approved ? 'approved' : 'denied',
    decidedBy: answer.approver ?? 'approver',
    ...(answer.reason ? { reason: answer.reason } : {}),
  };
}

/** Approves or denies pending approvals in a store: what `genops approvals` and the handle's `approvals` use. */
export class Approvals {
  constructor(private readonly store: GovernanceStore) {}

  /** Pending (or all) approvals, newest first. */
  list(filter?: { status?: ApprovalRecord['status'] }): Promise<ApprovalRecord[]> {
    return this.store.listApprovals(filter);
  }

  get(id: string): Promise<ApprovalRecord | undefined> {
    return this.store.getApproval(id);
  }

  /** Approves a pending call; returns the record as decided (an earlier decision wins). */
  approve(id: string, options: { by?: string; reason?: string } = {}): Promise<ApprovalRecord | undefined> {
    return this.store.decideApproval(id, {
      status: 'approved',
      decidedBy: options.by ?? defaultDecider(),
      ...(options.reason ? { reason: options.reason } : {}),
    });
  }

  /** Denies a pending call; the held call fails with ApprovalDeniedError carrying `reason`. */
  deny(id: string, options: { by?: string; reason?: string } = {}): Promise<ApprovalRecord | undefined> {
    return this.store.decideApproval(id, {
      status: 'denied',
      decidedBy: options.by ?? defaultDecider(),
      ...(options.reason ? { reason: options.reason } : {}),
    });
  }
}

function defaultDecider(): string {
  return process.env.USER ?? process.env.USERNAME ?? REQUESTED_BY;
}
