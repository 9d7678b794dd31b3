// Leaf types of approvals (no runtime imports), shared by the options, the pipeline and the approval store.
import type { Attribution, GovernedRequest } from '../types';

/** What an approver is asked about. */
export interface ApprovalRequest {
  id: string;
  request: Readonly<GovernedRequest>;
  attribution: Readonly<Attribution>;
  /** Worst-case cost of the call in USD (what was reserved). */
  estimatedCost: number;
  /** The cost threshold in USD (`requireApprovalOver`); 0 when a rule or budget asked for approval. */
  threshold: number;
  /** Why approval is needed, e.g. `may cost $62.00, over requireApprovalOver $50` or `tool "deploy" requires approval`. */
  reason: string;
  /** The rule or budget that asked: `requireApprovalOver`, a tool rule's name, or `budget:<name>`. */
  rule: string;
}

export type ApprovalDecision = boolean | { approved: boolean; reason?: string; approver?: string };
export type Approver = (request: ApprovalRequest) => ApprovalDecision | Promise<ApprovalDecision>;
