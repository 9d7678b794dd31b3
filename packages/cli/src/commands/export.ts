import { type Command, InvalidArgumentError } from 'commander';
import type { CliIo, CommandContext } from '../io';
import { runCommandGroup } from '../program';
import { type AuditSource, auditSource } from './audit';
import {
  addSpendOptions,
  type Charge,
  decimalUsd,
  dimensionValue,
  parseFilters,
  parseWindow,
  readCharges,
  toCsv,
  warnUnreadable,
} from './report';

// `genops export focus`: the governed calls of a period as a FinOps FOCUS 1.2 cost and usage dataset, one
// row per UTC day, provider, model and attribution (Tags), for FinOps tools that import FOCUS (CSV or
// JSON). Column names, order and allowed values follow the FOCUS 1.2 column library
// (https://focus.finops.org/focus-specification/v1-2/); GenOps' own column is prefixed `x_` as the spec
// requires for custom columns.

/** FOCUS 1.2 columns, in the specification's (alphabetical) order, then GenOps' custom columns. */
export const FOCUS_COLUMNS = [
  'AvailabilityZone',
  'BilledCost',
  'BillingAccountId',
  'BillingAccountName',
  'BillingAccountType',
  'BillingCurrency',
  'BillingPeriodEnd',
  'BillingPeriodStart',
  'CapacityReservationId',
  'CapacityReservationStatus',
  'ChargeCategory',
  'ChargeClass',
  'ChargeDescription',
  'ChargeFrequency',
  'ChargePeriodEnd',
  'ChargePeriodStart',
  'CommitmentDiscountCategory',
  'CommitmentDiscountId',
  'CommitmentDiscountName',
  'CommitmentDiscountQuantity',
  'CommitmentDiscountStatus',
  'CommitmentDiscountType',
  'CommitmentDiscountUnit',
  'ConsumedQuantity',
  'ConsumedUnit',
  'ContractedCost',
  'ContractedUnitPrice',
  'EffectiveCost',
  'InvoiceId',
  'InvoiceIssuerName',
  'ListCost',
  'ListUnitPrice',
  'PricingCategory',
  'PricingCurrency',
  'PricingCurrencyContractedUnitPrice',
  'PricingCurrencyEffectiveCost',
  'PricingCurrencyListUnitPrice',
  'PricingQuantity',
  'PricingUnit',
  'ProviderName',
  'PublisherName',
  'RegionId',
  'RegionName',
  'ResourceId',
  'ResourceName',
  'ResourceType',
  'ServiceCategory',
  'ServiceName',
  'ServiceSubcategory',
  'SkuId',
  'SkuMeter',
  'SkuPriceDetails',
  'SkuPriceId',
  'SubAccountId',
  'SubAccountName',
  'SubAccountType',
  'Tags',
  'x_GenOpsCalls',
] as const;

export type FocusColumn = (typeof FOCUS_COLUMNS)[number];
/** A FOCUS row: strings, exact decimal strings for money and quantities, `null` for an empty value. */
export type FocusRow = Record<FocusColumn, string | null>;

/** Display names of the providers GenOps adapts (gen_ai.provider.name → provider, service). */
const PROVIDERS: Readonly<Record<string, { name: string; service: string }>> = {
  openai: { name: 'OpenAI', service: 'OpenAI API' },
  anthropic: { name: 'Anthropic', service: 'Claude API' },
  'aws.bedrock': { name: 'AWS', service: 'Amazon Bedrock' },
  'gcp.gemini': { name: 'Google', service: 'Gemini API' },
  'gcp.vertex_ai': { name: 'Google Cloud', service: 'Vertex AI' },
  'gcp.gen_ai': { name: 'Google', service: 'Google Gen AI' },
  'azure.ai.openai': { name: 'Microsoft', service: 'Azure OpenAI' },
  mistral_ai: { name: 'Mistral AI', service: 'Mistral API' },
  cohere: { name: 'Cohere', service: 'Cohere API' },
  groq: { name: 'Groq', service: 'GroqCloud' },
  deepseek: { name: 'DeepSeek', service: 'DeepSeek API' },
  x_ai: { name: 'xAI', service: 'xAI API' },
};

/** Adds `genops export focus` to `program`. */
export function registerExportCommands(program: Command, context: CommandContext): void {
  const exportCommand = program.command('export').description('export governed spend to FinOps tools');
  addSpendOptions(
    exportCommand
      .command('focus')
      .description('the governed calls of a period as a FinOps FOCUS 1.2 dataset (CSV or JSON)'),
    'last-month',
  )
    .option('--format <format>', 'csv or json', parseFocusFormat, 'csv')
    .option('--json', 'the same as --format json')
    .addHelpText(
      'after',
      `
One row per UTC day, provider, model and attribution. BilledCost = EffectiveCost = ListCost =
ContractedCost = what the calls settled at (GenOps prices at list price); Tags = the calls' attribution
as JSON; SkuId = the model; ConsumedQuantity = PricingQuantity = tokens.

Examples:
  $ genops export focus --period 2026-11 > genops-focus-2026-11.csv
  $ genops export focus --file genops-audit.jsonl --since 2026-11-01 --format json`,
    )
    .action(async (file: string | undefined, options: FocusOptions) => {
      const format = options.json ? 'json' : options.format;
      context.exitCode = await exportFocus({ ...options, format }, auditSource(file, options), context);
    });
}

