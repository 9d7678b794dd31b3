export { ApprovalDeniedError, ApprovalTimeoutError } from './approval-denied-error';
export { BudgetExceededError } from './budget-exceeded-error';
export { ConfigError } from './config-error';
export { GenOpsError } from './genops-error';
export { GovernanceError } from './governance-error';
export { formatPolicyIssue, PolicyFileError, type PolicyIssue } from './policy-file-error';
export { PolicyViolationError } from './policy-violation-error';
export { RateLimitedError } from './rate-limited-error';
export { ReservationFailedError } from './reservation-failed-error';
