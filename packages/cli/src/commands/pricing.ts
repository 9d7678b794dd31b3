import type { ModelPrice } from '@genops/core';
import {
  DEFAULT_MAX_OUTPUT_TOKENS,
  PRICE_FILES,
  type PriceMatch,
  PriceTable,
  type PriceTier,
} from '@genops/core/internal';
import type { Command } from 'commander';
import { CliError, EXIT_OK, EXIT_PROBLEMS, errorLine } from '../errors';
import { formatCount } from '../format';
import type { CliIo, Colors, CommandContext } from '../io';
import { runCommandGroup } from '../program';
import { type Explanation, resolveProvider } from './policy';

/** Adds `genops pricing show` to `program`. */
export function registerPricingCommands(program: Command, context: CommandContext): void {
  const pricing = program
    .command('pricing')
    .description('the bundled price data GenOps prices calls with')
    .addHelpText(
      'after',
      `
Examples:
  $ genops pricing show gpt-4o
  $ genops pricing show claude-sonnet-4-5-20250929
  $ genops pricing show gpt-4o --provider azure.ai.openai --json`,
    );

  pricing
    .command('show')
    .description('the price entry the runtime uses for a model: rates per 1M tokens, tiers, limits, source')
    .argument('<model>', 'the model id as the SDK sends it, e.g. gpt-4o-2024-08-06')
    .option(
      '--provider <name>',
      'gen_ai.provider.name, e.g. openai (default: the provider whose price data knows the model)',
    )
    .option('--json', 'print the entry as JSON')
    .addHelpText('after', '\nExit codes: 0 found, 1 no price for the model, 2 bad usage.')
    .action((model: string, options: { provider?: string; json?: boolean }) => {
      context.exitCode = showPrice(model, options, context);
    });
}

/** Runs `genops pricing <argv...>`; resolves to the exit code. */
export function runPricingCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['pricing', ...argv], io, [registerPricingCommands]);
}

/** What `genops pricing show` prints (also its `--json` output). Prices are USD per 1M tokens. */
export interface PriceReport {
  /** The model id asked for. */
  requested: string;
  /** The provider looked up (`--provider`, or the one whose price data has the model). */
  provider: string;
  providerSource: Explanation['request']['providerSource'];
  /** The price file that priced it (differs from `provider` for providers billed at another's list prices). */
  pricedAs: string;
  /** The price-table id that matched. */
  model: string;
  matchedBy: PriceMatch['matchedBy'];
  /** The rates the runtime applies, defaults filled in (cache reads and writes at the input rate, ...). */
  prices: {
    input: number;
    output: number;
    cacheRead: number;
    cacheWrite: number;
    cacheWrite1h: number;
    reasoning: number;
    batch: { input: number; output: number } | null;
  };
  tiers: PriceTier[];
  maxOutputTokens: number | null;
  maxInputTokens: number | null;
  mode: NonNullable<ModelPrice['mode']>;
  aliases: string[];
  source: string | null;
  effectiveDate: string | null;
  /** The entry exactly as the price data has it. */
  entry: ModelPrice;
}

