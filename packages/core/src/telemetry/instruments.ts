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

/** The metric instruments GenOps records, created once per meter. */
export interface Instruments {
  operationDuration: Histogram;
  tokenUsage: Histogram;
  timeToFirstChunk: Histogram;
  cost: Counter;
  decisions: Counter;
}

export function createInstruments(meter: Meter): Instruments {
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
    cost: meter.createCounter(METRIC_GENOPS_COST, {
      description: 'Cost of governed GenAI calls.',
      unit: 'USD',
    }),
    decisions: meter.createCounter(METRIC_GENOPS_POLICY_DECISIONS, {
      description: 'Governance decisions, by result and reason code.',
      unit: '{decision}',
    }),
  };
}
