// Budget and rate-limit windows: calendar periods in an IANA time zone, and rolling windows.
//
// Calendar periods start at local midnight in their zone, computed from the zone's UTC offsets as
// `Intl.DateTimeFormat` reports them (one cached formatter per zone), never by adding 24 hours: a
// local day lasts 23, 24 or 25 hours (23.5 and 24.5 on Lord Howe Island), and a day whose midnight
// falls into a DST gap starts at the first instant of that date.
import { parseDuration } from '../duration';

/** Calendar budget windows: `day`, `week` (ISO 8601, from Monday), `month`, or `total` (never resets). */
export type CalendarWindow = 'day' | 'week' | 'month' | 'total';

/** Alias of {@link CalendarWindow}, the name earlier code imports. */
export type BudgetWindow = CalendarWindow;

/** One period of a calendar window. */
export interface Period {
  /**
   * Period id used in budget keys and status: `2026-11-23` (day), `2026-W48` (ISO week of the ISO
   * week-year), `2026-11` (month) or `total`. It is the local date form only: callers that share a store
   * across zones put the zone in the budget key.
   */
  readonly id: string;
  /** Start of the period, epoch ms (inclusive); `0` for `total`. */
  readonly startsAt: number;
  /** End of the period, epoch ms (exclusive); `undefined` for `total`. */
  readonly endsAt: number | undefined;
}

/** A budget window as parsed from a policy: a calendar window or a rolling window of `windowMs`. */
export type WindowSpec = { kind: 'calendar'; window: CalendarWindow } | RollingWindowSpec;

/** A rolling (sliding) window of `windowMs` milliseconds. */
export interface RollingWindowSpec {
  kind: 'rolling';
  windowMs: number;
}

/** How a store keeps a rolling window: amounts count for `windowMs`, kept in buckets of `bucketMs`. */
export interface RollingLine {
  windowMs: number;
  bucketMs: number;
}

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

// ---- Time zones ------------------------------------------------------------------------------------

/**
 * Half-width of the interval searched around a local midnight, and the length over which one offset
 * probe is trusted. It is larger than any UTC offset (IANA offsets since 1970 are within -12h..+14h)
 * and shorter than the shortest interval between two offset changes of any zone since 1970 (about 7
 * days, Brazil 2000), so such an interval holds at most one transition.
 */
const SEARCH = 18 * HOUR;
/** How long one offset lookup of {@link ZoneClock.offsetAt} is reused (two Intl calls per zone per day). */
const SPAN = DAY;

/** Names of UTC that need no Intl lookup (other aliases are recognised through Intl). */
const UTC_NAMES: ReadonlySet<string> = new Set(['UTC', 'Etc/UTC']);

const FORMATTED = /^(\d+)\/(\d+)\/(\d+)\D+(\d+):(\d+):(\d+)$/;

/** Wall-clock reading of a zone: local time expressed as if it were UTC, epoch ms (whole seconds). */
function utcFields(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, hour === 24 ? 0 : hour, minute, second);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour === 24 ? 0 : hour, minute, second, 0);
  return date.getTime();
}

/**
 * The clock of one IANA time zone: its UTC offset at any instant, with one `Intl.DateTimeFormat` per
 * zone. {@link ZoneClock.offsetAt} keeps the last offset it found for up to a day (or until the next
 * transition), so calls with a steady clock cost two comparisons.
 */
export class ZoneClock {
  /** The zone as given. */
  readonly timeZone: string;
  /** `true` for UTC and its aliases: offsets are 0 without asking Intl. */
  readonly isUtc: boolean;
  private readonly format: Intl.DateTimeFormat | undefined;
  private spanStart = 0;
  private spanEnd = 0;
  private spanOffset = 0;

