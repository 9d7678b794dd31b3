// Stage: evaluate the policy rules against the request, its worst case and its attribution.
import { ruleDecisionOf, type WorstCase } from '../governance-steps';
import type { PolicyEvaluation } from '../policy/policy-engine';
import type { GovernedRequest } from '../types';
import type { Decision, Unit } from './types';

export interface Evaluated {
  evaluation: PolicyEvaluation;
  decision: Decision;
}

/** The rules' verdict on `request` (the unit's own request, or its cheaper model after a downgrade). */
export function evaluate(unit: Unit, request: GovernedRequest, cost: WorstCase, now: number): Evaluated {
  const evaluation = unit.policy.engine.evaluate({
    request,
    attribution: unit.attribution,
    outputBound: cost.outputBound,
    worstCaseNanos: cost.worstNanos,
    now,
  });
  // Most calls break no rule: one object for their decision, not a rule decision spread into another.
  let decision: Decision;
  if (evaluation.blocking === undefined && evaluation.warning === undefined && evaluation.redaction === undefined)
    decision = { result: 'ALLOWED', constraint: 'none' };
  else {
    const rules = ruleDecisionOf(evaluation);
    decision = { ...rules, constraint: rules.result === 'ALLOWED' ? 'none' : 'policy' };
  }
  // Set afresh on each admission: after a downgrade only the cheaper model's findings count.
  unit.redactions = evaluation.redaction?.counts;
  unit.shadow =
    evaluation.shadow.length > 0 ? evaluation.shadow.map((found) => `${found.rule}:${found.reasonCode}`) : undefined;
  return { evaluation, decision };
}
