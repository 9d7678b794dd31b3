// Names of GenOps' control-plane metrics and of their attributes (docs/metrics.md lists every one, with
// its unit and attributes). Prometheus sees them with dots as underscores, counters with `_total`:
// `genops.budget.used` → `genops_budget_used`, `genops.approvals.requested` → `genops_approvals_requested_total`.

/** Budget gauges (read from the store at each collection): one series per budget instance in its current period. */
export const METRIC_GENOPS_BUDGET_LIMIT = 'genops.budget.limit' as const;
export const METRIC_GENOPS_BUDGET_USED = 'genops.budget.used' as const;
export const METRIC_GENOPS_BUDGET_RESERVED = 'genops.budget.reserved' as const;
export const METRIC_GENOPS_BUDGET_REMAINING = 'genops.budget.remaining' as const;
/** used / limit (a ratio: 1 is the whole budget). */
export const METRIC_GENOPS_BUDGET_UTILIZATION = 'genops.budget.utilization' as const;
/** `warnAt` thresholds crossed (`genops.budget.alert` events), counter. */
export const METRIC_GENOPS_BUDGET_ALERTS = 'genops.budget.alerts' as const;
/** Open (unsettled, unexpired) reservations in the store, gauge. */
export const METRIC_GENOPS_RESERVATIONS_OPEN = 'genops.reservations.open' as const;
/** actual / reserved of each settled call that reserved something, histogram. */
export const METRIC_GENOPS_RESERVATION_ACCURACY = 'genops.reservation.accuracy' as const;

export const METRIC_GENOPS_APPROVALS_REQUESTED = 'genops.approvals.requested' as const;
/** Decided approvals, by `genops.approval.status` (`approved`, `denied`, `timed_out`). */
export const METRIC_GENOPS_APPROVALS_DECIDED = 'genops.approvals.decided' as const;
/** Approvals pending in the store (not yet expired), gauge. */
export const METRIC_GENOPS_APPROVALS_PENDING = 'genops.approvals.pending' as const;

export const METRIC_GENOPS_RATE_LIMIT_REJECTIONS = 'genops.rate_limit.rejections' as const;

/** Duration of one store operation (s), histogram. */
export const METRIC_GENOPS_STORE_OPERATION_DURATION = 'genops.store.operation.duration' as const;
/** Store operations that failed (threw, rejected or timed out), counter. */
export const METRIC_GENOPS_STORE_FAILURES = 'genops.store.failures' as const;

/** Provider requests seen by egress governance, by `genops.egress.action`. */
export const METRIC_GENOPS_EGRESS_REQUESTS = 'genops.egress.requests' as const;

export const ATTR_GENOPS_BUDGET_UNIT = 'genops.budget.unit' as const;
export const ATTR_GENOPS_STORE_KIND = 'genops.store.kind' as const;
export const ATTR_GENOPS_STORE_OPERATION = 'genops.store.operation' as const;
/** `governed` (governed from its wire format), `refused` (blocked before it left), `reported` (let through, recorded). */
export const ATTR_GENOPS_EGRESS_ACTION = 'genops.egress.action' as const;

/** Buckets of `genops.reservation.accuracy` (actual / reserved): most calls use a small part of their worst case. */
export const ACCURACY_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 0.9, 1, 1.5, 2] as const;

/** Buckets of `genops.store.operation.duration` (s): from an in-process read to a slow network store. */
export const STORE_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const;
