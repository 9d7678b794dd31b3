import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/hash';
import { ContentScanError } from '../errors/content-scan-error';
import { foldText, GlobSet } from '../glob';
import { formatUsdNanosExact, usdToNanos } from '../money';
import type { ReasonCode } from '../semconv';
import type { Attribution, GovernedRequest } from '../types';
import { compileDetectors, type Detector, type Finding } from './detectors/index';
import type { PolicyDocument, PolicyMode, Rule, RuleType } from './schema';
import { compileTimeWindows } from './time-window';

export type { PolicyMode } from './schema';

/** Providers whose calls carry a region (region rules apply to them by default). */
export const REGION_PROVIDERS = ['aws.bedrock', 'azure.ai.openai', 'gcp.vertex_ai'] as const;

/** Facts the engine decides on, computed once by the governor. */
export interface PolicyInput {
  request: Readonly<GovernedRequest>;
  attribution: Readonly<Attribution>;
  /** The output bound the reservation uses (request cap, price data or default). */
  outputBound: number;
  /** Worst-case cost in nano-USD, when the model has a price. */
  worstCaseNanos: number | undefined;
  /** Epoch ms (time-window rules). */
  now: number;
}

/** One rule's finding on a call. */
export interface Violation {
  rule: string;
  type: RuleType;
  mode: PolicyMode;
  reasonCode: ReasonCode;
  message: string;
}

/** What the rules decided about a call, before budgets, rate limits and approval. */
export interface PolicyEvaluation {
  /** The first violation of a rule in `enforce` mode: the call is denied. */
  blocking: Violation | undefined;
  /** The first violation of a rule in `warn` mode (the call runs with a WARNING). */
  warning: Violation | undefined;
  /** Violations of rules in `shadow` mode (recorded only). */
  shadow: Violation[];
  /** Redaction to apply to every text part of the request before it is sent. */
  redaction: { rule: string; rewrite: (text: string) => string; counts: Record<string, number> } | undefined;
  /** A tool rule holds the call for approval. */
  approval: { rule: string; reason: string } | undefined;
}

/** A rule's verdict for `genops policy explain`. */
export interface RuleExplanation {
  rule: string;
  type: RuleType;
  mode: PolicyMode;
  /** `not_applicable`: the rule's `when` does not match; `runtime`: decided while or after the call runs. */
  outcome: 'pass' | 'violation' | 'not_applicable' | 'runtime' | 'redact' | 'approval';
  reasonCode?: ReasonCode;
  message?: string;
}

/** A compiled rate-limit rule; the governor turns it into a rolling budget line per call. */
export interface RateRule {
  name: string;
  mode: PolicyMode;
  limit: number;
  unit: 'requests' | 'tokens';
  window: string;
  per: readonly string[];
  when: Selector | undefined;
}

/** A compiled SLA rule, applied when the call ends. */
export interface SlaRule {
  name: string;
  latencyMs: number;
  tier: string | undefined;
  when: Selector | undefined;
}

/** A compiled output-content rule (scope output or both), applied to streamed output. */
export interface OutputContentRule {
  name: string;
  mode: PolicyMode;
  detector: Detector;
  when: Selector | undefined;
}

type Subject = Readonly<Attribution> & { provider: string; model: string; operation: string; tool?: string };

/**
 * The value of `key` when it is the subject's own string property: an inherited name (`constructor`,
 * `toString`, `__proto__`) is never an attribute of a call.
 */
export function ownValue(subject: Readonly<Record<string, unknown>>, key: string): string | undefined {
  if (!Object.hasOwn(subject, key)) return undefined;
  const value = subject[key];
  return typeof value === 'string' ? value : undefined;
}

/** A `when` / `match` selector: every key's value (an own property of the subject) must match one of its globs. */
export class Selector {
  private readonly entries: ReadonlyArray<readonly [string, GlobSet]>;
  constructor(selector: Readonly<Record<string, string | readonly string[]>>) {
    this.entries = Object.entries(selector).map(
      ([key, value]) => [key, new GlobSet(typeof value === 'string' ? [value] : value)] as const,
    );
  }
  /** A key whose globs are all literals, with their folded values: the selector matches only those. */
  exactKey(): { key: string; values: string[] } | undefined {
    for (const [key, globs] of this.entries) {
      const values = globs.literals();
      if (values) return { key, values };
    }
    return undefined;
  }
  matches(subject: Readonly<Record<string, string | undefined>>): boolean {
    for (const [key, globs] of this.entries) {
      const value = ownValue(subject, key);
      if (value === undefined || !globs.matches(value)) return false;
    }
    return true;
  }
}

