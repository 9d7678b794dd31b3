import type { PolicyOptions } from '../config';
import { GlobSet } from '../glob';
import { formatUsd, usdToMicros } from '../money';
import type { ReasonCode } from '../semconv';
import type { Attribution, GovernedRequest } from '../types';

export type PolicyMode = 'enforce' | 'warn' | 'shadow';

/** One rule's verdict on a call. */
export interface Violation {
  rule: string;
  reasonCode: ReasonCode;
  message: string;
}

/** What the policy engine decided, before budgets. */
export interface PolicyDecision {
  mode: PolicyMode;
  /** The first violation, if any (the one that decides). */
  violation: Violation | undefined;
}

/** Facts the engine decides on, computed once by the governor. */
export interface PolicyInput {
  request: Readonly<GovernedRequest>;
  attribution: Readonly<Attribution>;
  /** The output bound the reservation uses (request cap, price data or default). */
  outputBound: number;
  /** Worst-case cost in micro-USD, when the model has a price. */
  worstCaseMicros: number | undefined;
}

/** First-cut policy rules, compiled once at init. */
export class PolicyEngine {
  readonly mode: PolicyMode;
  private readonly allowModels: GlobSet | undefined;
  private readonly denyModels: GlobSet | undefined;
  private readonly allowProviders: GlobSet | undefined;
  private readonly denyProviders: GlobSet | undefined;
  private readonly maxTokens: number | undefined;
  private readonly maxCostMicros: number | undefined;
  private readonly requireAttribution: readonly string[];

  constructor(options: PolicyOptions | undefined, enforcement: boolean) {
    this.mode = enforcement ? (options?.mode ?? 'enforce') : 'shadow';
    this.allowModels = options?.allowModels ? new GlobSet(options.allowModels) : undefined;
    this.denyModels = options?.denyModels ? new GlobSet(options.denyModels) : undefined;
    this.allowProviders = options?.allowProviders ? new GlobSet(options.allowProviders) : undefined;
    this.denyProviders = options?.denyProviders ? new GlobSet(options.denyProviders) : undefined;
    this.maxTokens = options?.maxTokens;
    this.maxCostMicros = options?.maxCostPerCall === undefined ? undefined : usdToMicros(options.maxCostPerCall);
    this.requireAttribution = options?.requireAttribution ?? [];
  }

  evaluate(input: PolicyInput): PolicyDecision {
    return { mode: this.mode, violation: this.firstViolation(input) };
  }

  private firstViolation({ request, attribution, outputBound, worstCaseMicros }: PolicyInput): Violation | undefined {
    for (const key of this.requireAttribution) {
      if (!attribution[key]) {
        return {
          rule: 'requireAttribution',
          reasonCode: 'x_attribution_missing',
          message: `Policy requires attribution "${key}", and this call has none. Set it with withAttribution({ ${key}: '...' }, fn) or in GenOps.init({ defaults: { ${key}: '...' } }).`,
        };
      }
    }
    if (
      this.denyProviders?.matches(request.provider) ||
      (this.allowProviders && !this.allowProviders.matches(request.provider))
    ) {
      return {
        rule: this.denyProviders?.matches(request.provider) ? 'denyProviders' : 'allowProviders',
        reasonCode: 'x_deny_provider',
        message: `Provider "${request.provider}" is not allowed by policy (${this.describeProviders()}). Change policies.allowProviders / policies.denyProviders to allow it.`,
      };
    }
    if (this.denyModels?.matches(request.model)) {
      return {
        rule: 'denyModels',
        reasonCode: 'POLICY_DENY_MODEL',
        message: `Model "${request.model}" is denied by policy (denyModels: ${this.denyModels.globs.join(', ')}). Use another model or remove it from policies.denyModels.`,
      };
    }
    if (this.allowModels && !this.allowModels.matches(request.model)) {
      return {
        rule: 'allowModels',
        reasonCode: 'POLICY_DENY_MODEL',
        message: `Model "${request.model}" is not in the allowed models (allowModels: ${this.allowModels.globs.join(', ')}). Use an allowed model or add it to policies.allowModels.`,
      };
    }
    if (this.maxTokens !== undefined && outputBound > this.maxTokens) {
      const source =
        request.maxOutputTokens === undefined
          ? `the request sets no output cap, so the model's limit of ${outputBound} applies`
          : `the request asks for up to ${outputBound}`;
      return {
        rule: 'maxTokens',
        reasonCode: 'x_max_tokens_exceeded',
        message: `Policy allows at most ${this.maxTokens} output tokens per call; ${source}. Set max_tokens (or the SDK's equivalent) to ${this.maxTokens} or less, or raise policies.maxTokens.`,
      };
    }
    if (this.maxCostMicros !== undefined && worstCaseMicros !== undefined && worstCaseMicros > this.maxCostMicros) {
      return {
        rule: 'maxCostPerCall',
        reasonCode: 'x_max_cost_exceeded',
        message: `This call may cost up to ${formatUsd(worstCaseMicros)}, above the policy's maximum of ${formatUsd(this.maxCostMicros)} per call. Lower the call's max output tokens or input size, or raise policies.maxCostPerCall.`,
      };
    }
    return undefined;
  }

  private describeProviders(): string {
    const parts: string[] = [];
    if (this.allowProviders) parts.push(`allowProviders: ${this.allowProviders.globs.join(', ')}`);
    if (this.denyProviders) parts.push(`denyProviders: ${this.denyProviders.globs.join(', ')}`);
    return parts.join('; ');
  }
}
