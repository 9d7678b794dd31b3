import { describe, expect, it } from 'vitest';
import { type CalendarWindow, currentPeriod, type Period, periodOf, rollingLine, windowOf, zoneClock } from './window';

const HOUR = 3_600_000;

/** `[id, startsAt, endsAt]` with ISO strings, for readable expectations. */
function show(period: Period): [string, string, string | undefined] {
  return [
    period.id,
    new Date(period.startsAt).toISOString(),
    period.endsAt === undefined ? undefined : new Date(period.endsAt).toISOString(),
  ];
}

type Row = readonly [CalendarWindow, string, string, string, string];

function table(timeZone: string, rows: readonly Row[]): void {
  it.each(rows)(`%s of %s in ${timeZone} is %s [%s, %s)`, (window, at, id, startsAt, endsAt) => {
    expect(show(periodOf(window, Date.parse(at), timeZone))).toEqual([id, startsAt, endsAt]);
  });
}

describe('periodOf in UTC', () => {
  table('UTC', [
    ['day', '2026-11-23T00:00:00.000Z', '2026-11-23', '2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z'],
    ['day', '2026-11-23T23:59:59.999Z', '2026-11-23', '2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z'],
    ['day', '2028-02-29T12:00:00.000Z', '2028-02-29', '2028-02-29T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    ['day', '1970-01-01T00:00:00.000Z', '1970-01-01', '1970-01-01T00:00:00.000Z', '1970-01-02T00:00:00.000Z'],
    // Months of 31, 30, 28 and 29 days; 2000 is a leap year, 2100 is not.
    ['month', '2026-12-31T23:59:59.999Z', '2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['month', '2026-04-30T23:59:59.999Z', '2026-04', '2026-04-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'],
    ['month', '2027-02-15T08:00:00.000Z', '2027-02', '2027-02-01T00:00:00.000Z', '2027-03-01T00:00:00.000Z'],
    ['month', '2028-02-29T12:00:00.000Z', '2028-02', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    ['month', '2000-02-29T00:00:00.000Z', '2000-02', '2000-02-01T00:00:00.000Z', '2000-03-01T00:00:00.000Z'],
    ['month', '2100-02-28T23:59:59.999Z', '2100-02', '2100-02-01T00:00:00.000Z', '2100-03-01T00:00:00.000Z'],
    // ISO weeks: Monday to Sunday, numbered in the ISO week-year (the year of the week's Thursday).
    ['week', '2026-11-23T00:00:00.000Z', '2026-W48', '2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z'],
    ['week', '2026-11-29T23:59:59.999Z', '2026-W48', '2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z'],
    ['week', '2026-12-31T12:00:00.000Z', '2026-W53', '2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z'],
    ['week', '2027-01-03T23:59:59.999Z', '2026-W53', '2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z'],
    ['week', '2027-01-04T00:00:00.000Z', '2027-W01', '2027-01-04T00:00:00.000Z', '2027-01-11T00:00:00.000Z'],
    ['week', '2024-12-30T00:00:00.000Z', '2025-W01', '2024-12-30T00:00:00.000Z', '2025-01-06T00:00:00.000Z'],
    ['week', '2021-01-03T12:00:00.000Z', '2020-W53', '2020-12-28T00:00:00.000Z', '2021-01-04T00:00:00.000Z'],
    ['week', '2028-01-01T12:00:00.000Z', '2027-W52', '2027-12-27T00:00:00.000Z', '2028-01-03T00:00:00.000Z'],
    ['week', '1970-01-01T00:00:00.000Z', '1970-W01', '1969-12-29T00:00:00.000Z', '1970-01-05T00:00:00.000Z'],
  ]);

  it('has one total period that never ends, in any zone', () => {
    expect(periodOf('total', Date.parse('2026-11-23T12:00:00Z'))).toEqual({
      id: 'total',
      startsAt: 0,
      endsAt: undefined,
    });
    expect(periodOf('total', 0, 'Pacific/Chatham')).toEqual({ id: 'total', startsAt: 0, endsAt: undefined });
  });

  it('treats UTC aliases as UTC', () => {
    for (const zone of ['Etc/UTC', 'Etc/GMT', 'GMT']) {
      expect(zoneClock(zone).isUtc).toBe(true);
      expect(show(periodOf('day', Date.parse('2026-11-23T12:00:00Z'), zone))).toEqual([
        '2026-11-23',
        '2026-11-23T00:00:00.000Z',
        '2026-11-24T00:00:00.000Z',
      ]);
    }
  });

  it('rejects an unknown time zone', () => {
    expect(() => periodOf('day', 0, 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => periodOf('day', 0, 'Mars/Olympus_Mons')).toThrow(/unknown time zone "Mars\/Olympus_Mons"/);
  });
});

describe('periodOf in Europe/Paris (CET +1, CEST +2)', () => {
  table('Europe/Paris', [
    // Local midnight is 23:00 UTC the day before in winter.
    ['day', '2026-11-22T23:30:00.000Z', '2026-11-23', '2026-11-22T23:00:00.000Z', '2026-11-23T23:00:00.000Z'],
    ['day', '2026-11-22T22:59:59.999Z', '2026-11-22', '2026-11-21T23:00:00.000Z', '2026-11-22T23:00:00.000Z'],
    // Spring forward (02:00 → 03:00): a 23-hour day.
    ['day', '2026-03-29T12:00:00.000Z', '2026-03-29', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z'],
    // Fall back (03:00 → 02:00): a 25-hour day, 02:30 twice.
    ['day', '2026-10-25T00:30:00.000Z', '2026-10-25', '2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z'],
    ['day', '2026-10-25T01:30:00.000Z', '2026-10-25', '2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z'],
    ['week', '2026-03-29T12:00:00.000Z', '2026-W13', '2026-03-22T23:00:00.000Z', '2026-03-29T22:00:00.000Z'],
    ['week', '2026-10-25T12:00:00.000Z', '2026-W43', '2026-10-18T22:00:00.000Z', '2026-10-25T23:00:00.000Z'],
    ['month', '2026-03-15T12:00:00.000Z', '2026-03', '2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z'],
    // New Year in Paris while it is still 2026 in UTC.
    ['day', '2026-12-31T23:30:00.000Z', '2027-01-01', '2026-12-31T23:00:00.000Z', '2027-01-01T23:00:00.000Z'],
    ['week', '2026-12-31T23:30:00.000Z', '2026-W53', '2026-12-27T23:00:00.000Z', '2027-01-03T23:00:00.000Z'],
    ['month', '2026-12-31T23:30:00.000Z', '2027-01', '2026-12-31T23:00:00.000Z', '2027-01-31T23:00:00.000Z'],
    ['month', '2028-02-29T22:59:59.999Z', '2028-02', '2028-01-31T23:00:00.000Z', '2028-02-29T23:00:00.000Z'],
    ['month', '2028-02-29T23:00:00.000Z', '2028-03', '2028-02-29T23:00:00.000Z', '2028-03-31T22:00:00.000Z'],
  ]);
});

describe('periodOf in America/New_York (EST -5, EDT -4)', () => {
  table('America/New_York', [
    ['day', '2026-11-23T03:00:00.000Z', '2026-11-22', '2026-11-22T05:00:00.000Z', '2026-11-23T05:00:00.000Z'],
    // Spring forward at 02:00: 23 hours.
    ['day', '2026-03-08T12:00:00.000Z', '2026-03-08', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
    // Fall back at 02:00: 25 hours; 01:30 EDT and 01:30 EST are the same day.
    ['day', '2026-11-01T05:30:00.000Z', '2026-11-01', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
    ['day', '2026-11-01T06:30:00.000Z', '2026-11-01', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
    ['month', '2026-03-20T12:00:00.000Z', '2026-03', '2026-03-01T05:00:00.000Z', '2026-04-01T04:00:00.000Z'],
    ['month', '2026-11-20T12:00:00.000Z', '2026-11', '2026-11-01T04:00:00.000Z', '2026-12-01T05:00:00.000Z'],
    ['month', '2028-03-01T04:59:59.999Z', '2028-02', '2028-02-01T05:00:00.000Z', '2028-03-01T05:00:00.000Z'],
    ['week', '2026-11-01T12:00:00.000Z', '2026-W44', '2026-10-26T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
    ['week', '2027-01-01T04:59:59.999Z', '2026-W53', '2026-12-28T05:00:00.000Z', '2027-01-04T05:00:00.000Z'],
  ]);
});

describe('periodOf in Australia/Lord_Howe (+10:30, +11 in summer: a 30-minute DST)', () => {
  table('Australia/Lord_Howe', [
    ['day', '2026-04-05T05:00:00.000Z', '2026-04-05', '2026-04-04T13:00:00.000Z', '2026-04-05T13:30:00.000Z'],
    ['day', '2026-10-04T05:00:00.000Z', '2026-10-04', '2026-10-03T13:30:00.000Z', '2026-10-04T13:00:00.000Z'],
    ['month', '2026-12-31T13:00:00.000Z', '2027-01', '2026-12-31T13:00:00.000Z', '2027-01-31T13:00:00.000Z'],
  ]);
});

describe('periodOf in Asia/Kolkata (+5:30, no DST)', () => {
  table('Asia/Kolkata', [
    ['day', '2026-11-23T12:00:00.000Z', '2026-11-23', '2026-11-22T18:30:00.000Z', '2026-11-23T18:30:00.000Z'],
    ['month', '2026-11-23T12:00:00.000Z', '2026-11', '2026-10-31T18:30:00.000Z', '2026-11-30T18:30:00.000Z'],
    ['day', '2026-12-31T18:30:00.000Z', '2027-01-01', '2026-12-31T18:30:00.000Z', '2027-01-01T18:30:00.000Z'],
    ['week', '2026-12-31T18:30:00.000Z', '2026-W53', '2026-12-27T18:30:00.000Z', '2027-01-03T18:30:00.000Z'],
    ['week', '2027-01-03T18:30:00.000Z', '2027-W01', '2027-01-03T18:30:00.000Z', '2027-01-10T18:30:00.000Z'],
  ]);
});

describe('periodOf in Pacific/Chatham (+12:45, +13:45 in summer)', () => {
  table('Pacific/Chatham', [
    ['day', '2026-11-23T00:00:00.000Z', '2026-11-23', '2026-11-22T10:15:00.000Z', '2026-11-23T10:15:00.000Z'],
    ['day', '2026-09-27T05:00:00.000Z', '2026-09-27', '2026-09-26T11:15:00.000Z', '2026-09-27T10:15:00.000Z'],
    ['day', '2026-04-05T05:00:00.000Z', '2026-04-05', '2026-04-04T10:15:00.000Z', '2026-04-05T11:15:00.000Z'],
    ['month', '2026-12-31T10:15:00.000Z', '2027-01', '2026-12-31T10:15:00.000Z', '2027-01-31T10:15:00.000Z'],
    ['week', '2026-12-31T10:14:59.999Z', '2026-W53', '2026-12-27T10:15:00.000Z', '2027-01-03T10:15:00.000Z'],
  ]);
});

describe('zones whose DST transition is at midnight', () => {
  // Chile: Saturday 24:00 → Sunday 01:00 in September, Sunday 00:00 → Saturday 23:00 in April.
  table('America/Santiago', [
    ['day', '2026-09-06T12:00:00.000Z', '2026-09-06', '2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z'],
    ['day', '2026-09-05T12:00:00.000Z', '2026-09-05', '2026-09-05T04:00:00.000Z', '2026-09-06T04:00:00.000Z'],
    ['day', '2026-04-04T12:00:00.000Z', '2026-04-04', '2026-04-04T03:00:00.000Z', '2026-04-05T04:00:00.000Z'],
    ['week', '2026-09-06T12:00:00.000Z', '2026-W36', '2026-08-31T04:00:00.000Z', '2026-09-07T03:00:00.000Z'],
  ]);
  // Cuba: 00:00 → 01:00 in March, 01:00 → 00:00 in November.
  table('America/Havana', [
    ['day', '2026-03-08T12:00:00.000Z', '2026-03-08', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
    ['day', '2026-11-01T05:30:00.000Z', '2026-11-01', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
  ]);
  // Lebanon: 00:00 → 01:00 on the last Sunday of March, 00:00 → 23:00 (Saturday) on the last Sunday of October.
  table('Asia/Beirut', [
    ['day', '2026-03-29T12:00:00.000Z', '2026-03-29', '2026-03-28T22:00:00.000Z', '2026-03-29T21:00:00.000Z'],
    ['day', '2026-10-24T12:00:00.000Z', '2026-10-24', '2026-10-23T21:00:00.000Z', '2026-10-24T22:00:00.000Z'],
    ['month', '2026-03-29T12:00:00.000Z', '2026-03', '2026-02-28T22:00:00.000Z', '2026-03-31T21:00:00.000Z'],
  ]);

  it('starts a day at the first instant of its date when it has no midnight', () => {
    const sunday = periodOf('day', Date.parse('2026-09-06T12:00:00Z'), 'America/Santiago');
    const clock = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/Santiago', timeStyle: 'medium' });
    expect(clock.format(sunday.startsAt)).toBe('01:00:00');
    expect(clock.format(sunday.startsAt - 1)).toBe('23:59:59');
  });
});

describe('zones with a fall-back across midnight or a skipped date', () => {
  // St. John's until 2011: 00:01 NDT → 23:01 NST the day before. The repeated hour stays in the new date.
  table('America/St_Johns', [
    ['day', '1987-10-25T02:29:59.999Z', '1987-10-24', '1987-10-24T02:30:00.000Z', '1987-10-25T02:30:00.000Z'],
    ['day', '1987-10-25T03:00:00.000Z', '1987-10-25', '1987-10-25T02:30:00.000Z', '1987-10-26T03:30:00.000Z'],
    ['week', '1987-10-25T03:00:00.000Z', '1987-W43', '1987-10-19T02:30:00.000Z', '1987-10-26T03:30:00.000Z'],
    // 1988 "double daylight" (-1:30): a 22-hour and a 26-hour day.
    ['day', '1988-04-03T12:00:00.000Z', '1988-04-03', '1988-04-03T03:30:00.000Z', '1988-04-04T01:30:00.000Z'],
    ['day', '1988-10-30T12:00:00.000Z', '1988-10-30', '1988-10-30T01:30:00.000Z', '1988-10-31T03:30:00.000Z'],
  ]);
  // Samoa skipped 2011-12-30 (-10 → +14).
  table('Pacific/Apia', [
    ['day', '2011-12-29T12:00:00.000Z', '2011-12-29', '2011-12-29T10:00:00.000Z', '2011-12-30T10:00:00.000Z'],
    ['day', '2011-12-30T10:00:00.000Z', '2011-12-31', '2011-12-30T10:00:00.000Z', '2011-12-31T10:00:00.000Z'],
    ['week', '2011-12-29T12:00:00.000Z', '2011-W52', '2011-12-26T10:00:00.000Z', '2012-01-01T10:00:00.000Z'],
    ['month', '2011-12-29T12:00:00.000Z', '2011-12', '2011-12-01T10:00:00.000Z', '2011-12-31T10:00:00.000Z'],
  ]);

  it('keeps the repeated hour of a fall-back across midnight in the new date', () => {
    const local = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/St_Johns', dateStyle: 'short' });
    const at = Date.parse('1987-10-25T03:00:00Z');
    expect(local.format(at)).toBe('1987-10-24');
    expect(periodOf('day', at, 'America/St_Johns').id).toBe('1987-10-25');
  });
});

describe('currentPeriod', () => {
  it('returns the cached period while now is inside it, and the same values as periodOf', () => {
    const first = currentPeriod('day', Date.parse('2031-05-10T08:00:00Z'), 'Europe/Paris');
    expect(currentPeriod('day', Date.parse('2031-05-10T21:59:59.999Z'), 'Europe/Paris')).toBe(first);
    expect(first).toEqual(periodOf('day', Date.parse('2031-05-10T08:00:00Z'), 'Europe/Paris'));
    expect(Object.isFrozen(first)).toBe(true);
    const next = currentPeriod('day', Date.parse('2031-05-10T22:00:00Z'), 'Europe/Paris');
    expect(next.id).toBe('2031-05-11');
  });

  it('follows a clock that goes backwards', () => {
    expect(currentPeriod('month', Date.parse('2031-06-01T00:00:00Z'), 'Asia/Kolkata').id).toBe('2031-06');
    expect(currentPeriod('month', Date.parse('2031-05-31T18:29:59.999Z'), 'Asia/Kolkata').id).toBe('2031-05');
    expect(currentPeriod('month', Date.parse('2031-05-31T18:30:00.000Z'), 'Asia/Kolkata').id).toBe('2031-06');
    expect(currentPeriod('week', Date.parse('2031-01-01T00:00:00Z')).id).toBe('2031-W01');
    expect(currentPeriod('week', Date.parse('2030-12-29T23:59:59.999Z')).id).toBe('2030-W52');
  });

  it('caches per zone and window', () => {
    const at = Date.parse('2031-05-10T23:30:00Z');
    expect(currentPeriod('day', at).id).toBe('2031-05-10');
    expect(currentPeriod('day', at, 'Europe/Paris').id).toBe('2031-05-11');
    expect(currentPeriod('day', at, 'America/New_York').id).toBe('2031-05-10');
    expect(currentPeriod('month', at, 'Europe/Paris').id).toBe('2031-05');
    expect(currentPeriod('total', at, 'Europe/Paris')).toEqual({ id: 'total', startsAt: 0, endsAt: undefined });
    expect(currentPeriod('day', at).id).toBe('2031-05-10');
  });
});

describe('ZoneClock', () => {
  it('reads offsets, including sub-hour ones, and reuses them within a day', () => {
    const chatham = zoneClock('Pacific/Chatham');
    expect(chatham.offsetAt(Date.parse('2026-11-23T00:00:00Z'))).toBe(13.75 * HOUR);
    expect(chatham.offsetAt(Date.parse('2026-06-23T00:00:00Z'))).toBe(12.75 * HOUR);
    const paris = zoneClock('Europe/Paris');
    // Each side of the spring-forward instant, in both directions.
    expect(paris.offsetAt(Date.parse('2026-03-29T00:59:59.999Z'))).toBe(HOUR);
    expect(paris.offsetAt(Date.parse('2026-03-29T01:00:00.000Z'))).toBe(2 * HOUR);
    expect(paris.offsetAt(Date.parse('2026-03-29T00:59:59.999Z'))).toBe(HOUR);
    expect(zoneClock('Africa/Monrovia').offsetAt(Date.parse('1971-06-01T00:00:00Z'))).toBe(-(44 * 60 + 30) * 1000);
  });
});

describe('rollingLine', () => {
  it.each([
    [1, 1],
    [60, 1],
    [61, 1],
    [1_000, 10],
    [10_000, 125],
    [60_000, 1_000],
    [3_600_000, 60_000],
    [86_400_000, 1_440_000],
    [604_800_000, 10_080_000],
    [1_009, 17], // a prime: no bucket divides it, so windowMs / 60 rounded
  ])('a window of %i ms uses buckets of %d ms', (windowMs, bucketMs) => {
    expect(rollingLine(windowMs)).toEqual({ windowMs, bucketMs });
  });

  it('keeps buckets whole, at least 1 ms and at most about a sixtieth of the window', () => {
    for (let windowMs = 1; windowMs < 20_000; windowMs += 7) {
      const { bucketMs } = rollingLine(windowMs);
      expect(Number.isInteger(bucketMs)).toBe(true);
      expect(bucketMs).toBeGreaterThanOrEqual(1);
      expect(bucketMs).toBeLessThanOrEqual(Math.max(1, Math.round(windowMs / 60)));
      // 1 ms up to 60 ms; then a whole number of buckets (60 to 120 of them), else windowMs / 60 rounded.
      const count = windowMs / bucketMs;
      if (windowMs <= 60) expect(bucketMs).toBe(1);
      else
        expect((Number.isInteger(count) && count >= 60 && count <= 120) || bucketMs === Math.round(windowMs / 60)).toBe(
          true,
        );
    }
  });

  it('rejects windows that are not a positive whole number of milliseconds', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => rollingLine(bad)).toThrow(RangeError);
  });
});

describe('windowOf', () => {
  it.each([
    ['day', { kind: 'calendar', window: 'day' }],
    ['week', { kind: 'calendar', window: 'week' }],
    ['month', { kind: 'calendar', window: 'month' }],
    ['total', { kind: 'calendar', window: 'total' }],
    ['24h', { kind: 'rolling', windowMs: 86_400_000 }],
    ['7d', { kind: 'rolling', windowMs: 604_800_000 }],
    ['90m', { kind: 'rolling', windowMs: 5_400_000 }],
    ['1.5h', { kind: 'rolling', windowMs: 5_400_000 }],
  ] as const)('budget window %s', (text, expected) => {
    expect(windowOf(text)).toEqual(expected);
  });

  it.each([
    ['second', 1_000],
    ['minute', 60_000],
    ['hour', 3_600_000],
    ['day', 86_400_000],
    ['10s', 10_000],
    ['500ms', 500],
  ])('rate-limit window %s is rolling, %i ms', (text, windowMs) => {
    expect(windowOf(text, true)).toEqual({ kind: 'rolling', windowMs });
  });

  it('rejects what the schema rejects, listing the accepted forms', () => {
    expect(() => windowOf('fortnight')).toThrow(/not a budget window; use day, week, month, total/);
    expect(() => windowOf('second')).toThrow(SyntaxError);
    expect(() => windowOf('week', true)).toThrow(/not a rate-limit window; use second, minute, hour, day/);
    expect(() => windowOf('0s', true)).toThrow(SyntaxError);
  });
});
