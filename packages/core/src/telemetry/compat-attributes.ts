// The span attributes and event that only repeat a value the span already carries under its spec or
// GenAI name: the names of the original GenOps README (`genops.tokens.*`, `genops.cost.total`,
// `genops.provider`, `genops.model`, `genops.governance.*`) and a few GenOps copies. They are set only
// with `telemetry: { compatAttributes: true }`, for dashboards built on those names; docs/telemetry.md
// ("What moved") lists each one with the name to read instead. Each function writes where the recorder
// writes the phase's other attributes (pipeline/attribute-target.ts): the span, or the unit's attribute object.
import type { Span } from '@opentelemetry/api';
import type { AttributeTarget } from '../pipeline/attribute-target';
import * as sc from '../semconv';
import type { GovernedRequest, ResponseInfo, Usage } from '../types';

/**
 * With the decision: `genops.provider` (= `gen_ai.provider.name`), `genops.model` (= `gen_ai.request.model`,
 * the cheaper model after a downgrade).
 */
export function compatBegin(target: AttributeTarget, request: GovernedRequest): void {
  target.setAttribute(sc.ATTR_GENOPS_PROVIDER, request.provider);
  target.setAttribute(sc.ATTR_GENOPS_MODEL, request.model);
}

/** Admission: `genops.governance.policy_check` (from `genops.policy.result`) and `authority_constraint`. */
export function compatAdmission(target: AttributeTarget, result: string, constraint: string): void {
  target.setAttribute(
    sc.ATTR_GENOPS_GOVERNANCE_POLICY_CHECK,
    result === 'ALLOWED' ? 'passed' : result === 'WARNING' ? 'warning' : 'blocked',
  );
  target.setAttribute(sc.ATTR_GENOPS_GOVERNANCE_AUTHORITY_CONSTRAINT, constraint);
}

/** Admission: `genops.governance.approval_required` (`genops.approval.id` is set when it is true). */
export function compatApprovalRequired(target: AttributeTarget, required: boolean): void {
  target.setAttribute(sc.ATTR_GENOPS_GOVERNANCE_APPROVAL_REQUIRED, required);
}

/** A budget line on the span: `genops.governance.budget_remaining` (= `genops.budget.remaining`). */
export function compatBudgetRemaining(target: AttributeTarget, remaining: number): void {
  target.setAttribute(sc.ATTR_GENOPS_GOVERNANCE_BUDGET_REMAINING, remaining);
}

/**
 * Settlement: `genops.cost.total` (= `genops.accounting.actual`, USD), `genops.cost.currency`
 * (= `genops.accounting.unit`), `genops.cost.provider`/`.model` (= `gen_ai.provider.name`,
 * `gen_ai.response.model` else `gen_ai.request.model`), `genops.accounting.released`
 * (= max(0, `genops.accounting.reconciliation_delta`)) and `genops.tokens.*` (= `gen_ai.usage.*`).
 */
export function compatSettlement(
  target: AttributeTarget,
  request: GovernedRequest,
  response: ResponseInfo | undefined,
  actualUsd: number,
  releasedUsd: number,
  usage: Usage | undefined,
): void {
  target.setAttribute(sc.ATTR_GENOPS_COST_TOTAL, actualUsd);
  target.setAttribute(sc.ATTR_GENOPS_COST_CURRENCY, 'USD');
  target.setAttribute(sc.ATTR_GENOPS_COST_PROVIDER, request.provider);
  target.setAttribute(sc.ATTR_GENOPS_COST_MODEL, response?.model ?? request.model);
  target.setAttribute(sc.ATTR_GENOPS_ACCOUNTING_RELEASED, releasedUsd);
  if (usage) {
    target.setAttribute(sc.ATTR_GENOPS_TOKENS_INPUT, usage.inputTokens);
    target.setAttribute(sc.ATTR_GENOPS_TOKENS_OUTPUT, usage.outputTokens);
    target.setAttribute(sc.ATTR_GENOPS_TOKENS_TOTAL, usage.inputTokens + usage.outputTokens);
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
