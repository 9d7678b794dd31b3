// Property tests of calendar windows against Intl itself, over 1970-2100 and zones with every kind of
// anomaly: DST at midnight, 30- and 45-minute offsets, fall-backs across midnight, skipped dates.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CalendarWindow, currentPeriod, type Period, periodOf } from './window';

const SECOND = 1_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const FROM = Date.UTC(1970, 0, 1);
const TO = Date.UTC(2101, 0, 1) - 1;

const ZONES = [
  'UTC',
  'Europe/Paris',
  'Europe/London',
  'Europe/Moscow',
  'America/New_York',
  'America/Los_Angeles',
  'America/Sao_Paulo', // DST at midnight until 2019
  'America/Santiago', // DST at midnight
  'America/Havana', // DST at midnight
  'America/St_Johns', // -3:30; until 2011 fell back at 00:01 to 23:01 the day before
  'Asia/Beirut', // DST at midnight
  'Asia/Tehran', // +3:30, DST at midnight until 2022
  'Asia/Kolkata', // +5:30
  'Asia/Kathmandu', // +5:45 since 1986
  'Asia/Tokyo',
  'Australia/Lord_Howe', // 30-minute DST
  'Australia/Adelaide', // +9:30
  'Pacific/Chatham', // +12:45
  'Pacific/Apia', // skipped 2011-12-30
  'Pacific/Kiritimati', // +14, skipped 1994-12-31
  'Africa/Cairo',
  'Africa/Casablanca', // DST suspended for Ramadan
] as const;

/** Zones where the wall clock went back across midnight (the repeated hour belongs to the new date). */
const BACKWARDS_ACROSS_MIDNIGHT: ReadonlySet<string> = new Set(['America/St_Johns']);

/** Local dates that never happened. */
const SKIPPED: Readonly<Record<string, readonly string[]>> = {
  'Pacific/Apia': ['2011-12-30'],
  'Pacific/Kiritimati': ['1994-12-31'],
};

/** Day lengths in minutes: 24h, ±1h DST, ±30min (Lord Howe; Tehran and others at their offset changes). */
const DAY_MINUTES = [1_380, 1_410, 1_440, 1_470, 1_500];
/** Days whose length is none of the above, from the IANA database. */
const ODD_DAYS: Readonly<Record<string, number>> = {
  'Asia/Kathmandu 1986-01-01': 1_425, // +5:30 → +5:45 at midnight
  'Pacific/Kiritimati 1979-10-01': 1_400, // -10:40 → -10:00 at midnight
  'America/St_Johns 1988-04-03': 1_320, // "double daylight": clocks forward 2 hours
  'America/St_Johns 1988-10-30': 1_560, // and back 2 hours, across midnight
};

// ---- Reference: Intl formatToParts on every call ----------------------------------------------------

const referenceFormats = new Map<string, Intl.DateTimeFormat>();

interface LocalTime {
  /** `yyyy-mm-dd` */
  date: string;
  weekday: string;
  /** Offset from UTC, ms. */
  offset: number;
}

function local(zone: string, at: number): LocalTime {
  let format = referenceFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    referenceFormats.set(zone, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(at)) parts[part.type] = part.value;
  const second = Math.floor(at / SECOND) * SECOND;
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, weekday: parts.weekday ?? '', offset: wall - second };
}