/** Runs `genops export <argv...>`; resolves to the exit code. */
export function runExportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['export', ...argv], io, [registerExportCommands]);
}

interface FocusOptions {
  file?: string;
  store?: string;
  where: string[];
  period: string;
  since?: string;
  until?: string;
  format: 'csv' | 'json';
  json?: boolean;
}

function parseFocusFormat(value: string): 'csv' | 'json' {
  if (value === 'csv' || value === 'json') return value;
  throw new InvalidArgumentError('expected csv or json');
}

interface FocusGroup {
  day: number;
  provider: string;
  model: string;
  tags: string;
  micros: number;
  tokens: number;
  calls: number;
}

async function exportFocus(options: FocusOptions, source: AuditSource, context: CommandContext): Promise<number> {
  const filters = parseFilters(options.where);
  const window = parseWindow(options, context.now());
  const groups = new Map<string, FocusGroup>();
  const unreadable = await readCharges(source, window, context, {
    charge(charge: Charge) {
      if (!filters.every(([key, value]) => dimensionValue(charge, key) === value)) return;
      const day = Math.floor(charge.at / 86_400_000) * 86_400_000;
      const tags = tagsJson(charge.attribution);
      const key = JSON.stringify([day, charge.provider, charge.model, tags]);
      let group = groups.get(key);
      if (!group) {
        group = { day, provider: charge.provider, model: charge.model, tags, micros: 0, tokens: 0, calls: 0 };
        groups.set(key, group);
      }
      group.micros += charge.micros;
      group.tokens += charge.tokens;
      group.calls += 1;
    },
  });
  warnUnreadable(unreadable, 'exported', context);
  const rows = [...groups.values()]
    .sort(
      (a, b) =>
        a.day - b.day ||
        a.provider.localeCompare(b.provider) ||
        a.model.localeCompare(b.model) ||
        a.tags.localeCompare(b.tags),
    )
    .map(focusRow);
  if (options.format === 'json') {
    context.io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  context.io.stdout.write(
    toCsv([[...FOCUS_COLUMNS], ...rows.map((row) => FOCUS_COLUMNS.map((column) => row[column] ?? ''))]),
  );
  return 0;
}

/** One FOCUS row of a group of calls. */
export function focusRow(group: FocusGroup): FocusRow {
  const provider = PROVIDERS[group.provider] ?? { name: group.provider, service: group.provider };
  const cost = decimalUsd(group.micros);
  const dayStart = new Date(group.day);
  const monthStart = Date.UTC(dayStart.getUTCFullYear(), dayStart.getUTCMonth(), 1);
  const monthEnd = Date.UTC(dayStart.getUTCFullYear(), dayStart.getUTCMonth() + 1, 1);
  const row = Object.fromEntries(FOCUS_COLUMNS.map((column) => [column, null])) as FocusRow;
  Object.assign(row, {
    BilledCost: cost,
    BillingAccountId: group.provider,
    BillingAccountName: provider.name,
    BillingCurrency: 'USD',
    BillingPeriodEnd: focusTime(monthEnd),
    BillingPeriodStart: focusTime(monthStart),
    ChargeCategory: 'Usage',
    ChargeDescription: `${group.model} tokens, ${group.calls} governed call${group.calls === 1 ? '' : 's'}`,
    ChargeFrequency: 'Usage-Based',
    ChargePeriodEnd: focusTime(group.day + 86_400_000),
    ChargePeriodStart: focusTime(group.day),
    ConsumedQuantity: String(group.tokens),
    ConsumedUnit: 'Tokens',
    ContractedCost: cost,
    EffectiveCost: cost,
    InvoiceIssuerName: provider.name,
    ListCost: cost,
    PricingCategory: 'Standard',
    PricingQuantity: String(group.tokens),
    PricingUnit: 'Tokens',
    ProviderName: provider.name,
    PublisherName: provider.name,
    ServiceCategory: 'AI and Machine Learning',
    ServiceName: provider.service,
    ServiceSubcategory: 'Generative AI',
    SkuId: group.model,
    Tags: group.tags,
    x_GenOpsCalls: String(group.calls),
  } satisfies Partial<FocusRow>);
  return row;
}

/** FOCUS date-times: ISO 8601 in UTC, `2026-11-03T00:00:00Z`. */
function focusTime(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19)}Z`;
}

/** The attribution as a FOCUS Tags JSON object, keys sorted (so equal attributions are one group). */
function tagsJson(attribution: Readonly<Record<string, string>>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(attribution).sort()) sorted[key] = attribution[key]!;
  return JSON.stringify(sorted);
}
