// Budget periods: calendar windows in IANA zones, across DST transitions, month and year ends.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { periodWindow, type BudgetPeriod } from '../../src/governance/periods.js';
import { localDate } from '../../src/governance/tz.js';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
function window(period: BudgetPeriod, when: string, timeZone?: string) {
  const w = periodWindow({ period, at: at(when), ...(timeZone ? { timeZone } : {}) });
  return { key: w.key, start: iso(w.start), end: iso(w.end), hours: w.end === null ? null : (w.end - w.start) / H };
}

describe('budget periods', () => {
  it('UTC days, weeks (from Monday) and months', () => {
    expect(window('day', '2025-06-15T23:59:59.999Z')).toEqual({
      key: 'day:2025-06-15',
      start: '2025-06-15T00:00:00.000Z',
      end: '2025-06-16T00:00:00.000Z',
      hours: 24,
    });
    // 2025-06-15 is a Sunday: its week began on Monday the 9th.
    expect(window('week', '2025-06-15T12:00:00Z')).toMatchObject({ key: 'week:2025-06-09', start: '2025-06-09T00:00:00.000Z', hours: 168 });
    expect(window('week', '2025-06-16T00:00:00Z')).toMatchObject({ key: 'week:2025-06-16' });
    expect(window('month', '2025-06-30T23:59:59Z')).toEqual({
      key: 'month:2025-06',
      start: '2025-06-01T00:00:00.000Z',
      end: '2025-07-01T00:00:00.000Z',
      hours: 720,
    });
    expect(window('total', '2025-06-30T23:59:59Z')).toEqual({ key: 'total', start: '1970-01-01T00:00:00.000Z', end: null, hours: null });
  });

  it('month ends: leap February, December into the next year, 31-day months', () => {
    expect(window('month', '2024-02-29T23:00:00Z')).toMatchObject({ key: 'month:2024-02', end: '2024-03-01T00:00:00.000Z', hours: 29 * 24 });
    expect(window('month', '2025-02-28T23:00:00Z')).toMatchObject({ key: 'month:2025-02', hours: 28 * 24 });
    expect(window('month', '2025-12-31T23:59:59Z')).toMatchObject({ key: 'month:2025-12', end: '2026-01-01T00:00:00.000Z' });
    expect(window('month', '2026-01-01T00:00:00Z')).toMatchObject({ key: 'month:2026-01', start: '2026-01-01T00:00:00.000Z' });
    expect(window('day', '2025-01-31T12:00:00Z').end).toBe('2025-02-01T00:00:00.000Z');
  });

  it('weeks across a year end start on the Monday of the previous year', () => {
    expect(window('week', '2026-01-01T12:00:00Z')).toMatchObject({
      key: 'week:2025-12-29',
      start: '2025-12-29T00:00:00.000Z',
      end: '2026-01-05T00:00:00.000Z',
    });
  });

  it('Europe/Berlin: 23-hour spring day, 25-hour autumn day, and the weeks and months around them', () => {
    expect(window('day', '2025-03-30T12:00:00Z', 'Europe/Berlin')).toEqual({
      key: 'day:2025-03-30@Europe/Berlin',
      start: '2025-03-29T23:00:00.000Z',
      end: '2025-03-30T22:00:00.000Z',
      hours: 23,
    });
    expect(window('day', '2025-10-26T12:00:00Z', 'Europe/Berlin')).toMatchObject({
      start: '2025-10-25T22:00:00.000Z',
      end: '2025-10-26T23:00:00.000Z',
      hours: 25,
    });
    expect(window('week', '2025-03-30T12:00:00Z', 'Europe/Berlin')).toMatchObject({ key: 'week:2025-03-24@Europe/Berlin', hours: 167 });
    expect(window('month', '2025-03-15T12:00:00Z', 'Europe/Berlin')).toMatchObject({
      start: '2025-02-28T23:00:00.000Z',
      end: '2025-03-31T22:00:00.000Z',
      hours: 31 * 24 - 1,
    });
    expect(window('month', '2025-10-15T12:00:00Z', 'Europe/Berlin')).toMatchObject({ hours: 31 * 24 + 1 });
    // 23:30 UTC on 31 March is already 1 April in Berlin.
    expect(window('month', '2025-03-31T22:30:00Z', 'Europe/Berlin').key).toBe('month:2025-04@Europe/Berlin');
  });

  it('America/New_York: the DST days and the instants at their edges', () => {
    expect(window('day', '2025-03-09T12:00:00Z', 'America/New_York')).toMatchObject({
      start: '2025-03-09T05:00:00.000Z',
      end: '2025-03-10T04:00:00.000Z',
      hours: 23,
    });
    expect(window('day', '2025-11-02T12:00:00Z', 'America/New_York')).toMatchObject({
      start: '2025-11-02T04:00:00.000Z',
      end: '2025-11-03T05:00:00.000Z',
      hours: 25,
    });
    // 1:30 happens twice on 2 November: both are the same day.
    expect(window('day', '2025-11-02T05:30:00Z', 'America/New_York').key).toBe('day:2025-11-02@America/New_York');
    expect(window('day', '2025-11-02T06:30:00Z', 'America/New_York').key).toBe('day:2025-11-02@America/New_York');
    expect(window('day', '2025-11-03T04:59:59.999Z', 'America/New_York').key).toBe('day:2025-11-02@America/New_York');
    expect(window('day', '2025-11-03T05:00:00.000Z', 'America/New_York').key).toBe('day:2025-11-03@America/New_York');
  });

  it('zones where DST skips or repeats midnight, and half-hour offsets', () => {
    // Chile springs forward at midnight: 8 Sept 2024 begins at 01:00 local (-03).
    expect(window('day', '2024-09-08T12:00:00Z', 'America/Santiago')).toMatchObject({
      start: '2024-09-08T04:00:00.000Z',
      end: '2024-09-09T03:00:00.000Z',
      hours: 23,
    });
    expect(window('day', '2024-09-07T12:00:00Z', 'America/Santiago')).toMatchObject({
      start: '2024-09-07T04:00:00.000Z',
      end: '2024-09-08T04:00:00.000Z',
      hours: 24,
    });
    // Cuba falls back from 01:00 to midnight: the day begins at the first midnight.
    expect(window('day', '2025-11-02T12:00:00Z', 'America/Havana')).toMatchObject({ start: '2025-11-02T04:00:00.000Z', hours: 25 });
    expect(window('day', '2025-01-01T12:00:00Z', 'Asia/Kolkata')).toMatchObject({ start: '2024-12-31T18:30:00.000Z', hours: 24 });
  });

  it('rejects an unknown zone', () => {
    expect(() => periodWindow({ period: 'day', at: Date.now(), timeZone: 'Mars/Olympus' })).toThrow(/unknown IANA time zone/);
  });

  it('property: every instant lies in its window, which covers exactly one local day / week / month', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Apia'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.constantFrom(...zones),
        fc.constantFrom('day', 'week', 'month' as const),
        (t, timeZone, period) => {
          const w = periodWindow({ period, at: t, timeZone });
          expect(w.start).toBeLessThanOrEqual(t);
          expect(t).toBeLessThan(w.end!);
          const first = localDate(w.start, timeZone);
          const last = localDate(w.end! - 1, timeZone);
          const next = localDate(w.end!, timeZone);
          const before = localDate(w.start - 1, timeZone);
          if (period === 'day') {
            expect(last).toEqual(first);
            expect(next).not.toEqual(first);
            expect(before).not.toEqual(first);
          } else if (period === 'month') {
            expect(first.day).toBe(1);
            expect(next.day).toBe(1);
            expect(last.month).toBe(first.month);
            expect(before.month).not.toBe(first.month);
          } else {
            expect(new Date(Date.UTC(first.year, first.month - 1, first.day)).getUTCDay()).toBe(1);
            expect(new Date(Date.UTC(next.year, next.month - 1, next.day)).getUTCDay()).toBe(1);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
