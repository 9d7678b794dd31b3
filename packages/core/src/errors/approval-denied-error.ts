import { GovernanceError } from './governance-error';

const name = 'ApprovalDeniedError';

/**
 * A call that needed approval was denied (by a person, a program or because no approver is configured).
 * A timeout is an {@link ApprovalTimeoutError}, which is also an `ApprovalDeniedError`.
 */
export class ApprovalDeniedError extends GovernanceError {
  static override readonly errorName: string = name;
  readonly approvalId: string;
  readonly decidedBy: string | undefined;
  readonly reason: string | undefined;
  readonly timedOut: boolean;

  constructor(options: {
    approvalId: string;
    decidedBy?: string;
    reason?: string;
    timedOut?: boolean;
    message: string;
  }) {
    super({
      name: options.timedOut ? 'ApprovalTimeoutError' : name,
      result: 'BLOCKED',
      reasonCode: options.timedOut ? 'x_approval_timeout' : 'x_approval_denied',
      message: options.message,
    });
    this.approvalId = options.approvalId;
    this.decidedBy = options.decidedBy;
    this.reason = options.reason;
    this.timedOut = options.timedOut ?? false;
  }
}

/** A call that needed approval was not decided in time, and the timeout decision is deny. */
export class ApprovalTimeoutError extends ApprovalDeniedError {
  static override readonly errorName: string = 'ApprovalTimeoutError';
  override readonly errorNames: readonly string[] = ['GenOpsGovernanceError', name];

  constructor(options: { approvalId: string; message: string; decidedBy?: string; reason?: string }) {
    super({ ...options, timedOut: true });
  }
}
