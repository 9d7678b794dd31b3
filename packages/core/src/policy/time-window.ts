// Time-window rules: when calls may run, by local wall-clock time and day of the week in a time zone.
import { type ZoneClock, zoneClock } from '../budget/window';
import type { TimeRange } from './schema';

/** A compiled time-window rule. */
export interface TimeWindows {
  /**
   * `true` when a call at `now` (epoch ms) is allowed: inside at least one `allow` range (or there are
   * none) and inside no `deny` range, by the zone's local wall-clock time.
   */
  allows(now: number): boolean;
  /** The allowed times as a phrase for messages, e.g. `mon–fri 08:00–19:00 Europe/Paris`. */
  describe(): string;
}

/** What {@link compileTimeWindows} reads from a `time_window` rule (other properties are ignored). */
export interface TimeWindowRule {
  allow?: readonly TimeRange[] | undefined;
  deny?: readonly TimeRange[] | undefined;
  /** IANA time zone; default: the `defaultZone` argument. */
  timezone?: string | undefined;
}

type DayName = NonNullable<TimeRange['days']>[number];

const DAY_NAMES: readonly DayName[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MINUTES_PER_DAY = 1_440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
const MINUTE = 60_000;
const DAY = 86_400_000;
const CLOCK_TIME = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

/** Minutes since local midnight of `HH:MM` (`24:00` is 1440). */
function minutesOf(text: string): number {
  const match = CLOCK_TIME.exec(text);
  if (!match) throw new SyntaxError(`"${text}" is not a time of day; use HH:MM from 00:00 to 24:00`);
  if (match[1] === undefined) return MINUTES_PER_DAY;
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Indexes (0 = Monday) of a range's days. */
function daysOf(range: TimeRange): number[] {
  if (range.days === undefined) return [0, 1, 2, 3, 4, 5, 6];
  if (range.days.length === 0) throw new RangeError('a time range needs at least one day (or none, for every day)');
  return range.days.map((name) => {
    const index = DAY_NAMES.indexOf(name);
    if (index < 0) throw new RangeError(`"${name}" is not a day; use mon, tue, wed, thu, fri, sat or sun`);
    return index;
  });
}

/**
 * Marks the minutes of the week a range covers. From is inclusive, to exclusive; `to` earlier than `from`
 * runs overnight, the part after midnight belonging to the starting day (fri 22:00–06:00 covers Saturday
 * 00:00–06:00). Equal `from` and `to` cover nothing.
 */
function mark(week: Uint8Array, range: TimeRange): void {
  const from = minutesOf(range.from ?? '00:00');
  const to = minutesOf(range.to ?? '24:00');
  for (const day of daysOf(range)) {
    const start = day * MINUTES_PER_DAY + from;
    const end = day * MINUTES_PER_DAY + (to < from ? MINUTES_PER_DAY + to : to);
    for (let minute = start; minute < end; minute += 1) week[minute % MINUTES_PER_WEEK] = 1;
  }
}

/** `mon–fri`, `sat–sun`, `mon, wed, fri`, `fri–mon`: runs of consecutive days, Monday first. */
function describeDays(range: TimeRange): string {
  const included = new Array<boolean>(7).fill(false);
  for (const day of daysOf(range)) included[day] = true;
  if (included.every(Boolean)) return '';
  const runs: string[] = [];
  for (let day = 0; day < 7; day += 1) {
    if (!included[day] || included[(day + 6) % 7]) continue;
    let last = day;
    while (included[(last + 1) % 7]) last += 1;
    const first = DAY_NAMES[day]!;
    runs.push(last === day ? first : `${first}–${DAY_NAMES[last % 7]!}`);
  }
  return runs.join(', ');
}

function describeRange(range: TimeRange): string {
  const from = range.from ?? '00:00';
  const to = range.to ?? '24:00';
  const days = describeDays(range);
  const hours = from === '00:00' && to === '24:00' ? '' : `${from}–${to}`;
  return [days, hours].filter(Boolean).join(' ') || 'at any time';
}

/**
 * Compiles a `time_window` rule. A call is allowed when it is inside at least one `allow` range (or
 * the rule has none) and inside no `deny` range. A range is `{days?, from?, to?}`: days default to every
 * day, `from` to 00:00 (inclusive), `to` to 24:00 (exclusive); `to` before `from` runs overnight and the
 * part after midnight belongs to the starting day. Times are local wall-clock times in the rule's
 * `timezone` (else `defaultZone`): on a spring-forward day the skipped times never occur, and on a
 * fall-back day the repeated hour is inside a range twice.
 *
 * The rule is compiled to one flag per minute of the week; `allows` costs a cached offset lookup and
 * a table read. Throws on an unknown zone, day or time.
 */
export function compileTimeWindows(rule: TimeWindowRule, defaultZone = 'UTC'): TimeWindows {
  const timeZone = rule.timezone ?? defaultZone;
  const clock: ZoneClock = zoneClock(timeZone);
  const allow = rule.allow !== undefined && rule.allow.length > 0 ? rule.allow : undefined;
  const deny = rule.deny ?? [];
  const allowed = new Uint8Array(MINUTES_PER_WEEK);
  if (allow === undefined) allowed.fill(1);
  else for (const range of allow) mark(allowed, range);
  if (deny.length > 0) {
    const denied = new Uint8Array(MINUTES_PER_WEEK);
    for (const range of deny) mark(denied, range);
    for (let minute = 0; minute < MINUTES_PER_WEEK; minute += 1) if (denied[minute] === 1) allowed[minute] = 0;
  }
  const allowPart = allow?.map(describeRange).join(' or ');
  const denyPart = deny.map(describeRange).join(' and ');
  const phrase =
    allowPart === undefined
      ? denyPart
        ? `outside ${denyPart}`
        : 'at any time'
      : denyPart
        ? `${allowPart} except ${denyPart}`
        : allowPart;
  const description = `${phrase} ${timeZone}`;
  return {
    allows(now: number): boolean {
      const local = now + clock.offsetAt(now);
      const day = Math.floor(local / DAY);
      // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
      const weekday = (((day + 3) % 7) + 7) % 7;
      return allowed[weekday * MINUTES_PER_DAY + Math.floor((local - day * DAY) / MINUTE)] === 1;
    },
    describe(): string {
      return description;
    },
  };
}
