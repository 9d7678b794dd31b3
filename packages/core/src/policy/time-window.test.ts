import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TimeRange } from './schema';
import { compileTimeWindows, type TimeWindowRule } from './time-window';

const SECOND = 1_000;
const DAY = 86_400_000;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

type Case = readonly [at: string, allowed: boolean];

function check(rule: TimeWindowRule, cases: readonly Case[], defaultZone?: string): void {
  const windows = compileTimeWindows(rule, defaultZone);
  for (const [at, allowed] of cases) expect([at, windows.allows(Date.parse(at))]).toEqual([at, allowed]);
}

describe('compileTimeWindows', () => {
  it('allows office hours on weekdays (Europe/Paris, CET +1)', () => {
    check({ allow: [{ days: [...WEEKDAYS], from: '08:00', to: '19:00' }], timezone: 'Europe/Paris' }, [
      ['2026-11-23T06:59:59.999Z', false], // Monday 07:59:59.999
      ['2026-11-23T07:00:00.000Z', true], // Monday 08:00
      ['2026-11-23T17:59:59.999Z', true], // Monday 18:59:59.999
      ['2026-11-23T18:00:00.000Z', false], // Monday 19:00
      ['2026-11-27T09:00:00.000Z', true], // Friday 10:00
      ['2026-11-28T11:00:00.000Z', false], // Saturday
      ['2026-11-29T11:00:00.000Z', false], // Sunday
      ['2026-07-06T06:00:00.000Z', true], // Monday 08:00 CEST (+2)
      ['2026-07-06T05:59:59.999Z', false],
    ]);
  });

  it('gives the part of an overnight range after midnight to the starting day', () => {
    check({ allow: [{ days: ['fri'], from: '22:00', to: '06:00' }] }, [
      ['2026-11-27T21:59:59.999Z', false], // Friday 21:59
      ['2026-11-27T22:00:00.000Z', true], // Friday 22:00
      ['2026-11-28T05:59:59.999Z', true], // Saturday 05:59 (Friday night)
      ['2026-11-28T06:00:00.000Z', false], // Saturday 06:00
      ['2026-11-28T22:00:00.000Z', false], // Saturday 22:00: Saturday is not listed
      ['2026-11-29T03:00:00.000Z', false], // Sunday 03:00
      ['2026-11-27T03:00:00.000Z', false], // Friday 03:00 belongs to Thursday night
    ]);
    // Sunday night runs into Monday.
    check({ allow: [{ days: ['sun'], from: '22:00', to: '06:00' }] }, [
      ['2026-11-29T23:00:00.000Z', true],
      ['2026-11-30T03:00:00.000Z', true],
      ['2026-11-30T22:00:00.000Z', false],
      ['2026-11-23T03:00:00.000Z', true], // the Monday before: Sunday 22 November's night
    ]);
  });

  it('treats 24:00 as the end of the day, and from = to as empty', () => {
    check({ allow: [{ from: '20:00' }] }, [
      ['2026-11-23T19:59:59.999Z', false],
      ['2026-11-23T20:00:00.000Z', true],
      ['2026-11-23T23:59:59.999Z', true],
      ['2026-11-24T00:00:00.000Z', false],
    ]);
    check({ allow: [{ days: ['sat'], from: '00:00', to: '24:00' }] }, [
      ['2026-11-28T00:00:00.000Z', true],
      ['2026-11-28T23:59:59.999Z', true],
      ['2026-11-29T00:00:00.000Z', false],
      ['2026-11-27T23:59:59.999Z', false],
    ]);
    check({ allow: [{ days: ['fri'], from: '24:00', to: '06:00' }] }, [
      ['2026-11-27T23:59:59.999Z', false],
      ['2026-11-28T03:00:00.000Z', true],
    ]);
    const never = compileTimeWindows({ allow: [{ from: '08:00', to: '08:00' }] });
    for (let at = Date.parse('2026-11-23T00:00:00Z'); at < Date.parse('2026-11-30T00:00:00Z'); at += 60_000)
      expect(never.allows(at)).toBe(false);
  });

  it('denies inside allowed ranges, and deny alone allows everything else', () => {
    check({ allow: [{ days: [...WEEKDAYS], from: '08:00', to: '19:00' }], deny: [{ from: '12:00', to: '13:00' }] }, [
      ['2026-11-23T11:59:59.999Z', true],
      ['2026-11-23T12:00:00.000Z', false],
      ['2026-11-23T12:30:00.000Z', false],
      ['2026-11-23T13:00:00.000Z', true],
      ['2026-11-28T12:30:00.000Z', false],
    ]);
    check({ deny: [{ days: ['sat', 'sun'] }] }, [
      ['2026-11-27T23:59:59.999Z', true],
      ['2026-11-28T00:00:00.000Z', false],
      ['2026-11-29T23:59:59.999Z', false],
      ['2026-11-30T00:00:00.000Z', true],
    ]);
    check(
      {
        allow: [
          { days: ['mon'], from: '09:00', to: '10:00' },
          { days: ['tue'], from: '14:00', to: '15:00' },
        ],
      },
      [
        ['2026-11-23T09:30:00.000Z', true],
        ['2026-11-23T14:30:00.000Z', false],
        ['2026-11-24T14:30:00.000Z', true],
        ['2026-11-24T09:30:00.000Z', false],
      ],
    );
  });

  it('uses the rule zone, else the default zone, else UTC', () => {
    const range: TimeRange = { from: '09:00', to: '17:30' };
    check({ allow: [range] }, [['2026-11-23T03:30:00.000Z', true]], 'Asia/Kolkata'); // 09:00 IST
    check({ allow: [range] }, [['2026-11-23T12:00:00.000Z', false]], 'Asia/Kolkata'); // 17:30 IST
    check({ allow: [range], timezone: 'Asia/Kolkata' }, [['2026-11-23T03:30:00.000Z', true]], 'America/New_York');
    check({ allow: [range] }, [['2026-11-23T03:30:00.000Z', false]]);
    check({ allow: [{ days: ['mon'], from: '00:00', to: '00:45' }], timezone: 'Pacific/Chatham' }, [
      ['2026-11-22T10:14:59.999Z', false], // Sunday 23:59:59.999 +13:45
      ['2026-11-22T10:15:00.000Z', true], // Monday 00:00
      ['2026-11-22T11:00:00.000Z', false], // Monday 00:45
    ]);
  });

  it('follows the wall clock across DST changes', () => {
    // New York, 2026-03-08: 02:00 EST → 03:00 EDT, so 02:00–03:00 never happens that day.
    check({ allow: [{ from: '02:00', to: '03:00' }], timezone: 'America/New_York' }, [
      ['2026-03-07T07:30:00.000Z', true], // the day before, 02:30 EST
      ['2026-03-08T06:59:59.999Z', false], // 01:59:59.999 EST
      ['2026-03-08T07:00:00.000Z', false], // 03:00 EDT
      ['2026-03-09T06:30:00.000Z', true], // the day after, 02:30 EDT
    ]);
    // 2026-11-01: 02:00 EDT → 01:00 EST, so 01:00–02:00 happens twice.
    check({ allow: [{ from: '01:00', to: '02:00' }], timezone: 'America/New_York' }, [
      ['2026-11-01T04:59:59.999Z', false], // 00:59:59.999 EDT
      ['2026-11-01T05:00:00.000Z', true], // 01:00 EDT
      ['2026-11-01T05:30:00.000Z', true], // 01:30 EDT
      ['2026-11-01T06:30:00.000Z', true], // 01:30 EST
      ['2026-11-01T06:59:59.999Z', true], // 01:59:59.999 EST
      ['2026-11-01T07:00:00.000Z', false], // 02:00 EST
    ]);
    // Santiago, Sunday 2026-09-06 starts at 01:00 (-03): 00:00–01:00 never happens.
    check({ allow: [{ days: ['sun'], from: '00:00', to: '01:00' }], timezone: 'America/Santiago' }, [
      ['2026-09-06T03:59:59.999Z', false], // Saturday 23:59:59.999 -04
      ['2026-09-06T04:00:00.000Z', false], // Sunday 01:00 -03
      ['2026-09-13T03:30:00.000Z', true], // next Sunday 00:30 -03
    ]);
    // Santiago, 2026-04-05: Sunday 00:00 -03 → Saturday 23:00 -04; Sunday 00:00–01:00 comes once, an hour later.
    check({ allow: [{ days: ['sun'], from: '00:00', to: '01:00' }], timezone: 'America/Santiago' }, [
      ['2026-04-05T03:30:00.000Z', false], // Saturday 23:30 -04 (again)
      ['2026-04-05T04:30:00.000Z', true], // Sunday 00:30 -04
    ]);
    // Lord Howe, 2026-10-04: 02:00 → 02:30 (+10:30 → +11).
    check({ allow: [{ from: '02:00', to: '02:30' }], timezone: 'Australia/Lord_Howe' }, [
      ['2026-10-03T15:29:59.999Z', false], // 01:59:59.999 +10:30
      ['2026-10-03T15:30:00.000Z', false], // 02:30 +11
      ['2026-10-04T15:15:00.000Z', true], // the next night, 02:15 +11
    ]);
  });

  it('handles offsets with seconds (Monrovia, -0:44:30 until 1972)', () => {
    check({ allow: [{ from: '08:00', to: '09:00' }], timezone: 'Africa/Monrovia' }, [
      ['1971-06-01T08:44:29.999Z', false],
      ['1971-06-01T08:44:30.000Z', true],
      ['1971-06-01T09:44:29.999Z', true],
      ['1971-06-01T09:44:30.000Z', false],
    ]);
  });

  it('gives the same answers when the clock goes backwards', () => {
    const windows = compileTimeWindows({ allow: [{ from: '01:00', to: '02:00' }], timezone: 'Europe/Paris' });
    const times = ['2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z', '2026-10-25T02:30:00Z', '2026-10-24T23:59:59Z'];
    const forwards = times.map((at) => windows.allows(Date.parse(at)));
    const backwards = [...times].reverse().map((at) => windows.allows(Date.parse(at)));
    expect(forwards).toEqual([false, false, false, true]);
    expect(backwards).toEqual([...forwards].reverse());
  });

  it.each([
    [
      { allow: [{ days: [...WEEKDAYS], from: '08:00', to: '19:00' }], timezone: 'Europe/Paris' },
      'mon–fri 08:00–19:00 Europe/Paris',
    ],
    [
      { allow: [{ days: [...WEEKDAYS], from: '08:00', to: '19:00' }], deny: [{ from: '12:00', to: '13:00' }] },
      'mon–fri 08:00–19:00 except 12:00–13:00 UTC',
    ],
    [{ deny: [{ days: ['sat', 'sun'] }] }, 'outside sat–sun UTC'],
    [{ allow: [{ days: ['fri'], from: '22:00', to: '06:00' }] }, 'fri 22:00–06:00 UTC'],
    [{ allow: [{ days: ['mon', 'wed', 'fri'], from: '09:00', to: '17:00' }] }, 'mon, wed, fri 09:00–17:00 UTC'],
    [{ allow: [{ days: ['sun', 'mon', 'fri', 'sat'] }] }, 'fri–mon UTC'],
    [
      {
        allow: [
          { days: ['mon'], from: '09:00', to: '10:00' },
          { days: ['tue'], from: '14:00', to: '15:00' },
        ],
      },
      'mon 09:00–10:00 or tue 14:00–15:00 UTC',
    ],
    [{ allow: [{ from: '20:00' }] }, '20:00–24:00 UTC'],
    [{ allow: [{}] }, 'at any time UTC'],
    [{ deny: [{ from: '00:00', to: '06:00' }, { days: ['sun'] }] }, 'outside 00:00–06:00 and sun UTC'],
  ] as [TimeWindowRule, string][])('describes %j as "%s"', (rule, phrase) => {
    expect(compileTimeWindows(rule).describe()).toBe(phrase);
  });

  it('rejects unknown zones, days and times', () => {
    expect(() => compileTimeWindows({ allow: [{}], timezone: 'Nowhere/Special' })).toThrow(RangeError);
    expect(() => compileTimeWindows({ allow: [{ from: '25:00' }] })).toThrow(SyntaxError);
    expect(() => compileTimeWindows({ allow: [{ to: '24:30' }] })).toThrow(SyntaxError);
    expect(() => compileTimeWindows({ allow: [{ days: ['fun' as 'mon'] }] })).toThrow(RangeError);
  });
});