interface CompiledRule {
  name: string;
  type: RuleType;
  mode: PolicyMode;
  when: Selector | undefined;
  /** Pre-execution check; `undefined` = passes. */
  check?: (
    input: PolicyInput,
    subject: Subject,
    texts: () => readonly string[],
  ) => Omit<Violation, 'rule' | 'type' | 'mode'> | undefined;
  /** Content rules with `action: redact`. */
  redactor?: Detector;
  /** Tool rules with `requireApproval`. */
  approval?: (input: PolicyInput) => string | undefined;
  /** The rule can only find something when this field of the request has one of these (folded) values. */
  key?: RuleKey | undefined;
}

/** A request field a rule is indexed by. */
type RequestField = 'model' | 'provider' | 'tool';

interface RuleKey {
  field: RequestField;
  values: string[];
}

/**
 * Pre-execution rules by what they match on, so a call looks only at the rules that can apply to it:
 * a rule whose `when` has a key with literal values only (`team: support`), or a deny-only model,
 * provider or tool rule with literal names, is filed under those values; every other rule (globs,
 * allow lists, limits) is residual and looked at on every call.
 */
interface RuleIndex {
  /** Positions of the rules looked at on every call, ascending. */
  residual: number[];
  /** `when:<key>` (an attribute of the subject) or a request field → folded value → positions, ascending. */
  fields: Map<string, Map<string, number[]>>;
}

/** Options of {@link PolicyEngine}. */
export interface PolicyEngineOptions {
  /**
   * Index rules by what they match on (default `true`). `false` looks at every rule on every call;
   * the result is the same (the indexed engine is property-tested against it).
   */
  indexRules?: boolean;
}

/** The rules of a policy document, compiled once; evaluation is allocation-light (it runs on every call). */
export class PolicyEngine {
  /** Short content hash of the document, recorded on spans and audit records. */
  readonly version: string;
  readonly mode: PolicyMode;
  readonly rateRules: readonly RateRule[];
  readonly slaRules: readonly SlaRule[];
  readonly outputRules: readonly OutputContentRule[];
  private readonly rules: readonly CompiledRule[];
  private readonly index: RuleIndex | undefined;

  /**
   * @param enforcement `false` (`enablePolicyEnforcement: false`) turns every rule to shadow mode:
   * decisions are recorded, nothing is blocked or changed.
   */
  constructor(
    readonly document: PolicyDocument,
    enforcement = true,
    /** Time zone of time-window rules that set none; default: the document's `timezone`, else UTC. */
    timeZone?: string,
    options: PolicyEngineOptions = {},
  ) {
    this.version = createHash('sha256').update(canonicalJson(document)).digest('hex').slice(0, 12);
    this.mode = enforcement ? document.mode : 'shadow';
    const modeOf = (rule: Rule): PolicyMode => (enforcement ? (rule.mode ?? document.mode) : 'shadow');
    const zone = timeZone ?? document.timezone ?? 'UTC';
    const rules: CompiledRule[] = [];
    const rateRules: RateRule[] = [];
    const slaRules: SlaRule[] = [];
    const outputRules: OutputContentRule[] = [];
    for (const rule of document.rules) {
      const when = rule.when ? new Selector(rule.when) : undefined;
      const base = { name: rule.name, type: rule.type, mode: modeOf(rule), when };
      switch (rule.type) {
        case 'rate_limit':
          rateRules.push({
            name: rule.name,
            mode: base.mode,
            limit: rule.limit,
            unit: rule.unit,
            window: rule.window,
            per: rule.per === undefined ? [] : typeof rule.per === 'string' ? [rule.per] : rule.per,
            when,
          });
          break;
        case 'sla':
          slaRules.push({ name: rule.name, latencyMs: rule.latencyMs, tier: rule.tier, when });
          break;
        case 'content': {
          const detector = compileDetectors(
            {
              ...(rule.detect ? { detect: rule.detect } : {}),
              ...(rule.patterns ? { patterns: rule.patterns } : {}),
            },
            {
              maxTextLength: document.limits?.contentMaxChars,
              timeBudgetMs: document.limits?.contentScanBudgetMs,
            },
          );
          if (rule.scope !== 'input') outputRules.push({ name: rule.name, mode: base.mode, detector, when });
          if (rule.scope === 'output') break;
          rules.push(
            rule.action === 'redact' ? { ...base, redactor: detector } : { ...base, check: contentCheck(detector) },
          );
          break;
        }
        default:
          rules.push({ ...base, ...compileRule(rule, zone) });
      }
    }
    this.rules = rules;
    this.index = options.indexRules === false ? undefined : indexRules(rules);
    this.rateRules = rateRules;
    this.slaRules = slaRules;
    this.outputRules = outputRules;
  }

