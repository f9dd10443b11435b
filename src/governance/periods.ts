// Budget periods: the calendar window a timestamp falls in, in a configurable IANA time zone.
// Days start at local midnight (so a DST day lasts 23 or 25 hours), weeks on Monday, months on
// the 1st; `total` never resets. Windows are half-open: [start, end).
import { addDays, assertTimeZone, localDate, startOfLocalDay, weekdayFromMonday, type LocalDate } from './tz.js';

export const BUDGET_PERIODS = ['day', 'week', 'month', 'total'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export interface PeriodWindow {
  period: BudgetPeriod;
  /**
   * Names the window: `day:2025-03-30`, `week:2025-03-24` (its Monday), `month:2025-03`, `total`;
   * `@<zone>` is appended outside UTC, so a changed zone never reuses another zone's counters.
   */
  key: string;
  /** First instant, epoch ms (0 for `total`). */
  start: number;
  /** First instant of the next window, epoch ms; null for `total`. */
  end: number | null;
}

export interface PeriodQuery {
  period: BudgetPeriod;
  /** Epoch ms. */
  at: number;
  /** IANA zone, default UTC. */
  timeZone?: string;
}

const TOTAL: PeriodWindow = Object.freeze({ period: 'total', key: 'total', start: 0, end: null });

// The last window computed per zone and period: nearly every call falls inside it.
const recent = new Map<string, PeriodWindow>();

export function periodWindow(query: PeriodQuery): PeriodWindow {
  const { period, at } = query;
  if (period === 'total') return TOTAL;
  if (!Number.isFinite(at)) throw new RangeError(`period timestamp must be epoch ms, got ${at}`);
  const timeZone = query.timeZone ?? 'UTC';
  const cacheKey = `${timeZone}\u0000${period}`;
  const last = recent.get(cacheKey);
  if (last !== undefined && last.start <= at && at < last.end!) return last;
  assertTimeZone(timeZone);
  const window = compute(period, at, timeZone);
  recent.set(cacheKey, window);
  return window;
}

function compute(period: Exclude<BudgetPeriod, 'total'>, at: number, timeZone: string): PeriodWindow {
  const today = localDate(at, timeZone);
  let first: LocalDate;
  let next: LocalDate;
  let label: string;
  if (period === 'day') {
    first = today;
    next = addDays(today, 1);
    label = isoDate(first);
  } else if (period === 'week') {
    first = addDays(today, -weekdayFromMonday(today));
    next = addDays(first, 7);
    label = isoDate(first);
  } else {
    first = { year: today.year, month: today.month, day: 1 };
    next = addDays({ year: today.year, month: today.month + 1, day: 1 }, 0);
    label = isoDate(first).slice(0, 7);
  }
  const zone = timeZone === 'UTC' ? '' : `@${timeZone}`;
  return Object.freeze({ period, key: `${period}:${label}${zone}`, start: startOfLocalDay(first, timeZone), end: startOfLocalDay(next, timeZone) });
}

function isoDate(d: LocalDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}
