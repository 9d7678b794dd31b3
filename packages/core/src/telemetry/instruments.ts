import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import {
  DURATION_BUCKETS,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_GENOPS_COST,
  METRIC_GENOPS_POLICY_DECISIONS,
  TOKEN_BUCKETS,
} from '../semconv';
import * as names from './metric-names';
import { type AddOnlyCounter, SummedCounter } from './summed-counter';

/** The metric instruments GenOps records, created once per meter. */
export interface Instruments {
  operationDuration: Histogram;
  tokenUsage: Histogram;
  timeToFirstChunk: Histogram;
  /** `genops.cost`: an observable counter; GenOps keeps the sums. */
  cost: AddOnlyCounter;
  /** `genops.policy.decisions`: an observable counter; GenOps keeps the sums. */
  decisions: AddOnlyCounter;
  /** `genops.budget.alerts`: warnAt thresholds crossed. */
  budgetAlerts: Counter;
  /** `genops.reservation.accuracy`: actual / reserved per settled call. */
  reservationAccuracy: Histogram;
  approvalsRequested: Counter;
  approvalsDecided: Counter;
  rateLimitRejections: Counter;
  storeDuration: Histogram;
  storeFailures: Counter;
  egressRequests: Counter;
}

export function createInstruments(meter: Meter): Instruments {
  const counter = (name: string, unit: string, description: string) => meter.createCounter(name, { description, unit });
  const histogram = (name: string, unit: string, description: string, buckets: readonly number[]) =>
    meter.createHistogram(name, { description, unit, advice: { explicitBucketBoundaries: [...buckets] } });
  return {
    operationDuration: meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: 'GenAI operation duration.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    }),
    tokenUsage: meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: [...TOKEN_BUCKETS] },
    }),
    timeToFirstChunk: meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK, {
      description: 'Time to receive the first chunk of a streamed response.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    }),
    // Added on every call: summed by GenOps, reported at collection (telemetry/summed-counter.ts).
    cost: new SummedCounter(meter, METRIC_GENOPS_COST, {
      description: 'Cost of governed GenAI calls.',
      unit: 'USD',
    }),
    decisions: new SummedCounter(meter, METRIC_GENOPS_POLICY_DECISIONS, {
      description: 'Governance decisions, by result, reason code, rule, team and project.',
      unit: '{decision}',
    }),
    budgetAlerts: counter(
      names.METRIC_GENOPS_BUDGET_ALERTS,
      '{alert}',
      'Budget warnAt thresholds crossed, first in their period.',
    ),
    reservationAccuracy: histogram(
      names.METRIC_GENOPS_RESERVATION_ACCURACY,
      '1',
      'Actual cost over the reserved worst case, per settled call that reserved something.',
      names.ACCURACY_BUCKETS,
    ),
    approvalsRequested: counter(names.METRIC_GENOPS_APPROVALS_REQUESTED, '{approval}', 'Calls held for approval.'),
    approvalsDecided: counter(
      names.METRIC_GENOPS_APPROVALS_DECIDED,
      '{approval}',
      'Approval decisions, by status (approved, denied, timed_out).',
    ),
    rateLimitRejections: counter(names.METRIC_GENOPS_RATE_LIMIT_REJECTIONS, '{call}', 'Calls refused by a rate limit.'),
    storeDuration: histogram(
      names.METRIC_GENOPS_STORE_OPERATION_DURATION,
      's',
      'Duration of governance store operations.',
      names.STORE_DURATION_BUCKETS,
    ),
    storeFailures: counter(
      names.METRIC_GENOPS_STORE_FAILURES,
      '{failure}',
      'Governance store operations that failed or timed out.',
    ),
    egressRequests: counter(
      names.METRIC_GENOPS_EGRESS_REQUESTS,
      '{request}',
      'Provider requests seen by egress governance, by action (governed, refused, reported).',
    ),
  };
}
