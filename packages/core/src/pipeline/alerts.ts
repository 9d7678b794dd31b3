// Stage: budget alerts. Each `warnAt` threshold fires once per budget instance and period, across
// processes (the store's `markOnce`); webhooks are posted without holding the call.
import { diag } from '@opentelemetry/api';
import type { Budget } from '../budget/budget-set';
import { RATE_PREFIX } from '../budget/budget-set';
import { nanosToUsd } from '../money';
import type { BudgetLine, LineState } from '../store/types';
import { budgetNamed } from './budget-index';
import type { StageContext } from './context';
import { isPromise } from './maybe-promise';
import type { BudgetAlert, CallState } from './types';

export class BudgetAlerts {
  /** Alert keys this process already saw fire (saves a store round trip per call once over a threshold). */
  private readonly fired = new Map<string, number>();

  constructor(private readonly context: StageContext) {}

  /** Checks the settled lines; resolves at once when no threshold is newly crossed. */
  check(state: CallState, settled: readonly LineState[]): Promise<void> | undefined {
    let marks: Array<() => Promise<void> | undefined> | undefined;
    let byKey: Map<string, BudgetLine> | undefined;
    for (let index = 0; index < settled.length; index++) {
      const line = settled[index]!;
      if (line.limit <= 0 || line.budget.startsWith(RATE_PREFIX)) continue;
      const budget = budgetNamed(state.policy, line.budget);
      if (!budget || budget.warnAt.length === 0) continue;
      let configured = state.lines[index];
      if (configured?.key !== line.key) {
        byKey ??= new Map(state.lines.map((candidate) => [candidate.key, candidate]));
        configured = byKey.get(line.key) ?? state.lines[index];
      }
      for (const threshold of budget.warnAt) {
        if (line.used < threshold * line.limit) continue;
        const key = `alert|${line.key}|${threshold}`;
        const now = Date.now();
        // Seen here already, and the store's mark has not expired yet (rolling windows re-arm after a window).
        if ((this.fired.get(key) ?? 0) > now) continue;
        const expiresAt =
          configured?.expiresAt ?? (configured?.rolling ? now + configured.rolling.windowMs : undefined);
        (marks ??= []).push(() => this.mark(key, expiresAt, now, state, budget, line, threshold));
      }
    }
    return marks && runInOrder(marks, 0);
  }

  private mark(
    key: string,
    expiresAt: number | undefined,
    now: number,
    state: CallState,
    budget: Budget,
    line: LineState,
    threshold: number,
  ): Promise<void> | undefined {
    const { store } = this.context;
    const marked = (first: boolean) => {
      if (this.fired.size >= 10_000) this.fired.clear();
      // Until the mark expires; a mark we did not set (another process did) is re-checked after a minute.
      this.fired.set(key, first ? (expiresAt ?? Number.POSITIVE_INFINITY) : now + 60_000);
      if (first) this.emit(state, budget, line, threshold);
    };
    const failed = (error: unknown) =>
      diag.warn('genops: could not record a budget alert (will retry on the next call)', error);
    try {
      const first = store.markOnceSync ? store.markOnceSync(key, expiresAt) : store.markOnce(key, expiresAt);
      if (isPromise(first)) return first.then(marked, failed);
      marked(first);
    } catch (error) {
      failed(error);
    }
    return undefined;
  }

  private emit(state: CallState, budget: Budget, line: LineState, threshold: number): void {
    const value = (amount: number) => (line.unit === 'USD' ? nanosToUsd(amount) : amount);
    const alert: BudgetAlert = {
      budget: budget.name,
      key: line.key,
      period: line.key.slice(line.key.lastIndexOf('|') + 1),
      threshold,
      unit: budget.unit,
      limit: value(line.limit),
      used: value(line.used),
      callId: state.id,
      at: Date.now(),
    };
    this.context.recorder.alert(state, budget, alert);
    const webhook = state.policy.alerts.webhook;
    if (webhook) {
      fetch(webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'genops.budget.alert', ...alert }),
        signal: AbortSignal.timeout(5_000),
      })
        .then((response) => {
          if (!response.ok) diag.warn(`genops: budget alert webhook answered ${response.status}`);
        })
        .catch((error) => diag.warn('genops: budget alert webhook failed', error));
    }
  }
}

/** Runs `steps` one after another, synchronously until one returns a promise (a remote store's answer). */
function runInOrder(steps: ReadonlyArray<() => Promise<void> | undefined>, from: number): Promise<void> | undefined {
  for (let index = from; index < steps.length; index++) {
    const pending = steps[index]!();
    if (pending) return pending.then(() => runInOrder(steps, index + 1));
  }
  return undefined;
}