  /** Decides a call against every pre-execution rule. */
  evaluate(input: PolicyInput): PolicyEvaluation {
    const evaluation: PolicyEvaluation = {
      blocking: undefined,
      warning: undefined,
      shadow: [],
      redaction: undefined,
      approval: undefined,
    };
    if (this.rules.length === 0) return evaluation;
    const subject = subjectOf(input);
    let cached: string[] | undefined;
    const texts = () => (cached ??= readTexts(input.request));
    for (const position of this.candidates(input, subject)) {
      const rule = this.rules[position]!;
      if (rule.when && !rule.when.matches(subject)) continue;
      if (rule.redactor) {
        const scanned = scanTexts(rule.redactor, texts());
        const counts = scanned.counts;
        if (!counts) continue;
        const summary = describeCounts(counts);
        if (rule.mode !== 'enforce') {
          this.add(
            evaluation,
            rule,
            'POLICY_DENY_CONTENT',
            `would redact ${summary} (rule "${rule.name}", ${rule.mode} mode)`,
          );
          continue;
        }
        if (counts.unscannable) {
          this.add(
            evaluation,
            rule,
            'POLICY_DENY_CONTENT',
            `The request has a text part that rule "${rule.name}" could not scan (longer than the policy's limits.contentMaxChars, or past limits.contentScanBudgetMs), so it cannot be redacted and the call was denied. Send less text in one part, or raise the limit.`,
          );
          continue;
        }
        if (!input.request.editable?.text) {
          this.add(
            evaluation,
            rule,
            'POLICY_DENY_CONTENT',
            `The request contains ${summary}, which rule "${rule.name}" redacts, but this SDK call's text cannot be rewritten by GenOps, so the call was denied instead. Remove the data from the request, or change the rule's action to deny.`,
          );
          continue;
        }
        const detector = rule.redactor;
        // The findings of this scan are reused when the same text is rewritten: one pass per text.
        const rewriteOne = (text: string): string => detector.redact(text, scanned.findings.get(text)).text;
        const previous = evaluation.redaction;
        evaluation.redaction = previous
          ? {
              rule: `${previous.rule},${rule.name}`,
              rewrite: (text) => rewriteOne(previous.rewrite(text)),
              counts: mergeCounts(previous.counts, counts),
            }
          : { rule: rule.name, rewrite: rewriteOne, counts };
        continue;
      }
      if (rule.approval && rule.mode === 'enforce' && !evaluation.approval) {
        const reason = rule.approval(input);
        if (reason) evaluation.approval = { rule: rule.name, reason };
      }
      if (!rule.check) continue;
      const found = rule.check(input, subject, texts);
      if (found) this.add(evaluation, rule, found.reasonCode, found.message);
      if (evaluation.blocking) break;
    }
    return evaluation;
  }

  /** Positions of the rules that can apply to the call, ascending (every rule without an index). */
  private candidates(input: PolicyInput, subject: Subject): Iterable<number> {
    const index = this.index;
    if (!index) return this.rules.keys();
    let lists: number[][] | undefined;
    for (const [field, byValue] of index.fields) {
      const value = field.startsWith('when:') ? ownValue(subject, field.slice(5)) : requestField(input.request, field);
      if (value === undefined) continue;
      const hit = byValue.get(foldText(value));
      if (hit) (lists ??= []).push(hit);
    }
    if (!lists) return index.residual;
    const merged = index.residual.concat(...lists);
    return merged.sort((a, b) => a - b);
  }