  constructor(timeZone: string) {
    this.timeZone = timeZone;
    // The default zone needs no formatter: building the first Intl.DateTimeFormat of a process loads
    // ICU's zone data (milliseconds), which a process whose budgets are all in UTC never needs.
    if (UTC_NAMES.has(timeZone)) {
      this.isUtc = true;
      this.format = undefined;
      return;
    }
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        calendar: 'gregory',
        numberingSystem: 'latn',
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}"; use an IANA time zone such as "Europe/Paris"`);
    }
    this.isUtc = format.resolvedOptions().timeZone === 'UTC';
    this.format = this.isUtc ? undefined : format;
  }

  /** Offset of local wall-clock time from UTC at `at`, ms: local time = `at + offset`. */
  offsetAt(at: number): number {
    if (at >= this.spanStart && at < this.spanEnd) return this.spanOffset;
    const offset = this.offsetNow(at);
    const start = Math.floor(at / SECOND) * SECOND;
    const probe = start + SPAN;
    // At most one transition fits in SPAN: equal offsets at both ends mean none in between.
    const end = this.offsetNow(probe) === offset ? probe : this.transition(start, probe, offset);
    this.spanStart = start;
    this.spanEnd = end;
    this.spanOffset = offset;
    return offset;
  }

  /** The offset at `at`, asking Intl (no caching). */
  offsetNow(at: number): number {
    if (this.format === undefined) return 0;
    const second = Math.floor(at / SECOND) * SECOND;
    const text = this.format.format(second);
    const match = FORMATTED.exec(text);
    if (match) {
      const [, month, day, year, hour, minute, sec] = match;
      return utcFields(Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(sec)) - second;
    }
    return this.offsetFromParts(second);
  }

  private offsetFromParts(second: number): number {
    const fields: Record<string, number> = {};
    for (const part of this.format!.formatToParts(second))
      if (part.type !== 'literal') fields[part.type] = Number(part.value);
    const wall = utcFields(
      fields.year ?? Number.NaN,
      fields.month ?? Number.NaN,
      fields.day ?? Number.NaN,
      fields.hour ?? 0,
      fields.minute ?? 0,
      fields.second ?? 0,
    );
    if (Number.isNaN(wall)) throw new Error(`cannot read the local time of "${this.timeZone}" from Intl`);
    return wall - second;
  }

  /**
   * First whole second in `(from, to]` whose offset differs from `offset` (the offset at `from`), when
   * the offset at `to` differs: bisection over seconds (transitions fall on whole seconds).
   */
  private transition(from: number, to: number, offset: number): number {
    let low = Math.floor(from / SECOND);
    let high = Math.floor(to / SECOND);
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (this.offsetNow(middle * SECOND) === offset) low = middle;
      else high = middle;
    }
    return high * SECOND;
  }

  /**
   * First instant whose local wall-clock time is at or after 00:00 of local date `day` (days since
   * 1970-01-01): local midnight, or the end of the DST gap when the zone has no midnight that day. The
   * same date can never start twice: when a fall-back crosses midnight, the repeated hour of the previous
   * date belongs to the new date.
   */
  startOfDay(day: number): number {
    const local = day * DAY;
    if (this.format === undefined) return local;
    const before = local - SEARCH;
    const after = local + SEARCH;
    const first = this.offsetNow(before);
    const last = this.offsetNow(after);
    if (first === last) return local - first;
    // One transition at `change`: offset `first` before it, `last` from it on.
    const change = this.transition(before, after, first);
    if (local - first < change) return local - first;
    return Math.max(change, local - last);
  }
}

const clocks = new Map<string, ZoneClock>();

/** The (cached) {@link ZoneClock} of `timeZone`; throws a `RangeError` for an unknown zone. */
export function zoneClock(timeZone: string): ZoneClock {
  let clock = clocks.get(timeZone);
  if (clock === undefined) {
    clock = new ZoneClock(timeZone);
    clocks.set(timeZone, clock);
  }
  return clock;
}

// ---- Calendar periods ------------------------------------------------------------------------------

const TOTAL: Period = Object.freeze({ id: 'total', startsAt: 0, endsAt: undefined });

/**
 * The local date (days since 1970-01-01) of the day period that contains `now`, with its bounds. Almost
 * always the date the wall clock shows; after a fall-back that crosses midnight (St. John's until 2011:
 * 00:01 back to 23:01) the repeated hour stays in the new date, so periods never reopen.
 */
