// Budgets and rate limits of a compiled policy by name, built once per policy: lookups on the hot path
// (alerts, over-limit warnings, denials) are O(1), not a scan of every budget per line.
import type { Budget, RateLimit } from '../budget/budget-set';
import { RATE_PREFIX } from '../budget/budget-set';
import type { CompiledPolicy } from '../policy/compile';

interface PolicyIndex {
  budgets: Map<string, Budget>;
  /** By line budget name (`RATE_PREFIX` + rule name). */
  rateLimits: Map<string, RateLimit>;
}

const indexes = new WeakMap<CompiledPolicy, PolicyIndex>();

function indexOf(policy: CompiledPolicy): PolicyIndex {
  let index = indexes.get(policy);
  if (!index) {
    const budgets = new Map<string, Budget>();
    // The first budget of a name wins, as `find` did.
    for (const budget of policy.budgets) if (!budgets.has(budget.name)) budgets.set(budget.name, budget);
    const rateLimits = new Map<string, RateLimit>();
    for (const limit of policy.rateLimits) {
      const key = `${RATE_PREFIX}${limit.rule.name}`;
      if (!rateLimits.has(key)) rateLimits.set(key, limit);
    }
    index = { budgets, rateLimits };
    indexes.set(policy, index);
  }
  return index;
}

export function budgetNamed(policy: CompiledPolicy, name: string): Budget | undefined {
  return indexOf(policy).budgets.get(name);
}

/** The rate limit of a line's budget name (`RATE_PREFIX` + rule name). */
export function rateLimitOfLine(policy: CompiledPolicy, lineBudget: string): RateLimit | undefined {
  return indexOf(policy).rateLimits.get(lineBudget);
}
