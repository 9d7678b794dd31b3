import type { CompiledPolicy } from '@genops/core/internal';

/** The policy page: the version in force, its mode, rules, budgets, rate limits and approval settings. */
export interface PolicyView {
  /** `false` when the console was started without a policy (a store on its own). */
  known: boolean;
  version: string | null;
  mode: string | null;
  source: string | null;
  rules: Array<{ name: string; type: string; mode: string; definition: unknown }>;
  budgets: Array<{
    name: string;
    limit: number;
    unit: string;
    window: string;
    per: string[];
    action: string;
    warnAt: number[];
  }>;
  rateLimits: Array<{ name: string; window: string; definition: unknown }>;
  approvals: { overUsd: number | null; timeoutMs: number; onTimeout: string } | null;
}

export function policyView(policy: CompiledPolicy | undefined, source: string | undefined): PolicyView {
  if (!policy)
    return {
      known: false,
      version: null,
      mode: null,
      source: source ?? null,
      rules: [],
      budgets: [],
      rateLimits: [],
      approvals: null,
    };
  const { engine } = policy;
  return {
    known: true,
    version: policy.version,
    mode: engine.mode,
    source: source ?? null,
    rules: engine.document.rules.map((rule) => ({
      name: rule.name,
      type: rule.type,
      mode: rule.mode ?? engine.mode,
      definition: rule,
    })),
    budgets: policy.budgets.map((budget) => ({
      name: budget.name,
      limit: budget.unit === 'USD' ? budget.limit / 1e9 : budget.limit,
      unit: budget.unit,
      window: budget.windowLabel,
      per: [...budget.per],
      action: budget.action,
      warnAt: [...budget.warnAt],
    })),
    rateLimits: policy.rateLimits.map(({ rule }) => ({
      name: rule.name,
      window: String(rule.window),
      definition: rule,
    })),
    approvals: {
      overUsd: policy.approvals.overUsd ?? null,
      timeoutMs: policy.approvals.timeoutMs,
      onTimeout: policy.approvals.onTimeout,
    },
  };
}