// ---- Property: agreement with a slow reference that asks Intl on every call -------------------------

const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'America/Santiago',
  'America/Havana',
  'America/St_Johns',
  'Asia/Beirut',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Apia',
  'Africa/Casablanca',
  'Africa/Monrovia',
  'Europe/Moscow',
] as const;
const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const SHORT_DAYS: Readonly<Record<string, number>> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

const referenceFormats = new Map<string, Intl.DateTimeFormat>();
function reference(zone: string): Intl.DateTimeFormat {
  let format = referenceFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    referenceFormats.set(zone, format);
  }
  return format;
}

function minutes(text: string): number {
  const [hours = 0, mins = 0] = text.split(':').map(Number);
  return hours * 60 + mins;
}

/** The rule's meaning, evaluated directly on Intl's wall-clock reading (no tables, no caches). */
function referenceAllows(rule: TimeWindowRule, zone: string, at: number): boolean {
  const parts: Record<string, string> = {};
  for (const part of reference(zone).formatToParts(at)) parts[part.type] = part.value;
  const weekday = SHORT_DAYS[parts.weekday ?? '']!;
  const minute = Number(parts.hour) * 60 + Number(parts.minute);
  const inRange = (range: TimeRange): boolean => {
    const days = range.days ?? DAY_NAMES;
    const from = minutes(range.from ?? '00:00');
    const to = minutes(range.to ?? '24:00');
    const today = days.includes(DAY_NAMES[weekday]!);
    if (from <= to) return today && minute >= from && minute < to;
    const yesterday = days.includes(DAY_NAMES[(weekday + 6) % 7]!);
    return (today && minute >= from) || (yesterday && minute < to);
  };
  return (rule.allow === undefined || rule.allow.some(inRange)) && !(rule.deny ?? []).some(inRange);
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
/** The zone's offset name at `at` (`GMT+05:30`): only compared for equality. */
function offsetOf(zone: string, at: number): string {
  let format = offsetFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    offsetFormats.set(zone, format);
  }
  return format.formatToParts(at).find((part) => part.type === 'timeZoneName')?.value ?? '';
}

