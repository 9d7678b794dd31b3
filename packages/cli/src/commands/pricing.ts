import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type ModelPrice } from '@genops/core';
import {
  DEFAULT_MAX_OUTPUT_TOKENS,
  DEFAULT_PRICES_FILE,
  PRICE_FILES,
  type PriceMatch,
  PriceTable,
  type PriceTier,
  pricesFromDocument,
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

  pricing
    .command('update')
    .description(
      `validate a prices file (or https URL) and write it where GenOps.init() picks it up (${DEFAULT_PRICES_FILE})`,
    )
    .requiredOption(
      '--from <file-or-url>',
      'a prices file: { version?, effectiveDate?, source?, prices: { provider: { model: price } } }',
    )
    .option('--to <path>', `where to write it (default ${DEFAULT_PRICES_FILE} in the working directory)`)
    .addHelpText(
      'after',
      `\nGenOps.init() reads ${DEFAULT_PRICES_FILE} from the working directory when neither the prices option nor GENOPS_PRICES is set.\nExit codes: 0 written, 1 invalid prices, 2 bad usage or unreadable source.`,
    )
    .action(async (options: { from: string; to?: string }) => {
      context.exitCode = await updatePrices(options, context);
    });
}

/** Largest prices document fetched or read (bytes). */
const MAX_PRICES_BYTES = 32 * 1024 * 1024;

async function readSource(from: string, cwd: string): Promise<string> {
  if (/^https?:\/\//i.test(from)) {
    if (!/^https:\/\//i.test(from)) throw new CliError(`refusing to fetch prices over plain http: ${from}`);
    let response: Response;
    try {
      response = await fetch(from, { signal: AbortSignal.timeout(30_000), redirect: 'follow' });
    } catch (error) {
      throw new CliError(`cannot fetch ${from}: ${(error as Error).message}`, undefined, { cause: error });
    }
    if (!response.ok) throw new CliError(`cannot fetch ${from}: HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_PRICES_BYTES) throw new CliError(`${from} is larger than ${MAX_PRICES_BYTES} bytes`);
    return text;
  }
  const file = resolve(cwd, from);
  try {
    if (statSync(file).size > MAX_PRICES_BYTES) throw new CliError(`${file} is larger than ${MAX_PRICES_BYTES} bytes`);
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, undefined, { cause: error });
  }
}

/** `genops pricing update --from <file|url> [--to <path>]`: validates, then writes atomically. */
export async function updatePrices(options: { from: string; to?: string }, context: CommandContext): Promise<number> {
  const cwd = process.cwd();
  const text = await readSource(options.from, cwd);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    context.io.stderr.write(`${context.err.red(`✘ ${options.from} is not valid JSON: ${(error as Error).message}`)}\n`);
    return EXIT_PROBLEMS;
  }
  let prices: Record<string, Record<string, ModelPrice>>;
  try {
    prices = pricesFromDocument(document, 'prices file', options.from).prices;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    context.io.stderr.write(`${context.err.red(`✘ ${error.message}`)}\n`);
    return EXIT_PROBLEMS;
  }
  const target = resolve(cwd, options.to ?? DEFAULT_PRICES_FILE);
  mkdirSync(dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(document, null, 2)}\n`);
  renameSync(temporary, target);
  const models = Object.values(prices).reduce((sum, byModel) => sum + Object.keys(byModel).length, 0);
  const version = (document as { version?: string }).version;
  context.io.stdout.write(
    `${context.out.green('✔')} ${models} price(s) for ${Object.keys(prices).length} provider(s)${version ? ` (version ${version})` : ''} written to ${target}\n` +
      (options.to === undefined
        ? `  GenOps.init() in this directory uses them unless the prices option or GENOPS_PRICES is set.\n`
        : `  Point GenOps at it with GENOPS_PRICES=${target} or GenOps.init({ prices: '${target}' }).\n`),
  );
  return EXIT_OK;
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
  /** The table version that priced it (`genops.cost.source`), e.g. `genops-bundled@2026-07-24`. */
  costSource: string;
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
    source: match.sourceUrl ?? file?.source ?? null,
    effectiveDate: match.effectiveDate ?? file?.effectiveDate ?? null,
    costSource: match.source,
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
  lines.push(row('cost source', report.costSource));
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
