// Wall-clock arithmetic in IANA time zones, on the tz database Node ships with (Intl): the only
// primitive read from it is the local wall time of an instant; everything else derives from that.
const formatters = new Map<string, Intl.DateTimeFormat>();

const DAY_MS = 86_400_000;

/** A local calendar date. Month 1–12. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError naming the zone unless Intl knows it. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatter(timeZone);
  } catch {
    throw new RangeError(`unknown IANA time zone: ${JSON.stringify(timeZone)}`);
  }
}

/** The local wall time of `instant` written as if it were UTC (epoch ms, whole seconds). */
function wallAsUtc(instant: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second);
}

/** UTC offset in ms (local − UTC) in force at `instant`. */
export function offsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallAsUtc(whole, timeZone) - whole;
}

/** The local calendar date of `instant`. */
export function localDate(instant: number, timeZone: string): LocalDate {
  const d = new Date(instant + offsetAt(instant, timeZone));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Normalises day/month overflow (day 32, month 13, day 0) into a real date. */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Day of the week, Monday = 0 … Sunday = 6. */
export function weekdayFromMonday(date: LocalDate): number {
  return (new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7;
}

/**
 * The first instant of a local day: local midnight, or, where a DST gap swallows midnight (e.g.
 * America/Santiago, 00:00 → 01:00), the end of the gap. Where midnight happens twice (a fall-back
 * at midnight), the earlier one.
 */
export function startOfLocalDay(date: LocalDate, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  // Offsets a day either side: at most one transition lies between them in the tz database.
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const valid = [wall - before, wall - after].filter((t) => t + offsetAt(t, timeZone) === wall);
  if (valid.length > 0) return Math.min(...valid);
  // Midnight does not exist: the transition instant lies in (wall − after, wall − before].
  let lo = wall - after;
  let hi = wall - before;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(mid, timeZone) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}