/** Offset changes of `zone` in `year` (sampling every 2 days, bisecting to the second). */
const transitionCache = new Map<string, number[]>();
function transitions(zone: string, year: number): number[] {
  const key = `${zone} ${year}`;
  let found = transitionCache.get(key);
  if (found) return found;
  found = [];
  let at = Date.UTC(year, 0, 1);
  let offset = offsetOf(zone, at);
  while (at < Date.UTC(year + 1, 0, 1)) {
    const next = at + 2 * DAY;
    const nextOffset = offsetOf(zone, next);
    if (nextOffset !== offset) {
      let low = at / SECOND;
      let high = next / SECOND;
      while (high - low > 1) {
        const middle = Math.floor((low + high) / 2);
        if (offsetOf(zone, middle * SECOND) === offset) low = middle;
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

const clockTime = fc.oneof(
  fc.constantFrom('00:00', '01:00', '01:30', '02:00', '02:30', '03:00', '06:00', '12:00', '22:00', '23:59', '24:00'),
  fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([hours, mins]) => `${String(hours).padStart(2, '0')}:${String(mins).padStart(2, '0')}`),
);
const range: fc.Arbitrary<TimeRange> = fc.record(
  {
    days: fc.subarray([...DAY_NAMES], { minLength: 1 }),
    from: clockTime,
    to: clockTime,
  },
  { requiredKeys: [] },
);
const rule: fc.Arbitrary<TimeWindowRule> = fc
  .record(
    { allow: fc.array(range, { minLength: 1, maxLength: 3 }), deny: fc.array(range, { minLength: 1, maxLength: 2 }) },
    { requiredKeys: [] },
  )
  .filter((value) => value.allow !== undefined || value.deny !== undefined);

function instants(zone: string): fc.Arbitrary<number[]> {
  const uniform = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 11, 31) });
  const nearTransition = fc
    .record({
      year: fc.integer({ min: 1970, max: 2100 }),
      pick: fc.nat(),
      jitter: fc.oneof(fc.integer({ min: -90 * SECOND, max: 90 * SECOND }), fc.integer({ min: -DAY, max: DAY })),
    })
    .map(({ year, pick, jitter }) => {
      const list = transitions(zone, year);
      return (list.length > 0 ? list[pick % list.length]! : Date.UTC(year, 5, 1)) + jitter;
    });
  // A sequence of calls: forwards and backwards around the same instants exercises the offset cache.
  return fc
    .tuple(
      fc.oneof(uniform, nearTransition),
      fc.array(fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }), { maxLength: 12 }),
    )
    .map(([start, steps]) => {
      const times = [start];
      for (const step of steps) times.push(times[times.length - 1]! + step);
      return times;
    });
}

describe('compileTimeWindows (property)', () => {
  it('agrees with a slow reference that reads the wall clock from Intl on every call', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES).chain((zone) => fc.tuple(fc.constant(zone), rule, instants(zone))),
        ([zone, value, times]) => {
          const windows = compileTimeWindows({ ...value, timezone: zone });
          for (const at of times)
            expect([new Date(at).toISOString(), windows.allows(at)]).toEqual([
              new Date(at).toISOString(),
              referenceAllows(value, zone, at),
            ]);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
