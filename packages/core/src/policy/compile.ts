import { type Budget, compileBudget, compileRateLimit } from '../budget/budget-set';
import type { ResolvedOptions } from '../config';
import { parseDuration } from '../duration';
import { ConfigError } from '../errors/config-error';
import { usdToNanos } from '../money';
import type { CompiledPolicy } from './compiled-policy';
import { PolicyEngine } from './policy-engine';
import type { BudgetInput, PolicyDocument, RuleInput } from './schema';

export type { CompiledPolicy };

/** What compiling a policy reads of `GenOps.init()`'s resolved options. */
export type CompileOptions = Pick<
  ResolvedOptions,
  | 'policies'
  | 'enablePolicyEnforcement'
  | 'timezone'
  | 'dailyBudgetLimit'
  | 'budgets'
  | 'requireApprovalOver'
  | 'approvalTimeoutMs'
  | 'approvalTimeoutDecision'
  | 'alerts'
>;

/** The defaults of those options (what `parseOptions({})` resolves them to), for a document compiled on its own. */
const NO_OPTIONS: CompileOptions = { enablePolicyEnforcement: true, budgets: [] };

/** The rules GenOps.init()'s `policies` shorthand stands for, named as before so spans stay the same. */
export function legacyRules(options: CompileOptions): RuleInput[] {
  const policies = options.policies;
  if (!policies) return [];
  const mode = policies.mode;
  const rules: RuleInput[] = [];
  if (policies.requireAttribution?.length)
    rules.push({ name: 'requireAttribution', type: 'attribution', require: policies.requireAttribution, mode });
  if (policies.denyProviders)
    rules.push({ name: 'denyProviders', type: 'provider', deny: policies.denyProviders, mode });
  if (policies.allowProviders)
    rules.push({ name: 'allowProviders', type: 'provider', allow: policies.allowProviders, mode });
  if (policies.denyModels) rules.push({ name: 'denyModels', type: 'model', deny: policies.denyModels, mode });
  if (policies.allowModels) rules.push({ name: 'allowModels', type: 'model', allow: policies.allowModels, mode });
  if (policies.maxTokens !== undefined)
    rules.push({ name: 'maxTokens', type: 'tokens', maxOutput: policies.maxTokens, mode });
  if (policies.maxCostPerCall !== undefined)
    rules.push({ name: 'maxCostPerCall', type: 'cost', maxPerCall: policies.maxCostPerCall, mode });
  return rules;
}

/**
 * Compiles a policy document together with what GenOps.init() sets in code: `policies` rules come
 * first, then the document's; `dailyBudgetLimit` (budget `daily`), `budgets` and the document's
 * budgets must have distinct names; `requireApprovalOver`, `approvalTimeoutMs` and
 * `approvalTimeoutDecision` in code win over the document's `approvals`. Without `options`, the
 * document is compiled on its own (as `genops policy validate` does).
 */
export function compilePolicy(document: PolicyDocument, options: CompileOptions = NO_OPTIONS): CompiledPolicy {
  const legacy = legacyRules(options);
  const names = new Set(legacy.map((rule) => rule.name));
  for (const [index, rule] of document.rules.entries()) {
    if (names.has(rule.name))
      throw new ConfigError({
        path: `rules[${index}].name`,
        message: `rule name "${rule.name}" is also used by GenOps.init({ policies }) (its ${rule.name} option)`,
        expected: 'a rule name not used by the policies shorthand',
        received: rule.name,
      });
  }
  const merged: PolicyDocument = {
    ...document,
    rules: [...legacy.map((rule) => ({ ...rule }) as PolicyDocument['rules'][number]), ...document.rules],
  };
  // Code wins over the document, as for approvals: GenOps.init({ timezone }), else the document's, else UTC.
  const zone = options.timezone ?? document.timezone ?? 'UTC';
  const engine = new PolicyEngine(merged, options.enablePolicyEnforcement, zone);

  const budgetInputs: Array<{ budget: BudgetInput; path: string }> = [];
  if (options.dailyBudgetLimit !== undefined)
    budgetInputs.push({
      budget: { name: 'daily', limit: options.dailyBudgetLimit, window: 'day' },
      path: 'dailyBudgetLimit',
    });
  for (const [index, budget] of options.budgets.entries()) budgetInputs.push({ budget, path: `budgets[${index}]` });
  for (const [index, budget] of document.budgets.entries())
    budgetInputs.push({ budget, path: `policy budgets[${index}]` });
  const budgetNames = new Map<string, string>();
  const budgets: Budget[] = [];
  for (const { budget, path } of budgetInputs) {
    const other = budgetNames.get(budget.name);
    if (other !== undefined)
      throw new ConfigError({
        path: `${path}.name`,
        message: `duplicate budget name "${budget.name}" (also ${other})`,
        expected: 'a unique name per budget',
        received: budget.name,
      });
    budgetNames.set(budget.name, path);
    budgets.push(compileBudget(budget, zone));
  }

  const approvals = document.approvals;
  const overUsd = options.requireApprovalOver ?? approvals?.over;
  const documentTimeout =
    approvals?.timeout === undefined
      ? undefined
      : typeof approvals.timeout === 'number'
        ? approvals.timeout
        : parseDuration(approvals.timeout);
  return {
    engine,
    budgets,
    rateLimits: engine.rateRules.map(compileRateLimit),
    approvals: {
      overNanos: overUsd === undefined ? undefined : usdToNanos(overUsd),
      overUsd,
      timeoutMs: options.approvalTimeoutMs ?? documentTimeout ?? 300_000,
      onTimeout: options.approvalTimeoutDecision ?? approvals?.onTimeout ?? 'deny',
    },
    alerts: { webhook: options.alerts?.webhook ?? document.alerts?.webhook },
    version: engine.version,
  };
}

/** An empty policy document (what applies when GenOps.init() gets no `policy`). */
export const EMPTY_POLICY: PolicyDocument = { version: 1, mode: 'enforce', rules: [], budgets: [] };
