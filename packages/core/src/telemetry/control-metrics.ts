// The control-plane measurements of a governed call (decisions, approvals, rate limits, alerts,
// reservation accuracy, egress), recorded by the call recorder. Attribute sets come from the bounded
// cache (pipeline/metric-attributes.ts); only configured names (rules, budgets) and attribution's team
// and project are attributes, customer ids only with `metrics.customers`, never content or secrets.
import type { Attributes } from '@opentelemetry/api';
import { copyWith, type MetricAttributeCache } from '../pipeline/metric-attributes';
import * as sc from '../semconv';
import type { Attribution } from '../types';
import type { Instruments } from './instruments';
import { ATTR_GENOPS_EGRESS_ACTION } from './metric-names';

const SEPARATOR = '\u0000';

/** What egress governance did with a provider request that was not inside a governed unit. */
export type EgressAction = 'governed' | 'refused' | 'reported';

export class ControlMetrics {
  constructor(
    private readonly instruments: Instruments,
    private readonly attributes: MetricAttributeCache,
  ) {}

  /** Every decision (`genops.policy.decisions`); a rate-limit refusal also counts in `genops.rate_limit.rejections`. */
  decision(
    decision: { result: string; reasonCode?: string | undefined; rule?: string | undefined },
    attribution: Readonly<Attribution>,
  ): void {
    const { result, reasonCode, rule } = decision;
    this.instruments.decisions.add(1, this.attributes.decision(result, reasonCode, rule, attribution));
    if (result === 'RATE_LIMITED') this.instruments.rateLimitRejections.add(1, this.ruleAttributes(rule, attribution));
  }

  approvalRequested(rule: string, attribution: Readonly<Attribution>): void {
    this.instruments.approvalsRequested.add(1, this.ruleAttributes(rule, attribution));
  }

  approvalDecided(rule: string, status: string, attribution: Readonly<Attribution>): void {
    const base = this.ruleAttributes(rule, attribution);
    const attributes = this.attributes.cached(
      `a${SEPARATOR}${rule}${SEPARATOR}${status}${SEPARATOR}${attribution.team ?? ''}${SEPARATOR}${attribution.project ?? ''}`,
      () => copyWith(base, sc.ATTR_GENOPS_APPROVAL_STATUS, status),
    );
    this.instruments.approvalsDecided.add(1, attributes);
  }

  /** A warnAt threshold of a budget crossed (first in its period). */
  alert(budget: string, threshold: number): void {
    this.instruments.budgetAlerts.add(
      1,
      this.attributes.cached(`b${SEPARATOR}${budget}${SEPARATOR}${threshold}`, () => ({
        [sc.ATTR_GENOPS_BUDGET_NAME]: budget,
        [sc.ATTR_GENOPS_BUDGET_THRESHOLD]: threshold,
      })),
    );
  }

  /** actual / reserved of a settled call, when it reserved something (how tight the worst-case estimate was). */
  accuracy(provider: string, model: string, reserved: number, actual: number): void {
    if (!(reserved > 0) || !(actual >= 0)) return;
    this.instruments.reservationAccuracy.record(actual / reserved, this.attributes.model(provider, model));
  }

  /** A provider request egress governance governed from its wire format, refused, or only reported. */
  egress(action: EgressAction, provider: string, serverAddress: string | undefined): void {
    this.instruments.egressRequests.add(
      1,
      this.attributes.cached(`e${SEPARATOR}${action}${SEPARATOR}${provider}${SEPARATOR}${serverAddress ?? ''}`, () => {
        const attributes: Attributes = {
          [ATTR_GENOPS_EGRESS_ACTION]: action,
          [sc.ATTR_GEN_AI_PROVIDER_NAME]: provider,
        };
        if (serverAddress) attributes[sc.ATTR_SERVER_ADDRESS] = serverAddress;
        return attributes;
      }),
    );
  }

  private ruleAttributes(rule: string | undefined, attribution: Readonly<Attribution>): Attributes {
    const team = attribution.team ?? 'unattributed';
    const project = attribution.project ?? 'unattributed';
    return this.attributes.cached(`r${SEPARATOR}${rule ?? ''}${SEPARATOR}${team}${SEPARATOR}${project}`, () => {
      const attributes: Attributes = { [sc.ATTR_GENOPS_TEAM]: team, [sc.ATTR_GENOPS_PROJECT]: project };
      if (rule) attributes[sc.ATTR_GENOPS_POLICY_NAME] = rule;
      return attributes;
    });
  }
}
