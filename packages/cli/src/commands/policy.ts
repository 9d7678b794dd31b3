import { readFile } from 'node:fs/promises';
import { type Attribution, formatUsdNanosExact, nanosToUsd } from '@genops/core';
import { estimateInputTokens, type GovernedRequest, ruleDecisionOf } from '@genops/core/adapter';
import {
  type CompiledPolicy,
  DEFAULT_MAX_OUTPUT_TOKENS,
  linesFor,
  type PolicyEvaluation,
  type PolicyInput,
  PRICE_FILES,
  PriceTable,
  type RuleExplanation,
  subjectOf,
  type Violation,
  worstCaseOf,
} from '@genops/core/internal';
import { type Command, Option } from 'commander';
import { collectKeyValue, positiveInteger } from '../arguments';
import { CliError, describeReadError, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, errorLine } from '../errors';
import { formatAmount, formatCount, formatNanos, formatThreshold, plural, renderTable } from '../format';
import type { CliIo, Colors, CommandContext } from '../io';
import { formatProblem, type LoadedPolicy, loadPolicy, type PolicyProblem } from '../policy-file';
import { runCommandGroup } from '../program';

/** `gen_ai.operation.name` values a governed call can have. */
const OPERATIONS: readonly GovernedRequest['operation'][] = [
  'chat',
  'text_completion',
  'embeddings',
  'generate_content',
  'execute_tool',
  'invoke_agent',
  'create_agent',
  'invoke_workflow',
  'retrieval',
];

/** Adds `genops policy validate|explain` to `program`. */
export function registerPolicyCommands(program: Command, context: CommandContext): void {
  const policy = program
    .command('policy')
    .description('check a policy file, and see what it decides about a call')
    .addHelpText(
      'after',
      `
Examples:
  $ genops policy validate genops.policy.yaml
  $ genops policy explain genops.policy.yaml --model gpt-4o --team search --max-tokens 1000
  $ genops policy explain genops.policy.yaml --model gpt-4o --prompt "mail me at a@example.com" --json`,
    );

  policy
    .command('validate')
    .description('validate a policy file (YAML or JSON): every problem with its line, column and path')
    .argument('<file>', 'the policy file, e.g. genops.policy.yaml')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExit codes: 0 valid, 1 invalid, 2 the file cannot be read or bad usage.')
    .action(async (file: string, options: { json?: boolean }) => {
      context.exitCode = await validatePolicy(file, options, context);
    });

  policy
    .command('explain')
    .description("explain every rule's verdict, the decision, budgets and approval for one call")
    .argument('<file>', 'the policy file, e.g. genops.policy.yaml')
    .requiredOption('--model <id>', 'requested model id, e.g. gpt-4o')
    .option(
      '--provider <name>',
      'gen_ai.provider.name, e.g. openai (default: the provider whose price data knows the model)',
    )
    .option(
      '--operation <name>',
      `gen_ai.operation.name: ${OPERATIONS.join(', ')} (default: chat, or execute_tool with --tool)`,
    )
    .option('--team <team>', 'attribution: team')
    .option('--project <project>', 'attribution: project')
    .option('--customer <customer>', 'attribution: customer')
    .option(
      '--attr <key=value>',
      'any other attribution, repeatable (e.g. --attr environment=prod)',
      collectKeyValue,
      [],
    )
    .option('--max-tokens <n>', "the request's output cap (max_tokens)", positiveInteger)
    .addOption(new Option('--prompt <text>', 'the prompt text (content rules, input size)').conflicts('promptFile'))
    .option('--prompt-file <file>', 'read the prompt text from a file')
    .option('--tool <name>', 'the tool an agent calls (tool rules)')
    .option('--region <region>', 'the region the call goes to (region rules)')
    .option('--at <time>', 'evaluate at this time, ISO 8601 (time windows, budget periods), e.g. 2026-11-23T10:00:00Z')
    .option('--json', 'print the explanation as JSON')
    .addHelpText('after', '\nExit codes: 0 explained (whatever the decision), 1 invalid policy, 2 bad usage.')
    .action(async (file: string, options: ExplainOptions) => {
      context.exitCode = await explainPolicy(file, options, context);
    });
}