/** `genops pricing show <model> [--provider p]` */
export function showPrice(
  model: string,
  options: { provider?: string; json?: boolean },
  context: CommandContext,
): number {
  if (model.trim() === '') throw new CliError('the model id is empty');
  const table = new PriceTable(PRICE_FILES);
  const { provider, providerSource } = resolveProvider(table, options.provider, model);
  const match = table.lookup(provider, model);
  const { io, out, err } = context;
  if (!match) {
    const message = unknownModelMessage(table, provider, providerSource, model);
    if (options.json)
      io.stdout.write(
        `${JSON.stringify({ requested: model, provider, providerSource, found: false, message }, null, 2)}\n`,
      );
    else io.stderr.write(`${err.red(errorLine(message))}\n`);
    return EXIT_PROBLEMS;
  }
  const report = priceReport(model, provider, providerSource, match);
  if (options.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(formatPrice(report, out));
  return EXIT_OK;
}

export function priceReport(
  requested: string,
  provider: string,
  providerSource: PriceReport['providerSource'],
  match: PriceMatch,
): PriceReport {
  const { price } = match;
  const file = PRICE_FILES.find((candidate) => candidate.provider === match.provider);
  const cacheWrite = price.cacheWrite ?? price.input;
  return {
    requested,
    provider,
    providerSource,
    pricedAs: match.provider,
    model: match.model,
    matchedBy: match.matchedBy,
    prices: {
      input: price.input,
      output: price.output,
      cacheRead: price.cacheRead ?? price.input,
      cacheWrite,
      cacheWrite1h: price.cacheWrite1h ?? cacheWrite,
      reasoning: price.reasoning ?? price.output,
      batch: price.batch ?? null,
    },
    tiers: price.tiers ?? [],
    maxOutputTokens: price.maxOutputTokens ?? null,
    maxInputTokens: price.maxInputTokens ?? null,
    mode: price.mode ?? 'chat',
    aliases: price.aliases ?? [],
    source: file?.source ?? null,
    effectiveDate: file?.effectiveDate ?? null,
    entry: price,
  };
}

/** `$2.50`, `$0.075`, `$10.00`: USD per 1M tokens with at least two decimals. */
export function formatRate(usd: number): string {
  const text = String(usd);
  const decimals = text.includes('.') ? text.split('.')[1]!.length : 0;
  return `$${decimals >= 2 ? text : usd.toFixed(2)}`;
}

function howMatched(report: PriceReport): string {
  switch (report.matchedBy) {
    case 'exact':
      return 'exact id';
    case 'alias':
      return `alias of ${report.model}`;
    case 'snapshot':
      return `dated snapshot or version of ${report.model} (suffix stripped)`;
    case 'prefix':
      return `prefixed id of ${report.model} (prefix stripped)`;
    default:
      return report.matchedBy;
  }
}

function formatPrice(report: PriceReport, colors: Colors): string {
  const { prices, entry } = report;
  const lines: string[] = [];
  const provider =
    report.providerSource === 'price_data'
      ? ' (provider from the price data; pass --provider for another)'
      : report.providerSource === 'default'
        ? ' (default provider; pass --provider)'
        : '';
  lines.push(`${colors.bold(`${report.pricedAs}/${report.model}`)}${colors.dim(provider)}`);
  const row = (label: string, value: string) => `  ${label.padEnd(20)}${value}`;
  const defaulted = (own: number | undefined, fallback: string) =>
    own === undefined ? colors.dim(` (${fallback})`) : '';
  lines.push(
    row('matched', `${howMatched(report)}${report.requested === report.model ? '' : ` for "${report.requested}"`}`),
  );
  if (report.pricedAs !== report.provider)
    lines.push(row('priced as', `${report.pricedAs} list prices (${report.provider} bills at them)`));
  if (report.mode !== 'chat') lines.push(row('mode', report.mode));
  if (report.aliases.length > 0) lines.push(row('aliases', report.aliases.join(', ')));
  lines.push(colors.bold('USD per 1M tokens'));
  lines.push(row('input', formatRate(prices.input)));
  lines.push(row('output', formatRate(prices.output)));
  lines.push(row('cache read', `${formatRate(prices.cacheRead)}${defaulted(entry.cacheRead, 'as input')}`));
  lines.push(row('cache write', `${formatRate(prices.cacheWrite)}${defaulted(entry.cacheWrite, 'as input')}`));
  if (entry.cacheWrite1h !== undefined) lines.push(row('cache write (1h)', formatRate(prices.cacheWrite1h)));
  lines.push(row('reasoning', `${formatRate(prices.reasoning)}${defaulted(entry.reasoning, 'as output')}`));
  if (prices.batch)
    lines.push(row('batch', `input ${formatRate(prices.batch.input)}, output ${formatRate(prices.batch.output)}`));
  if (report.tiers.length === 0) lines.push(row('long context', colors.dim('no tiers: one rate at any input size')));
  else
    for (const tier of report.tiers) {
      const rates = (['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h'] as const)
        .filter((key) => tier[key] !== undefined)
        .map(
          (key) =>
            `${key
              .replace(/([A-Z])/g, ' $1')
              .toLowerCase()
              .replace('write1h', 'write (1h)')} ${formatRate(tier[key]!)}`,
        );
      lines.push(
        row(
          'long context',
          `above ${formatCount(tier.aboveInputTokens)} input tokens: ${rates.join(', ')} ${colors.dim('(for the whole request)')}`,
        ),
      );
    }
  lines.push(colors.bold('Limits'));
  lines.push(
    row(
      'max output tokens',
      report.maxOutputTokens === null
        ? colors.dim(
            `not in the price data (reservations use the request's max_tokens, else ${formatCount(DEFAULT_MAX_OUTPUT_TOKENS)})`,
          )
        : formatCount(report.maxOutputTokens),
    ),
  );
  if (report.maxInputTokens !== null) lines.push(row('context window', `${formatCount(report.maxInputTokens)} tokens`));
  lines.push(colors.bold('Source'));
  lines.push(row('price data', `${report.pricedAs}, effective ${report.effectiveDate ?? 'unknown'}`));
  if (report.source) lines.push(row('from', report.source));
  return `${lines.join('\n')}\n`;
}

function unknownModelMessage(
  table: PriceTable,
  provider: string,
  providerSource: PriceReport['providerSource'],
  model: string,
): string {
  const known = table.providers().includes(provider);
  const where =
    providerSource === 'default'
      ? `no provider's price data has model "${model}"`
      : known
        ? `no price for model "${model}" of provider "${provider}"`
        : `no price data for provider "${provider}" (known: ${table.providers().join(', ')})`;
  const similar =
    providerSource === 'default'
      ? closest(
          table.providers().flatMap((name) => table.models(name)),
          model,
        )
      : known
        ? closest(table.models(provider), model)
        : [];
  const hint = similar.length > 0 ? ` Did you mean ${similar.map((id) => `"${id}"`).join(', ')}?` : '';
  const target = providerSource === 'default' ? '<provider>' : provider;
  return (
    `${where}, so GenOps cannot reserve its cost (unknownModel: 'deny', the default, refuses such calls).${hint} ` +
    `Add a price in your app: GenOps.init({ prices: { '${target}': { '${model}': { input: <USD per 1M>, output: <USD per 1M> } } } }), ` +
    `or set unknownModel to 'warn' or a fallback price${providerSource === 'option' ? '' : ', or pass --provider if another provider serves it'}.`
  );
}

/** Up to three ids within an edit distance of a third of the requested id's length. */
function closest(candidates: readonly string[], model: string): string[] {
  const wanted = model.toLowerCase();
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return candidates
    .map((id) => ({ id, distance: distance(id.toLowerCase(), wanted) }))
    .filter((candidate) => candidate.distance <= limit)
    .sort((a, b) => a.distance - b.distance || a.id.localeCompare(b.id))
    .slice(0, 3)
    .map((candidate) => candidate.id);
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
