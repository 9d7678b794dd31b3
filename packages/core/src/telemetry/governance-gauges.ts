// Budget, reservation and approval gauges, read from the governance store at each metric collection
// (observable instruments), so every process sharing the store, and `genops metrics`, report the same
// numbers. One batch callback reads the store once per collection (concurrent collections share the
// read); a store that fails or does not answer in time gives no data for that collection and counts
// one `genops.store.failures{genops.store.operation="collect"}`, never an exception.
import { type Attributes, type BatchObservableCallback, type Counter, diag, type Meter } from '@opentelemetry/api';
import { microsToUsd } from '../money';
import * as sc from '../semconv';
import * as names from './metric-names';

/** One budget instance, as `GenOps.status()` reports it (amounts in the budget's unit: USD or tokens). */
export interface BudgetReading {
  budget: string;
  /** The `per` values of the instance, e.g. `{ team: 'search' }`; empty for a shared budget. */
  per: Readonly<Record<string, string>>;
  period: string;
  unit: string;
  limit: number;
  used: number;
  reserved: number;
  remaining: number;
}

/** What one collection reads from the store. */
export interface GovernanceSnapshot {
  budgets: readonly BudgetReading[];
  openReservations: number;
  pendingApprovals: number;
}

export interface GovernanceGaugeOptions {
  /** `genops.customer_id` on the gauges of per-customer budgets (`metrics.customers`); default false. */
  customers?: boolean;
  /** Longest wait for the store in one collection (default 5000 ms). */
  timeoutMs?: number;
  /** Where a failed or timed-out read is counted, with the store's kind. */
  failures?: Counter;
  storeKind: string;
}

/**
 * `per` dimensions shown as metric attributes. Any other dimension (customer without the option, user,
 * session, custom keys) is an unbounded id: its instances are folded into one series per budget, which
 * shows the most used instance (highest used / limit), so an alert on utilisation still fires.
 */
const BOUNDED_DIMENSIONS: Readonly<Record<string, string>> = {
  team: sc.ATTR_GENOPS_TEAM,
  project: sc.ATTR_GENOPS_PROJECT,
  environment: sc.ATTR_GENOPS_ENVIRONMENT,
  feature: sc.ATTR_GENOPS_FEATURE,
  costCenter: sc.ATTR_GENOPS_COST_CENTER,
};

const DEFAULT_TIMEOUT_MS = 5_000;

