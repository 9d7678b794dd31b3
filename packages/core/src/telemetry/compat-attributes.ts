// The span attributes and event that only repeat a value the span already carries under its spec or
// GenAI name: the names of the original GenOps README (`genops.tokens.*`, `genops.cost.total`,
// `genops.provider`, `genops.model`, `genops.governance.*`) and a few GenOps copies. They are set only
// with `telemetry: { compatAttributes: true }`, for dashboards built on those names; docs/telemetry.md
// ("What moved") lists each one with the name to read instead. Each function writes into the phase's
// attribute object (no copies): the recorder still sets each phase with one `setAttributes`.
import type { Attributes, Span } from '@opentelemetry/api';
import * as sc from '../semconv';
import type { GovernedRequest, ResponseInfo, Usage } from '../types';

/**
 * With the decision: `genops.provider` (= `gen_ai.provider.name`), `genops.model` (= `gen_ai.request.model`,
 * the cheaper model after a downgrade).
 */
export function compatBegin(attributes: Attributes, request: GovernedRequest): void {
  attributes[sc.ATTR_GENOPS_PROVIDER] = request.provider;
  attributes[sc.ATTR_GENOPS_MODEL] = request.model;
}

/** Admission: `genops.governance.policy_check` (from `genops.policy.result`) and `authority_constraint`. */
export function compatAdmission(attributes: Attributes, result: string, constraint: string): void {
  attributes[sc.ATTR_GENOPS_GOVERNANCE_POLICY_CHECK] =
    result === 'ALLOWED' ? 'passed' : result === 'WARNING' ? 'warning' : 'blocked';
  attributes[sc.ATTR_GENOPS_GOVERNANCE_AUTHORITY_CONSTRAINT] = constraint;
}

/** Admission: `genops.governance.approval_required` (`genops.approval.id` is set when it is true). */
export function compatApprovalRequired(attributes: Attributes, required: boolean): void {
  attributes[sc.ATTR_GENOPS_GOVERNANCE_APPROVAL_REQUIRED] = required;
}

/** A budget line on the span: `genops.governance.budget_remaining` (= `genops.budget.remaining`). */
export function compatBudgetRemaining(attributes: Attributes, remaining: number): void {
  attributes[sc.ATTR_GENOPS_GOVERNANCE_BUDGET_REMAINING] = remaining;
}

/**
 * Settlement: `genops.cost.total` (= `genops.accounting.actual`, USD), `genops.cost.currency`
 * (= `genops.accounting.unit`), `genops.cost.provider`/`.model` (= `gen_ai.provider.name`,
 * `gen_ai.response.model` else `gen_ai.request.model`), `genops.accounting.released`
 * (= max(0, `genops.accounting.reconciliation_delta`)) and `genops.tokens.*` (= `gen_ai.usage.*`).
 */
export function compatSettlement(
  attributes: Attributes,
  request: GovernedRequest,
  response: ResponseInfo | undefined,
  actualUsd: number,
  releasedUsd: number,
  usage: Usage | undefined,
): void {
  attributes[sc.ATTR_GENOPS_COST_TOTAL] = actualUsd;
  attributes[sc.ATTR_GENOPS_COST_CURRENCY] = 'USD';
  attributes[sc.ATTR_GENOPS_COST_PROVIDER] = request.provider;
  attributes[sc.ATTR_GENOPS_COST_MODEL] = response?.model ?? request.model;
  attributes[sc.ATTR_GENOPS_ACCOUNTING_RELEASED] = releasedUsd;
  if (usage) {
    attributes[sc.ATTR_GENOPS_TOKENS_INPUT] = usage.inputTokens;
    attributes[sc.ATTR_GENOPS_TOKENS_OUTPUT] = usage.outputTokens;
    attributes[sc.ATTR_GENOPS_TOKENS_TOTAL] = usage.inputTokens + usage.outputTokens;
  }
}

/** The optional `genops.cost.calculated` event (its values are on `genops.budget.reconciliation`). */
export function compatCostEvent(span: Span, actualUsd: number, time?: number): void {
  span.addEvent(
    sc.EVENT_GENOPS_COST_CALCULATED,
    {
      [sc.ATTR_GENOPS_COST_TOTAL]: actualUsd,
      [sc.ATTR_GENOPS_COST_CURRENCY]: 'USD',
    },
    time,
  );
}