function dayAt(clock: ZoneClock, now: number): { day: number; startsAt: number; endsAt: number } {
  let day = Math.floor((now + clock.offsetNow(now)) / DAY);
  let startsAt = clock.startOfDay(day);
  let endsAt = clock.startOfDay(day + 1);
  while (now >= endsAt) {
    day += 1;
    startsAt = endsAt;
    endsAt = clock.startOfDay(day + 1);
  }
  while (now < startsAt) {
    day -= 1;
    endsAt = startsAt;
    startsAt = clock.startOfDay(day);
  }
  return { day, startsAt, endsAt };
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

function year4(value: number): string {
  return String(value).padStart(4, '0');
}

/** `yyyy-mm-dd` of a local date (days since 1970-01-01). */
function dateId(day: number): string {
  const date = new Date(day * DAY);
  return `${year4(date.getUTCFullYear())}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
}

/** `yyyy-Www` of the ISO week that starts on Monday `monday` (days since 1970-01-01). */
function isoWeekId(monday: number): string {
  const thursday = monday + 3;
  const year = new Date(thursday * DAY).getUTCFullYear();
  const januaryFirst = Math.floor(utcFields(year, 1, 1, 0, 0, 0) / DAY);
  return `${year4(year)}-W${pad2(Math.floor((thursday - januaryFirst) / 7) + 1)}`;
}

/**
 * The period of `window` that contains `now` (epoch ms), in `timeZone` (IANA, default UTC). Periods
 * start at local midnight (DST-correct; the first instant of the date when midnight does not exist) and
 * weeks on Monday; consecutive periods tile time with no gap or overlap. Throws a `RangeError` for an
 * unknown zone.
 */
export function periodOf(window: CalendarWindow, now: number, timeZone = 'UTC'): Period {
  if (window === 'total') return TOTAL;
  const clock = zoneClock(timeZone);
  const today = dayAt(clock, now);
  switch (window) {
    case 'day':
      return { id: dateId(today.day), startsAt: today.startsAt, endsAt: today.endsAt };
    case 'week': {
      // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
      const monday = today.day - ((((today.day + 3) % 7) + 7) % 7);
      return { id: isoWeekId(monday), startsAt: clock.startOfDay(monday), endsAt: clock.startOfDay(monday + 7) };
    }
    case 'month': {
      const date = new Date(today.day * DAY);
      const year = date.getUTCFullYear();
      const month = date.getUTCMonth() + 1;
      const first = Math.floor(utcFields(year, month, 1, 0, 0, 0) / DAY);
      const next = Math.floor(
        utcFields(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1, 0, 0, 0) / DAY,
      );
      return { id: `${year4(year)}-${pad2(month)}`, startsAt: clock.startOfDay(first), endsAt: clock.startOfDay(next) };
    }
    default: {
      const unknown: never = window;
      throw new RangeError(`"${String(unknown)}" is not a calendar window; use day, week, month or total`);
    }
  }
}

const current = new Map<string, Partial<Record<CalendarWindow, Period>>>();

/**
 * {@link periodOf}, computed once per period instead of once per call (the hot path: a Map lookup and
 * two comparisons). Cached per zone and window, and recomputed whenever `now` is outside the cached
 * period, in either direction (clocks may go backwards). The returned period is frozen.
 */
export function currentPeriod(window: CalendarWindow, now: number, timeZone = 'UTC'): Period {
  let byWindow = current.get(timeZone);
  const cached = byWindow?.[window];
  if (cached !== undefined && now >= cached.startsAt && (cached.endsAt === undefined || now < cached.endsAt))
    return cached;
  const period = Object.freeze(periodOf(window, now, timeZone));
  if (byWindow === undefined) {
    byWindow = {};
    current.set(timeZone, byWindow);
  }
  byWindow[window] = period;
  return period;
}

// ---- Rolling windows and parsing -------------------------------------------------------------------

/** Buckets per rolling window the stores aim for (at least; at most twice as many). */
const BUCKETS = 60;

/**
 * How stores keep a rolling window of `windowMs`: in buckets of `bucketMs`. The bucket is
 * `windowMs / n` for the smallest `n` from 60 to 120 that divides the window exactly (so the window
 * is a whole number of buckets: 1s → 100 × 10ms, 1m → 60 × 1s, 1h → 60 × 1m, 24h → 60 × 24m,
 * 7d → 60 × 168m); when none does, `round(windowMs / 60)`. Never below 1 ms: windows under 60 ms use
 * 1 ms buckets. The window is exact to one bucket, so amounts may count for up to one bucket
 * (at most 1/60 of the window, 1.7%) less than `windowMs`, or more when the bucket does not divide it.
 * Throws a `RangeError` unless `windowMs` is a positive whole number of milliseconds.
 */
export function rollingLine(windowMs: number): RollingLine {
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0)
    throw new RangeError(`a rolling window must be a positive whole number of milliseconds, not ${windowMs}`);
  if (windowMs <= BUCKETS) return { windowMs, bucketMs: 1 };
  for (let count = BUCKETS; count <= 2 * BUCKETS; count += 1)
    if (windowMs % count === 0) return { windowMs, bucketMs: windowMs / count };
  return { windowMs, bucketMs: Math.round(windowMs / BUCKETS) };
}

const CALENDAR_WINDOWS: ReadonlySet<string> = new Set<CalendarWindow>(['day', 'week', 'month', 'total']);

const RATE_WINDOWS: Readonly<Record<string, number>> = { second: SECOND, minute: MINUTE, hour: HOUR, day: DAY };

/**
 * Parses a window as the policy schema accepts it. Budgets (default): `day`, `week`, `month`, `total`
 * (calendar) or a duration such as `24h` or `7d` (rolling). Rate limits (`rateLimit: true`): `second`,
 * `minute`, `hour`, `day` (rolling windows of that length) or a duration. Throws a `SyntaxError` that
 * lists the accepted forms otherwise.
 */
export function windowOf(window: string, rateLimit: true): RollingWindowSpec;
export function windowOf(window: string, rateLimit?: boolean): WindowSpec;
export function windowOf(window: string, rateLimit = false): WindowSpec {
  if (rateLimit) {
    const named = RATE_WINDOWS[window];
    if (named !== undefined) return { kind: 'rolling', windowMs: named };
  } else if (CALENDAR_WINDOWS.has(window)) return { kind: 'calendar', window: window as CalendarWindow };
  try {
    return { kind: 'rolling', windowMs: parseDuration(window) };
  } catch {
    throw new SyntaxError(
      rateLimit
        ? `"${window}" is not a rate-limit window; use second, minute, hour, day or a duration such as "10s"`
        : `"${window}" is not a budget window; use day, week, month, total or a duration such as "24h" or "7d"`,
    );
  }
}