  /** Every rule's verdict on a call, for `genops policy explain`. Rate limits and SLAs are `runtime`. */
  explain(input: PolicyInput): RuleExplanation[] {
    const subject = subjectOf(input);
    let cached: string[] | undefined;
    const texts = () => (cached ??= readTexts(input.request));
    const out: RuleExplanation[] = [];
    for (const rule of this.rules) {
      const base = { rule: rule.name, type: rule.type, mode: rule.mode };
      if (rule.when && !rule.when.matches(subject)) {
        out.push({ ...base, outcome: 'not_applicable' });
        continue;
      }
      if (rule.redactor) {
        const counts = countFindings(rule.redactor, texts());
        if (!counts) out.push({ ...base, outcome: 'pass' });
        else if (rule.mode === 'enforce')
          out.push({
            ...base,
            outcome: 'redact',
            reasonCode: 'POLICY_DENY_CONTENT',
            message: `redacts ${describeCounts(counts)}`,
          });
        else
          out.push({
            ...base,
            outcome: 'violation',
            reasonCode: 'POLICY_DENY_CONTENT',
            message: `would redact ${describeCounts(counts)} (${rule.mode} mode: nothing is rewritten)`,
          });
        continue;
      }
      const found = rule.check?.(input, subject, texts);
      if (found) {
        out.push({ ...base, outcome: 'violation', reasonCode: found.reasonCode, message: found.message });
        continue;
      }
      const approval = rule.approval?.(input);
      out.push(approval ? { ...base, outcome: 'approval', message: approval } : { ...base, outcome: 'pass' });
    }
    for (const rule of this.rateRules) {
      out.push({
        rule: rule.name,
        type: 'rate_limit',
        mode: rule.mode,
        outcome: rule.when && !rule.when.matches(subject) ? 'not_applicable' : 'runtime',
        message: `at most ${rule.limit} ${rule.unit} per ${rule.window}${rule.per.length ? ` per ${rule.per.join(', ')}` : ''}`,
      });
    }
    for (const rule of this.outputRules) {
      out.push({
        rule: rule.name,
        type: 'content',
        mode: rule.mode,
        outcome: rule.when && !rule.when.matches(subject) ? 'not_applicable' : 'runtime',
        message: 'scans streamed output',
      });
    }
    for (const rule of this.slaRules) {
      out.push({
        rule: rule.name,
        type: 'sla',
        mode: 'warn',
        outcome: rule.when && !rule.when.matches(subject) ? 'not_applicable' : 'runtime',
        message: `latency target ${rule.latencyMs} ms`,
      });
    }
    return out;
  }

  /** The SLA rule that applies to a call (the first whose `when` matches). */
  slaFor(subject: Readonly<Record<string, string | undefined>>): SlaRule | undefined {
    for (const rule of this.slaRules) if (!rule.when || rule.when.matches(subject)) return rule;
    return undefined;
  }

  private add(evaluation: PolicyEvaluation, rule: CompiledRule, reasonCode: ReasonCode, message: string): void {
    const violation: Violation = { rule: rule.name, type: rule.type, mode: rule.mode, reasonCode, message };
    if (rule.mode === 'enforce') evaluation.blocking ??= violation;
    else if (rule.mode === 'warn') evaluation.warning ??= violation;
    else evaluation.shadow.push(violation);
  }
}

function requestField(request: Readonly<GovernedRequest>, field: string): string | undefined {
  if (field === 'model') return request.model;
  if (field === 'provider') return request.provider;
  return field === 'tool' ? request.tool?.name : undefined;
}

function indexRules(rules: readonly CompiledRule[]): RuleIndex {
  const residual: number[] = [];
  const fields = new Map<string, Map<string, number[]>>();
  for (const [position, rule] of rules.entries()) {
    const exact = rule.when?.exactKey();
    const key = exact ? { field: `when:${exact.key}`, values: exact.values } : rule.key;
    if (!key) {
      residual.push(position);
      continue;
    }
    let byValue = fields.get(key.field);
    if (!byValue) fields.set(key.field, (byValue = new Map()));
    for (const value of new Set(key.values)) {
      const list = byValue.get(value);
      if (list) list.push(position);
      else byValue.set(value, [position]);
    }
  }
  return { residual, fields };
}

