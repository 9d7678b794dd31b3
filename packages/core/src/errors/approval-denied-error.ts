import { GovernanceError } from './governance-error';

const name = 'ApprovalDeniedError';

/** A call that needed human approval was denied, or timed out with the default decision (deny). */
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
      name,
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
