/** Budget windows of the first cut, in UTC. */
export type BudgetWindow = 'day' | 'month' | 'total';

export interface Period {
  /** Period id used in keys and status, e.g. `2026-11-23`, `2026-11`, `total`. */
  id: string;
  /** Start of the period, epoch ms (inclusive). */
  startsAt: number;
  /** End of the period, epoch ms (exclusive); `undefined` for `total`. */
  endsAt: number | undefined;
}

/** The period of `window` that contains `now` (UTC). */
export function periodOf(window: BudgetWindow, now: number): Period {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  switch (window) {
    case 'day': {
      const day = date.getUTCDate();
      return {
        id: `${year}-${pad(month + 1)}-${pad(day)}`,
        startsAt: Date.UTC(year, month, day),
        endsAt: Date.UTC(year, month, day + 1),
      };
    }
    case 'month':
      return {
        id: `${year}-${pad(month + 1)}`,
        startsAt: Date.UTC(year, month, 1),
        endsAt: Date.UTC(year, month + 1, 1),
      };
    case 'total':
      return { id: 'total', startsAt: 0, endsAt: undefined };
  }
}

function pad(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

const current = new Map<BudgetWindow, Period>();

/** {@link periodOf}, computed once per period instead of once per call (the hot path). */
export function currentPeriod(window: BudgetWindow, now: number): Period {
  const cached = current.get(window);
  if (cached && now >= cached.startsAt && (cached.endsAt === undefined || now < cached.endsAt)) return cached;
  const period = periodOf(window, now);
  current.set(window, period);
  return period;
}