/** The facts selectors match on: attribution plus provider, model, operation and tool. */
export function subjectOf(input: Pick<PolicyInput, 'request' | 'attribution'>): Subject {
  const { request, attribution } = input;
  const tool = request.tool ? request.tool.name : undefined;
  // The policy, the budgets and the SLA rules each ask for the subject of a call, and consecutive calls
  // mostly share their attribution (the frozen init defaults, or one `withAttribution` scope) and model:
  // the last subject is reused when it was made from the same frozen attribution and request facts.
  const last = lastSubject;
  if (last !== undefined && lastAttribution === attribution && sameFacts(last, request, tool)) return last;
  // Calls of several frozen attributions interleaved (the gateway's virtual keys, an app's teams): each
  // attribution keeps the subjects made from it, the newest few.
  const frozen = Object.isFrozen(attribution);
  const known = frozen ? subjectsBy.get(attribution) : undefined;
  let subject: Subject | undefined;
  if (known !== undefined)
    for (let index = known.length - 1; index >= 0 && subject === undefined; index--)
      if (sameFacts(known[index]!, request, tool)) subject = known[index];
  if (subject === undefined) {
    const made: Subject = {
      ...attribution,
      provider: request.provider,
      model: request.model,
      operation: request.operation,
    };
    if (request.tool) made.tool = tool;
    if (!frozen) return made;
    subject = Object.freeze(made);
    if (known === undefined) subjectsBy.set(attribution, [subject]);
    else {
      if (known.length === SUBJECTS_PER_ATTRIBUTION) known.shift();
      known.push(subject);
    }
  }
  lastAttribution = attribution;
  lastSubject = subject;
  return subject;
}

/** Whether `subject` was made for a request with these provider, model, operation and tool. */
function sameFacts(subject: Subject, request: Readonly<GovernedRequest>, tool: string | undefined): boolean {
  return (
    subject.provider === request.provider &&
    subject.model === request.model &&
    subject.operation === request.operation &&
    subject.tool === tool
  );
}

/** The subject {@link subjectOf} made last from a frozen attribution (frozen too), and that attribution. */
let lastSubject: Subject | undefined;
let lastAttribution: Readonly<Attribution> | undefined;
/** How many subjects (models, operations, tools) each frozen attribution keeps: the oldest makes way. */
const SUBJECTS_PER_ATTRIBUTION = 8;
/** The subjects made from each frozen attribution, oldest first, for as long as the attribution lives. */
const subjectsBy = new WeakMap<Readonly<Attribution>, Subject[]>();

function readTexts(request: Readonly<GovernedRequest>): string[] {
  try {
    return request.text?.() ?? [];
  } catch {
    return [];
  }
}

/** Per-kind counts of findings in `texts`, or `undefined` when there are none. */
function countFindings(detector: Detector, texts: readonly string[]): Record<string, number> | undefined {
  return scanTexts(detector, texts).counts;
}

/**
 * Finds content in each text once: the per-kind counts (`undefined` when there are none) and the
 * findings by text, for a redaction to reuse. A text that cannot be scanned (longer than the limit, or
 * past the time budget: a `ContentScanError`) counts as one `unscannable` finding, so a content rule
 * never lets it through unchecked; it cannot be redacted, only denied.
 */
function scanTexts(
  detector: Detector,
  texts: readonly string[],
): { counts: Record<string, number> | undefined; findings: Map<string, Finding[]> } {
  let counts: Record<string, number> | undefined;
  const findings = new Map<string, Finding[]>();
  for (const text of texts) {
    let found: Finding[];
    try {
      found = detector.find(text);
    } catch (error) {
      if (!ContentScanError.isInstance(error)) throw error;
      counts ??= {};
      counts.unscannable = (counts.unscannable ?? 0) + 1;
      continue;
    }
    findings.set(text, found);
    for (const finding of found) {
      counts ??= {};
      counts[finding.kind] = (counts[finding.kind] ?? 0) + 1;
    }
  }
  return { counts, findings };
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [kind, count] of Object.entries(b)) out[kind] = (out[kind] ?? 0) + count;
  return out;
}

/** `2 email, 1 payment_card` — kinds and counts, never values. */
export function describeCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
}

function contentCheck(detector: Detector): CompiledRule['check'] {
  return (_input, _subject, texts) => {
    const counts = countFindings(detector, texts());
    if (!counts) return undefined;
    return {
      reasonCode: 'POLICY_DENY_CONTENT',
      message: `The request contains ${describeCounts(counts)}, which policy does not allow to be sent to a model. Remove it from the request, or redact it (action: redact).`,
    };
  };
}

