// Reading the rollups over whole hours [hStart, hEnd): the whole UTC days inside the range from
// spend_daily, the whole hours on either side of them from spend_hourly. A 90-day range then reads
// about 90 + 46 cells per group instead of 2,160 (1,000 keys: 136k cells instead of 2.16M).
// spend_daily has only the days before spend_daily_sealed.day (seal.ts); whole days from there on
// (today, usually) are read from spend_hourly too, in the same statement, so in one snapshot.
import type { Tables } from './schema.js';

const HOURS_PER_DAY = 24;

/** The six parameters of `rollupCells`: days [d0, d1) of spend_daily, hours [a0, a1) and [b0, b1) of spend_hourly. */
export type RollupBounds = [number, number, number, number, number, number];

/** Splits the whole hours [hStart, hEnd) into whole days and the hours before and after them (empty ranges are [0, 0)). */
export function rollupBounds(hStart: number, hEnd: number): RollupBounds {
  if (hStart >= hEnd) return [0, 0, 0, 0, 0, 0];
  const dStart = Math.ceil(hStart / HOURS_PER_DAY);
  const dEnd = Math.floor(hEnd / HOURS_PER_DAY);
  if (dStart >= dEnd) return [0, 0, hStart, hEnd, 0, 0];
  return [dStart, dEnd, hStart, dStart * HOURS_PER_DAY, dEnd * HOURS_PER_DAY, hEnd];
}

/**
 * The cells of dimension `dim` (an SQL expression) in the hours that the bounds given as parameters
 * $first … $first+5 cover: `daily` is the select list over a spend_daily row (its time is `day`),
 * `hourly` the same list over a spend_hourly row (its time is `hour`). With `blocks`, for a caller
 * that sums the cells over the whole range, the sealed days come as spend_cover's blocks of
 * spend_blocks and days of spend_daily (`daily` must then not read `day`).
 */
export function rollupCells(t: Tables, dim: string, first: number, select: { daily: string; hourly: string; blocks?: boolean }): string {
  const p = (k: number) => `$${first + k}::int8`;
  const sealedEnd = `LEAST(${p(1)}, (SELECT day FROM ${t.sealed}))`;
  const sealedDays = select.blocks
    ? `SELECT ${select.daily} FROM ${t.daily} WHERE dim = ${dim} AND day IN (SELECT day FROM ${t.schema}.spend_cover(${p(0)}, ${sealedEnd}) WHERE level = 0)
    UNION ALL SELECT ${select.daily} FROM ${t.blocks} WHERE dim = ${dim} AND (level, day) IN (SELECT level, day FROM ${t.schema}.spend_cover(${p(0)}, ${sealedEnd}) WHERE level > 0)`
    : `SELECT ${select.daily} FROM ${t.daily} WHERE dim = ${dim} AND day >= ${p(0)} AND day < ${sealedEnd}`;
  return `${sealedDays}
    UNION ALL SELECT ${select.hourly} FROM ${t.hourly} WHERE dim = ${dim} AND hour >= ${p(2)} AND hour < ${p(3)}
    UNION ALL SELECT ${select.hourly} FROM ${t.hourly} WHERE dim = ${dim} AND hour >= GREATEST(${p(0)}, ${sealedEnd}) * 24 AND hour < ${p(1)} * 24
    UNION ALL SELECT ${select.hourly} FROM ${t.hourly} WHERE dim = ${dim} AND hour >= ${p(4)} AND hour < ${p(5)}`;
}
