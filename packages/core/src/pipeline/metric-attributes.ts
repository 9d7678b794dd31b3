// Metric attribute sets, built once per distinct tuple and reused: a call records six measurements
// (decision, duration, input and output tokens, cost, reservation accuracy), and rebuilding their
// attribute objects on every call was a measurable part of the hot path. Each cache is bounded: past
// `MAX_ENTRIES` the oldest set is dropped, so a high-cardinality value (customer ids with
// `metrics.customers`) cannot grow memory without limit, while the tuples in use stay cached.
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../semconv';
import type { Attribution, GovernedRequest } from '../types';
import { environmentOf } from './attribution-values';

/** Attribute sets kept per cache (each a few hundred bytes). */
export const MAX_ENTRIES = 1_000;
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
  private readonly simple = new Map<string, Attributes>();
  // The tuple each cache answered last, and its set: a run of calls with the same model and attribution
  // (the common case) finds it without building a key string. Each holds a set its map holds or held.
  private lastCall:
    | {
        operation: string;
        provider: string;
        model: string;
        responseModel: string | undefined;
        serverAddress: string | undefined;
        errorType: string | undefined;
        value: CallMetricAttributes;
      }
    | undefined;
  private lastCost:
    | {
        provider: string;
        model: string;
        team: string;
        project: string;
        environment: string;
        customer: string | undefined;
        value: Attributes;
      }
    | undefined;
  private lastDecision:
    | {
        result: string;
        reasonCode: string | undefined;
        rule: string | undefined;
        team: string;
        project: string;
        customer: string | undefined;
        value: Attributes;
      }
    | undefined;
  private lastModel: { provider: string; model: string; value: Attributes } | undefined;

  /**
   * @param customers put `genops.customer_id` on `genops.cost` and `genops.policy.decisions` (the
   * `metrics.customers` option): off by default, customer ids are unbounded.
   */
  constructor(private readonly customers = false) {}

  /** Attribute sets held, all caches together (each cache holds at most `MAX_ENTRIES`). */
  get size(): number {
    return this.calls.size + this.costs.size + this.decisions.size + this.simple.size;
  }

  call(
    request: GovernedRequest,
    responseModel: string | undefined,
    errorType: string | undefined,
  ): CallMetricAttributes {
    // The same tuple as the call before (the steady state): no key to build.
    const last = this.lastCall;
    if (
      last !== undefined &&
      last.operation === request.operation &&
      last.provider === request.provider &&
      last.model === request.model &&
      last.responseModel === responseModel &&
      last.serverAddress === request.serverAddress &&
      last.errorType === errorType
    )
      return last.value;
    const value = this.callMiss(request, responseModel, errorType);
    this.lastCall = {
      operation: request.operation,
      provider: request.provider,
      model: request.model,
      responseModel,
      serverAddress: request.serverAddress,
      errorType,
      value,
    };
    return value;
  }

  private callMiss(
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
      duration: errorType ? copyWith(base, sc.ATTR_ERROR_TYPE, errorType) : base,
      input: copyWith(base, sc.ATTR_GEN_AI_TOKEN_TYPE, 'input'),
      output: copyWith(base, sc.ATTR_GEN_AI_TOKEN_TYPE, 'output'),
    };
    remember(this.calls, key, found);
    return found;
  }

  /** `genops.cost` (customer ids only with the `metrics.customers` option: cardinality). */
  cost(request: GovernedRequest, attribution: Readonly<Attribution>): Attributes {
    const team = attribution.team ?? 'unattributed';
    const project = attribution.project ?? 'unattributed';
    const environment = environmentOf(attribution);
    const customer = this.customers ? attribution.customer : undefined;
    const last = this.lastCost;
    if (
      last !== undefined &&
      last.provider === request.provider &&
      last.model === request.model &&
      last.team === team &&
      last.project === project &&
      last.environment === environment &&
      last.customer === customer
    )
      return last.value;
    const value = this.costMiss(request.provider, request.model, team, project, environment, customer);
    this.lastCost = { provider: request.provider, model: request.model, team, project, environment, customer, value };
    return value;
  }

  private costMiss(
    provider: string,
    model: string,
    team: string,
    project: string,
    environment: string,
    customer: string | undefined,
  ): Attributes {
    const key =
      provider +
      SEPARATOR +
      model +
      SEPARATOR +
      team +
      SEPARATOR +
      project +
      SEPARATOR +
      environment +
      SEPARATOR +
      (customer ?? '');
    let found = this.costs.get(key);
    if (found) return found;
    found = {
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: provider,
      [sc.ATTR_GEN_AI_REQUEST_MODEL]: model,
      [sc.ATTR_GENOPS_TEAM]: team,
      [sc.ATTR_GENOPS_PROJECT]: project,
      [sc.ATTR_GENOPS_ENVIRONMENT]: environment,
    };
    if (customer) found[sc.ATTR_GENOPS_CUSTOMER_ID] = customer;
    remember(this.costs, key, found);
    return found;
  }

  /**
   * `genops.policy.decisions`: result, reason code, the rule that decided (names come from the
   * configuration, so they are bounded), team and project (customer with `metrics.customers`).
   */
  decision(
    result: string,
    reasonCode: string | undefined,
    rule: string | undefined,
    attribution: Readonly<Attribution>,
  ): Attributes {
    const team = attribution.team ?? 'unattributed';
    const project = attribution.project ?? 'unattributed';
    const customer = this.customers ? attribution.customer : undefined;
    const last = this.lastDecision;
    if (
      last !== undefined &&
      last.result === result &&
      last.reasonCode === reasonCode &&
      last.rule === rule &&
      last.team === team &&
      last.project === project &&
      last.customer === customer
    )
      return last.value;
    const value = this.decisionMiss(result, reasonCode, rule, team, project, customer);
    this.lastDecision = { result, reasonCode, rule, team, project, customer, value };
    return value;
  }

  private decisionMiss(
    result: string,
    reasonCode: string | undefined,
    rule: string | undefined,
    team: string,
    project: string,
    customer: string | undefined,
  ): Attributes {
    const key =
      result +
      SEPARATOR +
      (reasonCode ?? '') +
      SEPARATOR +
      (rule ?? '') +
      SEPARATOR +
      team +
      SEPARATOR +
      project +
      SEPARATOR +
      (customer ?? '');
    let found = this.decisions.get(key);
    if (found) return found;
    found = { [sc.ATTR_GENOPS_POLICY_RESULT]: result, [sc.ATTR_GENOPS_TEAM]: team, [sc.ATTR_GENOPS_PROJECT]: project };
    if (reasonCode) found[sc.ATTR_GENOPS_POLICY_REASON_CODE] = reasonCode;
    if (rule) found[sc.ATTR_GENOPS_POLICY_NAME] = rule;
    if (customer) found[sc.ATTR_GENOPS_CUSTOMER_ID] = customer;
    remember(this.decisions, key, found);
    return found;
  }

  /** `genops.reservation.accuracy`: provider and requested model. */
  model(provider: string, model: string): Attributes {
    const last = this.lastModel;
    if (last !== undefined && last.provider === provider && last.model === model) return last.value;
    const value = this.cached(`m${SEPARATOR}${provider}${SEPARATOR}${model}`, () => ({
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: provider,
      [sc.ATTR_GEN_AI_REQUEST_MODEL]: model,
    }));
    this.lastModel = { provider, model, value };
    return value;
  }

  /** A small attribute set (one or two configured names), cached under `key`. */
  cached(key: string, build: () => Attributes): Attributes {
    let found = this.simple.get(key);
    if (found) return found;
    found = build();
    remember(this.simple, key, found);
    return found;
  }
}

/** A copy of `attributes` with one more attribute (built on a cache miss only). */
export function copyWith(attributes: Attributes, key: string, value: string): Attributes {
  const copy: Attributes = {};
  for (const name in attributes) copy[name] = attributes[name];
  copy[key] = value;
  return copy;
}

/** Caches `value`; when the map is full, the oldest entry makes room (a Map iterates in insertion order). */
function remember<T>(map: Map<string, T>, key: string, value: T): void {
  if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
  map.set(key, value);
}