/** Registers the gauges on `meter`; `stop()` removes the callback (e.g. at shutdown). */
export function observeGovernance(
  meter: Meter,
  read: () => Promise<GovernanceSnapshot>,
  options: GovernanceGaugeOptions,
): { stop(): void } {
  const gauge = (name: string, description: string, unit?: string) =>
    meter.createObservableGauge(name, unit === undefined ? { description } : { description, unit });
  const limit = gauge(names.METRIC_GENOPS_BUDGET_LIMIT, "Budget limit, in the budget's unit (genops.budget.unit).");
  const used = gauge(names.METRIC_GENOPS_BUDGET_USED, 'Budget used (settled) in the current period.');
  const reserved = gauge(names.METRIC_GENOPS_BUDGET_RESERVED, 'Budget held by open reservations.');
  const remaining = gauge(names.METRIC_GENOPS_BUDGET_REMAINING, 'Budget left: limit − used − reserved.');
  const utilization = gauge(names.METRIC_GENOPS_BUDGET_UTILIZATION, 'Budget used / limit.', '1');
  const open = gauge(names.METRIC_GENOPS_RESERVATIONS_OPEN, 'Open reservations in the store.', '{reservation}');
  const pending = gauge(names.METRIC_GENOPS_APPROVALS_PENDING, 'Approvals pending in the store.', '{approval}');
  const failureAttributes: Attributes = {
    [names.ATTR_GENOPS_STORE_KIND]: options.storeKind,
    [names.ATTR_GENOPS_STORE_OPERATION]: 'collect',
  };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let inFlight: Promise<GovernanceSnapshot | undefined> | undefined;

  const readOnce = (): Promise<GovernanceSnapshot | undefined> => {
    inFlight ??= withTimeout(read, timeoutMs)
      .catch((error: unknown) => {
        diag.warn(`genops: the budget gauges could not read the ${options.storeKind} store (no data this time)`, error);
        try {
          options.failures?.add(1, failureAttributes);
        } catch {
          // Telemetry never throws into the collection.
        }
        return undefined;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  const callback: BatchObservableCallback = async (result) => {
    const snapshot = await readOnce();
    if (!snapshot) return;
    for (const row of foldRows(snapshot.budgets, options.customers === true)) {
      result.observe(limit, row.limit, row.attributes);
      result.observe(used, row.used, row.attributes);
      result.observe(reserved, row.reserved, row.attributes);
      result.observe(remaining, row.remaining, row.attributes);
      if (row.limit > 0) result.observe(utilization, row.used / row.limit, row.attributes);
    }
    result.observe(open, snapshot.openReservations);
    result.observe(pending, snapshot.pendingApprovals);
  };
  const observables = [limit, used, reserved, remaining, utilization, open, pending];
  meter.addBatchObservableCallback(callback, observables);
  return { stop: () => meter.removeBatchObservableCallback(callback, observables) };
}

interface GaugeRow {
  attributes: Attributes;
  limit: number;
  used: number;
  reserved: number;
  remaining: number;
}

/** The rows as series: bounded dimensions as attributes; instances of unbounded ones folded into their most used. */
export function foldRows(budgets: readonly BudgetReading[], customers: boolean): GaugeRow[] {
  const rows = new Map<string, GaugeRow>();
  for (const reading of budgets) {
    const attributes: Attributes = {
      [sc.ATTR_GENOPS_BUDGET_NAME]: reading.budget,
      [sc.ATTR_GENOPS_BUDGET_PERIOD]: reading.period,
      [names.ATTR_GENOPS_BUDGET_UNIT]: reading.unit,
    };
    for (const [dimension, value] of Object.entries(reading.per)) {
      const name =
        BOUNDED_DIMENSIONS[dimension] ??
        (customers && dimension === 'customer' ? sc.ATTR_GENOPS_CUSTOMER_ID : undefined);
      if (name) attributes[name] = value;
    }
    const key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const row: GaugeRow = {
      attributes,
      limit: reading.limit,
      used: reading.used,
      reserved: reading.reserved,
      remaining: reading.remaining,
    };
    const previous = rows.get(key);
    if (!previous || share(row) > share(previous)) rows.set(key, row);
  }
  return [...rows.values()];
}

function share(row: GaugeRow): number {
  return row.limit > 0 ? (row.used + row.reserved) / row.limit : row.used + row.reserved;
}

function withTimeout<T>(run: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref?.();
  });
  let running: Promise<T>;
  try {
    running = run();
  } catch (error) {
    running = Promise.reject(error);
  }
  return Promise.race([running, limit]).finally(() => clearTimeout(timer));
}

/**
 * One collection's snapshot: the budget rows and open reservations from `status` (`GenOps.status()`,
 * or the CLI's reading of the store), and the approvals still pending in `store`.
 */
export async function readGovernanceSnapshot(
  status: () => Promise<{ budgets: readonly BudgetReading[]; openReservations: number }>,
  store: { listApprovals(filter?: { status?: 'pending' }): Promise<readonly { expiresAt: number }[]> },
  now: () => number = Date.now,
): Promise<GovernanceSnapshot> {
  const [current, pending] = await Promise.all([status(), store.listApprovals({ status: 'pending' })]);
  const at = now();
  return {
    budgets: current.budgets,
    openReservations: current.openReservations,
    pendingApprovals: pending.filter((approval) => approval.expiresAt > at).length,
  };
}

/**
 * A budget line in the store's integer units (micro-USD, tokens) as a reading in the budget's own
 * unit (USD as a number of dollars), for a reader that has lines rather than `GenOps.status()` rows
 * (`genops metrics`).
 */
export function readingFromLine(line: Omit<BudgetReading, 'remaining'>): BudgetReading {
  const value = (amount: number) => (line.unit === 'USD' ? microsToUsd(amount) : amount);
  return {
    budget: line.budget,
    per: line.per,
    period: line.period,
    unit: line.unit,
    limit: value(line.limit),
    used: value(line.used),
    reserved: value(line.reserved),
    remaining: value(line.limit - line.used - line.reserved),
  };
}
