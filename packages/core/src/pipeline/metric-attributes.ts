// Metric attribute sets, built once per distinct tuple and reused: a settlement records up to five
// measurements, and rebuilding (spreading) their attribute objects on every call was a measurable part
// of the hot path. The caches are bounded: past the bound they start again (cardinality is the
// exporter's concern, not a reason to hold memory).
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../semconv';
import type { Attribution, GovernedRequest } from '../types';
import { environmentOf } from './attribution-values';

const MAX_ENTRIES = 1_000;
const SEPARATOR = '\u0000';

/** The attribute sets of one call's measurements. */
export interface CallMetricAttributes {
  /** `gen_ai.client.operation.duration` (with `error.type` when the call failed). */
  duration: Attributes;
  /** `gen_ai.client.token.usage`, input tokens. */
  input: Attributes;
  /** `gen_ai.client.token.usage`, output tokens. */
  output: Attributes;
  /** Time to first chunk. */
  base: Attributes;
}

export class MetricAttributeCache {
  private readonly calls = new Map<string, CallMetricAttributes>();
  private readonly costs = new Map<string, Attributes>();
  private readonly decisions = new Map<string, Attributes>();

  call(
    request: GovernedRequest,
    responseModel: string | undefined,
    errorType: string | undefined,
  ): CallMetricAttributes {
    const key =
      request.operation +
      SEPARATOR +
      request.provider +
      SEPARATOR +
      request.model +
      SEPARATOR +
      (responseModel ?? '') +
      SEPARATOR +
      (request.serverAddress ?? '') +
      SEPARATOR +
      (errorType ?? '');
    let found = this.calls.get(key);
    if (found) return found;
    const base: Attributes = {
      [sc.ATTR_GEN_AI_OPERATION_NAME]: request.operation,
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: request.provider,
      [sc.ATTR_GEN_AI_REQUEST_MODEL]: request.model,
    };
    if (responseModel) base[sc.ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
    if (request.serverAddress) base[sc.ATTR_SERVER_ADDRESS] = request.serverAddress;
    found = {
      base,
      duration: errorType ? { ...base, [sc.ATTR_ERROR_TYPE]: errorType } : base,
      input: { ...base, [sc.ATTR_GEN_AI_TOKEN_TYPE]: 'input' },
      output: { ...base, [sc.ATTR_GEN_AI_TOKEN_TYPE]: 'output' },
    };
    remember(this.calls, key, found);
    return found;
  }

  /** `genops.cost` (customer ids stay off metrics: cardinality). */
  cost(request: GovernedRequest, attribution: Readonly<Attribution>): Attributes {
    const team = attribution.team ?? 'unattributed';
    const project = attribution.project ?? 'unattributed';
    const environment = environmentOf(attribution);
    const key =
      request.provider + SEPARATOR + request.model + SEPARATOR + team + SEPARATOR + project + SEPARATOR + environment;
    let found = this.costs.get(key);
    if (found) return found;
    found = {
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: request.provider,
      [sc.ATTR_GEN_AI_REQUEST_MODEL]: request.model,
      [sc.ATTR_GENOPS_TEAM]: team,
      [sc.ATTR_GENOPS_PROJECT]: project,
      [sc.ATTR_GENOPS_ENVIRONMENT]: environment,
    };
    remember(this.costs, key, found);
    return found;
  }

  /** `genops.policy.decisions`. */
  decision(result: string, reasonCode: string | undefined): Attributes {
    const key = reasonCode === undefined ? result : result + SEPARATOR + reasonCode;
    let found = this.decisions.get(key);
    if (found) return found;
    found = { [sc.ATTR_GENOPS_POLICY_RESULT]: result };
    if (reasonCode) found[sc.ATTR_GENOPS_POLICY_REASON_CODE] = reasonCode;
    remember(this.decisions, key, found);
    return found;
  }
}

function remember<T>(map: Map<string, T>, key: string, value: T): void {
  if (map.size >= MAX_ENTRIES) map.clear();
  map.set(key, value);
}