/** ISO 8601 week of a `yyyy-mm-dd` date: the week of its Thursday, counted in the Thursday's year. */
function isoWeekOf(date: string): string {
  const at = Date.parse(`${date}T00:00:00Z`);
  const weekday = ((new Date(at).getUTCDay() + 6) % 7) + 1;
  const thursday = new Date(at + (4 - weekday) * DAY);
  const year = thursday.getUTCFullYear();
  const week = Math.ceil(((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY + 1) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** Offset changes of `zone` during `year`, found by sampling every 2 days and bisecting to the second. */
const transitionCache = new Map<string, number[]>();
function transitions(zone: string, year: number): number[] {
  const key = `${zone} ${year}`;
  let found = transitionCache.get(key);
  if (found) return found;
  found = [];
  const end = Date.UTC(year + 1, 0, 1);
  let at = Date.UTC(year, 0, 1);
  let offset = local(zone, at).offset;
  while (at < end) {
    const next = at + 2 * DAY;
    const nextOffset = local(zone, next).offset;
    if (nextOffset !== offset) {
      let low = at / SECOND;
      let high = next / SECOND;
      while (high - low > 1) {
        const middle = Math.floor((low + high) / 2);
        if (local(zone, middle * SECOND).offset === offset) low = middle;
        else high = middle;
      }
      found.push(high * SECOND);
    }
    at = next;
    offset = nextOffset;
  }
  transitionCache.set(key, found);
  return found;
}

// ---- Arbitraries -----------------------------------------------------------------------------------

const zone = fc.constantFrom(...ZONES);

/** Uniform over 1970-2100, or near one of the zone's offset changes (where the edge cases are). */
function instantIn(timeZone: string): fc.Arbitrary<number> {
  const nearTransition = fc
    .record({
      year: fc.integer({ min: 1970, max: 2100 }),
      pick: fc.nat(),
      jitter: fc.oneof(fc.integer({ min: -3 * SECOND, max: 3 * SECOND }), fc.integer({ min: -2 * DAY, max: 2 * DAY })),
    })
    .map(({ year, pick, jitter }) => {
      const list = transitions(timeZone, year);
      const base = list.length > 0 ? list[pick % list.length]! : Date.UTC(year, 0, 1) + (pick % 365) * DAY;
      return Math.min(TO, Math.max(FROM, base + jitter));
    });
  return fc.oneof(fc.integer({ min: FROM, max: TO }), nearTransition);
}

const zoned = zone.chain((timeZone) => fc.tuple(fc.constant(timeZone), instantIn(timeZone)));

/** Known hard cases, always run first. */
const EXAMPLES: [[string, number]][] = [
  [['America/St_Johns', Date.parse('1987-10-25T03:00:00Z')]],
  [['America/St_Johns', Date.parse('1988-10-30T02:00:00Z')]],
  [['America/Santiago', Date.parse('2026-09-06T04:00:00Z')]],
  [['Asia/Beirut', Date.parse('2026-10-24T21:30:00Z')]],
  [['Pacific/Apia', Date.parse('2011-12-30T09:59:59.999Z')]],
  [['Pacific/Kiritimati', Date.parse('1994-12-31T10:00:00Z')]],
  [['Asia/Kathmandu', Date.parse('1985-12-31T18:30:00Z')]],
  [['Australia/Lord_Howe', Date.parse('2026-10-03T15:30:00Z')]],
];

// ---- Properties ------------------------------------------------------------------------------------

/** The local dates a period covers, in order, walked day by day with periodOf itself. */
function datesOf(period: Period, timeZone: string): string[] {
  const dates: string[] = [];
  let at = period.startsAt;
  while (at < period.endsAt!) {
    const day = periodOf('day', at, timeZone);
    expect(day.startsAt).toBe(at);
    dates.push(day.id);
    at = day.endsAt!;
  }
  expect(at).toBe(period.endsAt);
  return dates;
}

/** Consecutive dates from `first`, `count` of them, without the zone's skipped dates. */
function expectedDates(timeZone: string, first: string, count: number): string[] {
  const skipped = SKIPPED[timeZone] ?? [];
  return Array.from({ length: count }, (_, index) => addDays(first, index)).filter((date) => !skipped.includes(date));
}

function checkPeriod(window: Exclude<CalendarWindow, 'total'>, timeZone: string, now: number): void {
  const period = periodOf(window, now, timeZone);
  const { id, startsAt } = period;
  const endsAt = period.endsAt!;
  // It contains now, and every instant of it has the same period.
  expect(startsAt).toBeLessThanOrEqual(now);
  expect(now).toBeLessThan(endsAt);
  expect(periodOf(window, startsAt, timeZone)).toEqual(period);
  expect(periodOf(window, endsAt - 1, timeZone)).toEqual(period);
  // Periods tile time: the next starts where this one ends, the previous ends where this one starts.
  const next = periodOf(window, endsAt, timeZone);
  expect(next.startsAt).toBe(endsAt);
  expect(next.id > id).toBe(true);
  const previous = periodOf(window, startsAt - 1, timeZone);
  expect(previous.endsAt).toBe(startsAt);
  expect(previous.id < id).toBe(true);

  // Against Intl: the period starts at the first instant of its first local date.
  const first = local(timeZone, startsAt);
  expect(local(timeZone, startsAt - 1).date < first.date).toBe(true);
  const seen = local(timeZone, now).date;
  const repeatedHour = (shown: string, expected: string) => {
    // Only after a fall-back across midnight does the clock show an earlier period than the one now is in.
    if (shown !== expected) {
      expect(BACKWARDS_ACROSS_MIDNIGHT.has(timeZone)).toBe(true);
      expect(shown < expected).toBe(true);
    }
  };
  switch (window) {
    case 'day': {
      expect(first.date).toBe(id);
      repeatedHour(seen, id);
      const minutes = (endsAt - startsAt) / MINUTE;
      const odd = ODD_DAYS[`${timeZone} ${id}`];
      if (odd === undefined) expect(DAY_MINUTES).toContain(minutes);
      else expect(minutes).toBe(odd);
      break;
    }
    case 'week':
      expect(first.weekday).toBe('Mon');
      expect(isoWeekOf(first.date)).toBe(id);
      repeatedHour(isoWeekOf(seen), id);
      expect(datesOf(period, timeZone)).toEqual(expectedDates(timeZone, first.date, 7));
      break;
    case 'month': {
      expect(first.date).toBe(`${id}-01`);
      repeatedHour(seen.slice(0, 7), id);
      const [year, month] = id.split('-').map(Number) as [number, number];
      const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
      expect(datesOf(period, timeZone)).toEqual(expectedDates(timeZone, first.date, length));
      break;
    }
  }
}

describe('calendar periods (property)', () => {
  it.each(['day', 'week', 'month'] as const)('%s periods tile time and start at local midnight', (window) => {
    fc.assert(
      fc.property(zoned, ([timeZone, now]) => checkPeriod(window, timeZone, now)),
      { numRuns: window === 'day' ? 1_000 : 300, examples: EXAMPLES },
    );
  });

  it('puts 2028-02-29 in month 2028-02 in every zone', () => {
    fc.assert(
      fc.property(
        zone,
        fc.integer({ min: Date.UTC(2028, 1, 28, 9), max: Date.UTC(2028, 2, 1, 15) }),
        (timeZone, now) => {
          fc.pre(local(timeZone, now).date === '2028-02-29');
          expect(periodOf('day', now, timeZone).id).toBe('2028-02-29');
          const month = periodOf('month', now, timeZone);
          expect(month.id).toBe('2028-02');
          expect(datesOf(month, timeZone)).toHaveLength(29);
          expect(periodOf('week', now, timeZone).id).toBe('2028-W09');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('currentPeriod equals periodOf for any sequence of instants, backwards included', () => {
    const step = fc.oneof(
      fc.integer({ min: -1, max: 1 }),
      fc.integer({ min: -2 * 3_600_000, max: 2 * 3_600_000 }),
      fc.integer({ min: -40 * DAY, max: 40 * DAY }),
      fc.constantFrom('end' as const, 'before-start' as const),
    );
    fc.assert(
      fc.property(
        zone,
        fc.constantFrom<CalendarWindow>('day', 'week', 'month', 'total'),
        fc.integer({ min: FROM + 100 * DAY, max: TO - 100 * DAY }),
        fc.array(step, { maxLength: 40 }),
        (timeZone, window, start, steps) => {
          let now = start;
          for (const move of steps) {
            const period = periodOf(window, now, timeZone);
            if (move === 'end') now = period.endsAt ?? now;
            else if (move === 'before-start') now = period.startsAt > 0 ? period.startsAt - 1 : now;
            else now += move;
            expect(currentPeriod(window, now, timeZone)).toEqual(periodOf(window, now, timeZone));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