/** An input-size estimate for `tokens.maxInput`: UTF-8 bytes of the text ÷ 4, rounded up. */
export function estimateTextTokens(request: Readonly<GovernedRequest>): number {
  const texts = readTexts(request);
  if (texts.length === 0) return Math.ceil(request.estimatedInputTokens / 4);
  let bytes = 0;
  for (const text of texts) bytes += Buffer.byteLength(text, 'utf8');
  return Math.ceil(bytes / 4);
}

type RuleParts = Pick<CompiledRule, 'check' | 'approval' | 'key'>;

/** A deny-only rule of literal names can only fire for those names. */
function denyKey(
  field: RequestField,
  allow: GlobSet | undefined,
  ...lists: Array<GlobSet | undefined>
): RuleKey | undefined {
  if (allow) return undefined;
  const values: string[] = [];
  for (const list of lists) {
    if (!list) continue;
    const literals = list.literals();
    if (!literals) return undefined;
    values.push(...literals);
  }
  return values.length > 0 ? { field, values } : undefined;
}

function compileRule(rule: Exclude<Rule, { type: 'rate_limit' | 'sla' | 'content' }>, zone: string): RuleParts {
  switch (rule.type) {
    case 'model': {
      const allow = rule.allow ? new GlobSet(rule.allow) : undefined;
      const deny = rule.deny ? new GlobSet(rule.deny) : undefined;
      return {
        key: denyKey('model', allow, deny),
        // Model rules decide which models run; a tool call (`execute_tool`, named in `model`) is for tool rules.
        check: ({ request }) => {
          if (request.operation === 'execute_tool') return undefined;
          if (deny?.matches(request.model))
            return {
              reasonCode: 'POLICY_DENY_MODEL',
              message: `Model "${request.model}" is denied by policy rule "${rule.name}" (deny: ${deny.globs.join(', ')}). Use another model or change the rule.`,
            };
          if (allow && !allow.matches(request.model))
            return {
              reasonCode: 'POLICY_DENY_MODEL',
              message: `Model "${request.model}" is not in the models allowed by policy rule "${rule.name}" (allow: ${allow.globs.join(', ')}). Use an allowed model or add it to the rule.`,
            };
          return undefined;
        },
      };
    }
    case 'provider': {
      const allow = rule.allow ? new GlobSet(rule.allow) : undefined;
      const deny = rule.deny ? new GlobSet(rule.deny) : undefined;
      return {
        key: denyKey('provider', allow, deny),
        check: ({ request }) => {
          // Provider rules decide which model providers are called; tool calls are for tool rules.
          if (request.operation === 'execute_tool') return undefined;
          if (deny?.matches(request.provider) || (allow && !allow.matches(request.provider)))
            return {
              reasonCode: 'x_deny_provider',
              message: `Provider "${request.provider}" is not allowed by policy rule "${rule.name}" (${[allow ? `allow: ${allow.globs.join(', ')}` : '', deny ? `deny: ${deny.globs.join(', ')}` : ''].filter(Boolean).join('; ')}). Use an allowed provider or change the rule.`,
            };
          return undefined;
        },
      };
    }
    case 'region': {
      const allow = rule.allow ? new GlobSet(rule.allow) : undefined;
      const deny = rule.deny ? new GlobSet(rule.deny) : undefined;
      const providers = new GlobSet(rule.providers ?? [...REGION_PROVIDERS]);
      return {
        check: ({ request }) => {
          if (request.region === undefined || !providers.matches(request.provider)) return undefined;
          if (deny?.matches(request.region) || (allow && !allow.matches(request.region)))
            return {
              reasonCode: 'POLICY_DENY_REGION',
              message: `Region "${request.region}" of provider "${request.provider}" is not allowed by policy rule "${rule.name}" (${[allow ? `allow: ${allow.globs.join(', ')}` : '', deny ? `deny: ${deny.globs.join(', ')}` : ''].filter(Boolean).join('; ')}). Send the call to an allowed region or change the rule.`,
            };
          return undefined;
        },
      };
    }
    case 'tokens':
      return {
        check: ({ request, outputBound }) => {
          if (rule.maxOutput !== undefined && outputBound > rule.maxOutput) {
            const source =
              request.maxOutputTokens === undefined
                ? `the request sets no output cap, so the model's limit of ${outputBound} applies`
                : `the request asks for up to ${outputBound}`;
            return {
              reasonCode: 'x_max_tokens_exceeded',
              message: `Policy rule "${rule.name}" allows at most ${rule.maxOutput} output tokens per call; ${source}. Set max_tokens (or the SDK's equivalent) to ${rule.maxOutput} or less, or change the rule.`,
            };
          }
          if (rule.maxInput !== undefined) {
            const estimate = estimateTextTokens(request);
            if (estimate > rule.maxInput)
              return {
                reasonCode: 'x_max_input_tokens_exceeded',
                message: `The request's input is about ${estimate} tokens (estimated as UTF-8 bytes ÷ 4), above the ${rule.maxInput} allowed by policy rule "${rule.name}". Shorten the prompt or change the rule.`,
              };
          }
          return undefined;
        },
      };
    case 'cost': {
      const maxNanos = usdToNanos(rule.maxPerCall);
      return {
        check: ({ worstCaseNanos }) => {
          if (worstCaseNanos === undefined || worstCaseNanos <= maxNanos) return undefined;
          return {
            reasonCode: 'x_max_cost_exceeded',
            message: `This call may cost up to ${formatUsdNanosExact(worstCaseNanos)}, above the ${formatUsdNanosExact(maxNanos)} per call allowed by policy rule "${rule.name}". Lower the call's max output tokens or input size, or change the rule.`,
          };
        },
      };
    }
    case 'attribution': {
      const required = Array.isArray(rule.require)
        ? rule.require.map((key) => [key, undefined] as const)
        : Object.entries(rule.require).map(
            ([key, value]) => [key, new GlobSet(typeof value === 'string' ? [value] : value)] as const,
          );
      return {
        check: ({ attribution }) => {
          for (const [key, globs] of required) {
            const value = ownValue(attribution, key);
            if (!value)
              return {
                reasonCode: 'x_attribution_missing',
                message: `Policy rule "${rule.name}" requires attribution "${key}", and this call has none. Set it with withAttribution({ ${key}: '...' }, fn) or in GenOps.init({ defaults: { ${key}: '...' } }).`,
              };
            if (globs && !globs.matches(value))
              return {
                reasonCode: 'x_attribution_invalid',
                message: `Attribution ${key}="${value}" does not match ${globs.globs.join(' or ')}, as policy rule "${rule.name}" requires. Fix the value passed to withAttribution() or the rule.`,
              };
          }
          return undefined;
        },
      };
    }
    case 'time_window': {
      const windows = compileTimeWindows(rule, zone);
      return {
        check: ({ now }) =>
          windows.allows(now)
            ? undefined
            : {
                reasonCode: 'x_time_window',
                message: `Policy rule "${rule.name}" does not allow calls at this time (allowed: ${windows.describe()}). Try again when calls are allowed, or change the rule.`,
              },
      };
    }
    case 'tool': {
      const allow = rule.allow ? new GlobSet(rule.allow) : undefined;
      const deny = rule.deny ? new GlobSet(rule.deny) : undefined;
      const approve = rule.requireApproval ? new GlobSet(rule.requireApproval) : undefined;
      return {
        key: denyKey('tool', allow, deny, approve),
        check: ({ request }) => {
          const tool = request.tool?.name;
          if (request.operation !== 'execute_tool' || tool === undefined) return undefined;
          if (deny?.matches(tool) || (allow && !allow.matches(tool) && !approve?.matches(tool)))
            return {
              reasonCode: 'x_tool_denied',
              message: `Tool "${tool}" is not allowed by policy rule "${rule.name}" (${[allow ? `allow: ${allow.globs.join(', ')}` : '', deny ? `deny: ${deny.globs.join(', ')}` : ''].filter(Boolean).join('; ')}). The agent must use another tool, or change the rule.`,
            };
          return undefined;
        },
        approval: ({ request }) => {
          const tool = request.tool?.name;
          if (request.operation !== 'execute_tool' || tool === undefined || !approve?.matches(tool)) return undefined;
          return `tool "${tool}" requires approval (rule "${rule.name}")`;
        },
      };
    }
  }
}