/** Runs `genops policy <argv...>`; resolves to the exit code. */
export function runPolicyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['policy', ...argv], io, [registerPolicyCommands]);
}

// ---- validate ---------------------------------------------------------------------------------------

/** `genops policy validate <file>` */
export async function validatePolicy(
  file: string,
  options: { json?: boolean },
  context: CommandContext,
): Promise<number> {
  const loaded = await loadPolicy(file);
  const { io, out, err } = context;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(validationJson(loaded), null, 2)}\n`);
    return loaded.ok ? EXIT_OK : loaded.unreadable ? EXIT_USAGE : EXIT_PROBLEMS;
  }
  if (!loaded.ok) {
    io.stderr.write(`${formatLoadFailure(file, loaded, err)}\n`);
    return loaded.unreadable ? EXIT_USAGE : EXIT_PROBLEMS;
  }
  const { document, compiled } = loaded;
  const types = [...new Set(document.rules.map((rule) => rule.type))];
  const parts = [`${plural(document.rules.length, 'rule')}${types.length > 0 ? ` (${types.join(', ')})` : ''}`];
  parts.push(plural(document.budgets.length, 'budget'));
  if (compiled.approvals.overUsd !== undefined)
    parts.push(`approvals over ${formatThreshold(compiled.approvals.overUsd)}`);
  if (document.mode !== 'enforce') parts.push(`mode ${document.mode}`);
  io.stdout.write(
    `${out.green('✔')} ${file} is valid: ${parts.join(', ')} ${out.dim(`(policy version ${compiled.version})`)}\n`,
  );
  return EXIT_OK;
}

function validationJson(loaded: LoadedPolicy) {
  if (!loaded.ok) return { valid: false, version: null, rules: null, budgets: null, errors: loaded.problems };
  const { document, compiled } = loaded;
  return {
    valid: true,
    version: compiled.version,
    mode: document.mode,
    rules: document.rules.length,
    ruleTypes: [...new Set(document.rules.map((rule) => rule.type))],
    budgets: document.budgets.length,
    approvalsOverUsd: compiled.approvals.overUsd ?? null,
    errors: [] as PolicyProblem[],
  };
}

/** The failure in red: one problem on one line, several as a count and one line each. */
export function formatLoadFailure(file: string, loaded: Extract<LoadedPolicy, { ok: false }>, colors: Colors): string {
  const { problems } = loaded;
  if (problems.length <= 1) return colors.red(errorLine(problems[0] ? formatProblem(problems[0]) : loaded.message));
  const lines = [colors.red(errorLine(`${file} is not a valid policy: ${problems.length} problems`))];
  for (const problem of problems) lines.push(colors.red(`  ${formatProblem(problem)}`));
  return lines.join('\n');
}

// ---- explain ----------------------------------------------------------------------------------------

export interface ExplainOptions {
  model: string;
  provider?: string;
  operation?: string;
  team?: string;
  project?: string;
  customer?: string;
  attr?: string[];
  maxTokens?: number;
  prompt?: string;
  promptFile?: string;
  tool?: string;
  region?: string;
  at?: string;
  json?: boolean;
}

export type DecisionResult = 'ALLOWED' | 'WARNING' | 'BLOCKED' | 'RATE_LIMITED';

/** What `genops policy explain` reports (also its `--json` output). */
export interface Explanation {
  policy: { file: string; version: string; mode: string };
  request: {
    provider: string;
    /** Where the provider came from: `--provider`, the price data (the provider that prices the model), or the default. */
    providerSource: 'option' | 'price_data' | 'default';
    model: string;
    operation: string;
    attribution: Record<string, string>;
    maxOutputTokens: number | null;
    estimatedInputTokens: number;
    tool: string | null;
    region: string | null;
    at: string;
  };
  cost: {
    priced: boolean;
    /** The price-table entry that priced the call (`provider/model`), when one did. */
    priceModel: string | null;
    matchedBy: string | null;
    outputBound: number;
    outputBoundSource: 'request' | 'price_data' | 'default';
    worstCaseTokens: number;
    /** Worst-case cost, integer nano-USD; `null` when the model has no price. */
    worstCaseNanos: number | null;
    /** The same in USD, to the nano-dollar. */
    worstCaseUsd: number | null;
  };
  rules: RuleExplanation[];
  decision: { result: DecisionResult; reasonCode: string | null; rule: string | null; message: string | null };
  shadow: Violation[];
  redaction: { rule: string; counts: Record<string, number>; redactedPrompt: string | null } | null;
  /** Whether the call gets as far as reserving (it does unless the decision blocks it). */
  reserves: boolean;
  budgets: Array<{
    budget: string;
    key: string;
    unit: string;
    window: string;
    action: string;
    enforce: boolean;
    /** In the line's integer unit: nano-USD for USD, tokens. */
    limit: number;
    amount: number;
  }>;
  rateLimits: Array<{
    rule: string;
    mode: string;
    unit: string;
    window: string;
    limit: number;
    per: Record<string, string>;
    amount: number;
  }>;
  approval: { required: boolean; rule: string | null; reason: string | null };
}

/** `genops policy explain <file> --model ...` */
export async function explainPolicy(file: string, options: ExplainOptions, context: CommandContext): Promise<number> {
  const { io, err } = context;
  const prompt = await readPrompt(options);
  const at = parseTime(options.at, context.now);
  const loaded = await loadPolicy(file);
  if (!loaded.ok) {
    if (options.json) io.stdout.write(`${JSON.stringify({ valid: false, errors: loaded.problems }, null, 2)}\n`);
    else io.stderr.write(`${formatLoadFailure(file, loaded, err)}\n`);
    return loaded.unreadable ? EXIT_USAGE : EXIT_PROBLEMS;
  }
  const explanation = explainCall(file, loaded.compiled, { ...options, prompt, at });
  if (options.json) io.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
  else io.stdout.write(formatExplanation(explanation, context));
  return EXIT_OK;
}

/** The request, attribution, price and every verdict for one call: pure, for both output forms. */
export function explainCall(
  file: string,
  compiled: CompiledPolicy,
  options: Omit<ExplainOptions, 'at' | 'promptFile' | 'json'> & { at: number },
): Explanation {
  const prices = new PriceTable(PRICE_FILES);
  const { provider, providerSource } = resolveProvider(prices, options.provider, options.model);
  const operation = resolveOperation(options.operation, options.tool);
  const attribution = resolveAttribution(options);
  const prompt = options.prompt;
  const request: GovernedRequest = {
    provider,
    operation,
    model: options.model,
    estimatedInputTokens: estimateInputTokens(prompt),
    text: () => (prompt === undefined ? [] : [prompt]),
    editable: { model: true, text: true },
  };
  if (options.maxTokens !== undefined) request.maxOutputTokens = options.maxTokens;
  if (options.tool !== undefined) request.tool = { name: options.tool };
  if (options.region !== undefined) request.region = options.region;

  // The governor's own steps (worstCaseOf, ruleDecisionOf), so the preview cannot drift from a real call.
  const { match, outputBound, outputBoundSource, worstNanos, worstTokens } = worstCaseOf(prices, request);

  const input: PolicyInput = { request, attribution, outputBound, worstCaseNanos: worstNanos, now: options.at };
  const { engine } = compiled;
  const rules = engine.explain(input);
  const evaluation = engine.evaluate(input);
  const decision = decide(evaluation, request, match !== undefined);
  const reserves = decision.result !== 'BLOCKED';

  const reservedNanos = worstNanos ?? 0;
  // The facts the runtime's `when` and `match` selectors see (attribution, provider, model, operation, tool).
  const subject = subjectOf({ request, attribution });
  const budgets = linesFor(compiled.budgets, subject, { nanos: reservedNanos, tokens: worstTokens }, options.at).map(
    (line) => {
      const budget = compiled.budgets.find((candidate) => candidate.name === line.budget);
      return {
        budget: line.budget,
        key: line.key,
        unit: line.unit,
        window: budget?.windowLabel ?? '',
        action: budget?.action ?? 'block',
        enforce: line.enforce,
        limit: line.limit,
        amount: line.amount,
      };
    },
  );
  const rateLimits = compiled.rateLimits
    .filter(({ rule }) => !rule.when || rule.when.matches(subject))
    .map(({ rule }) => {
      const per: Record<string, string> = {};
      for (const dimension of rule.per) per[dimension] = subject[dimension] ?? '(none)';
      return {
        rule: rule.name,
        mode: rule.mode,
        unit: rule.unit,
        window: rule.window,
        limit: rule.limit,
        per,
        amount: rule.unit === 'requests' ? 1 : worstTokens,
      };
    });

  // As the governor's approvalAsk(): the cost threshold first, then a tool rule.
  const { overNanos, overUsd } = compiled.approvals;
  let approval: Explanation['approval'] = { required: false, rule: null, reason: null };
  if (reserves && overNanos !== undefined && reservedNanos > overNanos)
    approval = {
      required: true,
      rule: 'requireApprovalOver',
      reason: `may cost ${formatUsdNanosExact(reservedNanos)}, over the approval threshold of $${overUsd} (requireApprovalOver / approvals.over)`,
    };
  else if (reserves && evaluation.approval)
    approval = { required: true, rule: evaluation.approval.rule, reason: evaluation.approval.reason };

  const redaction = evaluation.redaction;
  return {
    policy: { file, version: compiled.version, mode: engine.mode },
    request: {
      provider,
      providerSource,
      model: options.model,
      operation,
      attribution: Object.fromEntries(
        Object.entries(attribution).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
      maxOutputTokens: request.maxOutputTokens ?? null,
      estimatedInputTokens: request.estimatedInputTokens,
      tool: options.tool ?? null,
      region: options.region ?? null,
      at: new Date(options.at).toISOString(),
    },
    cost: {
      priced: match !== undefined,
      priceModel: match ? `${match.provider}/${match.model}` : null,
      matchedBy: match?.matchedBy ?? null,
      outputBound,
      outputBoundSource,
      worstCaseTokens: worstTokens,
      worstCaseNanos: worstNanos ?? null,
      worstCaseUsd: worstNanos === undefined ? null : nanosToUsd(worstNanos),
    },
    rules,
    decision,
    shadow: evaluation.shadow,
    redaction: redaction
      ? {
          rule: redaction.rule,
          counts: redaction.counts,
          redactedPrompt: prompt === undefined ? null : redaction.rewrite(prompt),
        }
      : null,
    reserves,
    budgets,
    rateLimits,
    approval,
  };
}

/**
 * The decision as the governor makes it: the rules' decision ({@link ruleDecisionOf}), then a model
 * without a price is refused (`unknownModel: 'deny'`, the default) unless a rule already blocked it.
 */
function decide(evaluation: PolicyEvaluation, request: GovernedRequest, priced: boolean): Explanation['decision'] {
  const decision = ruleDecisionOf(evaluation);
  if (decision.result !== 'BLOCKED' && !priced)
    return {
      result: 'BLOCKED',
      reasonCode: 'BUDGET_RESERVATION_FAILED',
      rule: 'unknownModel',
      message: `No price is known for model "${request.model}" of provider "${request.provider}", so its cost cannot be reserved (unknownModel: 'deny', the default). Add a price with GenOps.init({ prices }), set unknownModel to 'warn' or a fallback price, or pass --provider if the model is served by another provider.`,
    };
  return {
    result: decision.result,
    reasonCode: decision.reasonCode ?? null,
    rule: decision.rule ?? null,
    message: decision.message ?? null,
  };
}

export function resolveProvider(
  prices: PriceTable,
  provider: string | undefined,
  model: string,
): { provider: string; providerSource: Explanation['request']['providerSource'] } {
  if (provider !== undefined) return { provider, providerSource: 'option' };
  // The provider whose price data has the model by its id or an alias, else by a snapshot or prefix rule.
  let loose: string | undefined;
  for (const candidate of prices.providers()) {
    const match = prices.lookup(candidate, model);
    if (!match) continue;
    if (match.matchedBy === 'exact' || match.matchedBy === 'alias')
      return { provider: candidate, providerSource: 'price_data' };
    loose ??= candidate;
  }
  if (loose !== undefined) return { provider: loose, providerSource: 'price_data' };
  return { provider: 'openai', providerSource: 'default' };
}

function resolveOperation(operation: string | undefined, tool: string | undefined): GovernedRequest['operation'] {
  if (operation === undefined) return tool === undefined ? 'chat' : 'execute_tool';
  if (!(OPERATIONS as readonly string[]).includes(operation))
    throw new CliError(
      `--operation "${operation}" is not a gen_ai.operation.name; use one of ${OPERATIONS.join(', ')}`,
    );
  return operation as GovernedRequest['operation'];
}

function resolveAttribution(options: Pick<ExplainOptions, 'attr' | 'team' | 'project' | 'customer'>): Attribution {
  const attribution: Attribution = {};
  for (const pair of options.attr ?? []) {
    const index = pair.indexOf('=');
    attribution[pair.slice(0, index)] = pair.slice(index + 1);
  }
  if (options.team !== undefined) attribution.team = options.team;
  if (options.project !== undefined) attribution.project = options.project;
  if (options.customer !== undefined) attribution.customer = options.customer;
  return attribution;
}

async function readPrompt(options: Pick<ExplainOptions, 'prompt' | 'promptFile'>): Promise<string | undefined> {
  if (options.promptFile === undefined) return options.prompt;
  try {
    return await readFile(options.promptFile, 'utf8');
  } catch (error) {
    throw new CliError(describeReadError(options.promptFile, error) ?? `cannot read ${options.promptFile}`);
  }
}

function parseTime(value: string | undefined, now: () => number): number {
  if (value === undefined) return now();
  const time = Date.parse(value);
  if (Number.isNaN(time))
    throw new CliError(`--at "${value}" is not a time; use ISO 8601 such as 2026-11-23T10:00:00Z`, EXIT_USAGE);
  return time;
}

// ---- explain: human output -------------------------------------------------------------------------

function formatExplanation(explanation: Explanation, context: CommandContext): string {
  const colors = context.out;
  const { policy, request, cost, decision } = explanation;
  const lines: string[] = [];
  lines.push(
    `${colors.bold('Policy')} ${policy.file} ${colors.dim(`(version ${policy.version}, mode ${policy.mode})`)}`,
  );

  const who = Object.entries(request.attribution).map(([key, value]) => `${key}=${value}`);
  const providerNote =
    request.providerSource === 'price_data'
      ? ' (from price data)'
      : request.providerSource === 'default'
        ? ' (default; pass --provider)'
        : '';
  lines.push(
    `${colors.bold('Call')}   ${request.operation}${request.tool ? ` ${request.tool}` : ''} ${request.model} via ${request.provider}${providerNote}` +
      `${request.region ? ` in ${request.region}` : ''}, ${who.length > 0 ? who.join(', ') : 'no attribution'}, at ${request.at}`,
  );

  const bound =
    cost.outputBoundSource === 'request'
      ? 'the request cap'
      : cost.outputBoundSource === 'price_data'
        ? "the model's limit in the price data"
        : `the default of ${formatCount(DEFAULT_MAX_OUTPUT_TOKENS)}`;
  const tokens = `${formatCount(request.estimatedInputTokens)} input + ${formatCount(cost.outputBound)} output tokens, output bound from ${bound}`;
  lines.push(
    cost.worstCaseNanos === null
      ? `${colors.bold('Cost')}   ${colors.yellow('unknown')}: no price for ${request.provider}/${request.model} (${tokens})`
      : `${colors.bold('Cost')}   worst case ${colors.bold(formatNanos(cost.worstCaseNanos))} (${tokens}; priced as ${cost.priceModel})`,
  );
  lines.push('');

  if (explanation.rules.length === 0) lines.push(colors.dim('The policy has no rules.'));
  else
    lines.push(
      renderTable(
        colors,
        ['Rule', 'Type', 'Mode', 'Outcome', 'Reason', 'Message'],
        explanation.rules.map((rule) => [
          rule.rule,
          rule.type,
          rule.mode,
          colorOutcome(rule, colors),
          rule.reasonCode ?? '',
          rule.message ?? '',
        ]),
        context.io.stdout.columns,
      ),
    );
  lines.push('');

  const label =
    decision.result === 'BLOCKED' ? colors.red : decision.result === 'WARNING' ? colors.yellow : colors.green;
  const why = decision.rule
    ? ` (${decision.reasonCode}) by ${decision.rule === 'unknownModel' ? 'unknownModel' : `rule ${decision.rule}`} — ${decision.message}`
    : '';
  lines.push(`${colors.bold('Decision:')} ${label(colors.bold(decision.result))}${why}`);
  for (const shadow of explanation.shadow)
    lines.push(
      colors.dim(`Shadow:   rule ${shadow.rule} would block (${shadow.reasonCode}), recorded only — ${shadow.message}`),
    );
  if (explanation.redaction?.redactedPrompt != null)
    lines.push(`${colors.bold('Sent as:')} ${JSON.stringify(explanation.redaction.redactedPrompt)}`);

  lines.push('');
  if (!explanation.reserves) {
    lines.push(colors.dim('Budgets, rate limits and approval: not reached (the call is blocked before it reserves).'));
    return `${lines.join('\n')}\n`;
  }
  if (explanation.budgets.length === 0) lines.push(`${colors.bold('Budgets:')} none match this call`);
  else {
    lines.push(colors.bold('Budgets the call would reserve:'));
    lines.push(
      renderTable(
        colors,
        ['Budget', 'Key', 'Window', 'Action', 'Limit', 'Amount'],
        explanation.budgets.map((line) => [
          line.budget,
          line.key,
          line.window,
          line.action,
          formatAmount(line.limit, line.unit, true),
          formatAmount(line.amount, line.unit),
        ]),
      ),
    );
  }
  if (explanation.rateLimits.length === 0) lines.push(`${colors.bold('Rate limits:')} none match this call`);
  else {
    lines.push(colors.bold('Rate limits the call counts against:'));
    lines.push(
      renderTable(
        colors,
        ['Rule', 'Mode', 'Limit', 'Per', 'Amount'],
        explanation.rateLimits.map((limit) => [
          limit.rule,
          limit.mode,
          `${formatCount(limit.limit)} ${limit.unit} per ${limit.window}`,
          Object.entries(limit.per)
            .map(([key, value]) => `${key}=${value}`)
            .join(', ') || 'all calls',
          formatAmount(limit.amount, limit.unit),
        ]),
      ),
    );
  }
  const { approval } = explanation;
  lines.push(
    approval.required
      ? `${colors.bold('Approval:')} ${colors.magenta('approval required')} — ${approval.reason}`
      : `${colors.bold('Approval:')} not required`,
  );
  return `${lines.join('\n')}\n`;
}

function colorOutcome(rule: RuleExplanation, colors: Colors): string {
  switch (rule.outcome) {
    case 'pass':
      return colors.green('pass');
    case 'violation':
      return rule.mode === 'enforce'
        ? colors.red('violation')
        : rule.mode === 'warn'
          ? colors.yellow('violation')
          : colors.dim(colors.yellow('violation'));
    case 'not_applicable':
      return colors.dim('not applicable');
    case 'runtime':
      return colors.cyan('runtime');
    case 'redact':
      return colors.yellow('redact');
    case 'approval':
      return colors.magenta('approval');
    default:
      return rule.outcome;
  }
}
